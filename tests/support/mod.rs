//! Shared plumbing for the integration tests in `tests/` (conformance, golden, CLI):
//! where the repository and the `gene` binary are, and how to run a child process
//! with captured output and a hard timeout.
//!
//! This module knows nothing about Gene or about any test format; each test binary
//! owns its own comparison rules.

// Every test binary compiles its own copy of this module and uses a different part.
#![allow(dead_code)]

pub mod corpus;

use std::fmt;
use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The most output kept per stream. A runaway program is cut off by the timeout,
/// but could still print gigabytes before that; the rest is read and dropped.
const MAX_CAPTURE_BYTES: usize = 16 * 1024 * 1024;

/// How long to wait for a child's pipes to close once it has ended. A grandchild
/// that inherited them could keep them open forever.
const PIPE_DRAIN_GRACE: Duration = Duration::from_secs(5);

/// The repository root (the `gene` package lives in `compiler/cli`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("compiler/cli has a grandparent directory")
        .to_path_buf()
}

/// The `gene` binary Cargo built for this test run.
pub fn gene_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_gene"))
}

/// A `gene` command with the given arguments, run from `cwd`.
pub fn gene_command(cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(gene_binary());
    command.args(args).current_dir(cwd);
    command
}

/// How a child process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// It exited by itself with this status code.
    Exited(i32),
    /// It was killed by this signal (a crash such as SIGSEGV or SIGABRT).
    Signaled(i32),
    /// It ran past the timeout and was killed by us.
    TimedOut(Duration),
}

impl Termination {
    fn from_status(status: ExitStatus) -> Self {
        match status.code() {
            Some(code) => Termination::Exited(code),
            None => Termination::Signaled(signal_of(status)),
        }
    }

    /// The exit code, if the process exited by itself.
    pub fn code(self) -> Option<i32> {
        match self {
            Termination::Exited(code) => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Termination::Exited(code) => write!(f, "exit status {code}"),
            Termination::Signaled(signal) => write!(f, "killed by signal {signal}"),
            Termination::TimedOut(limit) => write!(f, "timeout after {}s", limit.as_secs()),
        }
    }
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(-1)
}

#[cfg(not(unix))]
fn signal_of(_status: ExitStatus) -> i32 {
    -1
}

/// What a finished child left behind.
#[derive(Debug)]
pub struct Captured {
    pub termination: Termination,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Captured {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `command` to completion, feeding it `stdin` (or /dev/null when `None`) and
/// capturing stdout and stderr. A child still running after `timeout` is killed and
/// reported as [`Termination::TimedOut`]. Errors only when the process cannot be
/// started at all.
pub fn run_captured(
    mut command: Command,
    stdin: Option<&[u8]>,
    timeout: Duration,
) -> io::Result<Captured> {
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;

    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let input = input.to_vec();
        // A child that exits without reading its input closes the pipe; that is
        // its business, not a harness error, so the write result is ignored.
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let stdout = spawn_reader(child.stdout.take());
    let stderr = spawn_reader(child.stderr.take());

    let termination = wait_with_timeout(&mut child, timeout)?;
    Ok(Captured {
        termination,
        stdout: stdout.recv_timeout(PIPE_DRAIN_GRACE).unwrap_or_default(),
        stderr: stderr.recv_timeout(PIPE_DRAIN_GRACE).unwrap_or_default(),
    })
}

/// Reads a pipe to its end on a thread of its own, so that a child filling one
/// pipe never blocks on the other.
fn spawn_reader<R: Read + Send + 'static>(pipe: Option<R>) -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        if let Some(mut pipe) = pipe {
            let mut chunk = [0u8; 8192];
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = MAX_CAPTURE_BYTES.saturating_sub(kept.len());
                        kept.extend_from_slice(&chunk[..n.min(room)]);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
        }
        let _ = sender.send(kept);
    });
    receiver
}

/// Polls the child until it exits or `timeout` passes; kills it in the latter case.
/// Polling (rather than a blocking wait on another thread) keeps the `Child` here,
/// where it can still be killed.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> io::Result<Termination> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Termination::from_status(status));
        }
        let now = Instant::now();
        if now >= deadline {
            // The child may exit between try_wait and kill; either way it is done.
            let _ = child.kill();
            child.wait()?;
            return Ok(Termination::TimedOut(timeout));
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    }
}

/// A short report of how `actual` departs from `expected` (what `label` names): the
/// first differing line and the line counts, then the differing stretch between the
/// common beginning and the common end, at most `max_lines` lines of each (`-`
/// expected, `+` actual), indented for display under a failure line.
pub fn short_diff(label: &str, expected: &[&str], actual: &[&str], max_lines: usize) -> String {
    let prefix = expected
        .iter()
        .zip(actual)
        .take_while(|(e, a)| e == a)
        .count();
    let suffix = expected[prefix..]
        .iter()
        .rev()
        .zip(actual[prefix..].iter().rev())
        .take_while(|(e, a)| e == a)
        .count();
    let mut report = format!(
        "    {label} differs from line {} (expected {} lines, got {}):\n",
        prefix + 1,
        expected.len(),
        actual.len()
    );
    for line in expected[prefix..expected.len() - suffix]
        .iter()
        .take(max_lines)
    {
        let _ = writeln!(report, "    - {line}");
    }
    for line in actual[prefix..actual.len() - suffix].iter().take(max_lines) {
        let _ = writeln!(report, "    + {line}");
    }
    report
}
