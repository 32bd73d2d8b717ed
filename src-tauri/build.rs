// tauri.conf.json sits at the repository top level beside this package's Cargo.toml (the root
// package is the Tauri app), but capabilities live in src-tauri/capabilities.
fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"),
    )
    .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities");
}
