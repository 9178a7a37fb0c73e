//! The `gene` command line's contract (DESIGN.md §7): help for every subcommand,
//! usage errors exit with status 2, an uncaught Gene error exits with status 1 and
//! `Error: ...` on stderr, `gene eval` prints the value, `gene run -` reads stdin.
//!
//! What programs print is the conformance suite's business, and the exact wording of
//! messages belongs to the golden diagnostics; this file checks only the interface.

mod support;

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use support::{gene_command, run_captured, Captured, Termination};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The subcommands every build of `gene` has.
const SUBCOMMANDS: [&str; 8] = [
    "run", "eval", "parse", "compile", "repl", "build", "targets", "test",
];

/// Subcommands that need a FILE argument.
const FILE_SUBCOMMANDS: [&str; 4] = ["run", "parse", "compile", "build"];

/// A fresh, empty directory for one test to run in.
fn scratch_dir(test_name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test_name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot clear {}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Runs `gene ARGS` in a scratch directory of its own, with `stdin` as input.
fn gene(test_name: &str, args: &[&str], stdin: Option<&str>) -> Captured {
    let command = gene_command(&scratch_dir(test_name), args);
    run_captured(command, stdin.map(str::as_bytes), TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()))
}

/// Runs `gene run FILE` on a file holding `source`.
fn gene_run_source(test_name: &str, file_name: &str, source: &str) -> Captured {
    let dir = scratch_dir(test_name);
    let path = dir.join(file_name);
    fs::write(&path, source).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    let command = gene_command(&dir, &["run", file_name]);
    run_captured(command, None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()))
}

/// Everything about a run, for assertion messages.
fn describe(args: &[&str], captured: &Captured) -> String {
    format!(
        "`gene {}` ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        captured.termination,
        captured.stdout_text(),
        captured.stderr_text()
    )
}

/// `gene args` must exit with status 2 and say why on stderr.
fn assert_usage_error(test_name: &str, args: &[&str]) {
    let result = gene(test_name, args, None);
    assert_eq!(
        result.termination,
        Termination::Exited(2),
        "{}",
        describe(args, &result)
    );
    assert!(
        !result.stderr_text().trim().is_empty(),
        "no message on stderr\n{}",
        describe(args, &result)
    );
}

#[test]
fn help_lists_every_subcommand() {
    let args = ["--help"];
    let result = gene("help_lists_every_subcommand", &args, None);
    assert_eq!(
        result.termination,
        Termination::Exited(0),
        "{}",
        describe(&args, &result)
    );
    let help = result.stdout_text();
    for subcommand in SUBCOMMANDS {
        assert!(
            help.contains(subcommand),
            "`gene --help` does not mention `{subcommand}`\n{}",
            describe(&args, &result)
        );
    }
}

#[test]
fn every_subcommand_has_help() {
    for subcommand in SUBCOMMANDS {
        let args = [subcommand, "--help"];
        let result = gene("every_subcommand_has_help", &args, None);
        assert_eq!(
            result.termination,
            Termination::Exited(0),
            "{}",
            describe(&args, &result)
        );
        assert!(
            result.stdout_text().contains(subcommand),
            "the help does not mention `{subcommand}`\n{}",
            describe(&args, &result)
        );
    }
}

#[test]
fn unknown_subcommand_is_a_usage_error() {
    assert_usage_error("unknown_subcommand_is_a_usage_error", &["frobnicate"]);
}

#[test]
fn missing_file_argument_is_a_usage_error() {
    for subcommand in FILE_SUBCOMMANDS {
        assert_usage_error("missing_file_argument_is_a_usage_error", &[subcommand]);
    }
}

#[test]
fn running_a_missing_file_names_it() {
    let args = ["run", "missing.gene"];
    let result = gene("running_a_missing_file_names_it", &args, None);
    assert!(
        result.termination.code().is_some_and(|code| code != 0),
        "expected a non-zero exit status\n{}",
        describe(&args, &result)
    );
    assert!(
        result.stderr_text().contains("missing.gene"),
        "stderr does not name the file\n{}",
        describe(&args, &result)
    );
}

#[test]
fn eval_prints_the_value() {
    let args = ["eval", "(1 + 2)"];
    let result = gene("eval_prints_the_value", &args, None);
    assert_eq!(
        result.termination,
        Termination::Exited(0),
        "{}",
        describe(&args, &result)
    );
    assert_eq!(
        result.stdout_text().trim_end(),
        "3",
        "{}",
        describe(&args, &result)
    );
}

#[test]
fn uncaught_throw_exits_with_status_1() {
    let result = gene_run_source(
        "uncaught_throw_exits_with_status_1",
        "throws.gene",
        "(throw \"x\")\n",
    );
    let args = ["run", "throws.gene"];
    assert_eq!(
        result.termination,
        Termination::Exited(1),
        "{}",
        describe(&args, &result)
    );
    assert!(
        result.stderr_text().contains("Error:"),
        "stderr has no `Error:`\n{}",
        describe(&args, &result)
    );
}

#[test]
fn run_dash_reads_the_program_from_stdin() {
    let args = ["run", "-"];
    let program = "(println \"from stdin\")\n(println (2 * 21))\n";
    let result = gene(
        "run_dash_reads_the_program_from_stdin",
        &args,
        Some(program),
    );
    assert_eq!(
        result.termination,
        Termination::Exited(0),
        "{}",
        describe(&args, &result)
    );
    assert_eq!(
        result.stdout_text().trim_end(),
        "from stdin\n42",
        "{}",
        describe(&args, &result)
    );
}

#[test]
fn repl_keeps_variables_and_reads_multi_line_forms() {
    let args = ["repl"];
    let session = "(var a 40)\n(fn add [x y]\n  (x + y))\n(add a 2)\n(undefined_name)\n(a + 1)\n";
    let result = gene(
        "repl_keeps_variables_and_reads_multi_line_forms",
        &args,
        Some(session),
    );
    assert_eq!(
        result.termination,
        Termination::Exited(0),
        "{}",
        describe(&args, &result)
    );
    let out = result.stdout_text();
    let values: Vec<&str> = out
        .lines()
        .map(|l| l.trim_start_matches("gene> ").trim_start_matches("  ... "))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        values,
        ["40", "<Function add>", "42", "41"],
        "{}",
        describe(&args, &result)
    );
    assert!(
        result
            .stderr_text()
            .contains("undefined_name is not defined"),
        "{}",
        describe(&args, &result)
    );
}
