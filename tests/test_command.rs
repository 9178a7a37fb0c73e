//! `gene test [PATH...]` (spec 07 §7.10, §7.11) over the sample project in
//! `tests/fixtures/test_project`: every `*_test.gene` under the paths runs as
//! a program of its own; the command passes on what each printed, says
//! `PASS file` or `FAIL file`, closes with `N passed, M failed` summed over
//! all tests and exits with status 1 when anything failed.
//!
//! The expected outputs are written from the fixture files by hand. What the
//! children print is shown only when an assertion here fails.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{gene_command, repo_root, run_captured, Captured, Termination};

const TIMEOUT: Duration = Duration::from_secs(60);

fn project() -> PathBuf {
    repo_root().join("tests/fixtures/test_project")
}

fn gene_test(cwd: &Path, args: &[&str]) -> Captured {
    let mut full = vec!["test"];
    full.extend_from_slice(args);
    run_captured(gene_command(cwd, &full), None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()))
}

fn describe(args: &[&str], captured: &Captured) -> String {
    format!(
        "`gene test {}` ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        captured.termination,
        captured.stdout_text(),
        captured.stderr_text()
    )
}

fn assert_run(cwd: &Path, args: &[&str], status: i32, stdout: &str, stderr_parts: &[&str]) {
    let result = gene_test(cwd, args);
    let context = describe(args, &result);
    assert_eq!(result.termination, Termination::Exited(status), "{context}");
    assert_eq!(result.stdout_text(), stdout, "{context}");
    let stderr = result.stderr_text();
    for part in stderr_parts {
        assert!(stderr.contains(part), "stderr lacks {part:?}\n{context}");
    }
}

#[test]
fn a_project_with_failures_is_summed_up_and_fails() {
    assert_run(
        &project(),
        &["tests"],
        1,
        "PASS tests/calc_test.gene\n\
         FAIL tests/nested/broken_test.gene\n\
         output of a test file is passed on\n\
         PASS tests/nested/deep_test.gene\n\
         FAIL twice: expected 5, got 4 (tests/strings_test.gene:7)\n\
         FAIL join: joined: expected \"1+2\", got \"1-2\" (tests/strings_test.gene:9)\n\
         FAIL tests/strings_test.gene\n\
         6 passed, 3 failed\n",
        &[
            "Error: UndefinedSymbol: undefined_function is not defined",
            "tests/nested/broken_test.gene ended (exit status 1) without a closing",
        ],
    );
}

#[test]
fn passing_files_given_by_name_pass() {
    assert_run(
        &project(),
        &["tests/calc_test.gene", "tests/nested/deep_test.gene"],
        0,
        "PASS tests/calc_test.gene\n\
         output of a test file is passed on\n\
         PASS tests/nested/deep_test.gene\n\
         4 passed, 0 failed\n",
        &[],
    );
}

#[test]
fn the_default_path_is_the_current_directory() {
    assert_run(
        &project().join("tests/nested"),
        &[],
        1,
        "FAIL ./broken_test.gene\n\
         output of a test file is passed on\n\
         PASS ./deep_test.gene\n\
         1 passed, 1 failed\n",
        &["./broken_test.gene ended"],
    );
}

#[test]
fn a_missing_path_is_a_usage_error_naming_it() {
    assert_run(
        &project(),
        &["tests", "no_such_dir"],
        2,
        "",
        &["no_such_dir"],
    );
}

#[test]
fn a_path_without_test_files_fails() {
    assert_run(
        &project(),
        &["src"],
        1,
        "",
        &["no *_test.gene files under src"],
    );
}
