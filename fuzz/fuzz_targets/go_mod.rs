#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| depwatch_fuzz::run(depwatch_lockfiles::Format::GoMod, data));
