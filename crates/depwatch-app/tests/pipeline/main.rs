//! The monitoring pipeline against the fake Bitbucket.

mod advisory_refresh;
mod catch_up;
mod monitor;
mod push;
mod ref_plan;
mod sleep;
mod webhook_registration;

use depwatch_app::{AddInstance, App, DataDir, InstanceAuth};
use depwatch_fakebb::{Config, FakeBitbucket, Permission};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A lockfile the fixtures' advisories find nothing in (`time` 0.2.23).
pub const CLEAN_LOCK: &str = "version = 3\n\n[[package]]\nname = \"time\"\nversion = \"0.2.23\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The fake Bitbucket with user `admin` (password `pw`), an admin access token for it, and
/// the project SHOP.
pub async fn fake_with_shop() -> (FakeBitbucket, String) {
    let fake = FakeBitbucket::start(Config::default()).await.unwrap();
    fake.add_user("admin", Some("pw"), true).unwrap();
    let token = fake.add_personal_token("admin", Permission::Admin).unwrap();
    fake.add_project("SHOP", "Shop").unwrap();
    (fake, token)
}

/// An app with its data in `data_dir`, connected to `fake` as instance `corp` with `token`;
/// secrets go to a file (tests never touch the keychain).
pub fn connected_app(fake: &FakeBitbucket, token: &str, data_dir: &Path) -> Arc<App> {
    std::env::set_var(depwatch_app::SECRET_STORE_ENV, "file");
    let app = Arc::new(App::open(DataDir::new(data_dir.to_path_buf())).unwrap());
    app.add_instance(AddInstance {
        name: Some("corp".into()),
        base_url: fake.base_url().to_owned(),
        auth: InstanceAuth::Token(depwatch_bitbucket::Secret::new(token)),
        ca_path: None,
        max_requests_per_second: None,
    })
    .unwrap();
    app
}
