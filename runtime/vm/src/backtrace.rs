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
//! `StackOverflow`. A frame is an interpreter frame or a native activation,
//! and both count against one budget, `gene_depth_room`: how many more
//! frames may start. Native code decrements it on entry (raising
//! `StackOverflow` below zero) and restores it on exit: a load, a subtract,
//! a store and a branch, in a hidden global that needs no GOT. The
//! interpreter keeps its frames in a vector and compares the frames pushed
//! since the runtime last entered native code with the room native code
//! left; entering native code charges those frames to the room
//! ([`Vm::enter_native_limit`]).

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

/// How many more Gene frames may start, less the interpreter frames
/// pushed since the runtime last entered native code (`Vm::room_frames`).
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_depth_room: AtomicI64 = AtomicI64::new(DEFAULT_MAX_DEPTH as i64);

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

/// The room left when a program starts (see [`gene_depth_room`]).
pub(crate) fn reset_room(max_depth: usize) {
    gene_depth_room.store(max_depth as i64, Ordering::Relaxed);
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
    /// Whether one more interpreter frame would go beyond the limit.
    #[inline(always)]
    pub(crate) fn frames_exhausted(&self) -> bool {
        let pushed = self.frames.len() as i64 - self.room_frames as i64;
        pushed >= gene_depth_room.load(Ordering::Relaxed)
    }

    /// Before the runtime enters native code: charges the interpreter
    /// frames pushed since it last did to the room; returns what to give
    /// [`Vm::restore_native_limit`] after. (Loads and stores, no atomic
    /// read-modify-write: this runs at every call into native code.)
    #[inline(always)]
    pub(crate) fn enter_native_limit(&mut self) -> (i64, usize) {
        let room = gene_depth_room.load(Ordering::Relaxed);
        let frames = self.frames.len();
        let previous = (room, self.room_frames);
        if frames != self.room_frames {
            let pushed = frames as i64 - self.room_frames as i64;
            gene_depth_room.store(room - pushed, Ordering::Relaxed);
            self.room_frames = frames;
        }
        previous
    }

    #[inline(always)]
    pub(crate) fn restore_native_limit(&mut self, (room, frames): (i64, usize)) {
        if self.room_frames != frames {
            gene_depth_room.store(room, Ordering::Relaxed);
            self.room_frames = frames;
        }
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
