use crate::in_repo::parse_real_file;
use depwatch_lockfiles::Format;

#[test]
fn go_mod_fixtures() {
    snapshot_fixtures!(Format::GoMod, "go_mod/*.mod");
}

#[test]
fn go_sum_fixtures() {
    snapshot_fixtures!(Format::GoSum, "go_sum/*.sum");
}

#[test]
fn real_cli_go_mod() {
    let parsed = parse_real_file(Format::GoMod, "cli-cli.go.mod", "go.mod");
    // python3: 158 distinct module paths in `require` lines (47 without `// indirect`), plus
    // `stdlib` from `toolchain go1.22.6`.
    assert_eq!(parsed.packages.len(), 159);
    assert_eq!(parsed.packages.iter().filter(|p| p.direct == Some(true)).count(), 48);
    let stdlib = parsed.packages.iter().find(|p| p.name == "stdlib").expect("stdlib reported");
    assert_eq!(stdlib.version, "1.22.6");
    // `replace github.com/rogpeppe/go-internal => github.com/cli/go-internal v0.0.0-2024…`
    assert!(parsed.packages.iter().any(|p| p.name == "github.com/cli/go-internal"));
    assert!(parsed.packages.iter().all(|p| !p.version.starts_with('v')));
}

#[test]
fn real_cli_go_sum() {
    let parsed = parse_real_file(Format::GoSum, "cli-cli.go.sum", "go.sum");
    // awk '$2 !~ /\/go.mod$/ {print $1}' cli-cli.go.sum | sort -u | wc -l → 251 modules whose
    // code was downloaded (one entry each, at the highest version).
    assert_eq!(parsed.packages.len(), 251);
}
