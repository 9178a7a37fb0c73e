//! The virtual machine's state and its public entry points.

use crate::builtins;
use crate::errors::VmResult;
use crate::stdio;
use gene_core::bytecode::Proto;
use gene_core::heap::{self, Obj};
use gene_core::object::{Class, Namespace};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::{Cell, RefCell};

/// Native code (a built-in calling back into Gene) nested deeper than this
/// raises `StackOverflow`: each level costs Rust stack.
pub const MAX_NATIVE_DEPTH: usize = 10_000;

/// One activation of a Proto.
#[derive(Clone, Copy)]
pub struct Frame {
    pub proto: &'static Proto,
    /// The running closure (nil for top-level code and bodies).
    pub closure: Value,
    pub pc: usize,
    /// Index of slot 0 in the value stack; `base - 1` holds the callee,
    /// which the result replaces.
    pub base: usize,
    pub self_val: Value,
    pub ns: Value,
    /// The result is `self` rather than the body's value (constructors,
    /// namespace and class bodies).
    pub returns_self: bool,
    /// For a macro frame: the index of the frame that called it.
    pub macro_caller: Option<usize>,
    /// A REPL unit: its slots are saved in `Vm::session_slots` on return.
    pub session: bool,
    /// For an `eval` unit: the index of the frame whose locals it uses.
    pub outer: Option<usize>,
    /// Variables declared by `eval` in this frame's scope (a map, or nil).
    pub eval_vars: Value,
    /// The call's arguments as a gene, kept when the Proto reads `$args`.
    pub args: Value,
}

impl Frame {
    /// A frame for `proto` with slot 0 at `base`; the optional parts
    /// (macro caller, eval scope, kept arguments, ...) start empty.
    pub fn new(
        proto: &'static Proto,
        closure: Value,
        base: usize,
        self_val: Value,
        ns: Value,
    ) -> Frame {
        Frame {
            proto,
            closure,
            pc: 0,
            base,
            self_val,
            ns,
            returns_self: false,
            macro_caller: None,
            session: false,
            outer: None,
            eval_vars: Value::NIL,
            args: Value::NIL,
        }
    }
}

/// The built-in classes every value belongs to.
pub struct Classes {
    pub object: Value,
    pub nil: Value,
    pub bool: Value,
    pub int: Value,
    pub float: Value,
    pub char: Value,
    pub string: Value,
    pub symbol: Value,
    pub complex_symbol: Value,
    pub array: Value,
    pub map: Value,
    pub set: Value,
    pub gene: Value,
    pub range: Value,
    pub function: Value,
    /// `(-> ...)` and `(x -> ...)`: a subclass of `Function` (spec 02).
    pub block: Value,
    pub class: Value,
    pub namespace: Value,
    pub future: Value,
    pub file: Value,
    pub exception: Value,
    pub enum_type: Value,
    pub enum_member: Value,
}

impl Classes {
    /// Every built-in class, `Object` first.
    pub fn all(&self) -> [Value; 23] {
        [
            self.object,
            self.nil,
            self.bool,
            self.int,
            self.float,
            self.char,
            self.string,
            self.symbol,
            self.complex_symbol,
            self.array,
            self.map,
            self.set,
            self.gene,
            self.range,
            self.function,
            self.block,
            self.class,
            self.namespace,
            self.future,
            self.file,
            self.exception,
            self.enum_type,
            self.enum_member,
        ]
    }
}

#[derive(Clone, Default)]
pub struct VmOptions {
    /// `$cmd_args`: the arguments after the script name.
    pub args: Vec<String>,
}

pub struct Vm {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub global_ns: Value,
    pub gene_ns: Value,
    pub genex_ns: Value,
    pub classes: Classes,
    pub error_classes: Vec<Value>,
    pub natives: Vec<builtins::NativeEntry>,
    /// The exception most recently caught (`$ex` outside a catch body).
    pub current_exception: Value,
    pub native_depth: usize,
    /// The frames the exception being thrown has unwound through so far,
    /// innermost first (see `backtrace.rs`).
    pub trace: Vec<crate::backtrace::TraceEntry>,
    /// The exception `trace` belongs to.
    pub trace_owner: Value,
    /// Recently caught exceptions and their traces, for `.stacktrace`.
    pub caught_traces: Vec<(Value, Vec<crate::backtrace::TraceEntry>)>,
    /// Gene frames nested deeper than this raise `StackOverflow`.
    pub max_depth: usize,
    /// The interpreter frames running when the runtime last entered native
    /// code (see `backtrace.rs`).
    pub room_frames: usize,
    /// Why `GENE_MAX_DEPTH` is unusable, reported when the program starts.
    depth_setting_error: Option<String>,
    /// When set, a top-level unit's slots are saved here as it returns, so
    /// the next unit of a REPL session starts with them.
    pub session_slots: Option<Vec<Value>>,
    /// Imported modules by resolved path: their namespace, or nil while the
    /// module is still running (an import reaching it then is circular).
    pub modules: std::collections::HashMap<std::path::PathBuf, Value>,
    /// In a built executable, the modules compiled into it.
    pub embedded: Option<crate::modules::Embedded>,
    /// The highest address of this thread's stack the collector scans (the
    /// frame that created the VM; nothing above it holds values).
    pub stack_top: usize,
}

/// An address in this frame (when no stack top was recorded: the VM is then
/// used by the frames below its creator's).
#[inline(never)]
fn stack_address() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

pub fn new_namespace(name: &str, parent: Value) -> Value {
    heap::alloc(Obj::Namespace(Box::new(Namespace::new(
        Symbol::intern(name),
        parent,
    ))))
}

pub fn new_class(name: &str, parent: Value, ns_parent: Value, builtin: bool) -> Value {
    heap::alloc(Obj::Class(Box::new(Class {
        parent: Cell::new(parent),
        methods: RefCell::new(gene_core::object::prop_map()),
        ns: Namespace::new(Symbol::intern(name), ns_parent),
        builtin,
    })))
}

impl Vm {
    pub fn new(options: VmOptions) -> Vm {
        let genex_ns = new_namespace("genex", Value::NIL);
        let gene_ns = new_namespace("gene", Value::NIL);
        let global_ns = new_namespace("global", Value::NIL);
        let object = new_class("Object", Value::NIL, gene_ns, true);
        let class = |name: &str| new_class(name, object, gene_ns, true);
        let exception = new_class("Exception", object, gene_ns, false);
        let function = class("Function");
        let classes = Classes {
            object,
            nil: class("Nil"),
            bool: class("Bool"),
            int: class("Int"),
            float: class("Float"),
            char: class("Char"),
            string: class("String"),
            symbol: class("Symbol"),
            complex_symbol: class("ComplexSymbol"),
            array: class("Array"),
            map: class("Map"),
            set: class("Set"),
            gene: class("Gene"),
            range: class("Range"),
            function,
            block: new_class("Block", function, gene_ns, true),
            class: class("Class"),
            namespace: class("Namespace"),
            future: class("Future"),
            file: class("File"),
            exception,
            enum_type: class("Enum"),
            enum_member: class("EnumMember"),
        };
        let error_classes = ErrorKind::ALL
            .iter()
            .map(|k| new_class(k.class_name(), exception, gene_ns, false))
            .collect();
        let (max_depth, depth_setting_error) = match crate::backtrace::max_depth_from_env() {
            Ok(n) => (n, None),
            Err(e) => (crate::backtrace::DEFAULT_MAX_DEPTH, Some(e)),
        };
        let mut vm = Vm {
            stack: Vec::with_capacity(1 << 16),
            frames: Vec::with_capacity(256),
            global_ns,
            gene_ns,
            genex_ns,
            classes,
            error_classes,
            natives: Vec::new(),
            current_exception: Value::NIL,
            native_depth: 0,
            trace: Vec::new(),
            trace_owner: Value::NIL,
            caught_traces: Vec::new(),
            max_depth,
            room_frames: 0,
            depth_setting_error,
            session_slots: None,
            modules: std::collections::HashMap::new(),
            embedded: None,
            stack_top: gene_core::gc::stack_top(stack_address()),
        };
        crate::backtrace::reset_room(max_depth);
        builtins::install(&mut vm, &options);
        crate::selector::install(&mut vm);
        vm
    }

    /// Runs a top-level Proto in the global namespace; returns its value.
    pub fn run_main(&mut self, proto: &'static Proto) -> VmResult {
        if let Some(e) = self.depth_setting_error.take() {
            return Err(self.error(ErrorKind::ArgumentError, e));
        }
        self.run_top_level(proto, self.global_ns, Value::NIL)
    }

    /// Runs the next unit of a REPL session: it starts with the slots the
    /// previous unit left.
    pub fn run_session_unit(&mut self, proto: &'static Proto) -> VmResult {
        self.trace.clear();
        let saved = self.session_slots.get_or_insert_with(Vec::new).clone();
        self.push_top_level(proto, self.global_ns, Value::NIL, &saved, true);
        self.execute()
    }

    /// Runs a top-level Proto with the given namespace and self.
    pub fn run_top_level(&mut self, proto: &'static Proto, ns: Value, self_val: Value) -> VmResult {
        if let Some(code) = proto.native.get() {
            // Native top-level code of a module finds its namespace
            // through the closure argument (`namespace_for`).
            let closure = if proto.kind == gene_core::bytecode::ProtoKind::TopLevel
                && ns.bits() != self.global_ns.bits()
            {
                ns
            } else {
                Value::NIL
            };
            return self.call_native(code, closure, self_val, &[], Value::NIL);
        }
        self.push_top_level(proto, ns, self_val, &[], false);
        self.execute()
    }

    fn push_top_level(
        &mut self,
        proto: &'static Proto,
        ns: Value,
        self_val: Value,
        slots: &[Value],
        session: bool,
    ) {
        self.stack.push(Value::NIL);
        let base = self.stack.len();
        self.stack.extend_from_slice(slots);
        self.stack.resize(base + proto.n_slots as usize, Value::NIL);
        self.frames.push(Frame {
            session,
            ..Frame::new(proto, Value::NIL, base, self_val, ns)
        });
    }

    /// Writes program output to the shared stdout buffer
    /// ([`crate::stdio`]); a failed write is reported by the next flush, at
    /// the latest at exit.
    pub fn write_out(&self, text: &str) {
        if let Err(e) = stdio::write_stdout(text.as_bytes()) {
            stdio::defer_stdout_error(e);
        }
    }

    /// Writes program output for `who` (`println`, `.write`): a failed
    /// write is an `IOError` now.
    pub fn print_out(&self, who: &str, text: &str) -> VmResult<()> {
        stdio::write_stdout(text.as_bytes()).map_err(|e| {
            self.error(
                ErrorKind::IOError,
                format!("{who}: Failed to write to stdout: {}", stdio::os_reason(&e)),
            )
        })
    }

    /// Writes stdout's buffer out; a failure is kept for [`Vm::finish`].
    pub fn flush(&self) {
        if let Err(e) = stdio::flush_stdout() {
            stdio::defer_stdout_error(e);
        }
    }

    /// Writes to stderr, after flushing stdout so output stays in order.
    pub fn write_err(&self, text: &str) {
        let _ = stdio::write_stderr(text.as_bytes());
    }

    /// Writes out everything the program wrote and the process still holds:
    /// every open File, then stdout (spec 07 §7.3: at exit and before a
    /// command runs). The first failure's message.
    pub fn flush_everything(&self) -> Result<(), String> {
        let files = builtins::file::flush_open_files();
        let out = stdio::flush_stdout()
            .map_err(|e| format!("Failed to write to stdout: {}", stdio::os_reason(&e)));
        files.and(out)
    }

    /// Ends a program run (`gene run`, a built executable): flushes what it
    /// wrote, reports an uncaught error or a failed write on stderr, and
    /// returns the exit status (1 for either, else 0).
    pub fn finish(&mut self, result: VmResult) -> i32 {
        let flushed = self.flush_everything();
        match (result, flushed) {
            (Err(thrown), _) => {
                self.report_uncaught(thrown);
                1
            }
            (Ok(_), Err(message)) => {
                self.write_err(&format!("Error: IOError: {message}\n"));
                1
            }
            (Ok(_), Ok(())) => 0,
        }
    }

    /// Defines a member of the `gene` namespace.
    pub fn define_builtin(&mut self, name: &str, value: Value) {
        if let Some(Obj::Namespace(ns)) = self.gene_ns.obj() {
            ns.members.borrow_mut().insert(Symbol::intern(name), value);
        }
        crate::names::bump_epoch();
    }
}
