//! One parser per format. Each module exposes `pub(crate) fn parse(input: &Input<'_>) -> Parsed`.

// Rust and JavaScript formats.
pub(crate) mod bun_lock;
pub(crate) mod cargo_lock;
pub(crate) mod cargo_toml;
pub(crate) mod package_json;
pub(crate) mod package_lock;
pub(crate) mod pnpm_lock;
pub(crate) mod yarn_lock;

// Python, Ruby, PHP, Go, Java and .NET formats.
pub(crate) mod composer_lock;
pub(crate) mod gemfile_lock;
pub(crate) mod go_mod;
pub(crate) mod go_sum;
pub(crate) mod gradle_lockfile;
pub(crate) mod nuget_lock;
pub(crate) mod pipfile_lock;
pub(crate) mod poetry_lock;
pub(crate) mod pom_xml;
pub(crate) mod pylock_toml;
/// Companion `pyproject.toml` reading for the Python lockfiles (not a format of its own).
pub(crate) mod pyproject;
pub(crate) mod requirements;
pub(crate) mod uv_lock;
