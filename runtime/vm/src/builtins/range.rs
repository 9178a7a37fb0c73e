//! Methods of `Range` (spec 02 §2.8, 04 §4.4). Ranges are inclusive of
//! their end. `.to_a` refuses a range too large to materialise
//! ([`MAX_ELEMENTS`]) with `ArgumentError` rather than exhausting memory.

use super::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::{PropMap, Range};
use gene_core::{ErrorKind, Value};

/// The most elements `.to_a` builds.
const MAX_ELEMENTS: i64 = 1 << 28;

pub fn install(vm: &mut Vm) {
    let range = vm.classes.range;
    vm.def_method(range, "size", |vm, this, _, _| {
        Ok(Value::int(bounds(vm, this)?.len()))
    });
    vm.def_method(range, "length", |vm, this, _, _| {
        Ok(Value::int(bounds(vm, this)?.len()))
    });
    vm.def_method(range, "contains", |vm, this, args, _| {
        let r = bounds(vm, this)?;
        Ok(Value::bool(
            arg(args, 0).as_int().is_some_and(|i| r.contains(i)),
        ))
    });
    vm.def_method(range, "to_a", to_a);
    vm.def_method(range, "each", each);
}

fn bounds(vm: &Vm, this: Value) -> VmResult<Range> {
    match this.obj() {
        Some(Obj::Range(r)) => Ok(*r),
        _ => Err(vm.bad_receiver("Range method", "Range", this)),
    }
}

fn to_a(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let r = bounds(vm, this)?;
    let n = r.len();
    if n > MAX_ELEMENTS {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!("to_a: range of {n} elements is too large"),
        ));
    }
    Ok(heap::array(
        (0..n).filter_map(|i| r.get(i)).map(Value::int).collect(),
    ))
}

/// `.each f`: calls `(f i)` for every element; returns the range.
fn each(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let r = bounds(vm, this)?;
    let f = arg(args, 0);
    for i in 0..r.len() {
        if let Some(x) = r.get(i) {
            vm.call_value(f, &[Value::int(x)])?;
        }
    }
    Ok(this)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn ranges_are_inclusive() {
        assert_eq!(eval("((0 .. 3) .to_a)"), "[0 1 2 3]");
        assert_eq!(eval("((0 .. 3) .size)"), "4");
        assert_eq!(eval("((range 10 0 -5) .to_a)"), "[10 5 0]");
        assert_eq!(
            eval("[((1 .. 3) .contains 3) ((1 .. 3) .contains 4)]"),
            "[true false]"
        );
        assert_eq!(
            eval("(var s 0) ((1 .. 4) .each (x -> (s = (s + x)))) s"),
            "10"
        );
    }
}
