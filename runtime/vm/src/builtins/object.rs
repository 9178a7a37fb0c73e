//! Methods every value has (`Object`), and those of classes, namespaces,
//! exceptions, enums and futures.

use super::arg;
use crate::errors::VmResult;
use crate::names::namespace_of;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::print::display;
use gene_core::{ErrorKind, Symbol, Value};

pub fn install(vm: &mut Vm) {
    let c = &vm.classes;
    let (object, class, namespace, exception, enum_member) =
        (c.object, c.class, c.namespace, c.exception, c.enum_member);
    vm.def_method(object, "class", |vm, this, _, _| Ok(vm.class_of(this)));
    vm.def_method(object, "is", |vm, this, args, _| {
        Ok(Value::bool(vm.is_instance_of(this, arg(args, 0))))
    });
    vm.def_method(object, "to_s", |_, this, _, _| {
        Ok(heap::string(display(this)))
    });
    vm.def_method(object, "to_bool", |_, this, _, _| {
        Ok(Value::bool(this.is_truthy()))
    });
    vm.def_method(object, "call", call);
    for target in [class, namespace] {
        vm.def_method(target, "name", |_, this, _, _| {
            Ok(namespace_of(this).map_or(Value::NIL, |ns| heap::string(ns.name.name())))
        });
        vm.def_method(target, "members", |_, this, _, _| {
            Ok(namespace_of(this).map_or(Value::NIL, |ns| heap::map(ns.members.borrow().clone())))
        });
        vm.def_method(target, "member_names", |_, this, _, _| {
            Ok(namespace_of(this).map_or(Value::NIL, |ns| {
                heap::array(
                    ns.members
                        .borrow()
                        .keys()
                        .map(|k| heap::string(k.name()))
                        .collect(),
                )
            }))
        });
        vm.def_method(target, "has_member", |_, this, args, _| {
            let name = Symbol::intern(&display(arg(args, 0)));
            Ok(Value::bool(
                namespace_of(this).is_some_and(|ns| ns.get(name).is_some()),
            ))
        });
    }
    vm.def_method(class, "parent", |_, this, _, _| match this.obj() {
        Some(Obj::Class(c)) => Ok(c.parent.get()),
        _ => Ok(Value::NIL),
    });
    vm.def_method(exception, "ctor", |vm, this, args, _| {
        let message = match args.first() {
            Some(m) => *m,
            None => heap::string(""),
        };
        vm.set_member(this, Symbol::intern("message"), message)?;
        Ok(Value::NIL)
    });
    vm.def_method(exception, "message", |vm, this, _, _| {
        vm.get_member(this, Symbol::intern("message"))
    });
    vm.def_method(exception, "stacktrace", |vm, this, _, _| {
        Ok(vm.stacktrace_of(this))
    });
    vm.def_method(exception, "to_s", |vm, this, _, _| {
        let message = vm.exception_message(this).unwrap_or_default();
        Ok(heap::string(format!(
            "{}: {message}",
            gene_core::print::type_name(this)
        )))
    });
    vm.def_method(enum_member, "name", |_, this, _, _| match this.obj() {
        Some(Obj::EnumMember(m)) => Ok(heap::string(m.name.name())),
        _ => Ok(Value::NIL),
    });
    vm.def_method(enum_member, "value", |_, this, _, _| match this.obj() {
        Some(Obj::EnumMember(m)) => Ok(Value::int(m.value)),
        _ => Ok(Value::NIL),
    });
    vm.def_method(enum_member, "parent", |_, this, _, _| match this.obj() {
        Some(Obj::EnumMember(m)) => Ok(m.parent),
        _ => Ok(Value::NIL),
    });
}

/// `(f .call args...)`
fn call(vm: &mut Vm, this: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    match this.obj() {
        Some(Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(_)) => vm.call_with(
            this,
            args.to_vec(),
            props.cloned(),
            crate::call::CallSite::plain(),
        ),
        _ => Err(vm.error(
            ErrorKind::NoMethodError,
            format!(
                "Method call not found on {}",
                gene_core::print::type_name(this)
            ),
        )),
    }
}
