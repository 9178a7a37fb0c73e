//! Core functions of the `gene` namespace (spec 04 §4.1–4.2): printing,
//! `assert`, `todo` / `not_allowed`, `$parse`, `$debug`, `$bind`, `$cmd_args`
//! (the environment and `exit` are in `os.rs`).

use super::arg;
use crate::errors::VmResult;
use crate::vm::{Vm, VmOptions};
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::print::write_display;
use gene_core::{ErrorKind, Symbol, Value};

pub fn install(vm: &mut Vm, options: &VmOptions) {
    vm.def_fn("print", print);
    vm.def_fn("println", println);
    vm.def_fn("assert", assert);
    vm.def_fn("parse", parse);
    vm.def_fn("todo", |vm, _, args, _| {
        Err(raise_exception(vm, args, "TODO"))
    });
    vm.def_fn("not_allowed", |vm, _, args, _| {
        Err(raise_exception(vm, args, "Not allowed"))
    });
    vm.def_fn("debug", debug);
    vm.def_fn("bind", bind);
    let args = options
        .args
        .iter()
        .map(|a| heap::string(a.as_str()))
        .collect();
    vm.define_builtin("cmd_args", heap::array(args));
}

fn joined(args: &[Value]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        write_display(&mut s, *a);
    }
    s
}

fn to_stderr(props: Option<&PropMap>) -> bool {
    props
        .and_then(|p| p.get(&Symbol::intern("stderr")))
        .is_some_and(|v| v.is_truthy())
}

fn print(vm: &mut Vm, _: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    let text = joined(args);
    if to_stderr(props) {
        vm.write_err(&text);
    } else {
        vm.print_out("print", &text)?;
    }
    Ok(Value::NIL)
}

fn println(vm: &mut Vm, _: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    let mut text = joined(args);
    text.push('\n');
    if to_stderr(props) {
        vm.write_err(&text);
    } else {
        vm.print_out("println", &text)?;
    }
    Ok(Value::NIL)
}

fn assert(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if arg(args, 0).is_truthy() {
        return Ok(Value::NIL);
    }
    let message = match args.get(1) {
        Some(m) => gene_core::print::display(*m),
        None => "Assertion failed".to_string(),
    };
    Err(vm.error(ErrorKind::AssertionError, message))
}

/// An `Exception` with the display form of the first argument as its
/// message, or `default`.
fn raise_exception(vm: &Vm, args: &[Value], default: &str) -> Value {
    let message = match args.first() {
        Some(m) => gene_core::print::display(*m),
        None => default.to_string(),
    };
    vm.make_exception(vm.classes.exception, message)
}

/// `$parse`: the first form read from a string, as data.
fn parse(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let Some(text) = arg(args, 0).as_str() else {
        return Err(vm.bad_argument("$parse needs a string", arg(args, 0)));
    };
    match gene_reader::read_one(text) {
        Ok(Some(form)) => Ok(gene_frontend::quote::form_to_value(&form)),
        Ok(None) => Ok(Value::NIL),
        Err(e) => Err(vm.error(ErrorKind::ParseError, e.to_string())),
    }
}

fn debug(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let v = arg(args, 0);
    vm.write_err(&format!("{}\n", gene_core::print::repr(v)));
    Ok(v)
}

/// `($bind f obj)`: `f` with `self` fixed to `obj`.
fn bind(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (method, receiver) = (arg(args, 0), arg(args, 1));
    match method.obj() {
        Some(gene_core::heap::Obj::Function(_) | gene_core::heap::Obj::Native(_)) => {
            Ok(heap::alloc(gene_core::heap::Obj::BoundMethod(
                gene_core::object::BoundMethod { receiver, method },
            )))
        }
        _ => Err(vm.bad_argument("$bind needs a function", method)),
    }
}
