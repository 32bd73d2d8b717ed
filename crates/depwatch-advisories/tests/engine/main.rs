//! Integration tests of depwatch-advisories, one binary with a module per area.

mod loading;
mod shared_data;
mod versions;
