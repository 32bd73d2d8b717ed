//! The monitoring pipeline against the fake Bitbucket.

mod advisory_refresh;
mod catch_up;
mod monitor;
mod push;
mod ref_plan;
mod sleep;
mod webhook_registration;
