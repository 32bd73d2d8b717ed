//! Integration tests of depwatch-advisories, one binary with a module per area.

mod versions;
