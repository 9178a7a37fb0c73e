//! Methods of `Array`, `Map`, `Gene`, `Set` and `Range` (spec 04 §4.4).

use super::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::Value;

pub fn install(vm: &mut Vm) {
    let array = vm.classes.array;
    let map = vm.classes.map;
    vm.def_method(array, "size", |_, this, _, _| {
        Ok(Value::int(items(this).len() as i64))
    });
    vm.def_method(array, "add", add);
    vm.def_method(array, "map", array_map);
    vm.def_method(array, "each", array_each);
    vm.def_method(map, "size", |_, this, _, _| match this.obj() {
        Some(Obj::Map(m)) => Ok(Value::int(m.borrow().len() as i64)),
        _ => Ok(Value::int(0)),
    });
}

/// A snapshot of an array's elements (callbacks may mutate the array).
fn items(v: Value) -> Vec<Value> {
    match v.obj() {
        Some(Obj::Array(a)) => a.borrow().clone(),
        _ => Vec::new(),
    }
}

fn add(_: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if let Some(Obj::Array(a)) = this.obj() {
        a.borrow_mut().extend_from_slice(args);
    }
    Ok(this)
}

fn array_map(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let mut out = Vec::new();
    for x in items(this) {
        out.push(vm.call_value(f, &[x])?);
    }
    Ok(heap::array(out))
}

fn array_each(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    for x in items(this) {
        vm.call_value(f, &[x])?;
    }
    Ok(this)
}
