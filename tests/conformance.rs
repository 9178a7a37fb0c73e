//! The conformance suites run against the `gene` binary, each with its
//! known-failures ratchet:
//! * `tests/conformance/`, a copy of `../shared/conformance` (the public sample),
//!   ratcheted by `tests/known-failures.txt`;
//! * `tests/spec/`, our own end-to-end tests of the spec features the sample does
//!   not exercise (same layout), ratcheted by `tests/spec-known-failures.txt`.
//!
//! This test owns four things:
//! * running every test program of every [`Suite`] in each [`Mode`]: `gene run FILE`,
//!   and `gene build FILE -o TMP/exe` then `TMP/exe`, both from the test's directory;
//! * judging the result by the suite's rules (`tests/conformance/README.md`), exactly as
//!   the suite's own `run.sh` does, except that a child killed by a signal (a crash)
//!   never counts as the expected failure of an `.err` test. In build mode a failed
//!   build of an `.err` test is judged as the program's failure (a parse error found
//!   at build time is the expected failure);
//! * tier parity (DESIGN.md §1, invariant 3): a test that passes in run mode must print
//!   exactly the same stdout bytes and end with the same exit status as a built
//!   executable; a difference is a build-mode failure even where the suite's
//!   comparison (trailing whitespace ignored, stdout of `.err` tests without `.out`
//!   unchecked) would let it pass;
//! * the ratchet: each suite has a known-failures list per mode naming the tests
//!   expected to fail. An unlisted test that fails, a listed test that passes and a
//!   listed path that is not a test all fail the run, so a list can only shrink as the
//!   implementation grows.
//!
//! It reports per suite and mode, then the totals: the last two lines are
//! `N passed, M failed` and `ratchet: K unexpected`, summed over all suites and modes.
//!
//! It is a `harness = false` test so that it can print its own summary. Environment:
//! * `GENE_CONFORMANCE_SUITE=name` runs only that suite (`conformance` or `spec`);
//! * `GENE_CONFORMANCE_MODE=name` runs only that mode (`run` or `build`; build mode
//!   alone skips the parity check, which needs the run-mode results);
//! * `GENE_CONFORMANCE_FILTER=substr` runs only tests whose path (relative to their
//!   suite root) contains `substr`;
//! * `GENE_CONFORMANCE_TARGET=triple` builds for that target in build mode
//!   (`gene build --target`) and runs the executables natively or, for
//!   aarch64 on another host, under `qemu-aarch64` (with the Debian aarch64
//!   sysroot as `-L` for glibc); its results are held to the build-mode
//!   lists, which is the point: every target prints the same;
//! * `GENE_CONFORMANCE_SAMPLE=N` runs at least N tests of each suite (all when
//!   there are fewer), evenly spread over the sorted list (every k-th), like a
//!   filter;
//! * `GENE_CONFORMANCE_VERBOSE=1` also prints the known failures and their reasons;
//! * `GENE_UPDATE_KNOWN_FAILURES=1` rewrites the known-failures lists of the suites run
//!   from this run instead of enforcing them (see `scripts/update-known-failures`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use support::{gene_command, run_captured, short_diff, Captured, Termination};

/// The suite's per-test time limit (README: "Each test has a 10-second timeout").
const TEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The limit for one `gene build` (code generation and linking).
const BUILD_TIMEOUT: Duration = Duration::from_secs(60);
const SUITE_ENV: &str = "GENE_CONFORMANCE_SUITE";
const MODE_ENV: &str = "GENE_CONFORMANCE_MODE";
const FILTER_ENV: &str = "GENE_CONFORMANCE_FILTER";
const VERBOSE_ENV: &str = "GENE_CONFORMANCE_VERBOSE";
const TARGET_ENV: &str = "GENE_CONFORMANCE_TARGET";
const SAMPLE_ENV: &str = "GENE_CONFORMANCE_SAMPLE";
const UPDATE_ENV: &str = "GENE_UPDATE_KNOWN_FAILURES";
/// How many lines of a stdout diff or of stderr a failure report shows.
const REPORT_LINES: usize = 6;

/// A suite of test programs with the conformance layout (README "Layout and format"),
/// and its known-failures lists.
struct Suite {
    /// The suite's name in reports and in `GENE_CONFORMANCE_SUITE`.
    name: &'static str,
    /// What the header of its known-failures lists calls its tests.
    title: &'static str,
    /// The suite root, relative to the repository root.
    root: &'static str,
    /// The known-failures list of `gene run` mode, relative to the repository root.
    run_known_failures: &'static str,
    /// The known-failures list of `gene build` mode, relative to the repository root.
    build_known_failures: &'static str,
}

impl Suite {
    /// Every suite, in the order they run.
    const ALL: [Suite; 2] = [
        Suite {
            name: "conformance",
            title: "Conformance tests",
            root: "tests/conformance",
            run_known_failures: "tests/known-failures.txt",
            build_known_failures: "tests/build-known-failures.txt",
        },
        Suite {
            name: "spec",
            title: "Spec tests",
            root: "tests/spec",
            run_known_failures: "tests/spec-known-failures.txt",
            build_known_failures: "tests/spec-build-known-failures.txt",
        },
    ];

    /// The known-failures list of this suite in `mode`, relative to the repository root.
    fn known_failures_file(&self, mode: Mode) -> &'static str {
        match mode {
            Mode::Run => self.run_known_failures,
            Mode::Build => self.build_known_failures,
        }
    }
}

/// A way of executing a test program. Every mode must print the same output, so the
/// judging rules are shared; each mode keeps its own known-failures list per suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `gene run FILE`, from the test's directory.
    Run,
    /// `gene build FILE -o TMP/exe` from the test's directory, then `TMP/exe` from
    /// there too.
    Build,
}

impl Mode {
    /// The modes the suites run in, in order (run first: build mode checks parity
    /// against it).
    const ALL: [Mode; 2] = [Mode::Run, Mode::Build];

    fn name(self) -> &'static str {
        match self {
            Mode::Run => "run",
            Mode::Build => "build",
        }
    }

    /// How many tests run at once. A build is a compile and a link, several processes
    /// deep, so build mode uses every core.
    fn workers(self) -> usize {
        let cores = thread::available_parallelism().map_or(2, |n| n.get());
        match self {
            Mode::Run => cores.clamp(2, 4),
            Mode::Build => cores.max(2),
        }
    }

    /// Executes one test program. `Err` is a failure that happened before the
    /// program could run at all (the reason to report).
    fn execute(self, case: &TestCase) -> Result<Execution, String> {
        match self {
            Mode::Run => {
                let command = gene_command(&case.dir, &["run", &case.file_name]);
                let captured = run_captured(command, None, TEST_TIMEOUT)
                    .map_err(|e| format!("cannot start gene: {e}"))?;
                Ok(Execution {
                    captured,
                    build_time: None,
                })
            }
            Mode::Build => {
                let scratch = tempfile::Builder::new()
                    .prefix("gene-conformance")
                    .tempdir()
                    .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
                let exe = scratch.path().join("exe");
                let exe_arg = exe.to_string_lossy();
                let target = build_target();
                let mut args = vec!["build", &case.file_name, "-o", &exe_arg];
                if let Some(target) = &target {
                    args.extend(["--target", target.as_str()]);
                }
                let command = gene_command(&case.dir, &args);
                let started = Instant::now();
                let built = run_captured(command, None, BUILD_TIMEOUT)
                    .map_err(|e| format!("cannot start gene: {e}"))?;
                let build_time = Some(started.elapsed());
                if built.termination.code() != Some(0) || !exe.is_file() {
                    // run.sh: a failure found at build time counts as the expected
                    // failure of an `.err` test, judged on the build's output.
                    if case.expected_error.is_some() && built.termination.code().is_some() {
                        let mut captured = built;
                        if captured.termination.code() == Some(0) {
                            captured.termination = Termination::Exited(1);
                        }
                        return Ok(Execution {
                            captured,
                            build_time,
                        });
                    }
                    let stderr: String = built.stderr_text().chars().take(300).collect();
                    return Err(format!(
                        "build failed ({}): {}",
                        built.termination,
                        stderr.trim_end()
                    ));
                }
                let mut command = executable_command(target.as_deref(), &exe)?;
                command.current_dir(&case.dir);
                let captured = run_captured(command, None, TEST_TIMEOUT)
                    .map_err(|e| format!("cannot start the built executable: {e}"))?;
                Ok(Execution {
                    captured,
                    build_time,
                })
            }
        }
    }
}

/// `GENE_CONFORMANCE_TARGET`, if set.
fn build_target() -> Option<String> {
    env::var(TARGET_ENV).ok().filter(|t| !t.is_empty())
}

/// The command that runs an executable built for `target`: itself, or
/// under qemu for an aarch64 Linux target on another architecture.
fn executable_command(target: Option<&str>, exe: &Path) -> Result<Command, String> {
    let Some(target) = target else {
        return Ok(Command::new(exe));
    };
    if !target.contains("linux") {
        return Err(format!(
            "{TARGET_ENV}={target}: this machine cannot run executables for it"
        ));
    }
    let native = target.starts_with(env::consts::ARCH);
    if native {
        return Ok(Command::new(exe));
    }
    if !target.starts_with("aarch64") {
        return Err(format!("{TARGET_ENV}={target}: no emulator known for it"));
    }
    let mut command = Command::new("qemu-aarch64");
    if target.ends_with("-gnu") {
        command.args(["-L", "/usr/aarch64-linux-gnu"]);
    }
    command.arg(exe);
    Ok(command)
}

/// What executing a test left behind.
struct Execution {
    captured: Captured,
    /// How long `gene build` took (build mode).
    build_time: Option<Duration>,
}

/// One test program: `NAME.gene` with `NAME.out` and/or `NAME.err`.
struct TestCase {
    /// Path relative to the suite root, with `/` separators (`strings/unicode.gene`).
    rel_path: String,
    /// The directory the test runs from.
    dir: PathBuf,
    file_name: String,
    /// The content of `NAME.out`, if any.
    expected_stdout: Option<String>,
    /// The first line of `NAME.err` (trailing whitespace removed), if any. Empty means
    /// any message will do.
    expected_error: Option<String>,
}

impl TestCase {
    /// The feature area: the first directory of the path.
    fn area(&self) -> &str {
        match self.rel_path.split_once('/') {
            Some((area, _)) => area,
            None => "(root)",
        }
    }
}

/// Why a test did not behave as its expectation files say.
struct Failure {
    reason: String,
    /// A short report to show under the reason: stdout diff, stderr head.
    details: String,
}

/// The result of one test in one mode.
struct Outcome {
    failure: Option<Failure>,
    /// Exit code (`None`: no exit of its own) and stdout, for the parity check.
    exit: Option<i32>,
    stdout: Vec<u8>,
    build_time: Option<Duration>,
}

/// Counts of one suite in one mode, or summed over several.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// Ratchet violations: unexpected failures, unexpected passes, bad list entries.
    violations: usize,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.violations += other.violations;
    }
}

fn main() -> ExitCode {
    match run_all() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("conformance: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every selected suite in every mode, then prints the totals; `Ok(false)` when
/// a ratchet was violated.
fn run_all() -> Result<bool, String> {
    let settings = Settings::from_env()?;
    let suites: Vec<&Suite> = Suite::ALL
        .iter()
        .filter(|suite| {
            settings
                .suite
                .as_ref()
                .is_none_or(|name| name == suite.name)
        })
        .collect();
    if suites.is_empty() {
        let names: Vec<&str> = Suite::ALL.iter().map(|suite| suite.name).collect();
        return Err(format!(
            "{SUITE_ENV} names no suite; the suites are {}",
            names.join(", ")
        ));
    }

    let mut rows = Vec::new();
    for suite in suites {
        let all_cases = discover_tests(&settings.root.join(suite.root)).map_err(|e| {
            format!(
                "cannot read the {} suite at {}: {e}",
                suite.name, suite.root
            )
        })?;
        if all_cases.is_empty() {
            return Err(format!(
                "no tests found in {} (scripts/sync-conformance copies the public sample)",
                suite.root
            ));
        }
        let mut selected: Vec<&TestCase> = all_cases
            .iter()
            .filter(|case| {
                settings
                    .filter
                    .as_ref()
                    .is_none_or(|f| case.rel_path.contains(f))
            })
            .collect();
        if let Some(sample) = settings.sample {
            let step = (selected.len() / sample).max(1);
            selected = selected.into_iter().step_by(step).collect();
        }
        // The run-mode outcomes, the reference of the parity check.
        let mut reference: Option<Vec<Outcome>> = None;
        for mode in Mode::ALL {
            if settings.mode.is_some_and(|only| only != mode) {
                continue;
            }
            let (tally, outcomes) = run_mode(
                suite,
                mode,
                &settings,
                &all_cases,
                &selected,
                reference.as_deref(),
            )?;
            rows.push((suite, mode, tally));
            if mode == Mode::Run {
                reference = Some(outcomes);
            }
        }
    }

    println!();
    println!("Summary:");
    let mut total = Tally::default();
    for (suite, mode, tally) in &rows {
        let label = format!("{} ({} mode)", suite.name, mode.name());
        println!(
            "  {label:<24} {:>4} passed {:>4} failed {:>4} unexpected",
            tally.passed, tally.failed, tally.violations
        );
        total += *tally;
    }
    println!();
    println!("{} passed, {} failed", total.passed, total.failed);
    println!("ratchet: {} unexpected", total.violations);
    Ok(total.violations == 0)
}

/// What the environment asked for.
struct Settings {
    root: PathBuf,
    suite: Option<String>,
    mode: Option<Mode>,
    filter: Option<String>,
    /// `GENE_CONFORMANCE_SAMPLE`: about this many tests per suite.
    sample: Option<usize>,
    verbose: bool,
    update: bool,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let non_empty = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
        let mode = match non_empty(MODE_ENV) {
            None => None,
            Some(name) => Some(
                Mode::ALL
                    .into_iter()
                    .find(|mode| mode.name() == name)
                    .ok_or_else(|| format!("{MODE_ENV}={name}: the modes are run and build"))?,
            ),
        };
        let settings = Settings {
            root: support::repo_root(),
            suite: non_empty(SUITE_ENV),
            mode,
            filter: non_empty(FILTER_ENV),
            sample: match non_empty(SAMPLE_ENV) {
                None => None,
                Some(n) => Some(
                    n.parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("{SAMPLE_ENV}={n}: expected a positive count"))?,
                ),
            },
            verbose: env_flag(VERBOSE_ENV),
            update: env_flag(UPDATE_ENV),
        };
        if settings.update && (settings.filter.is_some() || settings.sample.is_some()) {
            return Err(format!(
                "{UPDATE_ENV}=1 rewrites whole lists; unset {FILTER_ENV} and {SAMPLE_ENV} to use it"
            ));
        }
        if settings.update && build_target().is_some() {
            return Err(format!(
                "{UPDATE_ENV}=1 rewrites the host's lists; unset {TARGET_ENV} to use it"
            ));
        }
        Ok(settings)
    }
}

/// Runs the selected tests of one suite in one mode, then enforces (or rewrites) the
/// suite's known-failures list for that mode.
fn run_mode(
    suite: &Suite,
    mode: Mode,
    settings: &Settings,
    all_cases: &[TestCase],
    selected: &[&TestCase],
    reference: Option<&[Outcome]>,
) -> Result<(Tally, Vec<Outcome>), String> {
    println!(
        "{} suite ({} mode{}): {} of {} tests in {}{}, gene = {}",
        suite.name,
        mode.name(),
        match (mode, build_target()) {
            (Mode::Build, Some(target)) => format!(", --target {target}"),
            _ => String::new(),
        },
        selected.len(),
        all_cases.len(),
        suite.root,
        settings
            .filter
            .as_ref()
            .map_or(String::new(), |f| format!(" matching {f:?}")),
        support::gene_binary().display()
    );
    let started = Instant::now();
    let mut outcomes = run_tests(mode, selected);
    let elapsed = started.elapsed();
    if let Some(reference) = reference {
        check_parity(&mut outcomes, reference);
    }
    let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
    let mut tally = Tally {
        passed: outcomes.len() - failed,
        failed,
        violations: 0,
    };
    let list_name = suite.known_failures_file(mode);
    let list_path = settings.root.join(list_name);

    if settings.update {
        let failing: Vec<&str> = selected
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| outcome.failure.is_some())
            .map(|(case, _)| case.rel_path.as_str())
            .collect();
        rewrite_known_failures(&list_path, suite, mode, &failing)
            .map_err(|e| format!("cannot write {}: {e}", list_path.display()))?;
        println!("wrote {list_name} ({} failing tests)", failing.len());
        print_area_summary(suite, mode, selected, &outcomes);
        print_timing(suite, mode, elapsed, &outcomes);
        println!();
        return Ok((tally, outcomes));
    }

    let known = KnownFailures::load(&list_path)
        .map_err(|e| format!("cannot read {}: {e}", list_path.display()))?;
    let ratchet = check_ratchet(
        suite,
        mode,
        all_cases,
        selected,
        &outcomes,
        &known,
        settings.verbose,
    );
    if !ratchet.report.is_empty() {
        println!();
        print!("{}", ratchet.report);
    }
    println!();
    println!(
        "known failures: {} listed in {list_name}, {} of them ran and still fail",
        known.entries.len(),
        ratchet.still_failing
    );
    if ratchet.violations > 0 {
        println!(
            "a test that is meant to fail for now belongs in {list_name}; \
             scripts/update-known-failures rewrites it from a run"
        );
    }
    print_area_summary(suite, mode, selected, &outcomes);
    print_timing(suite, mode, elapsed, &outcomes);
    println!(
        "{} suite ({} mode): {} unexpected",
        suite.name,
        mode.name(),
        ratchet.violations
    );
    println!();
    tally.violations = ratchet.violations;
    Ok((tally, outcomes))
}

/// Tier parity: a test that passed in run mode and passes the suite's comparison in
/// build mode must also print the same stdout bytes and exit the same way.
fn check_parity(outcomes: &mut [Outcome], reference: &[Outcome]) {
    for (outcome, reference) in outcomes.iter_mut().zip(reference) {
        if outcome.failure.is_some() || reference.failure.is_some() {
            continue;
        }
        if outcome.exit == reference.exit && outcome.stdout == reference.stdout {
            continue;
        }
        let run_text = String::from_utf8_lossy(&reference.stdout);
        let build_text = String::from_utf8_lossy(&outcome.stdout);
        let mut details = String::new();
        if outcome.exit != reference.exit {
            let _ = writeln!(
                details,
                "    exit status: {:?} under gene run, {:?} built",
                reference.exit, outcome.exit
            );
        }
        if outcome.stdout != reference.stdout {
            let run_lines: Vec<&str> = run_text.split('\n').collect();
            let build_lines: Vec<&str> = build_text.split('\n').collect();
            details.push_str(&short_diff(
                "stdout (exact bytes, - gene run, + built)",
                &run_lines,
                &build_lines,
                REPORT_LINES,
            ));
        }
        outcome.failure = Some(Failure {
            reason: "tier parity: the built executable differs from `gene run`".to_string(),
            details,
        });
    }
}

/// How long a mode took; in build mode also the time per `gene build`.
fn print_timing(suite: &Suite, mode: Mode, elapsed: Duration, outcomes: &[Outcome]) {
    let builds: Vec<Duration> = outcomes.iter().filter_map(|o| o.build_time).collect();
    let mut line = format!(
        "{} suite ({} mode): {} tests in {:.1} s on {} workers",
        suite.name,
        mode.name(),
        outcomes.len(),
        elapsed.as_secs_f64(),
        mode.workers()
    );
    if !builds.is_empty() {
        let total: Duration = builds.iter().sum();
        let slowest = builds.iter().max().copied().unwrap_or_default();
        let _ = write!(
            line,
            "; gene build {:.2} s on average, {:.2} s at most",
            total.as_secs_f64() / builds.len() as f64,
            slowest.as_secs_f64()
        );
    }
    println!("{line}");
}

fn env_flag(name: &str) -> bool {
    env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Finds every test below `suite_root`, sorted by path. A `.gene` file with neither
/// `.out` nor `.err` beside it is a fixture, not a test.
fn discover_tests(suite_root: &Path) -> io::Result<Vec<TestCase>> {
    let mut programs = Vec::new();
    collect_gene_files(suite_root, &mut programs)?;
    let mut cases = Vec::new();
    for program in programs {
        let out_path = program.with_extension("out");
        let err_path = program.with_extension("err");
        if !out_path.is_file() && !err_path.is_file() {
            continue;
        }
        let expected_stdout = read_if_present(&out_path)?;
        let expected_error = read_if_present(&err_path)?.map(|text| {
            let first_line = text.lines().next().unwrap_or("");
            trim_line_end(first_line).to_string()
        });
        let rel_path = program
            .strip_prefix(suite_root)
            .expect("discovered files are below the suite root")
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let dir = program
            .parent()
            .expect("a discovered file has a parent")
            .to_path_buf();
        let file_name = program
            .file_name()
            .expect("a discovered file has a name")
            .to_string_lossy()
            .into_owned();
        cases.push(TestCase {
            rel_path,
            dir,
            file_name,
            expected_stdout,
            expected_error,
        });
    }
    // Byte order, like the suite's `LC_ALL=C sort`.
    cases.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(cases)
}

fn collect_gene_files(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_gene_files(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "gene") {
            found.push(path);
        }
    }
    Ok(())
}

fn read_if_present(path: &Path) -> io::Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Runs the tests on a few worker threads; the outcomes come back in input order.
fn run_tests(mode: Mode, cases: &[&TestCase]) -> Vec<Outcome> {
    let workers = mode.workers();
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Outcome>>> = cases.iter().map(|_| Mutex::new(None)).collect();
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(index) else { break };
                let outcome = match mode.execute(case) {
                    Ok(execution) => Outcome {
                        failure: judge(case, &execution.captured),
                        exit: execution.captured.termination.code(),
                        stdout: execution.captured.stdout,
                        build_time: execution.build_time,
                    },
                    Err(reason) => Outcome {
                        failure: Some(Failure {
                            reason,
                            details: String::new(),
                        }),
                        exit: None,
                        stdout: Vec::new(),
                        build_time: None,
                    },
                };
                *slots[index]
                    .lock()
                    .expect("no worker panics while holding a slot") = Some(outcome);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .expect("no worker panicked")
                .expect("every test was run")
        })
        .collect()
}

/// Applies the suite's rules (README "Layout and format", run.sh) to one run.
fn judge(case: &TestCase, captured: &Captured) -> Option<Failure> {
    let stdout = captured.stdout_text();
    let stderr = captured.stderr_text();
    let stdout_matches = |expected: &str| normalize(expected) == normalize(&stdout);
    let fail = |reason: String| {
        let mut details = String::new();
        if let Some(expected) = &case.expected_stdout {
            if !stdout_matches(expected) {
                let diff = short_diff(
                    "stdout",
                    &normalize(expected),
                    &normalize(&stdout),
                    REPORT_LINES,
                );
                details.push_str(&diff);
            }
        }
        details.push_str(&stderr_head(&stderr));
        Some(Failure { reason, details })
    };

    // A crash or a timeout is never the expected failure of an `.err` test.
    let Some(code) = captured.termination.code() else {
        return fail(captured.termination.to_string());
    };
    match &case.expected_error {
        Some(wanted) => {
            if code == 0 {
                fail("expected failure (non-zero exit), got exit 0".to_string())
            } else if !wanted.is_empty() && !stderr.contains(wanted.as_str()) {
                fail(format!("stderr does not contain: {wanted}"))
            } else if case
                .expected_stdout
                .as_deref()
                .is_some_and(|expected| !stdout_matches(expected))
            {
                fail("stdout mismatch".to_string())
            } else {
                None
            }
        }
        None => {
            let expected = case.expected_stdout.as_deref().unwrap_or("");
            match (code, stdout_matches(expected)) {
                (0, true) => None,
                (0, false) => fail("stdout mismatch".to_string()),
                (code, true) => fail(format!("exit status {code}")),
                (code, false) => fail(format!("exit status {code}, stdout mismatch")),
            }
        }
    }
}

/// The suite's comparison form: trailing whitespace removed from every line, and
/// trailing empty lines dropped.
fn normalize(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').map(trim_line_end).collect();
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines
}

/// Removes what `sed 's/[[:space:]]*$//'` removes (C locale).
fn trim_line_end(line: &str) -> &str {
    line.trim_end_matches([' ', '\t', '\r', '\n', '\x0b', '\x0c'])
}

fn stderr_head(stderr: &str) -> String {
    let mut report = String::new();
    for line in stderr.lines().take(REPORT_LINES) {
        let shown: String = line.chars().take(200).collect();
        let _ = writeln!(report, "    stderr: {shown}");
    }
    report
}

fn print_area_summary(suite: &Suite, mode: Mode, cases: &[&TestCase], outcomes: &[Outcome]) {
    let mut areas: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        let counts = areas.entry(case.area()).or_default();
        match outcome.failure {
            None => counts.0 += 1,
            Some(_) => counts.1 += 1,
        }
    }
    println!();
    println!(
        "Per-area summary ({} suite, {} mode):",
        suite.name,
        mode.name()
    );
    for (area, (passed, failed)) in &areas {
        println!("  {area:<18} {passed:>4} passed {failed:>4} failed");
    }
    let passed: usize = areas.values().map(|(p, _)| p).sum();
    let failed: usize = areas.values().map(|(_, f)| f).sum();
    // Not the `N passed, M failed` form: that line is kept for the totals.
    println!(
        "  {:<18} {passed:>4} passed {failed:>4} failed",
        "(all areas)"
    );
}

/// One line of a known-failures list.
struct KnownFailure {
    rel_path: String,
    /// The comment after the path, kept when the list is rewritten.
    comment: Option<String>,
    line_number: usize,
}

/// A known-failures list: one test path per line (relative to the suite root),
/// `#` starts a comment.
struct KnownFailures {
    entries: Vec<KnownFailure>,
}

impl KnownFailures {
    /// Reads the list; a missing file is an empty list.
    fn load(path: &Path) -> io::Result<Self> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e),
        };
        Ok(Self::parse(&text))
    }

    fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .enumerate()
            .filter_map(|(index, line)| {
                let (path, comment) = match line.split_once('#') {
                    Some((path, comment)) => (path.trim(), Some(comment.trim().to_string())),
                    None => (line.trim(), None),
                };
                (!path.is_empty()).then(|| KnownFailure {
                    rel_path: path.to_string(),
                    comment: comment.filter(|c| !c.is_empty()),
                    line_number: index + 1,
                })
            })
            .collect();
        KnownFailures { entries }
    }
}

/// What the ratchet found for one suite in one mode.
struct RatchetCheck {
    /// One entry per violation (and per known failure when verbose), ready to print.
    report: String,
    violations: usize,
    /// Listed tests that ran and failed, as expected.
    still_failing: usize,
}

/// Compares the outcomes with the known-failures list, both ways.
fn check_ratchet(
    suite: &Suite,
    mode: Mode,
    all_cases: &[TestCase],
    selected: &[&TestCase],
    outcomes: &[Outcome],
    known: &KnownFailures,
    verbose: bool,
) -> RatchetCheck {
    let list_name = suite.known_failures_file(mode);
    let existing: BTreeSet<&str> = all_cases.iter().map(|c| c.rel_path.as_str()).collect();
    let mut listed = BTreeSet::new();
    let mut check = RatchetCheck {
        report: String::new(),
        violations: 0,
        still_failing: 0,
    };
    let report = &mut check.report;

    for entry in &known.entries {
        let location = format!("{list_name}:{}", entry.line_number);
        if !listed.insert(entry.rel_path.as_str()) {
            check.violations += 1;
            let _ = writeln!(
                report,
                "DUPLICATE {location}: {} is listed twice",
                entry.rel_path
            );
        } else if !existing.contains(entry.rel_path.as_str()) {
            check.violations += 1;
            let _ = writeln!(
                report,
                "STALE {location}: {} is not a test in {}; remove it",
                entry.rel_path, suite.root
            );
        }
    }

    for (case, outcome) in selected.iter().zip(outcomes) {
        let is_listed = listed.contains(case.rel_path.as_str());
        match (&outcome.failure, is_listed) {
            (Some(failure), false) => {
                check.violations += 1;
                let _ = write!(
                    report,
                    "FAIL {}: {}\n{}",
                    case.rel_path, failure.reason, failure.details
                );
            }
            (None, true) => {
                check.violations += 1;
                let _ = writeln!(
                    report,
                    "NOW PASSES {}: now passes, remove it from {list_name}",
                    case.rel_path
                );
            }
            (Some(failure), true) => {
                check.still_failing += 1;
                if verbose {
                    let _ = write!(
                        report,
                        "known failure {}: {}\n{}",
                        case.rel_path, failure.reason, failure.details
                    );
                }
            }
            (None, false) => {}
        }
    }
    check
}

/// Rewrites the list with exactly the `failing` tests, keeping the comments of
/// entries that stay.
fn rewrite_known_failures(
    path: &Path,
    suite: &Suite,
    mode: Mode,
    failing: &[&str],
) -> io::Result<()> {
    let previous = KnownFailures::load(path)?;
    let comments: BTreeMap<&str, &str> = previous
        .entries
        .iter()
        .filter_map(|e| Some((e.rel_path.as_str(), e.comment.as_deref()?)))
        .collect();
    let mut text = format!(
        "# {} (paths relative to {}) known to fail in\n\
         # `gene {}` mode. tests/conformance.rs enforces this list both ways: an unlisted\n\
         # failing test, a listed test that passes and a listed path that is not a test\n\
         # all fail the run. A comment after a path is kept when\n\
         # scripts/update-known-failures rewrites the list from an actual run.\n",
        suite.title,
        suite.root,
        mode.name()
    );
    for rel_path in failing {
        match comments.get(rel_path) {
            Some(comment) => {
                let _ = writeln!(text, "{rel_path}  # {comment}");
            }
            None => {
                let _ = writeln!(text, "{rel_path}");
            }
        }
    }
    fs::write(path, text)
}
