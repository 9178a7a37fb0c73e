//! The uncaught-error reports of both tiers: every `tests/errors/NAME.gene` runs
//! with `gene run` and as a built, stripped executable, both from
//! `tests/errors/`, and each must print exactly the expected report.
//!
//! * `NAME.stderr`: the whole expected stderr (`Error: Class: message`, then
//!   the Gene frames innermost first, `  at NAME (FILE:LINE:COL)`); the program
//!   must exit with status 1. Without it, stderr must be empty and the status 0.
//!   `<dir>` stands for the canonical path of `tests/errors` (imported modules
//!   are named by their full path).
//! * `NAME.out`: the exact expected stdout (empty when absent).
//! * A first line `# env: VAR=VALUE` sets an environment variable for both runs.
//!
//! The expected files are written by hand from the spec, so a difference
//! between the tiers fails at least one of them; the test also names the
//! programs whose two reports differ.

mod support;

use std::fs;
use std::process::Command;
use std::time::Duration;

use support::{gene_command, repo_root, run_captured, short_diff, Captured};

const RUN_TIMEOUT: Duration = Duration::from_secs(20);
const BUILD_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable a program's first line sets, if any.
fn env_of(source: &str) -> Option<(String, String)> {
    let line = source.lines().next()?.strip_prefix("# env: ")?;
    let (name, value) = line.split_once('=')?;
    Some((name.trim().to_string(), value.trim().to_string()))
}

/// How `captured` differs from the expected stdout, stderr and status.
fn judge(
    tier: &str,
    captured: &Captured,
    out: &str,
    err: &str,
    failures: &mut Vec<String>,
    name: &str,
) {
    let code = if err.is_empty() { 0 } else { 1 };
    if captured.termination.code() != Some(code) {
        failures.push(format!(
            "{name} ({tier}): {} instead of exit status {code}\n{}",
            captured.termination,
            captured.stderr_text()
        ));
    }
    for (label, expected, actual) in [
        ("stdout", out, captured.stdout_text()),
        ("stderr", err, captured.stderr_text()),
    ] {
        if expected != actual {
            let e: Vec<&str> = expected.lines().collect();
            let a: Vec<&str> = actual.lines().collect();
            failures.push(format!("{name} ({tier}): {}", short_diff(label, &e, &a, 8)));
        }
    }
}

fn run(mut command: Command, env: &Option<(String, String)>) -> Captured {
    if let Some((k, v)) = env {
        command.env(k, v);
    }
    run_captured(command, None, RUN_TIMEOUT).expect("start a program")
}

#[test]
fn uncaught_error_reports_match_in_both_tiers() {
    let dir = repo_root().join("tests/errors");
    let canonical = dir.canonicalize().expect("tests/errors exists");
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let mut programs: Vec<_> = fs::read_dir(&dir)
        .expect("read tests/errors")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "gene"))
        .collect();
    programs.sort();
    assert!(programs.len() >= 10, "tests/errors lost its programs");
    let mut failures = Vec::new();
    for path in &programs {
        let file = path.file_name().and_then(|f| f.to_str()).expect("a name");
        let name = file.trim_end_matches(".gene");
        let read = |ext: &str| fs::read_to_string(path.with_extension(ext)).unwrap_or_default();
        let source = read("gene");
        let out = read("out");
        let err = read("stderr").replace("<dir>", &canonical.to_string_lossy());
        let env = env_of(&source);

        let interpreted = run(gene_command(&dir, &["run", file]), &env);
        judge("gene run", &interpreted, &out, &err, &mut failures, name);

        let exe = scratch.path().join(name);
        let exe_arg = exe.to_string_lossy().into_owned();
        let built = run_captured(
            gene_command(&dir, &["build", file, "-o", &exe_arg]),
            None,
            BUILD_TIMEOUT,
        )
        .expect("start gene build");
        if built.termination.code() != Some(0) {
            failures.push(format!(
                "{name}: gene build failed\n{}",
                built.stderr_text()
            ));
            continue;
        }
        let stripped = Command::new("strip").arg(&exe).status().expect("run strip");
        assert!(stripped.success(), "strip {name}");
        let mut command = Command::new(&exe);
        command.current_dir(&dir);
        let native = run(command, &env);
        judge(
            "stripped executable",
            &native,
            &out,
            &err,
            &mut failures,
            name,
        );
        if native.stdout != interpreted.stdout || native.stderr != interpreted.stderr {
            failures.push(format!("{name}: the two tiers' reports differ"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
