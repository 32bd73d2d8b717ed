//! Discovery: which files a repository listing yields, with which companions.

use depwatch_lockfiles::discovery::{list_local, plan, DiscoveryOptions, FetchedFiles, LocalRepo};
use depwatch_lockfiles::{parse, Format, Input, ParseOptions, RepoFiles};

const LISTING: &[&str] = &[
    "README.md",
    "Cargo.toml",
    "Cargo.lock",
    "crates/core/Cargo.toml",
    "crates/cli/Cargo.toml",
    "tools/standalone/Cargo.toml",
    "web/package.json",
    "web/yarn.lock",
    "web/packages/ui/package.json",
    "web/node_modules/react/package.json",
    "web/node_modules/react/package-lock.json",
    "legacy/package.json",
    "legacy/package-lock.json",
    "legacy/npm-shrinkwrap.json",
    "lone/package.json",
    "svc/go.mod",
    "svc/go.sum",
    "svc/vendor/github.com/x/y/go.mod",
    "only-sum/go.sum",
    "py/requirements.txt",
    "py/requirements-dev.txt",
    "py/poetry.lock",
    "py/pyproject.toml",
    "java/pom.xml",
    "java/core/pom.xml",
    "parser/test/fixtures/yarn.lock",
    "parser/testdata/Cargo.lock",
    "./bun.lockb",
];

#[test]
fn plan_for_a_mixed_repository() {
    let plan = plan(LISTING, &DiscoveryOptions::default());
    insta::assert_json_snapshot!(plan);
}

#[test]
fn custom_excludes_replace_the_defaults() {
    let options = DiscoveryOptions { excludes: vec!["/web".to_owned()], ..Default::default() };
    let plan = plan(LISTING, &options);
    assert!(plan.jobs.iter().all(|j| !j.path.starts_with("web/")));
    assert!(plan.jobs.iter().any(|j| j.path == "parser/test/fixtures/yarn.lock"));
    assert!(plan.jobs.iter().any(|j| j.path == "svc/vendor/github.com/x/y/go.mod"));
}

#[test]
fn too_many_files_are_reported_not_dropped() {
    let options = DiscoveryOptions { max_files: 2, ..Default::default() };
    let plan = plan(LISTING, &options);
    assert_eq!(plan.jobs.len(), 2);
    assert!(plan
        .skipped
        .iter()
        .any(|s| matches!(s.reason, depwatch_lockfiles::discovery::SkipReason::TooManyFiles)));
}

#[test]
fn fetched_files_list_folders_for_workspace_globs() {
    let listing = ["package.json", "yarn.lock", "packages/a/package.json", "packages/b/index.js"];
    let mut files = FetchedFiles::new(&listing);
    files.insert(
        "package.json",
        br#"{"workspaces":["packages/*"],"devDependencies":{"x":"^1"}}"#.to_vec(),
    );
    files.insert("packages/a/package.json", br#"{"name":"a","dependencies":{"x":"^1"}}"#.to_vec());
    assert_eq!(files.list("packages"), Some(vec!["a".to_owned(), "b".to_owned()]));
    assert_eq!(
        files.list(""),
        Some(vec!["package.json".into(), "packages".into(), "yarn.lock".into()])
    );
    let lock = b"# yarn lockfile v1\n\nx@^1:\n  version \"1.0.0\"\n";
    let options = ParseOptions::default();
    let input = Input { path: "yarn.lock", bytes: lock, repo: &files, options: &options };
    let parsed = parse(Format::YarnLock, &input);
    let x = parsed.packages.iter().find(|p| p.name == "x").expect("x is listed");
    // Dev for the root, prod for workspace `a`: prod wins.
    assert_eq!(x.scope, depwatch_lockfiles::Scope::Prod);
    assert_eq!(x.direct, Some(true));
}

#[test]
fn local_checkouts_are_listed_without_entering_excluded_folders() {
    let root = std::env::temp_dir().join(format!("depwatch-discovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["app", "app/node_modules/left-pad", "lib"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    std::fs::write(root.join("app/package.json"), b"{}").unwrap();
    std::fs::write(root.join("app/node_modules/left-pad/package.json"), b"{}").unwrap();
    std::fs::write(root.join("lib/Cargo.toml"), b"[package]\nname='lib'\n").unwrap();
    let listing = list_local(&root, &DiscoveryOptions::default()).unwrap();
    assert_eq!(listing, ["app/package.json", "lib/Cargo.toml"]);

    let repo = LocalRepo::new(&root, 1024);
    assert_eq!(repo.read("app/package.json"), Some(b"{}".to_vec()));
    assert_eq!(repo.read("../etc/passwd"), None);
    assert_eq!(repo.read("/etc/passwd"), None);
    assert_eq!(repo.read("app"), None, "folders are not files");
    let small = LocalRepo::new(&root, 1);
    assert_eq!(small.read("app/package.json"), None, "over the size cap");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", root.join("app/escape")).unwrap();
        assert_eq!(repo.read("app/escape/hostname"), None, "symlinks out of the root");
    }
    std::fs::remove_dir_all(&root).unwrap();
}

/// What a remote scan does: fetch the planned files, then follow what they name, round by round.
fn fetch_like_a_remote_scan(
    repo: &std::collections::BTreeMap<&str, &str>,
) -> (depwatch_lockfiles::discovery::Plan, FetchedFiles, Vec<Vec<String>>) {
    let listing: Vec<&str> = repo.keys().copied().collect();
    let plan = plan(&listing, &DiscoveryOptions::default());
    let mut files = FetchedFiles::new(&listing);
    for path in plan.files_to_fetch() {
        files.insert(path, repo[path].as_bytes().to_vec());
    }
    let options = ParseOptions::default();
    let mut rounds = Vec::new();
    loop {
        let wanted = files.unfetched_references(&plan, &options);
        if wanted.is_empty() {
            break;
        }
        for path in &wanted {
            assert!(!files.contains(path), "{path} asked for twice");
            files.insert(path.clone(), repo[path.as_str()].as_bytes().to_vec());
        }
        rounds.push(wanted);
    }
    (plan, files, rounds)
}

#[test]
fn remote_scans_fetch_includes_and_parent_poms_the_listing_cannot_predict() {
    let repo = std::collections::BTreeMap::from([
        ("README.md", "# x"),
        ("py/requirements.txt", "-c ../pins/constraints.in\n-r common/base.in\nflask\n"),
        ("py/common/base.in", "-r ../../shared/deep.in\nrequests\n"),
        ("shared/deep.in", "idna==3.7\n"),
        ("pins/constraints.in", "flask==3.0.3\nrequests==2.32.3\n"),
        ("pins/unrelated.in", "django==5.0\n"),
        (
            "services/app/pom.xml",
            "<project><parent><groupId>g</groupId><artifactId>parent</artifactId>\
             <version>1</version><relativePath>../../platform/parent</relativePath></parent>\
             <artifactId>app</artifactId><dependencies><dependency><groupId>org.x</groupId>\
             <artifactId>lib</artifactId></dependency></dependencies></project>",
        ),
        (
            "platform/parent/pom.xml",
            "<project><groupId>g</groupId><artifactId>parent</artifactId><version>1</version>\
             <dependencyManagement><dependencies><dependency><groupId>org.x</groupId>\
             <artifactId>lib</artifactId><version>${lib.version}</version></dependency>\
             </dependencies></dependencyManagement><properties><lib.version>2.5.1\
             </lib.version></properties></project>",
        ),
    ]);
    let (plan, files, rounds) = fetch_like_a_remote_scan(&repo);
    let jobs: Vec<&str> = plan.jobs.iter().map(|j| j.path.as_str()).collect();
    assert_eq!(jobs, ["platform/parent/pom.xml", "py/requirements.txt", "services/app/pom.xml"]);
    // Round 1: what the planned files name; round 2: what those name in turn.
    assert_eq!(
        rounds,
        [
            vec!["pins/constraints.in".to_owned(), "py/common/base.in".to_owned()],
            vec!["shared/deep.in".to_owned()],
        ]
    );
    assert!(!files.contains("pins/unrelated.in"));

    let options = ParseOptions::default();
    let parse_job = |path: &str, format| {
        let bytes = repo[path].as_bytes();
        parse(format, &Input { path, bytes, repo: &files, options: &options })
    };
    let py = parse_job("py/requirements.txt", Format::Requirements);
    let mut pins: Vec<(String, String)> =
        py.packages.iter().map(|p| (p.name.clone(), p.version.clone())).collect();
    pins.sort();
    assert_eq!(
        pins,
        [
            ("flask".to_owned(), "3.0.3".to_owned()),
            ("idna".to_owned(), "3.7".to_owned()),
            ("requests".to_owned(), "2.32.3".to_owned()),
        ]
    );
    assert!(py.packages.iter().all(|p| p.pinned), "{:#?}", py.diagnostics);
    let app = parse_job("services/app/pom.xml", Format::PomXml);
    let lib = app.packages.iter().find(|p| p.name == "org.x:lib").expect("lib is listed");
    assert_eq!((lib.version.as_str(), lib.pinned), ("2.5.1", true));
}
