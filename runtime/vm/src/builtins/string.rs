//! Methods of `String` (spec 04 §4.4). Lengths and indices count
//! characters, not bytes.

use super::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::print::display;
use gene_core::Value;

pub fn install(vm: &mut Vm) {
    let string = vm.classes.string;
    vm.def_method(string, "length", size);
    vm.def_method(string, "size", size);
    vm.def_method(string, "append", append);
    vm.def_method(string, "to_upper", |_, this, _, _| {
        Ok(heap::string(text(this).to_ascii_uppercase()))
    });
    vm.def_method(string, "to_uppercase", |_, this, _, _| {
        Ok(heap::string(text(this).to_ascii_uppercase()))
    });
    vm.def_method(string, "to_lower", |_, this, _, _| {
        Ok(heap::string(text(this).to_ascii_lowercase()))
    });
    vm.def_method(string, "to_lowercase", |_, this, _, _| {
        Ok(heap::string(text(this).to_ascii_lowercase()))
    });
}

/// The receiver's text (methods of String are only called on strings).
fn text(v: Value) -> &'static str {
    v.as_str().unwrap_or("")
}

fn size(_: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(text(this).chars().count() as i64))
}

fn append(_: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut s = text(this).to_string();
    for a in args {
        s.push_str(&display(*a));
    }
    let _ = arg(args, 0);
    Ok(heap::string(s))
}
