//! Lockfile and manifest parsers for every ecosystem depwatch watches.
//!
//! One module per format lives in `src/format/<name>.rs` and exposes
//! `pub(crate) fn parse(input: &Input<'_>) -> Parsed`. [`parse`] dispatches to it and applies the
//! rules every format shares (see [`parsed`]): the size cap, name normalization, the manifest path,
//! deduplication on `(ecosystem, name, version)`, and "a recognised, non-empty file that yields
//! no packages gets a diagnostic" (never a silent zero).
//!
//! Parsers never panic on input and never do IO: companion files (a `package.json` beside a
//! `yarn.lock`, a parent POM, a `-r` include) come through [`RepoFiles`].

pub mod discovery;
mod format;
mod inventory;
pub mod parsed;
mod yaml;

pub use depwatch_core::{Dependency, Diagnostic, Ecosystem, Edge, Parsed, Scope, Source};

use std::fmt;

/// Other files of the same repository snapshot (for `-r` includes, parent POMs, companion
/// manifests).
pub trait RepoFiles {
    /// The bytes of the repository-relative `path`, or `None` when it does not exist or cannot
    /// be read.
    fn read(&self, path: &str) -> Option<Vec<u8>>;

    /// The names of the entries (files and folders) directly inside the repository-relative
    /// folder `dir` (`""` = root), when the implementation knows them. Used to expand
    /// workspace globs (`packages/*`); the default knows nothing.
    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let _ = dir;
        None
    }
}

/// An empty [`RepoFiles`] (no companion files available).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl RepoFiles for NoFiles {
    fn read(&self, _path: &str) -> Option<Vec<u8>> {
        None
    }
}

/// An in-memory [`RepoFiles`], keyed by repository-relative path (tests, and callers that
/// fetched the companions already).
impl RepoFiles for std::collections::BTreeMap<String, Vec<u8>> {
    fn read(&self, path: &str) -> Option<Vec<u8>> {
        self.get(path).cloned()
    }

    fn list(&self, dir: &str) -> Option<Vec<String>> {
        let prefix = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        let mut names: Vec<String> = self
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('/').next())
            .map(str::to_owned)
            .collect();
        names.dedup();
        Some(names)
    }
}

/// Limits applied to every parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Files larger than this are refused with an Error diagnostic (default 50 MiB).
    pub max_bytes: usize,
}

impl ParseOptions {
    /// The default size cap: 50 MiB, well above the largest real lockfiles.
    pub const DEFAULT_MAX_BYTES: usize = 50 * 1024 * 1024;
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self { max_bytes: Self::DEFAULT_MAX_BYTES }
    }
}

/// One file to parse, with access to the rest of the repository snapshot.
pub struct Input<'a> {
    /// Repository-relative path, `/`-separated (`web/package-lock.json`).
    pub path: &'a str,
    pub bytes: &'a [u8],
    pub repo: &'a dyn RepoFiles,
    pub options: &'a ParseOptions,
}

impl<'a> Input<'a> {
    /// The directory part of [`Input::path`], without a trailing `/` (`""` at the root).
    pub fn dir(&self) -> &'a str {
        parent_dir(self.path)
    }

    /// Reads a file in the same directory as this one (`package.json` beside `yarn.lock`).
    pub fn sibling(&self, name: &str) -> Option<Vec<u8>> {
        self.repo.read(&join_path(self.dir(), name))
    }

    /// The file as UTF-8 text without a byte-order mark, or an Error diagnostic naming the
    /// byte offset and line of the first invalid byte.
    pub fn text(&self) -> Result<&'a str, Diagnostic> {
        let bytes = self.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            let offset = e.valid_up_to();
            Diagnostic::error(
                self.path,
                format!("file is not valid UTF-8 (invalid byte at offset {offset})"),
            )
            .at_line(parsed::line_at(bytes, offset))
        })
    }
}

/// The directory of a `/`-separated repository path, without a trailing `/`.
pub fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// Joins a directory (possibly `""`) and a relative path with `/`.
pub fn join_path(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// A lockfile or manifest format depwatch reads.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Format {
    CargoLock,
    CargoToml,
    PackageLock,
    YarnLock,
    PnpmLock,
    BunLock,
    PackageJson,
    Requirements,
    PipfileLock,
    PoetryLock,
    UvLock,
    PylockToml,
    GemfileLock,
    ComposerLock,
    GoMod,
    GoSum,
    PomXml,
    GradleLockfile,
    NugetLock,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 19] = [
        Format::CargoLock,
        Format::CargoToml,
        Format::PackageLock,
        Format::YarnLock,
        Format::PnpmLock,
        Format::BunLock,
        Format::PackageJson,
        Format::Requirements,
        Format::PipfileLock,
        Format::PoetryLock,
        Format::UvLock,
        Format::PylockToml,
        Format::GemfileLock,
        Format::ComposerLock,
        Format::GoMod,
        Format::GoSum,
        Format::PomXml,
        Format::GradleLockfile,
        Format::NugetLock,
    ];

    /// Recognises a format from a repository path (only the file name and, for a few formats,
    /// the parent directory matter). `None` for files depwatch does not read.
    pub fn detect(path: &str) -> Option<Format> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let parent = parent_dir(path).rsplit('/').next().unwrap_or("");
        let format = match name {
            "Cargo.lock" => Format::CargoLock,
            "Cargo.toml" => Format::CargoToml,
            "package-lock.json" | "npm-shrinkwrap.json" => Format::PackageLock,
            "yarn.lock" => Format::YarnLock,
            "pnpm-lock.yaml" | "pnpm-lock.yml" => Format::PnpmLock,
            // bun.lockb is binary: detected so that its parser can say so instead of skipping it.
            "bun.lock" | "bun.lockb" => Format::BunLock,
            "package.json" => Format::PackageJson,
            "Pipfile.lock" => Format::PipfileLock,
            "poetry.lock" => Format::PoetryLock,
            "uv.lock" => Format::UvLock,
            "pylock.toml" => Format::PylockToml,
            "Gemfile.lock" | "gems.locked" => Format::GemfileLock,
            "composer.lock" => Format::ComposerLock,
            "go.mod" => Format::GoMod,
            "go.sum" => Format::GoSum,
            "pom.xml" => Format::PomXml,
            "gradle.lockfile" | "buildscript-gradle.lockfile" => Format::GradleLockfile,
            "packages.lock.json" => Format::NugetLock,
            _ => {
                if name.starts_with("pylock.") && name.ends_with(".toml") {
                    Format::PylockToml
                } else if is_requirements_name(name, parent) {
                    Format::Requirements
                } else if parent == "dependency-locks" && name.ends_with(".lockfile") {
                    // Gradle < 6 layout: gradle/dependency-locks/<configuration>.lockfile
                    Format::GradleLockfile
                } else {
                    return None;
                }
            }
        };
        Some(format)
    }

    /// True for lockfiles (exact resolved versions); false for manifests that declare ranges.
    ///
    /// `go.mod` counts as a lockfile: since Go 1.17 it lists the whole build list with exact
    /// versions. `requirements.txt` counts as a manifest: only its `==` lines are pins.
    pub fn is_lockfile(self) -> bool {
        !matches!(
            self,
            Format::CargoToml | Format::PackageJson | Format::Requirements | Format::PomXml
        )
    }

    /// The ecosystem whose packages this format lists.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            Format::CargoLock | Format::CargoToml => Ecosystem::CratesIo,
            Format::PackageLock
            | Format::YarnLock
            | Format::PnpmLock
            | Format::BunLock
            | Format::PackageJson => Ecosystem::Npm,
            Format::Requirements
            | Format::PipfileLock
            | Format::PoetryLock
            | Format::UvLock
            | Format::PylockToml => Ecosystem::PyPI,
            Format::GemfileLock => Ecosystem::RubyGems,
            Format::ComposerLock => Ecosystem::Packagist,
            Format::GoMod | Format::GoSum => Ecosystem::Go,
            Format::PomXml | Format::GradleLockfile => Ecosystem::Maven,
            Format::NugetLock => Ecosystem::NuGet,
        }
    }

    /// The usual file name, for messages.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::CargoLock => "Cargo.lock",
            Format::CargoToml => "Cargo.toml",
            Format::PackageLock => "package-lock.json",
            Format::YarnLock => "yarn.lock",
            Format::PnpmLock => "pnpm-lock.yaml",
            Format::BunLock => "bun.lock",
            Format::PackageJson => "package.json",
            Format::Requirements => "requirements.txt",
            Format::PipfileLock => "Pipfile.lock",
            Format::PoetryLock => "poetry.lock",
            Format::UvLock => "uv.lock",
            Format::PylockToml => "pylock.toml",
            Format::GemfileLock => "Gemfile.lock",
            Format::ComposerLock => "composer.lock",
            Format::GoMod => "go.mod",
            Format::GoSum => "go.sum",
            Format::PomXml => "pom.xml",
            Format::GradleLockfile => "gradle.lockfile",
            Format::NugetLock => "packages.lock.json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// `requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`, `requirements/test.txt`.
fn is_requirements_name(name: &str, parent: &str) -> bool {
    let Some(stem) = name.strip_suffix(".txt") else {
        return false;
    };
    stem.starts_with("requirements") || stem.ends_with("requirements") || parent == "requirements"
}

/// Parses one file; never panics; oversize input → Error diagnostic and no packages.
///
/// The result's packages are deduplicated on `(ecosystem, name, version)` (edges and roots
/// remapped, install paths merged), names are normalized per ecosystem, and a recognised file
/// with content that yields neither packages nor any diagnostic gets a Warning.
pub fn parse(format: Format, input: &Input<'_>) -> Parsed {
    if input.bytes.len() > input.options.max_bytes {
        let mut out = Parsed::default();
        out.diagnostics.push(Diagnostic::error(
            input.path,
            format!(
                "file is {} bytes, over the {}-byte limit for {format} files; not parsed",
                input.bytes.len(),
                input.options.max_bytes
            ),
        ));
        return out;
    }
    let parsed = dispatch_guarded(format, input);
    parsed::finish(format, input, parsed)
}

/// Runs the format's parser. Outside fuzzing a panic (a bug: parsers must not panic) becomes an
/// Error diagnostic so one bad file cannot take down a scan; under `cfg(fuzzing)` it propagates
/// so the fuzzer sees it.
fn dispatch_guarded(format: Format, input: &Input<'_>) -> Parsed {
    #[cfg(not(fuzzing))]
    {
        let run = std::panic::AssertUnwindSafe(|| dispatch(format, input));
        match std::panic::catch_unwind(run) {
            Ok(parsed) => parsed,
            Err(_) => {
                let mut out = Parsed::default();
                out.diagnostics.push(Diagnostic::error(
                    input.path,
                    format!("internal error while parsing this {format} file; it was skipped"),
                ));
                out
            }
        }
    }
    #[cfg(fuzzing)]
    {
        dispatch(format, input)
    }
}

fn dispatch(format: Format, input: &Input<'_>) -> Parsed {
    match format {
        // Rust and JavaScript.
        Format::CargoLock => format::cargo_lock::parse(input),
        Format::CargoToml => format::cargo_toml::parse(input),
        Format::PackageLock => format::package_lock::parse(input),
        Format::YarnLock => format::yarn_lock::parse(input),
        Format::PnpmLock => format::pnpm_lock::parse(input),
        Format::BunLock => format::bun_lock::parse(input),
        Format::PackageJson => format::package_json::parse(input),
        // Python, Ruby, PHP, Go, Java and .NET.
        Format::Requirements => format::requirements::parse(input),
        Format::PipfileLock => format::pipfile_lock::parse(input),
        Format::PoetryLock => format::poetry_lock::parse(input),
        Format::UvLock => format::uv_lock::parse(input),
        Format::PylockToml => format::pylock_toml::parse(input),
        Format::GemfileLock => format::gemfile_lock::parse(input),
        Format::ComposerLock => format::composer_lock::parse(input),
        Format::GoMod => format::go_mod::parse(input),
        Format::GoSum => format::go_sum::parse(input),
        Format::PomXml => format::pom_xml::parse(input),
        Format::GradleLockfile => format::gradle_lockfile::parse(input),
        Format::NugetLock => format::nuget_lock::parse(input),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_every_format_from_its_path() {
        let cases = [
            ("Cargo.lock", Format::CargoLock),
            ("a/b/Cargo.toml", Format::CargoToml),
            ("web/package-lock.json", Format::PackageLock),
            ("npm-shrinkwrap.json", Format::PackageLock),
            ("yarn.lock", Format::YarnLock),
            ("pnpm-lock.yaml", Format::PnpmLock),
            ("bun.lock", Format::BunLock),
            ("bun.lockb", Format::BunLock),
            ("package.json", Format::PackageJson),
            ("requirements.txt", Format::Requirements),
            ("requirements-dev.txt", Format::Requirements),
            ("dev-requirements.txt", Format::Requirements),
            ("requirements/test.txt", Format::Requirements),
            ("Pipfile.lock", Format::PipfileLock),
            ("poetry.lock", Format::PoetryLock),
            ("uv.lock", Format::UvLock),
            ("pylock.toml", Format::PylockToml),
            ("pylock.dev.toml", Format::PylockToml),
            ("Gemfile.lock", Format::GemfileLock),
            ("gems.locked", Format::GemfileLock),
            ("composer.lock", Format::ComposerLock),
            ("go.mod", Format::GoMod),
            ("go.sum", Format::GoSum),
            ("pom.xml", Format::PomXml),
            ("gradle.lockfile", Format::GradleLockfile),
            ("gradle/dependency-locks/compileClasspath.lockfile", Format::GradleLockfile),
            ("src/App/packages.lock.json", Format::NugetLock),
        ];
        for (path, format) in cases {
            assert_eq!(Format::detect(path), Some(format), "{path}");
        }
        for path in ["README.md", "notes.txt", "Cargo.lock.bak", "src/lib.rs", "lock.yaml"] {
            assert_eq!(Format::detect(path), None, "{path}");
        }
    }

    #[test]
    fn oversize_input_is_refused_with_an_error() {
        let options = ParseOptions { max_bytes: 4 };
        let input =
            Input { path: "Cargo.lock", bytes: b"0123456789", repo: &NoFiles, options: &options };
        let parsed = parse(Format::CargoLock, &input);
        assert!(parsed.packages.is_empty());
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].level, depwatch_core::DiagnosticLevel::Error);
        assert!(parsed.diagnostics[0].message.contains("over the 4-byte limit"));
    }

    #[test]
    fn siblings_resolve_relative_to_the_file() {
        let mut files = std::collections::BTreeMap::new();
        files.insert("web/package.json".to_owned(), b"{}".to_vec());
        let options = ParseOptions::default();
        let input = Input { path: "web/yarn.lock", bytes: b"", repo: &files, options: &options };
        assert_eq!(input.dir(), "web");
        assert_eq!(input.sibling("package.json"), Some(b"{}".to_vec()));
        assert_eq!(input.sibling("missing.json"), None);
    }
}
