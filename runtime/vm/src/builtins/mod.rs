//! Native functions and the methods of built-in classes (spec 04).
//!
//! Every native has the same signature ([`NativeFn`]): the VM, the receiver
//! (`self`, nil for plain functions), positional arguments and named
//! properties. [`install`] registers them: functions as members of the
//! `gene` namespace, methods in the tables of the built-in classes.
//! One module per class or concern.

mod collections;
mod core;
mod object;
mod string;

use crate::errors::VmResult;
use crate::vm::{Vm, VmOptions};
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

    /// Registers `func` as method `name` of `class`.
    pub fn def_method(&mut self, class: Value, name: &str, func: NativeFn) {
        let f = self.native(name, func);
        if let Some(Obj::Class(c)) = class.obj() {
            c.methods.borrow_mut().insert(Symbol::intern(name), f);
        }
    }

    /// An `ArgumentError` for a built-in called with a bad argument.
    pub fn bad_argument(&self, what: &str, got: Value) -> Value {
        self.error(
            ErrorKind::ArgumentError,
            format!("{what}, got {}", type_name(got)),
        )
    }
}

/// Positional argument `i`, nil when missing.
pub fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).copied().unwrap_or(Value::NIL)
}

pub fn install(vm: &mut Vm, options: &VmOptions) {
    core::install(vm, options);
    object::install(vm);
    string::install(vm);
    collections::install(vm);
    let classes = [
        vm.classes.object,
        vm.classes.nil,
        vm.classes.bool,
        vm.classes.int,
        vm.classes.float,
        vm.classes.char,
        vm.classes.string,
        vm.classes.symbol,
        vm.classes.complex_symbol,
        vm.classes.array,
        vm.classes.map,
        vm.classes.set,
        vm.classes.gene,
        vm.classes.range,
        vm.classes.function,
        vm.classes.class,
        vm.classes.namespace,
        vm.classes.future,
        vm.classes.exception,
        vm.classes.enum_type,
        vm.classes.enum_member,
    ];
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
