//! `gene test [PATH...]`: runs every `*_test.gene` file under the given
//! files and directories (default: the current directory; hidden
//! directories are skipped), each as a
//! program of its own — a child `gene run FILE` of this same executable —
//! and sums up (spec 07 §7.10, §7.11).
//!
//! A test file uses `std/test`, whose `(run_tests)` prints one line per
//! failed test and closes with `N passed, M failed`. For each file this
//! command passes on what the program printed except that closing line,
//! then prints `PASS file` or `FAIL file`; at the end it prints
//! `N passed, M failed` over all tests of all files and exits with status 1
//! if anything failed. A file fails when it exits with a non-zero status or
//! ends without a closing line (an uncaught error, or no `(run_tests)`);
//! such a file counts as one failed test besides those it reported.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

#[derive(clap::Args)]
pub struct Args {
    /// Test files or directories to search for `*_test.gene` files
    /// (default: the current directory)
    paths: Vec<String>,
}

/// What one test file reported.
struct Outcome {
    passed: u64,
    failed: u64,
    ok: bool,
}

pub fn run(args: Args) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![".".to_string()]
    } else {
        args.paths
    };
    let mut files = Vec::new();
    for path in &paths {
        if let Err(message) = collect(Path::new(path), true, &mut files) {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    }
    if files.is_empty() {
        eprintln!(
            "error: no *_test.gene files under {}; name test files NAME_test.gene",
            paths.join(", ")
        );
        return ExitCode::FAILURE;
    }
    let gene = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find the gene executable to run tests with: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut passed, mut failed, mut all_ok) = (0u64, 0u64, true);
    for file in &files {
        let outcome = run_file(&gene, file);
        passed += outcome.passed;
        failed += outcome.failed;
        all_ok &= outcome.ok;
        let verdict = if outcome.ok { "PASS" } else { "FAIL" };
        println!("{verdict} {}", file.display());
        let _ = std::io::stdout().flush();
    }
    println!("{passed} passed, {failed} failed");
    if all_ok && failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Adds the test files `path` names to `files`: the file itself when it
/// was given by name, else every `*_test.gene` below it (outside hidden
/// directories), sorted by path.
fn collect(path: &Path, given: bool, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    if meta.is_file() {
        if given || is_test_file(path) {
            files.push(path.to_path_buf());
        }
        return Ok(());
    }
    if !meta.is_dir() {
        return Ok(());
    }
    let mut entries = fs::read_dir(path)
        .and_then(|dir| dir.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read directory '{}': {e}", path.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        // Hidden entries (`.git`, editor files) are not searched.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let child = entry.path();
        // Symbolic links to directories are not followed (no cycles).
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read '{}': {e}", child.display()))?;
        if kind.is_dir() || is_test_file(&child) {
            collect(&child, false, files)?;
        }
    }
    Ok(())
}

fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("_test.gene"))
}

/// Runs one test file as `gene run FILE` and relays what it printed.
fn run_file(gene: &Path, file: &Path) -> Outcome {
    let output = Command::new(gene)
        .arg("run")
        .arg(file)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: cannot run {}: {e}", file.display());
            return Outcome {
                passed: 0,
                failed: 1,
                ok: false,
            };
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines: Vec<&str> = stdout.lines().collect();
    let summary = lines.last().and_then(|l| parse_summary(l));
    if summary.is_some() {
        lines.pop();
    }
    let mut out = std::io::stdout().lock();
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
    drop(out);
    let _ = std::io::stderr().write_all(&output.stderr);
    let status_ok = output.status.success();
    match summary {
        Some((passed, failed)) => Outcome {
            passed,
            failed,
            ok: status_ok && failed == 0,
        },
        None => {
            let how = match output.status.code() {
                Some(code) => format!("exit status {code}"),
                None => "a signal".to_string(),
            };
            eprintln!(
                "gene test: {} ended ({how}) without a closing `N passed, M failed` line; \
                 does it call (run_tests)?",
                file.display()
            );
            Outcome {
                passed: 0,
                failed: 1,
                ok: false,
            }
        }
    }
}

/// `(N, M)` from a closing line `N passed, M failed`.
fn parse_summary(line: &str) -> Option<(u64, u64)> {
    let (passed, rest) = line.trim_end().split_once(" passed, ")?;
    let failed = rest.strip_suffix(" failed")?;
    Some((passed.parse().ok()?, failed.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_lines_are_recognised_exactly() {
        assert_eq!(parse_summary("3 passed, 1 failed"), Some((3, 1)));
        assert_eq!(parse_summary("0 passed, 0 failed"), Some((0, 0)));
        assert_eq!(parse_summary("3 passed, 1 failed!"), None);
        assert_eq!(parse_summary("x passed, 1 failed"), None);
        assert_eq!(parse_summary("FAIL t: 3 passed, 1 failed"), None);
    }

    #[test]
    fn test_files_end_in_test_gene() {
        assert!(is_test_file(Path::new("a/math_test.gene")));
        assert!(!is_test_file(Path::new("a/math.gene")));
        assert!(!is_test_file(Path::new("a/math_test.gene.bak")));
    }
}
