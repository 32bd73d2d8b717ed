//! Tauri commands, one module per domain. Each is thin: DTO in, `depwatch-app` call, DTO out.

pub mod advisory;
pub mod app;
pub mod dashboard;
pub mod finding;
pub mod push;
pub mod repository;
mod view;
