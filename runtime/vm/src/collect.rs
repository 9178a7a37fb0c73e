//! The VM's side of garbage collection: its roots, and the safepoints where
//! a collection may run.
//!
//! A collection runs only when no built-in is calling back into Gene
//! (`native_depth == 0`): then every value still needed is in a root listed
//! here or on the thread's stack, which the collector scans conservatively
//! (interpreter locals, native frames).

use crate::vm::Vm;
use gene_core::{gc, ErrorKind, Proto, Value};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the REPL's SIGINT handler. It also raises the collector's
/// request flag, so the interpreter's existing polls (loop back edges,
/// calls) see it at no extra cost in the hot loop.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Asks the running evaluation to stop at its next safepoint.
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
    gc::gene_gc_requested.store(1, Ordering::Relaxed);
}

/// Forgets a pending interrupt (the REPL calls it before each input).
pub fn clear_interrupt() {
    INTERRUPTED.store(false, Ordering::Relaxed);
}

impl Vm {
    /// Collects when a collection is due and this is a safepoint.
    #[inline]
    pub fn safepoint(&mut self) {
        if gc::requested() && self.native_depth == 0 {
            self.collect_garbage();
        }
    }

    /// At a safepoint: the exception to throw when an interrupt is
    /// pending. The flag stays set until the REPL clears it, so a `catch`
    /// that swallows it is interrupted again at its next poll.
    #[inline(never)]
    pub fn check_interrupt(&self) -> Result<(), Value> {
        if INTERRUPTED.load(Ordering::Relaxed) {
            gc::gene_gc_requested.store(1, Ordering::Relaxed);
            return Err(self.error(ErrorKind::ControlFlowError, "interrupted"));
        }
        Ok(())
    }

    /// Runs a collection now.
    #[inline(never)]
    pub fn collect_garbage(&mut self) {
        let top = self.stack_top;
        let vm: &Vm = self;
        gc::collect(top, &mut |mark| vm.trace_roots(mark));
        // Cached lookups may name freed objects: re-resolve them.
        crate::names::bump_epoch();
        crate::abi::clear_native_caches();
    }

    fn trace_roots(&self, mark: &mut dyn FnMut(Value)) {
        self.stack.iter().for_each(|v| mark(*v));
        for f in &self.frames {
            for v in [f.closure, f.self_val, f.ns, f.eval_vars, f.args] {
                mark(v);
            }
        }
        for v in [
            self.global_ns,
            self.gene_ns,
            self.genex_ns,
            self.current_exception,
            self.trace_owner,
        ] {
            mark(v);
        }
        self.classes.all().iter().for_each(|v| mark(*v));
        self.error_classes.iter().for_each(|v| mark(*v));
        self.modules.values().for_each(|v| mark(*v));
        self.caught_traces.iter().for_each(|(v, _)| mark(*v));
        if let Some(slots) = &self.session_slots {
            slots.iter().for_each(|v| mark(*v));
        }
        Proto::trace_all(mark);
        gene_frontend::quote::trace_literals(mark);
        crate::abi::trace_pending(mark);
    }
}
