//! Methods of `Map` (spec 04 §4.4). Map keys are symbols kept in insertion
//! order; methods accept a key as a string, a symbol or an int (`m/1`
//! reads key `"1"`), and hand keys to Gene code as strings (as `.keys`).
//!
//! Decisions beyond the spec: `.get k default` gives `default` only for a
//! missing key (a key holding nil gives nil); `.set` returns the map; `.del`
//! returns the removed value (nil when absent) and keeps the order of the
//! other entries.

use super::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::{Symbol, Value};
use std::cell::RefCell;

pub fn install(vm: &mut Vm) {
    let map = vm.classes.map;
    let methods: [(&str, super::NativeFn); 12] = [
        ("size", size),
        ("length", size),
        ("keys", keys),
        ("values", values),
        ("contains", contains),
        ("get", get),
        ("set", set),
        ("del", del),
        ("map", map_entries),
        ("each", each),
        ("empty", empty),
        ("to_a", to_a),
    ];
    for (name, f) in methods {
        vm.def_method(map, name, f);
    }
}

/// The receiver's entries.
fn entries(vm: &Vm, this: Value) -> VmResult<&'static RefCell<PropMap>> {
    match this.obj() {
        Some(Obj::Map(m)) => Ok(m),
        _ => Err(vm.bad_receiver("Map method", "Map", this)),
    }
}

/// A map key given as a string, symbol or int.
fn key_of(v: Value) -> Option<Symbol> {
    if let Some(s) = v.as_symbol() {
        return Some(s);
    }
    if let Some(s) = v.as_str() {
        return Some(Symbol::intern(s));
    }
    v.as_int().map(|i| Symbol::intern(&i.to_string()))
}

/// Argument `i` as a key, or an `ArgumentError`.
fn key_arg(vm: &Vm, args: &[Value], i: usize, method: &str) -> VmResult<Symbol> {
    let v = arg(args, i);
    key_of(v).ok_or_else(|| {
        vm.bad_argument(
            &format!("{method}: a map key must be a string or a symbol"),
            v,
        )
    })
}

/// A snapshot of the entries, keys as strings.
fn snapshot(vm: &Vm, this: Value) -> VmResult<Vec<(Value, Value)>> {
    Ok(entries(vm, this)?
        .borrow()
        .iter()
        .map(|(k, v)| (heap::string(k.name()), *v))
        .collect())
}

fn size(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(entries(vm, this)?.borrow().len() as i64))
}

fn empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(entries(vm, this)?.borrow().is_empty()))
}

/// `.keys`: the keys as strings, in insertion order.
fn keys(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = entries(vm, this)?.borrow();
    Ok(heap::array(
        m.keys().map(|k| heap::string(k.name())).collect(),
    ))
}

fn values(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::array(
        entries(vm, this)?.borrow().values().copied().collect(),
    ))
}

/// `.to_a`: `[[k v] ...]` pairs, keys as strings.
fn to_a(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::array(
        snapshot(vm, this)?
            .into_iter()
            .map(|(k, v)| heap::array(vec![k, v]))
            .collect(),
    ))
}

fn contains(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = entries(vm, this)?;
    Ok(Value::bool(
        key_of(arg(args, 0)).is_some_and(|k| m.borrow().contains_key(&k)),
    ))
}

/// `.get k [default]`.
fn get(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = entries(vm, this)?;
    let k = key_arg(vm, args, 0, "get")?;
    let found = m.borrow().get(&k).copied();
    Ok(found.unwrap_or_else(|| arg(args, 1)))
}

/// `.set k v`: returns the map.
fn set(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = entries(vm, this)?;
    let k = key_arg(vm, args, 0, "set")?;
    m.borrow_mut().insert(k, arg(args, 1));
    Ok(this)
}

/// `.del k`: removes the entry, returns its value (nil when absent).
fn del(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = entries(vm, this)?;
    let k = key_arg(vm, args, 0, "del")?;
    let removed = m.borrow_mut().shift_remove(&k);
    Ok(removed.unwrap_or(Value::NIL))
}

/// `.map f`: the array of `(f k v)` in insertion order.
fn map_entries(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    let pairs = snapshot(vm, this)?;
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        out.push(vm.call_value(f, &[k, v])?);
    }
    Ok(heap::array(out))
}

/// `.each f`: calls `(f k v)` in insertion order; returns the map.
fn each(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let f = arg(args, 0);
    for (k, v) in snapshot(vm, this)? {
        vm.call_value(f, &[k, v])?;
    }
    Ok(this)
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn keys_are_strings_in_insertion_order() {
        assert_eq!(eval("({^b 1 ^a 2} .keys)"), r#"["b" "a"]"#);
        assert_eq!(eval("({^b 1 ^a 2} .values)"), "[1 2]");
        assert_eq!(eval("({^a 1} .to_a)"), r#"[["a" 1]]"#);
    }

    #[test]
    fn contains_and_get_accept_strings_and_symbols() {
        assert_eq!(eval(r#"({^a 1} .contains "a")"#), "true");
        assert_eq!(eval("({^a 1} .contains :a)"), "true");
        assert_eq!(eval(r#"({^a 1} .contains "b")"#), "false");
        assert_eq!(eval(r#"({^a 1} .get "a")"#), "1");
        assert_eq!(eval(r#"({^a 1} .get "b" 0)"#), "0");
        assert_eq!(eval(r#"({^a nil} .get "a" 0)"#), "nil");
        assert_eq!(
            eval("({} .get [1])"),
            "Error: ArgumentError: get: a map key must be a string or a symbol, got Array"
        );
    }

    #[test]
    fn set_and_del() {
        assert_eq!(eval(r#"(var m {^a 1}) (m .set "b" 2) m"#), "{^a 1 ^b 2}");
        assert_eq!(
            eval("(var m {^a 1 ^b 2 ^c 3}) [(m .del :a) (m .del :z) m]"),
            "[1 nil {^b 2 ^c 3}]"
        );
        assert_eq!(eval("[({} .empty) ({^a 1} .size)]"), "[true 1]");
    }

    #[test]
    fn map_and_each_pass_string_keys() {
        assert_eq!(eval("({^a 1 ^b 2} .map ([k v] -> v))"), "[1 2]");
        assert_eq!(
            eval("({^a 1 ^b 2} .map ([k v] -> (k .append v)))"),
            r#"["a1" "b2"]"#
        );
        assert_eq!(
            eval(r#"(var s "") ({^x 1 ^y 2} .each (fnx [k v] (s = (s .append k)))) s"#),
            r#""xy""#
        );
    }
}
