//! The collector under load, end to end:
//! - the whole public conformance corpus passes in both tiers with
//!   `GENE_GC_STRESS=1` (a collection at every safepoint);
//! - a program churning through short-lived garbage of every kind (arrays,
//!   strings, maps, closures, instances, cycles) stays within a bounded
//!   peak RSS in both tiers, as `GENE_GC_STATS=1` reports it;
//! - valgrind's memcheck sees no invalid access in a sample, in both tiers.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{gene_binary, repo_root, run_captured, Captured};

const TIMEOUT: Duration = Duration::from_secs(600);
/// Rounds of the churn program: about 270 MB of garbage.
const ROUNDS: u64 = 400_000;

fn describe(what: &str, c: &Captured) -> String {
    let tail: String = c
        .stdout_text()
        .lines()
        .rev()
        .take(25)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "{what}: {}\n{tail}\n--- stderr\n{}",
        c.termination,
        c.stderr_text()
    )
}

fn conformance_under_stress(mode: &str) {
    let root = repo_root();
    let mut command = Command::new("bash");
    command
        .arg(root.join("tests/conformance/run.sh"))
        .args(["--gene"])
        .arg(gene_binary())
        .args(["--mode", mode, "--timeout", "60"])
        .arg(root.join("tests/conformance"))
        .env("GENE_GC_STRESS", "1")
        .current_dir(&root);
    let ran = run_captured(command, None, TIMEOUT).expect("start bash");
    assert_eq!(
        ran.termination.code(),
        Some(0),
        "{}",
        describe(
            &format!("conformance in {mode} mode with GENE_GC_STRESS=1"),
            &ran
        )
    );
    assert!(
        ran.stdout_text().contains(" passed, 0 failed"),
        "{}",
        ran.stdout_text()
    );
}

#[test]
fn conformance_passes_with_a_collection_at_every_safepoint_under_gene_run() {
    conformance_under_stress("run");
}

#[test]
fn conformance_passes_with_a_collection_at_every_safepoint_when_built() {
    conformance_under_stress("build");
}

/// `gene build SOURCE -o EXE`, which must succeed.
fn build_exe(source: &Path, exe: &Path) {
    let built = Command::new(gene_binary())
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(exe)
        .output()
        .expect("start gene build");
    assert!(
        built.status.success(),
        "gene build {}: {}",
        source.display(),
        String::from_utf8_lossy(&built.stderr)
    );
}

/// The peak RSS in KiB from a `GENE_GC_STATS=1` report.
fn peak_rss_kib(stderr: &str) -> Option<u64> {
    let at = stderr.find("peak rss ")? + "peak rss ".len();
    stderr[at..].split_whitespace().next()?.parse().ok()
}

fn assert_bounded(what: &str, mut command: Command, dir: &Path) {
    command.env("GENE_GC_STATS", "1").current_dir(dir);
    let ran = run_captured(command, None, TIMEOUT).expect("start the churn program");
    assert_eq!(ran.termination.code(), Some(0), "{}", describe(what, &ran));
    // Each round i adds (f 1) + a/1 + m/k = (i + 1) + (i + 1) + i.
    let n = ROUNDS;
    let expected = 3 * n * (n - 1) / 2 + 2 * n;
    assert_eq!(
        ran.stdout_text().trim(),
        expected.to_string(),
        "{}",
        describe(what, &ran)
    );
    let stderr = ran.stderr_text();
    let collections: u64 = stderr
        .split("gc: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(collections > 0, "{what}: no collection ran\n{stderr}");
    let peak = peak_rss_kib(&stderr).unwrap_or(u64::MAX);
    assert!(peak < 100 * 1024, "{what}: peak RSS {peak} KiB\n{stderr}");
}

#[test]
fn churning_garbage_keeps_memory_bounded_in_both_tiers() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("gc");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let program = repo_root().join("tests/gc/churn.gene");
    let mut run = Command::new(gene_binary());
    run.arg("run").arg(&program).arg(ROUNDS.to_string());
    assert_bounded("gene run churn.gene", run, &dir);

    let exe = dir.join("churn");
    build_exe(&program, &exe);
    let mut native = Command::new(&exe);
    native.arg(ROUNDS.to_string());
    assert_bounded("built churn", native, &dir);
}

/// valgrind's memcheck over a sample of programs in both tiers, with a
/// collection at every safepoint: no invalid read, write or free. (The
/// conservative stack scan reads uninitialised stack words by design, so
/// memcheck's "uninitialised value" reports are not counted.)
#[test]
fn memcheck_finds_no_invalid_accesses_in_either_tier() {
    let sample = [
        "closures/counter_state.gene",
        "closures/loop_var_capture.gene",
        "classes_oop/inherit_method.gene",
        "exceptions/catch_all.gene",
        "strings/split_trim.gene",
        "maps/for_over_map.gene",
        "macros/caller_eval.gene",
    ];
    let root = repo_root().join("tests/conformance");
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("memcheck");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    for test in sample {
        let file = root.join(test);
        let dir = file.parent().expect("a test has a directory");
        let exe = scratch.join(test.replace('/', "_").replace(".gene", ""));
        build_exe(&file, &exe);
        let run = {
            let mut c = Command::new("valgrind");
            c.args(["-q", "--error-limit=no"])
                .arg(gene_binary())
                .arg("run")
                .arg(&file);
            c
        };
        let native = {
            let mut c = Command::new("valgrind");
            c.args(["-q", "--error-limit=no"]).arg(&exe);
            c
        };
        for (tier, mut command) in [("gene run", run), ("built", native)] {
            command.env("GENE_GC_STRESS", "1").current_dir(dir);
            let ran = run_captured(command, None, TIMEOUT)
                .expect("start valgrind (apt-get install valgrind)");
            let stderr = ran.stderr_text();
            let invalid: Vec<&str> = stderr
                .lines()
                .filter(|l| l.contains("Invalid ") || l.contains("Mismatched free"))
                .collect();
            assert!(invalid.is_empty(), "{test} ({tier}):\n{stderr}");
            assert_eq!(
                ran.termination.code(),
                Some(0),
                "{test} ({tier}):\n{stderr}"
            );
        }
    }
}
