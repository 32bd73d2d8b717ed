//! The listener over real HTTP on 127.0.0.1:0.

mod fakebb;
mod harness;
mod limits;
mod native;
mod plugin;
