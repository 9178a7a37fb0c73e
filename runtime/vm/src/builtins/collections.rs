//! The Array and Map methods spec 07 §7.7 adds to spec 04's.
//!
//! As in `array.rs`, methods taking a function walk a snapshot, so the
//! callback may change the collection; mutators (`.insert`, `.clear`)
//! change the receiver and return it.
//!
//! Decisions beyond the spec:
//! * `.min`, `.max` and `.sort_by` keys use `.sort`'s natural order:
//!   numbers, Strings or chars, one kind per array (else `TypeError`).
//! * `.sum` adds with `+` (Ints stay Ints, overflow raises); a non-number
//!   raises `ArgumentError`.
//! * `.take n`, `.drop n` and `.chunks n` need `n >= 0` (`n >= 1` for
//!   `.chunks`); `.flat_map f` splices Array results and keeps others.
//! * `.insert i x` takes `i` in 0…size (size appends); outside it raises
//!   `IndexError`, as writes do (spec 04 §4.5).
//! * `.unique` compares with `==`, so `1` and `1.0` are both kept.

use super::arg;
use super::arity::with_arity;
use super::array::{merge_sort, natural_order, sort_kind};
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::numeric::{arith, equals, BinOp};
use gene_core::object::{prop_map, PropMap};
use gene_core::print::{display, type_name};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::RefCell;
use std::cmp::Ordering;

pub fn install(vm: &mut Vm) {
    let array = vm.classes.array;
    let methods: [(&str, super::NativeFn); 21] = [
        ("sort_by", with_arity!(".sort_by", 1, 1, sort_by)),
        ("unique", with_arity!(".unique", 0, 0, unique)),
        ("index_of", with_arity!(".index_of", 1, 1, index_of)),
        ("find", with_arity!(".find", 1, 1, find)),
        ("any", with_arity!(".any", 1, 1, any)),
        ("all", with_arity!(".all", 1, 1, all)),
        ("count", with_arity!(".count", 0, 1, count)),
        ("sum", with_arity!(".sum", 0, 0, sum)),
        ("min", with_arity!(".min", 0, 0, min)),
        ("max", with_arity!(".max", 0, 0, max)),
        ("take", with_arity!(".take", 1, 1, take)),
        ("drop", with_arity!(".drop", 1, 1, drop)),
        ("zip", with_arity!(".zip", 1, 1, zip)),
        ("flat_map", with_arity!(".flat_map", 1, 1, flat_map)),
        ("flatten", with_arity!(".flatten", 0, 0, flatten)),
        ("group_by", with_arity!(".group_by", 1, 1, group_by)),
        (
            "each_with_index",
            with_arity!(".each_with_index", 1, 1, each_with_index),
        ),
        ("chunks", with_arity!(".chunks", 1, 1, chunks)),
        ("insert", with_arity!(".insert", 2, 2, insert)),
        ("clear", with_arity!(".clear", 0, 0, clear)),
        ("is_empty", with_arity!(".is_empty", 0, 0, is_empty)),
    ];
    for (name, f) in methods {
        vm.def_method(array, name, f);
    }
    let map = vm.classes.map;
    let methods: [(&str, super::NativeFn); 4] = [
        ("merge", with_arity!(".merge", 1, 1, merge)),
        ("entries", with_arity!(".entries", 0, 0, entries)),
        ("filter", with_arity!(".filter", 1, 1, filter_map)),
        ("is_empty", with_arity!(".is_empty", 0, 0, map_is_empty)),
    ];
    for (name, f) in methods {
        vm.def_method(map, name, f);
    }
}

fn cells(vm: &Vm, name: &str, this: Value) -> VmResult<&'static RefCell<heap::Items>> {
    match this.obj() {
        Some(Obj::Array(a)) => Ok(a),
        _ => Err(vm.bad_receiver(name, "Array", this)),
    }
}

/// A snapshot of the receiver's elements.
fn items(vm: &Vm, name: &str, this: Value) -> VmResult<Vec<Value>> {
    Ok(cells(vm, name, this)?.borrow().to_vec())
}

fn argument_error(vm: &Vm, message: String) -> Value {
    vm.error(ErrorKind::ArgumentError, message)
}

/// Argument 0 as a count `>= least`.
fn count_arg(vm: &Vm, name: &str, args: &[Value], least: i64) -> VmResult<usize> {
    let v = arg(args, 0);
    let n = v
        .as_int()
        .ok_or_else(|| vm.bad_argument(&format!("{name}: expected an Int"), v))?;
    if n < least {
        return Err(argument_error(
            vm,
            format!("{name}: expected an Int of at least {least}, got {n}"),
        ));
    }
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// `TypeError` unless every value has one natural order (numbers, Strings
/// or chars).
fn check_one_kind(vm: &Vm, name: &str, values: &[Value]) -> VmResult<()> {
    let Some(&first) = values.first() else {
        return Ok(());
    };
    let kind = sort_kind(first);
    for &x in values {
        if kind.is_none() || sort_kind(x) != kind {
            let culprit = if kind.is_none() { first } else { x };
            return Err(vm.error(
                ErrorKind::TypeError,
                format!(
                    "{name}: cannot compare {} with {}",
                    type_name(first),
                    type_name(culprit)
                ),
            ));
        }
    }
    Ok(())
}

/// `.sort_by f`: stably sorted ascending by the key `(f x)`.
fn sort_by(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let snapshot = items(vm, ".sort_by", this)?;
    let mut keys = Vec::with_capacity(snapshot.len());
    for &x in &snapshot {
        keys.push(vm.call_value(f, &[x])?);
    }
    check_one_kind(vm, ".sort_by", &keys)?;
    let order: Vec<Value> = (0..snapshot.len() as i64).map(Value::int).collect();
    let key = |i: Value| keys[i.as_int().unwrap_or(0) as usize];
    let sorted = merge_sort(order, &mut |a, b| {
        Ok(natural_order(key(a), key(b)) == Ordering::Less)
    })?;
    Ok(heap::array(
        sorted
            .into_iter()
            .map(|i| snapshot[i.as_int().unwrap_or(0) as usize])
            .collect(),
    ))
}

/// `.unique`: the first occurrence of every value, by `==`.
fn unique(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut out: Vec<Value> = Vec::new();
    for x in items(vm, ".unique", this)? {
        if !out.iter().any(|&y| equals(x, y)) {
            out.push(x);
        }
    }
    Ok(heap::array(out))
}

fn index_of(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = arg(args, 0);
    let a = cells(vm, ".index_of", this)?.borrow();
    Ok(Value::int(
        a.iter()
            .position(|&v| equals(v, x))
            .map_or(-1, |i| i as i64),
    ))
}

/// The first element with a truthy `(f x)`, as (index, element).
fn first_match(
    vm: &mut Vm,
    name: &str,
    this: Value,
    f: Value,
    want: bool,
) -> VmResult<Option<Value>> {
    for x in items(vm, name, this)? {
        if vm.call_value(f, &[x])?.is_truthy() == want {
            return Ok(Some(x));
        }
    }
    Ok(None)
}

fn find(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(first_match(vm, ".find", this, arg(args, 0), true)?.unwrap_or(Value::NIL))
}

fn any(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(
        first_match(vm, ".any", this, arg(args, 0), true)?.is_some(),
    ))
}

fn all(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(
        first_match(vm, ".all", this, arg(args, 0), false)?.is_none(),
    ))
}

/// `.count [f]`: the size, or how many elements have a truthy `(f x)`.
fn count(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let snapshot = items(vm, ".count", this)?;
    let Some(&f) = args.first() else {
        return Ok(Value::int(snapshot.len() as i64));
    };
    let mut n = 0;
    for x in snapshot {
        if vm.call_value(f, &[x])?.is_truthy() {
            n += 1;
        }
    }
    Ok(Value::int(n))
}

fn sum(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut total = Value::int(0);
    for x in items(vm, ".sum", this)? {
        if x.as_number().is_none() {
            return Err(vm.bad_argument(".sum: expected an Array of numbers", x));
        }
        total = arith(BinOp::Add, total, x).map_err(|e| vm.raise(e))?;
    }
    Ok(total)
}

/// The first element `better` than all others by natural order, or nil.
fn extreme(vm: &Vm, name: &str, this: Value, better: Ordering) -> VmResult {
    let snapshot = items(vm, name, this)?;
    check_one_kind(vm, name, &snapshot)?;
    let mut best: Option<Value> = None;
    for x in snapshot {
        if best.is_none_or(|b| natural_order(x, b) == better) {
            best = Some(x);
        }
    }
    Ok(best.unwrap_or(Value::NIL))
}

fn min(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    extreme(vm, ".min", this, Ordering::Less)
}

fn max(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    extreme(vm, ".max", this, Ordering::Greater)
}

fn take(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let n = count_arg(vm, ".take", args, 0)?;
    let a = cells(vm, ".take", this)?.borrow();
    Ok(heap::array(a.iter().take(n).copied().collect()))
}

fn drop(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let n = count_arg(vm, ".drop", args, 0)?;
    let a = cells(vm, ".drop", this)?.borrow();
    Ok(heap::array(a.iter().skip(n).copied().collect()))
}

/// `.zip other`: pairs, as long as the shorter array.
fn zip(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mine = items(vm, ".zip", this)?;
    let other = arg(args, 0);
    let theirs = match other.obj() {
        Some(Obj::Array(a)) => a.borrow().to_vec(),
        _ => return Err(vm.bad_argument(".zip: expected an Array", other)),
    };
    Ok(heap::array(
        mine.into_iter()
            .zip(theirs)
            .map(|(a, b)| heap::array(vec![a, b]))
            .collect(),
    ))
}

/// Appends `v` to `out`, splicing it when it is an Array.
fn splice(out: &mut Vec<Value>, v: Value) {
    match v.obj() {
        Some(Obj::Array(a)) => out.extend(a.borrow().iter().copied()),
        _ => out.push(v),
    }
}

fn flat_map(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let mut out = Vec::new();
    for x in items(vm, ".flat_map", this)? {
        let r = vm.call_value(f, &[x])?;
        splice(&mut out, r);
    }
    Ok(heap::array(out))
}

/// `.flatten`: one level of nested arrays spliced in.
fn flatten(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut out = Vec::new();
    for x in items(vm, ".flatten", this)? {
        splice(&mut out, x);
    }
    Ok(heap::array(out))
}

/// `.group_by f`: a Map from the display form of `(f x)` to the Array of
/// the elements with that key, keys in order of first appearance.
fn group_by(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let mut groups: Vec<(Symbol, Vec<Value>)> = Vec::new();
    for x in items(vm, ".group_by", this)? {
        let key = Symbol::intern(&display(vm.call_value(f, &[x])?));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(x),
            None => groups.push((key, vec![x])),
        }
    }
    let mut map = prop_map();
    for (k, members) in groups {
        map.insert(k, heap::array(members));
    }
    Ok(heap::map(map))
}

/// `.each_with_index f`: calls `(f x i)`; returns the array.
fn each_with_index(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    for (i, x) in items(vm, ".each_with_index", this)?.into_iter().enumerate() {
        vm.call_value(f, &[x, Value::int(i as i64)])?;
    }
    Ok(this)
}

/// `.chunks n`: consecutive arrays of `n` elements, the last one shorter.
fn chunks(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let n = count_arg(vm, ".chunks", args, 1)?;
    let a = cells(vm, ".chunks", this)?.borrow();
    Ok(heap::array(
        a.chunks(n).map(|c| heap::array(c.to_vec())).collect(),
    ))
}

/// `.insert i x`: `x` inserted before position `i`, in place.
fn insert(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let v = arg(args, 0);
    let i = v
        .as_int()
        .ok_or_else(|| vm.bad_argument(".insert: the index must be an Int", v))?;
    let a = cells(vm, ".insert", this)?;
    let len = a.borrow().len();
    match usize::try_from(i) {
        Ok(i) if i <= len => a.borrow_mut().insert(i, arg(args, 1)),
        _ => {
            return Err(vm.error(
                ErrorKind::IndexError,
                format!(".insert: Index {i} out of bounds for an Array of {len}"),
            ))
        }
    }
    Ok(this)
}

fn clear(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    cells(vm, ".clear", this)?.borrow_mut().clear();
    Ok(this)
}

fn is_empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(
        cells(vm, ".is_empty", this)?.borrow().is_empty(),
    ))
}

fn map_cells(vm: &Vm, name: &str, this: Value) -> VmResult<&'static RefCell<PropMap>> {
    match this.obj() {
        Some(Obj::Map(m)) => Ok(m),
        _ => Err(vm.bad_receiver(name, "Map", this)),
    }
}

/// `.merge other`: a new Map with the entries of both; `other` wins.
fn merge(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut out = map_cells(vm, ".merge", this)?.borrow().clone();
    let other = arg(args, 0);
    match other.obj() {
        Some(Obj::Map(m)) => {
            for (k, v) in m.borrow().iter() {
                out.insert(*k, *v);
            }
        }
        _ => return Err(vm.bad_argument(".merge: expected a Map", other)),
    }
    Ok(heap::map(out))
}

/// `.entries`: `[[k v] ...]`, keys as Strings.
fn entries(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = map_cells(vm, ".entries", this)?.borrow();
    Ok(heap::array(
        m.iter()
            .map(|(k, v)| heap::array(vec![heap::string(k.name()), *v]))
            .collect(),
    ))
}

/// `.filter f`: a new Map of the entries for which `(f k v)` is truthy.
fn filter_map(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let snapshot: Vec<(Symbol, Value)> = map_cells(vm, ".filter", this)?
        .borrow()
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    let mut out = prop_map();
    for (k, v) in snapshot {
        if vm.call_value(f, &[heap::string(k.name()), v])?.is_truthy() {
            out.insert(k, v);
        }
    }
    Ok(heap::map(out))
}

fn map_is_empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(
        map_cells(vm, ".is_empty", this)?.borrow().is_empty(),
    ))
}
