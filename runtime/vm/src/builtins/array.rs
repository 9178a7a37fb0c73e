//! Methods of `Array` (spec 04 §4.4).
//!
//! Mutators (`.add`, `.push`, `.set`, `.pop`, `.del`) change the receiver;
//! everything else leaves it alone and returns a new value. Methods taking
//! a function walk a snapshot of the elements, so the callback may mutate
//! the array without invalidating the walk.
//!
//! Decisions beyond the spec:
//! * `.reverse`, `.sort`, `.slice` and `.concat` return new arrays.
//! * `.slice start [end]` uses `String.substr` positions: inclusive `end`,
//!   negatives from the end, out-of-range clamps (possibly to `[]`).
//! * `.sort` orders numbers (ints and floats together), strings (by bytes)
//!   or chars; any other mix raises `TypeError`. `.sort f` orders by `f`,
//!   called as `(f a b)`: an int result orders as a three-way comparison
//!   (negative: `a` first), a bool as "is `a` less than `b`". The sort is
//!   stable and never panics whatever `f` returns.
//! * `.set i v` follows `(a/i = v)`: an out-of-range index raises
//!   `IndexError`.

use super::string::inclusive_span;
use super::{arg, int_arg, text_arg};
use crate::access::resolve_index;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::numeric::equals;
use gene_core::object::PropMap;
use gene_core::print::{type_name, write_display};
use gene_core::{ErrorKind, Value};
use std::cell::RefCell;
use std::cmp::Ordering;

pub fn install(vm: &mut Vm) {
    let array = vm.classes.array;
    let methods: [(&str, super::NativeFn); 24] = [
        ("size", size),
        ("length", size),
        ("get", get),
        ("set", set),
        ("add", add),
        ("push", add),
        ("pop", pop),
        ("del", del),
        ("empty", empty),
        ("contains", contains),
        ("index", index),
        ("each", each),
        ("map", map),
        ("filter", filter),
        ("reduce", reduce),
        ("join", join),
        ("first", first),
        ("last", last),
        ("reverse", reverse),
        ("sort", sort),
        ("slice", slice),
        ("concat", concat),
        ("to_a", to_a),
        ("clone", to_a),
    ];
    for (name, f) in methods {
        vm.def_method(array, name, f);
    }
}

/// The receiver's element cell.
fn cells(vm: &Vm, this: Value) -> VmResult<&'static RefCell<heap::Items>> {
    match this.obj() {
        Some(Obj::Array(a)) => Ok(a),
        _ => Err(vm.bad_receiver("Array method", "Array", this)),
    }
}

/// A snapshot of the receiver's elements.
fn items(vm: &Vm, this: Value) -> VmResult<Vec<Value>> {
    Ok(cells(vm, this)?.borrow().to_vec())
}

fn size(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(cells(vm, this)?.borrow().len() as i64))
}

fn empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(cells(vm, this)?.borrow().is_empty()))
}

/// `.get i`: as `a/i` (negatives from the end, nil out of range).
fn get(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let a = cells(vm, this)?;
    let i = int_arg(vm, args, 0, "get: index must be an int")?;
    let a = a.borrow();
    Ok(resolve_index(i, a.len()).map_or(Value::NIL, |i| a[i]))
}

/// `.set i v`: as `(a/i = v)`; returns the array.
fn set(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    cells(vm, this)?;
    let i = int_arg(vm, args, 0, "set: index must be an int")?;
    vm.set_child(this, i, arg(args, 1))?;
    Ok(this)
}

/// `.add x...` / `.push x...`: appends in place, returns the array.
fn add(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    cells(vm, this)?.borrow_mut().extend_from_slice(args);
    Ok(this)
}

/// `.pop`: removes and returns the last element (nil when empty).
fn pop(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(cells(vm, this)?.borrow_mut().pop().unwrap_or(Value::NIL))
}

/// `.del i`: removes and returns element `i` (nil when out of range).
fn del(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let a = cells(vm, this)?;
    let i = int_arg(vm, args, 0, "del: index must be an int")?;
    let mut a = a.borrow_mut();
    Ok(match resolve_index(i, a.len()) {
        Some(i) => a.remove(i),
        None => Value::NIL,
    })
}

fn contains(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = arg(args, 0);
    Ok(Value::bool(
        cells(vm, this)?.borrow().iter().any(|v| equals(*v, x)),
    ))
}

/// `.index x`: position of the first element `== x`, or -1.
fn index(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = arg(args, 0);
    let a = cells(vm, this)?.borrow();
    Ok(Value::int(
        a.iter()
            .position(|v| equals(*v, x))
            .map_or(-1, |i| i as i64),
    ))
}

/// `.each f`: calls `(f x)` for every element; returns the array.
fn each(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    for x in items(vm, this)? {
        vm.call_value(f, &[x])?;
    }
    Ok(this)
}

/// `.map f`: a new array of `(f x)`.
fn map(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let snapshot = items(vm, this)?;
    let mut out = Vec::with_capacity(snapshot.len());
    for x in snapshot {
        out.push(vm.call_value(f, &[x])?);
    }
    Ok(heap::array(out))
}

/// `.filter f`: a new array of the elements for which `(f x)` is truthy.
fn filter(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let mut out = Vec::new();
    for x in items(vm, this)? {
        if vm.call_value(f, &[x])?.is_truthy() {
            out.push(x);
        }
    }
    Ok(heap::array(out))
}

/// `.reduce init f`: left fold calling `(f acc x)`; `init` when empty.
fn reduce(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if args.len() < 2 {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            "reduce needs an initial value and a function: (a .reduce init f)",
        ));
    }
    let (mut acc, f) = (args[0], args[1]);
    for x in items(vm, this)? {
        acc = vm.call_value(f, &[acc, x])?;
    }
    Ok(acc)
}

/// `.join [sep]`: display forms joined by `sep` (default "").
fn join(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let sep = match args.first() {
        Some(_) => text_arg(vm, args, 0, "join: separator must be a string")?,
        None => String::new(),
    };
    let mut out = String::new();
    for (i, x) in cells(vm, this)?.borrow().iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        write_display(&mut out, *x);
    }
    Ok(heap::string(out))
}

fn first(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(cells(vm, this)?
        .borrow()
        .first()
        .copied()
        .unwrap_or(Value::NIL))
}

fn last(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(cells(vm, this)?
        .borrow()
        .last()
        .copied()
        .unwrap_or(Value::NIL))
}

fn reverse(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut out = items(vm, this)?;
    out.reverse();
    Ok(heap::array(out))
}

/// `.to_a` / `.clone`: a shallow copy.
fn to_a(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::array(items(vm, this)?))
}

/// `.slice start [end]`: inclusive `end`, negatives from the end.
fn slice(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let a = cells(vm, this)?;
    let start = int_arg(vm, args, 0, "slice: start must be an int")?;
    let end = match args.get(1) {
        Some(_) => Some(int_arg(vm, args, 1, "slice: end must be an int")?),
        None => None,
    };
    let a = a.borrow();
    Ok(heap::array(match inclusive_span(start, end, a.len()) {
        Some((from, count)) => a[from..from + count].to_vec(),
        None => Vec::new(),
    }))
}

/// `.concat other...`: a new array of the receiver's elements followed by
/// those of every argument array.
fn concat(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut out = items(vm, this)?;
    for a in args {
        match a.obj() {
            Some(Obj::Array(other)) => out.extend_from_slice(&other.borrow()),
            _ => return Err(vm.bad_argument("concat: arguments must be arrays", *a)),
        }
    }
    Ok(heap::array(out))
}

/// `.sort [f]`: a new, stably sorted array.
fn sort(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let snapshot = items(vm, this)?;
    let sorted = match args.first().copied() {
        Some(f) => merge_sort(snapshot, &mut |a, b| {
            let r = vm.call_value(f, &[a, b])?;
            if let Some(i) = r.as_int() {
                return Ok(i < 0);
            }
            match r.as_bool() {
                Some(less) => Ok(less),
                None => Err(vm.bad_argument(
                    ".sort: the comparison function must return an int or a bool",
                    r,
                )),
            }
        })?,
        None => {
            check_sortable(vm, &snapshot)?;
            merge_sort(snapshot, &mut |a, b| {
                Ok(natural_order(a, b) == Ordering::Less)
            })?
        }
    };
    Ok(heap::array(sorted))
}

/// Which natural order a value sorts by.
#[derive(PartialEq, Clone, Copy)]
pub(super) enum SortKind {
    Number,
    Text,
    Char,
}

pub(super) fn sort_kind(v: Value) -> Option<SortKind> {
    if v.as_number().is_some() {
        Some(SortKind::Number)
    } else if v.as_str().is_some() {
        Some(SortKind::Text)
    } else if v.as_char().is_some() {
        Some(SortKind::Char)
    } else {
        None
    }
}

/// `TypeError` unless all elements are numbers, all strings or all chars.
pub(super) fn check_sortable(vm: &Vm, items: &[Value]) -> VmResult<()> {
    let Some(first) = items.first().copied() else {
        return Ok(());
    };
    let kind = sort_kind(first);
    for x in items {
        let k = sort_kind(*x);
        if k.is_none() || k != kind {
            let culprit = if kind.is_none() { first } else { *x };
            return Err(vm.error(
                ErrorKind::TypeError,
                format!(
                    ".sort: cannot compare {} with {}",
                    type_name(first),
                    type_name(culprit)
                ),
            ));
        }
    }
    Ok(())
}

/// The natural order of two values of one [`SortKind`].
pub(super) fn natural_order(a: Value, b: Value) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x.total_cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_str(), b.as_str()) {
        return x.cmp(y);
    }
    a.as_char().cmp(&b.as_char())
}

/// A stable merge sort driven by a fallible "is `a` less than `b`". Unlike
/// `slice::sort_by` it tolerates inconsistent orders (user callbacks) and
/// stops at the first error.
pub(super) fn merge_sort(
    mut items: Vec<Value>,
    less: &mut dyn FnMut(Value, Value) -> VmResult<bool>,
) -> VmResult<Vec<Value>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, less)?;
    let right = merge_sort(right, less)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if less(right[j], left[i])? {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn access_and_mutation() {
        assert_eq!(eval("([1 2 3] .get -1)"), "3");
        assert_eq!(eval("([1 2 3] .get 3)"), "nil");
        assert_eq!(eval("(var a [1 2]) (a .set 0 9) a"), "[9 2]");
        assert_eq!(
            eval("([1] .set 5 0)"),
            "Error: IndexError: Index 5 out of bounds"
        );
        assert_eq!(eval("(var a []) ((a .add 1) .push 2 3)"), "[1 2 3]");
        assert_eq!(eval("(var a [1 2]) [(a .pop) a]"), "[2 [1]]");
        assert_eq!(eval("([] .pop)"), "nil");
        assert_eq!(eval("(var a [4 5 6]) [(a .del 0) a]"), "[4 [5 6]]");
        assert_eq!(eval("([4] .del 7)"), "nil");
    }

    #[test]
    fn queries() {
        assert_eq!(eval("[([] .empty) ([0] .empty)]"), "[true false]");
        assert_eq!(eval("([[1] \"a\"] .contains [1])"), "true");
        assert_eq!(eval("([1 2] .contains 1.0)"), "false");
        assert_eq!(eval("([5 6 6] .index 6)"), "1");
        assert_eq!(eval("([5] .index 0)"), "-1");
        assert_eq!(
            eval("[([] .first) ([1 2] .first) ([1 2] .last)]"),
            "[nil 1 2]"
        );
        assert_eq!(eval("([1 2 3] .size)"), "3");
    }

    #[test]
    fn higher_order_methods() {
        assert_eq!(eval("([1 2] .map (i -> (i + 1)))"), "[2 3]");
        assert_eq!(eval("([1 2 3 4] .filter (x -> (x > 2)))"), "[3 4]");
        assert_eq!(eval("([1 2 3] .reduce 0 (fnx [acc x] (acc + x)))"), "6");
        assert_eq!(eval("([] .reduce 10 (fnx [acc x] (acc + x)))"), "10");
        assert_eq!(eval("(var s 0) ([1 2] .each (x -> (s = (s + x)))) s"), "3");
    }

    #[test]
    fn callbacks_may_mutate_the_array() {
        assert_eq!(
            eval("(var a [1 2]) (a .each (x -> (a .add x))) a"),
            "[1 2 1 2]"
        );
    }

    #[test]
    fn reduce_needs_two_arguments() {
        assert_eq!(
            eval("([1] .reduce (fnx [a x] x))"),
            "Error: ArgumentError: reduce needs an initial value and a function: (a .reduce init f)"
        );
    }

    #[test]
    fn join_uses_display_forms() {
        assert_eq!(eval(r#"([1 "a" :b] .join ", ")"#), r#""1, a, b""#);
        assert_eq!(eval(r#"(["x" "y"] .join)"#), r#""xy""#);
    }

    #[test]
    fn sort_orders_and_rejects_mixes() {
        assert_eq!(eval("([3 1.5 2] .sort)"), "[1.5 2 3]");
        assert_eq!(eval(r#"(["b" "a"] .sort)"#), r#"["a" "b"]"#);
        assert_eq!(
            eval(r#"([1 "a"] .sort)"#),
            "Error: TypeError: .sort: cannot compare Int with String"
        );
        assert_eq!(eval("([1 3 2] .sort (fnx [a b] (b - a)))"), "[3 2 1]");
        assert_eq!(eval("([1 3 2] .sort (fnx [a b] (a > b)))"), "[3 2 1]");
        assert_eq!(eval("(var a [2 1]) (a .sort) a"), "[2 1]");
    }

    #[test]
    fn sort_survives_inconsistent_comparators() {
        assert_eq!(eval("(([5 1 4 2 3] .sort (fnx [a b] true)) .size)"), "5");
    }

    #[test]
    fn slice_reverse_concat() {
        assert_eq!(eval("([1 2 3 4] .slice 1 2)"), "[2 3]");
        assert_eq!(eval("([1 2 3 4] .slice -2)"), "[3 4]");
        assert_eq!(eval("([1 2] .slice 5)"), "[]");
        assert_eq!(eval("([1 2 3] .reverse)"), "[3 2 1]");
        assert_eq!(eval("([1] .concat [2] [3 4])"), "[1 2 3 4]");
        assert_eq!(
            eval("([1] .concat 2)"),
            "Error: ArgumentError: concat: arguments must be arrays, got Int"
        );
    }
}
