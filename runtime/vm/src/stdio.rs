//! The process's standard streams as both tiers use them (spec 07 §7.3,
//! §7.11): one stdout buffer shared by `print`/`println` and
//! `gene/io/stdout`, so output keeps program order; one stdin buffer behind
//! `gene/io/stdin`; stderr unbuffered. And what happens at their edges:
//! - stdout is line-buffered on a terminal (a line shows at once) and
//!   block-buffered otherwise (throughput to pipes and files);
//! - stdout is flushed before the program blocks reading stdin, so a prompt,
//!   or the answer to the previous line of a pipeline, shows first;
//! - a failed write is an error for the writer (an `IOError` at the write);
//!   a failure nobody could be told of (a flush before a read) is kept and
//!   reported by the next [`flush_stdout`], at the latest at exit;
//! - a closed stdout (`EPIPE`: the reader went away, as in `prog | head -1`)
//!   ends the process as `SIGPIPE`'s default action does, like any Unix
//!   filter, with the same status in both tiers;
//! - SIGINT, SIGTERM and SIGHUP flush stdout and then take their default
//!   action; a panic flushes it before the process aborts.
//!
//! The buffers are process-wide, behind mutexes, because the signal thread
//! flushes stdout too.

use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::sync::{Mutex, MutexGuard, Once, OnceLock};
use std::time::Duration;

/// Bytes stdout collects before it writes them (when not on a terminal).
const STDOUT_CAPACITY: usize = 64 << 10;
/// Bytes stdin reads at once.
const STDIN_CAPACITY: usize = 64 << 10;

struct Output {
    buf: Vec<u8>,
    /// A failed write no caller was told of.
    pending: Option<io::Error>,
}

static STDOUT: Mutex<Output> = Mutex::new(Output {
    buf: Vec::new(),
    pending: None,
});

static STDIN: Mutex<Option<BufReader<io::Stdin>>> = Mutex::new(None);

fn stdout_lock() -> MutexGuard<'static, Output> {
    STDOUT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether stdout is a terminal (asked once).
fn line_buffered() -> bool {
    static TERMINAL: OnceLock<bool> = OnceLock::new();
    *TERMINAL.get_or_init(|| io::stdout().is_terminal())
}

impl Output {
    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let result = write_stdout_fd(&self.buf);
        self.buf.clear();
        if self.buf.capacity() > 4 * STDOUT_CAPACITY {
            self.buf.shrink_to(STDOUT_CAPACITY);
        }
        result
    }
}

/// Writes straight to file descriptor 1 (our buffer is the only one), and
/// handles a closed pipe.
fn write_stdout_fd(bytes: &[u8]) -> io::Result<()> {
    use std::os::fd::FromRawFd;
    // Safety: descriptor 1 stays open for the life of the process; the File
    // is never dropped, so it never closes it.
    let fd = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
    match (&*fd).write_all(bytes) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => die_of_sigpipe(),
        result => result,
    }
}

/// Ends the process as an unhandled `SIGPIPE` does: the reader of stdout is
/// gone, so nothing the program could still print would be read.
fn die_of_sigpipe() -> ! {
    // Safety: plain libc calls; resetting a disposition and raising a signal
    // are allowed in any thread.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    std::process::exit(128 + libc::SIGPIPE)
}

/// Appends `bytes` to stdout, writing the buffer out when it is full or, on
/// a terminal, when a line is complete. On a failed write the buffered bytes
/// are dropped and the error returned.
pub fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = stdout_lock();
    if bytes.len() >= STDOUT_CAPACITY {
        out.flush()?;
        return write_stdout_fd(bytes);
    }
    out.buf.extend_from_slice(bytes);
    if out.buf.len() >= STDOUT_CAPACITY || (line_buffered() && bytes.contains(&b'\n')) {
        out.flush()
    } else {
        Ok(())
    }
}

/// Writes out what stdout holds; reports a failure kept from earlier first.
pub fn flush_stdout() -> io::Result<()> {
    let mut out = stdout_lock();
    if let Some(e) = out.pending.take() {
        out.buf.clear();
        return Err(e);
    }
    out.flush()
}

/// Keeps a write failure to report at the next [`flush_stdout`].
pub fn defer_stdout_error(e: io::Error) {
    let mut out = stdout_lock();
    if out.pending.is_none() {
        out.pending = Some(e);
    }
}

/// Flushes stdout before a read that may block, keeping a failure for later.
fn flush_before_blocking() {
    let mut out = stdout_lock();
    if let Err(e) = out.flush() {
        out.pending.get_or_insert(e);
    }
}

/// Writes to stderr (unbuffered), after stdout's buffer so output keeps
/// its order on a shared terminal.
pub fn write_stderr(bytes: &[u8]) -> io::Result<()> {
    flush_before_blocking();
    io::stderr().write_all(bytes)
}

/// Runs `f` on stdin's buffer, flushing stdout first when the buffer is empty
/// (the read is going to wait for input).
fn with_stdin<R>(f: impl FnOnce(&mut BufReader<io::Stdin>) -> io::Result<R>) -> io::Result<R> {
    let mut guard = STDIN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let reader = guard.get_or_insert_with(|| BufReader::with_capacity(STDIN_CAPACITY, io::stdin()));
    if reader.buffer().is_empty() {
        flush_before_blocking();
    }
    f(reader)
}

/// Reads stdin up to and including the next `\n` (or to its end) into
/// `line`; returns the bytes read, 0 at end of input.
pub fn read_stdin_line(line: &mut Vec<u8>) -> io::Result<usize> {
    with_stdin(|reader| reader.read_until(b'\n', line))
}

/// Reads the rest of stdin into `out`.
pub fn read_stdin_to_end(out: &mut Vec<u8>) -> io::Result<usize> {
    with_stdin(|reader| reader.read_to_end(out))
}

/// The operating system's reason for `e`, without Rust's `(os error N)`.
pub fn os_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_string(),
        None => text,
    }
}

/// Installs what a program run (`gene run`, a built executable) needs once
/// per process: `SIGPIPE` ignored (a closed pipe is an `EPIPE` error where
/// it happens, as in every Rust program; stdout's is handled above), a
/// thread that flushes stdout on SIGINT/SIGTERM/SIGHUP before their default
/// action, and a panic hook that flushes it before the abort.
pub fn install_process_hooks() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Safety: setting a signal disposition to "ignore" has no
        // preconditions.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
        let signals = [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ];
        if let Ok(mut signals) = signal_hook::iterator::Signals::new(signals) {
            let _ = std::thread::Builder::new()
                .name("gene-signals".into())
                .spawn(move || {
                    for signal in signals.forever() {
                        flush_if_possible();
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                    }
                });
        }
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            flush_if_possible();
            default_hook(info);
        }));
    });
}

/// Flushes stdout unless its lock stays taken (the program's thread may hold
/// it, blocked on a full pipe, or be the one panicking while holding it).
fn flush_if_possible() {
    for _ in 0..50 {
        match STDOUT.try_lock() {
            Ok(mut out) => {
                let _ = out.flush();
                return;
            }
            Err(std::sync::TryLockError::Poisoned(p)) => {
                let _ = p.into_inner().flush();
                return;
            }
            Err(std::sync::TryLockError::WouldBlock) => {
                std::thread::sleep(Duration::from_millis(2))
            }
        }
    }
}
