//! Backtraces and the recursion limit, shared by both tiers.
//!
//! **Backtraces cost nothing until something throws.** A frame is recorded
//! as it is unwound: the interpreter pushes `(Proto, pc)` when it pops a
//! frame without a handler, native code does the same on its (cold) path
//! that returns the exception sentinel (`gene_trace`), and int bodies on the
//! path where they fail. Unwinding runs innermost first, so [`Vm::trace`]
//! holds the frames in report order, and calls crossing tiers give one
//! trace. The location of a frame is the source line and column of the
//! instruction at its pc (`Proto::lines`, `Proto::cols`, carried in the
//! bytecode image, so stripping an executable loses nothing). A handler
//! that takes the exception adds its own frame and files the trace under
//! the exception for `.stacktrace` (the frames from the throw to the catch,
//! as a Python traceback).
//!
//! **One recursion limit.** Gene frames nested deeper than [`max_depth`]
//! (default [`DEFAULT_MAX_DEPTH`], `GENE_MAX_DEPTH` to change it) raise
//! `StackOverflow`. A frame is an interpreter frame or a native activation;
//! native code counts its activations in `gene_depth` and compares them with
//! `gene_depth_limit`, the room the interpreter's frames leave (set whenever
//! the runtime enters native code), so the sum is what both tiers limit.

use crate::vm::Vm;
use gene_core::bytecode::Proto;
use gene_core::{heap, Value};
use std::sync::atomic::{AtomicI64, Ordering};

/// Gene frames nested deeper than this raise `StackOverflow` unless
/// `GENE_MAX_DEPTH` says otherwise.
pub const DEFAULT_MAX_DEPTH: usize = 200_000;
/// The range `GENE_MAX_DEPTH` may take: native frames need stack, and the
/// built executable's program stack is sized for this many.
pub const MIN_MAX_DEPTH: usize = 100;
pub const MAX_MAX_DEPTH: usize = 1_000_000;

/// How many caught exceptions keep their trace for `.stacktrace`.
const KEPT_TRACES: usize = 64;

/// Native activations now running (native code increments it on entry and
/// restores it on exit).
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_depth: AtomicI64 = AtomicI64::new(0);

/// The most native activations allowed now: the maximum depth less the
/// interpreter frames below the native code running.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_depth_limit: AtomicI64 = AtomicI64::new(DEFAULT_MAX_DEPTH as i64);

/// The maximum depth `GENE_MAX_DEPTH` sets, or why it is unusable.
pub fn max_depth_from_env() -> Result<usize, String> {
    let Some(raw) = std::env::var_os("GENE_MAX_DEPTH") else {
        return Ok(DEFAULT_MAX_DEPTH);
    };
    let text = raw.to_string_lossy();
    match text.trim().parse::<usize>() {
        Ok(n) if (MIN_MAX_DEPTH..=MAX_MAX_DEPTH).contains(&n) => Ok(n),
        _ => Err(format!(
            "GENE_MAX_DEPTH={text} is not a whole number from {MIN_MAX_DEPTH} to \
             {MAX_MAX_DEPTH}; set it to the maximum recursion depth or unset it \
             for the default of {DEFAULT_MAX_DEPTH}"
        )),
    }
}

/// Native activations running now.
#[inline(always)]
pub fn native_frames() -> usize {
    gene_depth.load(Ordering::Relaxed).max(0) as usize
}

/// A trace entry: a Proto and the pc its frame was at.
pub type TraceEntry = (&'static Proto, u32);

/// `name (file:line:col)` for the frame of `proto` at `pc`.
pub fn frame_text(proto: &Proto, pc: u32) -> String {
    let pc = pc as usize;
    format!(
        "{} ({}:{}:{})",
        proto.name,
        proto.file,
        proto.line_at(pc),
        proto.col_at(pc)
    )
}

impl Vm {
    /// Sets the limit native code checks for the interpreter frames now
    /// running; returns the previous one (restore it with
    /// [`Vm::restore_native_limit`]).
    #[inline]
    pub(crate) fn enter_native_limit(&self) -> i64 {
        let room = self.max_depth as i64 - self.frames.len() as i64;
        gene_depth_limit.swap(room, Ordering::Relaxed)
    }

    #[inline]
    pub(crate) fn restore_native_limit(&self, previous: i64) {
        gene_depth_limit.store(previous, Ordering::Relaxed);
    }

    /// The `StackOverflow` error of the recursion limit (both tiers).
    #[cold]
    pub fn depth_overflow(&self) -> Value {
        self.error(
            gene_core::ErrorKind::StackOverflow,
            format!("Stack overflow: more than {} nested calls", self.max_depth),
        )
    }

    /// Records that `thrown` unwound the frame of `proto` at `pc`. A trace
    /// left by an exception that was swallowed without a handler (a failed
    /// future, a built-in's own recovery) is dropped when another one
    /// starts unwinding.
    pub(crate) fn trace_frame(&mut self, thrown: Value, proto: &'static Proto, pc: u32) {
        if thrown != self.trace_owner {
            self.trace.clear();
            self.trace_owner = thrown;
        }
        self.trace.push((proto, pc));
    }

    /// A handler at `pc` of `proto` took `thrown`: the trace so far and
    /// the handler's frame become the exception's `.stacktrace`.
    pub(crate) fn caught(&mut self, thrown: Value, proto: &'static Proto, pc: u32) {
        let mut trace = std::mem::take(&mut self.trace);
        if thrown != self.trace_owner {
            trace.clear();
        }
        self.trace_owner = Value::NIL;
        if thrown.obj().is_none() {
            return;
        }
        trace.push((proto, pc));
        if self.caught_traces.len() >= KEPT_TRACES {
            self.caught_traces.remove(0);
        }
        self.caught_traces.retain(|(v, _)| *v != thrown);
        self.caught_traces.push((thrown, trace));
    }

    /// `.stacktrace`: the frames a caught exception unwound through,
    /// innermost first, as `name (file:line:col)` strings; nil for an
    /// exception never caught (or caught long ago).
    pub fn stacktrace_of(&self, exception: Value) -> Value {
        match self
            .caught_traces
            .iter()
            .rev()
            .find(|(v, _)| *v == exception)
        {
            Some((_, trace)) => heap::array(
                trace
                    .iter()
                    .map(|(p, pc)| heap::string(frame_text(p, *pc)))
                    .collect(),
            ),
            None => Value::NIL,
        }
    }
}
