//! `depwatch versions cmp`, with arguments and as a stdin filter.

use assert_cmd::Command;

fn depwatch() -> Command {
    let mut cmd = Command::cargo_bin("depwatch").unwrap();
    cmd.env_remove("DEPWATCH_DATA_DIR");
    cmd
}

#[test]
fn two_arguments_print_one_symbol() {
    depwatch().args(["versions", "cmp", "PyPI", "1.0rc1", "1.0"]).assert().success().stdout("<\n");
    depwatch().args(["versions", "cmp", "maven", "1.0", "1.0.0"]).assert().success().stdout("=\n");
    depwatch().args(["versions", "cmp", "npm", "1.10.0", "1.9.0"]).assert().success().stdout(">\n");
}

#[test]
fn stdin_pairs_get_one_answer_per_line_and_errors_stay_on_their_line() {
    depwatch()
        .args(["versions", "cmp", "crates.io"])
        .write_stdin("1.0.0\t1.0.1\n2.0.0-alpha\t2.0.0\nnot a version\t1.0\n1.0\n1.2.3\t1.2.3\n")
        .assert()
        .success()
        .stdout(
            predicates::str::is_match(
                "^<\n<\nerror: .+\nerror: expected two versions separated by a tab\n=\n$",
            )
            .unwrap(),
        );
}

#[test]
fn an_unknown_ecosystem_or_bad_version_fails_with_code_2() {
    depwatch()
        .args(["versions", "cmp", "cobol", "1", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown ecosystem `cobol`"));
    depwatch().args(["versions", "cmp", "npm", "", "1.0.0"]).assert().code(2);
}
