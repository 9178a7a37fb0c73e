//! Golden files for what the `gene` command line shows about a program:
//! * `tests/golden/parse/*.gene`: `gene parse FILE` (the forms read), stdout and status;
//! * `tests/golden/compile/*.gene`: `gene compile FILE` (the bytecode listing), stdout
//!   and status;
//! * `tests/golden/diagnostics/*.gene`: `gene run FILE`, stderr and status — the
//!   rendering of parse and runtime errors.
//!
//! Each `NAME.gene` has its expectation in `NAME.expected` beside it: the status line
//! (`exit status N`), a `--- stdout` or `--- stderr` line, then the stream verbatim.
//! The commands run from the golden directory with a relative file name, so the paths
//! in messages are stable.
//!
//! Expectations are never written by hand: `UPDATE_EXPECT=1 cargo test -p gene --test
//! golden` rewrites them from the current binary, and the diff is reviewed before it is
//! committed. Without it, a missing or different `.expected` file fails the test.

mod support;

use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::{gene_command, run_captured, short_diff};

const GOLDEN_DIR: &str = "tests/golden";
const UPDATE_ENV: &str = "UPDATE_EXPECT";
const TIMEOUT: Duration = Duration::from_secs(10);
/// How many lines of a mismatch the failure message shows.
const REPORT_LINES: usize = 8;

/// The output stream a golden suite records.
#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// One directory of golden inputs and the command whose output they pin down.
struct GoldenSuite {
    /// Directory below `tests/golden`.
    dir: &'static str,
    /// The `gene` subcommand, given the input's file name.
    subcommand: &'static str,
    stream: Stream,
}

#[test]
fn parse_output_matches_golden_files() {
    check_suite(&GoldenSuite {
        dir: "parse",
        subcommand: "parse",
        stream: Stream::Stdout,
    });
}

#[test]
fn compile_output_matches_golden_files() {
    check_suite(&GoldenSuite {
        dir: "compile",
        subcommand: "compile",
        stream: Stream::Stdout,
    });
}

#[test]
fn diagnostics_match_golden_files() {
    check_suite(&GoldenSuite {
        dir: "diagnostics",
        subcommand: "run",
        stream: Stream::Stderr,
    });
}

/// Runs every input of `suite`, then either compares with or (with `UPDATE_EXPECT=1`)
/// rewrites the `.expected` files. Panics with one report for all mismatches.
fn check_suite(suite: &GoldenSuite) {
    let dir = support::repo_root().join(GOLDEN_DIR).join(suite.dir);
    let update = env::var(UPDATE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
    let inputs = files_with_extension(&dir, "gene")
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    assert!(!inputs.is_empty(), "no .gene inputs in {}", dir.display());

    let mut problems = Vec::new();
    for input in &inputs {
        let expected_path = input.with_extension("expected");
        let name = display_name(&expected_path);
        let actual = render(suite, &dir, input);
        let expected = match fs::read_to_string(&expected_path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => panic!("cannot read {name}: {e}"),
        };
        if expected.as_deref() == Some(actual.as_str()) {
            continue;
        }
        if update {
            fs::write(&expected_path, &actual)
                .unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
            eprintln!("updated {name}");
            continue;
        }
        match expected {
            None => problems.push(format!("{name}: missing\n")),
            Some(expected) => {
                let expected_lines: Vec<&str> = expected.lines().collect();
                let actual_lines: Vec<&str> = actual.lines().collect();
                let diff = short_diff("output", &expected_lines, &actual_lines, REPORT_LINES);
                problems.push(format!("{name}: output changed\n{diff}"));
            }
        }
    }

    let expectations = files_with_extension(&dir, "expected")
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for orphan in expectations
        .iter()
        .filter(|path| !path.with_extension("gene").exists())
    {
        problems.push(format!(
            "{}: no .gene input beside it; delete it\n",
            display_name(orphan)
        ));
    }

    assert!(
        problems.is_empty(),
        "{} problem(s) with the `gene {}` golden files in {GOLDEN_DIR}/{}:\n{}\n\
         If the new output is right, regenerate with `{UPDATE_ENV}=1 cargo test -p gene \
         --test golden` and review the diff before committing.",
        problems.len(),
        suite.subcommand,
        suite.dir,
        problems.concat()
    );
}

/// Runs the suite's command on `input` from `dir` and renders the result in the
/// `.expected` format.
fn render(suite: &GoldenSuite, dir: &Path, input: &Path) -> String {
    let file_name = input
        .file_name()
        .expect("a listed input has a file name")
        .to_string_lossy();
    let command = gene_command(dir, &[suite.subcommand, &file_name]);
    let captured = run_captured(command, None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()));
    let (label, text) = match suite.stream {
        Stream::Stdout => ("stdout", captured.stdout_text()),
        Stream::Stderr => ("stderr", captured.stderr_text()),
    };
    format!("{}\n--- {label}\n{text}", captured.termination)
}

/// The files in `dir` (not below it) whose extension is `extension`, sorted.
fn files_with_extension(dir: &Path, extension: &str) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == extension) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `path` relative to the repository root, for messages.
fn display_name(path: &Path) -> String {
    let root = support::repo_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}
