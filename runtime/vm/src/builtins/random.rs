//! `gene/random` (spec 07 §7.9) and the older `rand([n])` (spec 04 §4.1).
//!
//! One generator per thread: PCG64 (XSL RR 128/64, `rand_pcg::Pcg64`,
//! whose output is that of the PCG reference implementation and is fixed
//! by the algorithm, not by a crate version). `(gene/random/seed n)` sets
//! it to `Pcg64::new(n as u64, PCG's default stream)`; without a seed it
//! starts from operating-system randomness (the keys of std's
//! `RandomState`). Everything derived from its 64-bit outputs is defined
//! here, so a seed gives the same values in both tiers and on every
//! platform:
//! * `int lo hi`: `lo +` a uniform draw below `hi - lo + 1`, by Lemire's
//!   widening multiplication with rejection (unbiased);
//! * `float`: the top 53 bits of one output times 2^-53, in [0, 1);
//! * `choice arr`: the element at `(int 0 (size - 1))`;
//! * `shuffle arr`: Fisher–Yates from the last position down, swapping
//!   position `i` with `(int 0 i)`; a new array.
//!
//! Not for cryptography. `rand` shares the generator: `(rand)` is `float`,
//! `(rand n)` is `(int 0 (n - 1))`.

use super::arg;
use super::arity::with_arity;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::{ErrorKind, Value};
use rand_core::RngCore;
use rand_pcg::Pcg64;
use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};

/// PCG's default stream (increment selector) for `pcg64`.
const DEFAULT_STREAM: u128 = 0x0a02_bdbf_7bb3_c0a7_ac28_fa16_a64a_bf96;

thread_local! {
    static GENERATOR: RefCell<Pcg64> = RefCell::new(from_os());
}

/// A generator seeded from the operating system: std seeds every
/// `RandomState` from OS randomness.
fn from_os() -> Pcg64 {
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x9E37_79B9_7F4A_7C15);
        h.finish() as u128
    };
    Pcg64::new((word() << 64) | word(), DEFAULT_STREAM)
}

fn next_u64() -> u64 {
    GENERATOR.with(|g| g.borrow_mut().next_u64())
}

/// A uniform draw in `0..span`, where a `span` of 0 means 2^64.
fn below(span: u64) -> u64 {
    if span == 0 {
        return next_u64();
    }
    let threshold = span.wrapping_neg() % span;
    loop {
        let m = u128::from(next_u64()) * u128::from(span);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A uniform Int in `lo..=hi` (`lo <= hi`).
fn int_in(lo: i64, hi: i64) -> i64 {
    let span = (hi as u64).wrapping_sub(lo as u64).wrapping_add(1);
    (lo as u64).wrapping_add(below(span)) as i64
}

fn float() -> f64 {
    (next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

fn argument_error(vm: &Vm, message: String) -> Value {
    vm.error(ErrorKind::ArgumentError, message)
}

pub fn install(vm: &mut Vm) {
    vm.def_fn("rand", rand);
    let ns = vm.builtin_namespace("random");
    let functions: [(&str, super::NativeFn); 5] = [
        ("seed", with_arity!("gene/random/seed", 1, 1, seed)),
        ("int", with_arity!("gene/random/int", 2, 2, int)),
        (
            "float",
            with_arity!("gene/random/float", 0, 0, |_, _, _, _| Ok(Value::float(
                float()
            ))),
        ),
        ("choice", with_arity!("gene/random/choice", 1, 1, choice)),
        ("shuffle", with_arity!("gene/random/shuffle", 1, 1, shuffle)),
    ];
    for (name, f) in functions {
        vm.def_fn_in(ns, name, f);
    }
}

fn rand(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let n = arg(args, 0);
    if n.is_nil() {
        return Ok(Value::float(float()));
    }
    match n.as_int() {
        Some(n) if n > 0 => Ok(Value::int(int_in(0, n - 1))),
        Some(n) => Err(argument_error(
            vm,
            format!("rand: bound must be positive, got {n}"),
        )),
        None => Err(vm.bad_argument("rand: bound must be an int", n)),
    }
}

fn seed(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let n = arg(args, 0);
    let n = n
        .as_int()
        .ok_or_else(|| vm.bad_argument("gene/random/seed: expected an Int", n))?;
    let g = Pcg64::new(u128::from(n as u64), DEFAULT_STREAM);
    GENERATOR.with(|cell| *cell.borrow_mut() = g);
    Ok(Value::NIL)
}

fn int(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let bound = |i: usize| {
        let v = arg(args, i);
        v.as_int()
            .ok_or_else(|| vm.bad_argument("gene/random/int: expected two Ints", v))
    };
    let (lo, hi) = (bound(0)?, bound(1)?);
    if lo > hi {
        return Err(argument_error(
            vm,
            format!("gene/random/int: the lower bound {lo} is above the upper bound {hi}"),
        ));
    }
    Ok(Value::int(int_in(lo, hi)))
}

/// The elements of argument 0, which must be an Array.
fn array_arg(vm: &Vm, name: &str, args: &[Value]) -> VmResult<Vec<Value>> {
    let v = arg(args, 0);
    match v.obj() {
        Some(Obj::Array(a)) => Ok(a.borrow().to_vec()),
        _ => Err(vm.bad_argument(&format!("gene/random/{name}: expected an Array"), v)),
    }
}

fn choice(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let items = array_arg(vm, "choice", args)?;
    if items.is_empty() {
        return Err(argument_error(
            vm,
            "gene/random/choice: the Array is empty".into(),
        ));
    }
    Ok(items[int_in(0, items.len() as i64 - 1) as usize])
}

fn shuffle(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut items = array_arg(vm, "shuffle", args)?;
    for i in (1..items.len()).rev() {
        let j = int_in(0, i as i64) as usize;
        items.swap(i, j);
    }
    Ok(heap::array(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::eval_for_test as eval;

    /// The first outputs of the PCG reference's `pcg64` for seed 42 and
    /// stream 54, as its check program prints them.
    #[test]
    fn pcg64_matches_the_reference() {
        let mut g = Pcg64::new(42, 54);
        let first: Vec<u64> = (0..3).map(|_| g.next_u64()).collect();
        assert_eq!(
            first,
            [
                0x86b1_da1d_7206_2b68,
                0x1304_aa46_c985_3d39,
                0xa367_0e9e_0dd5_0358
            ]
        );
    }

    #[test]
    fn rand_stays_in_range() {
        let src = "(var ok true)
            (for i in (1 .. 200)
              (var f (rand)) (var n ($rand 3))
              (if (((f < 0) || (f >= 1)) || ((n < 0) || (n > 2))) (ok = false)))
            ok";
        assert_eq!(eval(src), "true");
        assert_eq!(
            eval("(rand 0)"),
            "Error: ArgumentError: rand: bound must be positive, got 0"
        );
    }
}
