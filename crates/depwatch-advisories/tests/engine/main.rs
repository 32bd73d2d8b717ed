//! Integration tests of depwatch-advisories, one binary with a module per area.

mod loading;
mod matching;
mod real_data;
mod shared_data;
mod versions;
