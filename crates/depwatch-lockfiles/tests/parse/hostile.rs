//! Hostile and broken input for the Python, Ruby, PHP, Go, Java and .NET parsers: truncations
//! and byte flips of every fixture, include/parent cycles and bombs, deep nesting. The
//! assertion is that parsing finishes without a panic (which `parse` would turn into an
//! "internal error" diagnostic) and stays bounded.

use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions, Parsed};
use std::collections::BTreeMap;
use std::path::Path;

const FORMATS: [(Format, &str); 12] = [
    (Format::Requirements, "requirements"),
    (Format::PipfileLock, "pipfile_lock"),
    (Format::PoetryLock, "poetry_lock"),
    (Format::UvLock, "uv_lock"),
    (Format::PylockToml, "pylock_toml"),
    (Format::GemfileLock, "gemfile_lock"),
    (Format::ComposerLock, "composer_lock"),
    (Format::GoMod, "go_mod"),
    (Format::GoSum, "go_sum"),
    (Format::PomXml, "pom_xml"),
    (Format::GradleLockfile, "gradle_lockfile"),
    (Format::NugetLock, "nuget_lock"),
];

fn run(format: Format, bytes: &[u8], repo: &BTreeMap<String, Vec<u8>>, path: &str) -> Parsed {
    let options = ParseOptions::default();
    let input = Input { path, bytes, repo, options: &options };
    let parsed = parse(format, &input);
    assert!(
        parsed.diagnostics.iter().all(|d| !d.message.contains("internal error")),
        "{format} panicked on {} bytes: {:?}",
        bytes.len(),
        String::from_utf8_lossy(bytes.get(..200.min(bytes.len())).unwrap_or_default())
    );
    parsed
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

#[test]
fn truncated_and_mutated_fixtures_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let empty = BTreeMap::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (format, dir) in FORMATS {
        let mut files: Vec<Vec<u8>> = std::fs::read_dir(root.join(dir))
            .expect("fixture dir")
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| std::fs::read(e.path()).expect("readable"))
            .collect();
        let real = match format {
            Format::PoetryLock => "poetry.poetry.lock",
            Format::ComposerLock => "composer.composer.lock",
            Format::GemfileLock => "rubygems.org.Gemfile.lock",
            Format::GoMod => "cli-cli.go.mod",
            Format::GoSum => "cli-cli.go.sum",
            _ => "",
        };
        if !real.is_empty() {
            files.push(std::fs::read(root.join("real").join(real)).expect("readable"));
        }
        let path = format.file_name();
        for bytes in &files {
            // Large files get fewer rounds: the suite must stay fast in debug builds.
            let rounds = if bytes.len() > 20_000 { 8 } else { 40 };
            let step = (bytes.len() / rounds).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                run(format, bytes.get(..cut).unwrap_or_default(), &empty, path);
            }
            for _ in 0..rounds {
                let mut m = bytes.clone();
                for _ in 0..1 + rng.below(8) {
                    if m.is_empty() {
                        break;
                    }
                    let at = rng.below(m.len());
                    match rng.below(4) {
                        0 => m[at] = (rng.next() & 0xFF) as u8,
                        1 => {
                            m.remove(at);
                        }
                        2 => {
                            let piece: Vec<u8> =
                                m[at..(at + 1 + rng.below(64)).min(m.len())].to_vec();
                            let to = rng.below(m.len());
                            m.splice(to..to, piece);
                        }
                        _ => m.insert(at, b"\n \t\\#\"'[]{}()<>=:;,@!-~$"[rng.below(24)]),
                    }
                }
                run(format, &m, &empty, path);
            }
        }
    }
}

#[test]
fn requirements_include_cycles_and_fan_out_are_bounded() {
    // 14 files, each including the next two and the first: without the visited set this would
    // be 2^14 reads and loop forever on the back edges.
    let mut repo = BTreeMap::new();
    for i in 0..14 {
        let body = format!("-r r{}.txt\n-r r{}.txt\n-r r0.txt\npkg{i}=={i}.0\n", i + 1, i + 2);
        repo.insert(format!("r{i}.txt"), body.into_bytes());
    }
    let top = repo.get("r0.txt").cloned().unwrap_or_default();
    let parsed = run(Format::Requirements, &top, &repo, "r0.txt");
    assert_eq!(parsed.packages.len(), 14);

    // A 200-deep chain stops at the depth limit with a diagnostic.
    let mut chain = BTreeMap::new();
    for i in 0..200 {
        chain.insert(format!("c{i}.txt"), format!("-r c{}.txt\nx{i}==1\n", i + 1).into_bytes());
    }
    let top = chain.get("c0.txt").cloned().unwrap_or_default();
    let parsed = run(Format::Requirements, &top, &chain, "c0.txt");
    assert!(parsed.packages.len() < 200);
    assert!(parsed.diagnostics.iter().any(|d| d.message.contains("levels")));
}

#[test]
fn pom_parent_cycles_and_property_bombs_are_bounded() {
    let a = "<project><parent><groupId>g</groupId><artifactId>b</artifactId><version>1</version>\
             <relativePath>../b/pom.xml</relativePath></parent><artifactId>a</artifactId>\
             <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId>\
             <version>${p0}</version></dependency></dependencies></project>";
    let b = "<project><parent><groupId>g</groupId><artifactId>a</artifactId><version>1</version>\
             <relativePath>../a/pom.xml</relativePath></parent><groupId>g</groupId>\
             <artifactId>b</artifactId><properties>PROPS</properties></project>";
    // p0 = ${p1}${p1}, p1 = ${p2}${p2}, … : 2^40 characters if expanded naively.
    let props: String =
        (0..40).map(|i| format!("<p{i}>${{p{}}}${{p{}}}</p{i}>", i + 1, i + 1)).collect();
    let mut repo = BTreeMap::new();
    repo.insert("a/pom.xml".to_owned(), a.as_bytes().to_vec());
    repo.insert("b/pom.xml".to_owned(), b.replace("PROPS", &props).into_bytes());
    let parsed = run(Format::PomXml, a.as_bytes(), &repo, "a/pom.xml");
    assert_eq!(parsed.packages.len(), 1);
    assert!(parsed.packages[0].version.len() <= 4096);
    assert!(!parsed.packages[0].pinned);
}

#[test]
fn deep_nesting_and_long_lines_are_bounded() {
    let empty = BTreeMap::new();
    let deep_xml =
        format!("<project>{}{}</project>", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let parsed = run(Format::PomXml, deep_xml.as_bytes(), &empty, "pom.xml");
    assert!(parsed.diagnostics.iter().any(|d| d.level == depwatch_core::DiagnosticLevel::Error));

    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for format in [Format::ComposerLock, Format::NugetLock, Format::PipfileLock] {
        run(format, deep_json.as_bytes(), &empty, format.file_name());
    }
    let deep_toml = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    for format in [Format::PoetryLock, Format::UvLock, Format::PylockToml] {
        run(format, deep_toml.as_bytes(), &empty, format.file_name());
    }
    // One requirement continued over 100k lines, and a 1 MB line of options.
    let continued = "requests==2.31.0 \\\n".repeat(100_000);
    run(Format::Requirements, continued.as_bytes(), &empty, "requirements.txt");
    let long = format!("-r {}\n", "../".repeat(300_000));
    run(Format::Requirements, long.as_bytes(), &empty, "requirements.txt");
    let go = format!("module m\nrequire (\n{}", "\ta v1.0.0 // indirect\n".repeat(100_000));
    let parsed = run(Format::GoMod, go.as_bytes(), &empty, "go.mod");
    assert_eq!(parsed.packages.len(), 1);
    let gems = format!("GEM\n  specs:\n{}", "    a (1.0-x86_64-linux)\n      a\n".repeat(50_000));
    let parsed = run(Format::GemfileLock, gems.as_bytes(), &empty, "Gemfile.lock");
    assert_eq!(parsed.packages.len(), 1);
}

#[test]
fn no_files_repo_is_fine_for_companion_formats() {
    let options = ParseOptions::default();
    for (format, _) in FORMATS {
        let input =
            Input { path: format.file_name(), bytes: b"x", repo: &NoFiles, options: &options };
        let parsed = parse(format, &input);
        assert!(!parsed.diagnostics.is_empty() || !parsed.packages.is_empty(), "{format}");
    }
}
