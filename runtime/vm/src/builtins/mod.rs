//! Native functions and the methods of built-in classes (spec 04).
//!
//! Every native has the same signature ([`NativeFn`]): the VM, the receiver
//! (`self`, nil for plain functions), positional arguments and named
//! properties. [`install`] registers them: functions as members of the
//! `gene` namespace (or of a sub-namespace such as `gene/io`), methods in
//! the tables of the built-in classes. One module per class or concern.
//!
//! Conventions every native follows: a bad argument raises `ArgumentError`
//! (or `TypeError` for a receiver of the wrong kind) rather than panicking,
//! and no `RefCell` borrow of Gene data is held across a call back into
//! Gene (callbacks may mutate the collection being walked, so natives work
//! on a snapshot).

mod arity;
mod array;
mod base64;
mod collections;
mod core;
mod datetime;
pub(crate) mod file;
mod format;
mod fs;
mod future;
mod gene;
mod io;
mod json;
mod map;
mod numbers;
mod object;
mod os;
mod path;
mod random;
mod range;
mod regex;
mod set;
mod string;
mod string_extra;
mod time;

use crate::errors::VmResult;
use crate::names::namespace_of;
use crate::vm::{new_namespace, Vm, VmOptions};
use gene_core::heap::{self, Obj};
use gene_core::object::{NativeFn as NativeObj, PropMap};
use gene_core::print::type_name;
use gene_core::{ErrorKind, Symbol, Value};

/// The implementation of a native function or method.
pub type NativeFn = fn(&mut Vm, Value, &[Value], Option<&PropMap>) -> VmResult;

pub struct NativeEntry {
    pub name: Symbol,
    pub func: NativeFn,
}

impl Vm {
    /// Registers `func` and returns the function value.
    pub fn native(&mut self, name: &str, func: NativeFn) -> Value {
        let name = Symbol::intern(name);
        self.natives.push(NativeEntry { name, func });
        heap::alloc(Obj::Native(NativeObj {
            name,
            id: (self.natives.len() - 1) as u32,
        }))
    }

    /// Registers `func` as function `name` of the `gene` namespace.
    pub fn def_fn(&mut self, name: &str, func: NativeFn) {
        let f = self.native(name, func);
        self.define_builtin(name, f);
    }

    /// The namespace `gene/<name>` (`gene/io`, `gene/json`, ...), created
    /// on first use.
    pub fn builtin_namespace(&mut self, name: &str) -> Value {
        let existing = namespace_of(self.gene_ns).and_then(|g| g.get(Symbol::intern(name)));
        if let Some(ns) = existing.filter(|v| matches!(v.obj(), Some(Obj::Namespace(_)))) {
            return ns;
        }
        let ns = new_namespace(name, self.gene_ns);
        self.define_builtin(name, ns);
        ns
    }

    /// Registers `func` as function `name` of namespace `ns`.
    pub fn def_fn_in(&mut self, ns: Value, name: &str, func: NativeFn) {
        let f = self.native(name, func);
        self.define_member(ns, Symbol::intern(name), f);
    }

    /// Registers `func` as method `name` of `class`.
    pub fn def_method(&mut self, class: Value, name: &str, func: NativeFn) {
        let f = self.native(name, func);
        if let Some(Obj::Class(c)) = class.obj() {
            c.methods.borrow_mut().insert(Symbol::intern(name), f);
            crate::access::methods_changed();
        }
    }

    /// An `ArgumentError` for a built-in called with a bad argument.
    pub fn bad_argument(&self, what: &str, got: Value) -> Value {
        self.error(
            ErrorKind::ArgumentError,
            format!("{what}, got {}", type_name(got)),
        )
    }

    /// A `TypeError` for a native method called on a receiver of the wrong
    /// kind (possible through user subclasses of built-in classes).
    pub fn bad_receiver(&self, method: &str, expected: &str, got: Value) -> Value {
        self.error(
            ErrorKind::TypeError,
            format!(
                "{method} needs a {expected} receiver, got {}",
                type_name(got)
            ),
        )
    }
}

/// Positional argument `i`, nil when missing.
pub fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::NIL)
}

/// Positional argument `i` as an int; `what` names it in the error
/// ("substr: start must be an int").
pub fn int_arg(vm: &Vm, args: &[Value], i: usize, what: &str) -> VmResult<i64> {
    let v = arg(args, i);
    v.as_int().ok_or_else(|| vm.bad_argument(what, v))
}

/// Positional argument `i` as text: a string, or a char taken as a
/// one-character string.
pub fn text_arg(vm: &Vm, args: &[Value], i: usize, what: &str) -> VmResult<String> {
    let v = arg(args, i);
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    match v.as_char() {
        Some(c) => Ok(c.to_string()),
        None => Err(vm.bad_argument(what, v)),
    }
}

pub fn install(vm: &mut Vm, options: &VmOptions) {
    core::install(vm, options);
    object::install(vm);
    string::install(vm);
    array::install(vm);
    map::install(vm);
    gene::install(vm);
    set::install(vm);
    range::install(vm);
    future::install(vm);
    time::install(vm);
    io::install(vm);
    fs::install(vm);
    file::install(vm);
    path::install(vm);
    os::install(vm);
    random::install(vm);
    collections::install(vm);
    string_extra::install(vm);
    base64::install(vm);
    if let Some(libraries) = LIBRARIES.get() {
        (libraries.install)(vm);
    }
    crate::extension::install(vm);
    let classes = vm.classes.all();
    let mut named: Vec<(String, Value)> = classes
        .iter()
        .filter_map(|c| match c.obj() {
            Some(Obj::Class(k)) => Some((k.ns.name.name().to_string(), *c)),
            _ => None,
        })
        .collect();
    for c in vm.error_classes.clone() {
        if let Some(Obj::Class(k)) = c.obj() {
            named.push((k.ns.name.name().to_string(), c));
        }
    }
    named.push(("GeneException".into(), vm.classes.exception));
    for (name, class) in named {
        vm.define_builtin(&name, class);
    }
}

/// The parts of the library built on large crates or large parts of std
/// (regular expressions on `regex`, DateTime on `jiff` with its bundled
/// time-zone data, process spawning on `std::process`, and JSON, `format`
/// with the String padding methods and the numeric methods and
/// `gene/math` of spec 07, which few programs use):
/// reached only
/// through [`link_libraries`], so that a built executable whose program does
/// not use them does not carry them (`gene build` emits the call only when
/// the program may use them; the linker drops them otherwise).
struct Libraries {
    install: fn(&mut Vm),
    datetime_from_system_time: fn(&mut Vm, std::time::SystemTime) -> VmResult,
    string_regex_method: fn(&mut Vm, &str, Value, &[Value]) -> VmResult,
}

thread_local! {
    /// The `Regex` class, once installed.
    static REGEX_CLASS: std::cell::Cell<Option<Value>> = const { std::cell::Cell::new(None) };
}

/// The class of Regex values (`Object` until regular expressions are
/// installed).
pub fn regex_class() -> Option<Value> {
    REGEX_CLASS.with(|c| c.get())
}

fn set_regex_class(class: Value) {
    REGEX_CLASS.with(|c| c.set(Some(class)));
}

static LIBRARIES: std::sync::OnceLock<Libraries> = std::sync::OnceLock::new();

/// Makes every VM created from now on install regular expressions,
/// DateTime, process spawning (`gene/os/run`, `gene/os/exec`), JSON,
/// `format` and the numeric methods with `gene/math`. Called by `gene` at start and by a built executable whose
/// program uses them (`gene_rt_use_libraries`).
pub fn link_libraries() {
    let _ = LIBRARIES.set(Libraries {
        install: |vm| {
            regex::install(vm);
            datetime::install(vm);
            os::install_process(vm);
            json::install(vm);
            format::install(vm);
            numbers::install(vm);
        },
        datetime_from_system_time: datetime::from_system_time,
        string_regex_method: regex::string_method,
    });
    // Regex literals are checked as they are read.
    gene_reader::set_regex_validator(regex::validate);
}

/// The Regex branch of String method `method`: `Some` when its first
/// argument is a Regex (spec 07 §7.6).
pub fn string_regex_method(
    vm: &mut Vm,
    method: &str,
    this: Value,
    args: &[Value],
) -> Option<VmResult> {
    if !matches!(arg(args, 0).obj(), Some(Obj::Regex(_))) {
        return None;
    }
    Some(match LIBRARIES.get() {
        Some(l) => (l.string_regex_method)(vm, method, this, args),
        None => Err(not_linked(vm, "Regex")),
    })
}

fn not_linked(vm: &Vm, what: &str) -> Value {
    vm.error(
        ErrorKind::ImportError,
        format!("{what} is not linked into this executable"),
    )
}

/// A DateTime for a file time, in the local zone (`gene/fs/modified`);
/// an error when DateTime is not linked into this executable.
pub fn datetime_from_system_time(vm: &mut Vm, t: std::time::SystemTime) -> VmResult {
    match LIBRARIES.get() {
        Some(l) => (l.datetime_from_system_time)(vm, t),
        None => Err(not_linked(vm, "DateTime")),
    }
}

/// Runs Gene source through the real pipeline (reader, compiler, VM) and
/// returns the repr of the last form's value, or the uncaught-error line.
#[cfg(test)]
pub(crate) fn eval_for_test(src: &str) -> String {
    let forms = match gene_reader::read_all(src) {
        Ok(f) => f,
        Err(e) => return format!("read error: {e}"),
    };
    let proto = match gene_frontend::compile_program(&forms, "t") {
        Ok(p) => p,
        Err(e) => return format!("compile error: {}", e.message),
    };
    link_libraries();
    let mut vm = Vm::new(VmOptions::default());
    match vm.run_main(proto) {
        Ok(v) => gene_core::print::repr(v),
        Err(thrown) => vm.describe_uncaught(thrown),
    }
}
