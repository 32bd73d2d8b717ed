//! Declares `cfg(fuzzing)` (set by cargo-fuzz) so the parser can let panics reach the fuzzer.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(fuzzing)");
}
