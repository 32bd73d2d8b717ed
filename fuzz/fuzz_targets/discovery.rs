#![no_main]
use depwatch_lockfiles::discovery::{plan, DiscoveryOptions};
use libfuzzer_sys::fuzz_target;

// Listings are untrusted too (a Bitbucket file list): one path per line.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let paths: Vec<&str> = text.lines().collect();
    let plan = plan(&paths, &DiscoveryOptions::default());
    for job in &plan.jobs {
        assert!(paths.iter().any(|p| p.trim_start_matches("./") == job.path));
    }
});
