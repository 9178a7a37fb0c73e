//! The VM's side of garbage collection: its roots, and the safepoints where
//! a collection may run.
//!
//! A collection runs only when no built-in is calling back into Gene
//! (`native_depth == 0`): then every value still needed is in a root listed
//! here or on the thread's stack, which the collector scans conservatively
//! (interpreter locals, native frames).

use crate::vm::Vm;
use gene_core::{gc, Proto, Value};

impl Vm {
    /// Collects when a collection is due and this is a safepoint.
    #[inline]
    pub fn safepoint(&mut self) {
        if gc::requested() && self.native_depth == 0 {
            self.collect_garbage();
        }
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
