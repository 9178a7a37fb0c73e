//! Gene exceptions raised by the runtime itself (spec 04 §4.5), and how an
//! uncaught one is reported.

use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::{prop_map, Instance};
use gene_core::print::repr;
use gene_core::{CoreError, ErrorKind, Symbol, Value};
use std::cell::RefCell;

/// A computation that may throw: `Err` holds the thrown Gene value.
pub type VmResult<T = Value> = Result<T, Value>;

impl Vm {
    /// A new instance of the built-in error class `kind` with `message`.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> Value {
        let class = self.error_classes[kind as usize];
        self.make_exception(class, message.into())
    }

    pub fn make_exception(&self, class: Value, message: String) -> Value {
        let mut props = prop_map();
        props.insert(Symbol::intern("message"), heap::string(message));
        heap::alloc(Obj::Instance(Box::new(Instance {
            class,
            props: RefCell::new(props),
        })))
    }

    /// Converts a core error into the matching Gene exception.
    pub fn raise(&self, e: CoreError) -> Value {
        self.error(e.kind, e.message)
    }

    /// The `message` property of an exception instance.
    pub fn exception_message(&self, v: Value) -> Option<String> {
        match v.obj() {
            Some(Obj::Instance(i)) if self.is_instance_of(v, self.classes.exception) => Some(
                i.props
                    .borrow()
                    .get(&Symbol::intern("message"))
                    .map(|m| gene_core::print::display(*m))
                    .unwrap_or_default(),
            ),
            _ => None,
        }
    }

    /// The uncaught-error report: [`Vm::describe_uncaught`] and the Gene
    /// backtrace of the frames it unwound, each run of identical frames
    /// (runaway recursion) printed once with its count.
    pub fn uncaught_report(&self, thrown: Value) -> String {
        let mut text = self.describe_uncaught(thrown);
        let mut i = 0;
        let trace: &[crate::backtrace::TraceEntry] = if thrown == self.trace_owner {
            &self.trace
        } else {
            &[]
        };
        let frames: Vec<String> = trace
            .iter()
            .map(|(proto, pc)| crate::backtrace::frame_text(proto, *pc))
            .collect();
        while i < frames.len() {
            let run = frames[i..].iter().take_while(|t| **t == frames[i]).count();
            text.push_str(&format!("\n  at {}", frames[i]));
            if run > 1 {
                text.push_str(&format!(" [{run} times]"));
            }
            i += run;
        }
        text.push('\n');
        text
    }

    /// Writes [`Vm::uncaught_report`] to stderr (after flushing stdout).
    pub fn report_uncaught(&self, thrown: Value) {
        self.write_err(&self.uncaught_report(thrown));
    }

    /// `Error: <Class>: <message>` for exceptions, `Error: <repr>` for other
    /// thrown values (spec 04 §4.5).
    pub fn describe_uncaught(&self, thrown: Value) -> String {
        match self.exception_message(thrown) {
            Some(message) => format!(
                "Error: {}: {}",
                gene_core::print::type_name(thrown),
                message
            ),
            None => format!("Error: {}", repr(thrown)),
        }
    }
}
