//! Integration tests: the fake exercised over real HTTP with plain reqwest.

mod common;
mod demo;
mod faults;
mod oauth;
mod rest;
mod shapes;
mod webhooks;
