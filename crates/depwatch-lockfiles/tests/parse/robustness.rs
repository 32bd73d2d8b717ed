//! Hostile and broken input: every format answers with diagnostics, never a panic, a stack
//! overflow or unbounded work.

use depwatch_core::DiagnosticLevel;
use depwatch_lockfiles::{parse, Format, Input, NoFiles, ParseOptions, Parsed};

const MINE: [Format; 7] = [
    Format::CargoLock,
    Format::CargoToml,
    Format::PackageLock,
    Format::YarnLock,
    Format::PnpmLock,
    Format::BunLock,
    Format::PackageJson,
];

fn run(format: Format, bytes: &[u8]) -> Parsed {
    let options = ParseOptions::default();
    let input = Input { path: format.file_name(), bytes, repo: &NoFiles, options: &options };
    let parsed = parse(format, &input);
    let n = parsed.packages.len();
    assert!(parsed.edges.iter().all(|e| e.from < n && e.to < n));
    assert!(parsed.roots.iter().all(|&r| r < n));
    parsed
}

fn has_error(parsed: &Parsed) -> bool {
    parsed.diagnostics.iter().any(|d| d.level == DiagnosticLevel::Error)
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 20_000;
    let json = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let json_obj = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let yaml_flow = format!("a: {}{}", "[".repeat(depth), "]".repeat(depth));
    let yaml_block: String = (0..300).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let toml = format!("a = {}{}", "[".repeat(depth), "]".repeat(depth));
    let toml_tables = format!("a = {}1{}", "{b = ".repeat(depth), "}".repeat(depth));
    for format in MINE {
        for input in [&json, &json_obj, &yaml_flow, &yaml_block, &toml, &toml_tables] {
            let parsed = run(format, input.as_bytes());
            assert!(
                parsed.packages.is_empty() || format == Format::YarnLock,
                "{format}: {} packages",
                parsed.packages.len()
            );
            assert!(!parsed.diagnostics.is_empty(), "{format}: silent");
        }
    }
}

#[test]
fn yaml_alias_bombs_are_stopped_by_the_budget() {
    let mut bomb = String::from("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    for format in [Format::PnpmLock, Format::YarnLock] {
        let text = if format == Format::YarnLock {
            format!("__metadata:\n  version: 8\n{bomb}")
        } else {
            bomb.clone()
        };
        let parsed = run(format, text.as_bytes());
        assert!(has_error(&parsed), "{format}: {:?}", parsed.diagnostics);
    }
}

#[test]
fn pseudo_random_bytes_never_panic() {
    // A fixed xorshift stream: deterministic, no dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"{}[]():,\"'\\@/#-_. \n\t0123456789abcnpm^~=<>*|&!%";
    for round in 0..300 {
        let len = usize::try_from(next() % 400).unwrap_or(0);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if round % 3 == 0 {
                    u8::try_from(r & 0xFF).unwrap_or(0)
                } else {
                    alphabet[usize::try_from(r % alphabet.len() as u64).unwrap_or(0)]
                }
            })
            .collect();
        for format in MINE {
            let parsed = run(format, &bytes);
            assert!(!parsed.packages.is_empty() || !parsed.diagnostics.is_empty());
        }
    }
}

#[test]
fn invalid_utf8_names_the_line() {
    for format in MINE {
        if format == Format::BunLock {
            continue;
        }
        let parsed = run(format, b"first line\nsecond \xFF\xFE line\n");
        let diag = parsed.diagnostics.first().expect("a diagnostic");
        assert_eq!(diag.level, DiagnosticLevel::Error, "{format}");
        assert_eq!(diag.line, Some(2), "{format}");
    }
}

#[test]
fn long_yarn_v1_files_stay_linear() {
    let mut text = String::from("# yarn lockfile v1\n\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "pkg{i}@^1.0.0:\n  version \"1.0.{i}\"\n  dependencies:\n    pkg{} \"^1.0.0\"\n\n",
            i + 1
        ));
    }
    let parsed = run(Format::YarnLock, text.as_bytes());
    assert_eq!(parsed.packages.len(), 20_000);
    assert_eq!(parsed.edges.len(), 19_999);
}
