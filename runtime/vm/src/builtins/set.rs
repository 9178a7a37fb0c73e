//! Methods of `Set` (spec 04 §4.4): an insertion-ordered collection of
//! distinct values, distinct meaning not `==` (spec 02 §2.6).

use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::numeric::equals;
use gene_core::object::PropMap;
use gene_core::Value;
use std::cell::RefCell;

pub fn install(vm: &mut Vm) {
    let set = vm.classes.set;
    vm.def_method(set, "size", |vm, this, _, _| {
        Ok(Value::int(elements(vm, this)?.borrow().len() as i64))
    });
    vm.def_method(set, "length", |vm, this, _, _| {
        Ok(Value::int(elements(vm, this)?.borrow().len() as i64))
    });
    vm.def_method(set, "empty", |vm, this, _, _| {
        Ok(Value::bool(elements(vm, this)?.borrow().is_empty()))
    });
    vm.def_method(set, "add", add);
    vm.def_method(set, "contains", |vm, this, args, _| {
        let x = super::arg(args, 0);
        let found = elements(vm, this)?.borrow().iter().any(|e| equals(*e, x));
        Ok(Value::bool(found))
    });
    vm.def_method(set, "to_a", |vm, this, _, _| {
        Ok(heap::array_of(elements(vm, this)?.borrow().clone()))
    });
}

fn elements(vm: &Vm, this: Value) -> VmResult<&'static RefCell<heap::Items>> {
    match this.obj() {
        Some(Obj::Set(s)) => Ok(s),
        _ => Err(vm.bad_receiver("Set method", "Set", this)),
    }
}

/// `.add x...`: adds the values not already present; returns the set.
fn add(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = elements(vm, this)?;
    for x in args {
        // A shared borrow while comparing: `x` may be this very set.
        let present = s.borrow().iter().any(|e| equals(*e, *x));
        if !present {
            s.borrow_mut().push(*x);
        }
    }
    Ok(this)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn add_keeps_values_distinct() {
        assert_eq!(eval("(var s #[1 2]) (s .add 2 [3] [3]) s"), "#[1 2 [3]]");
        assert_eq!(eval("(#[1 \"a\"] .contains \"a\")"), "true");
        assert_eq!(eval("(#[1 1 2] .size)"), "2");
        assert_eq!(eval("(#[1 2] .to_a)"), "[1 2]");
        assert_eq!(eval("(var s #[#[]]) (s .add s) (s .size)"), "2");
    }
}
