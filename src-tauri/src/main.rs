// Hide the console window on Windows release builds; the app lives in the tray.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// Matching allocates heavily, and glibc's malloc spent over a third of matching time in
// malloc, free and consolidation; mimalloc nearly halves it (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    depwatch_desktop::run();
}
