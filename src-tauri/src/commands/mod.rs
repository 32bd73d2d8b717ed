//! Tauri commands, one module per domain. Each is thin: DTO in, `depwatch-app` call, DTO out.

pub mod app;
