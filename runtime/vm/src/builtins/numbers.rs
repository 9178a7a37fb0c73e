//! Methods of `Int` and `Float`, and the `gene/math` namespace (spec 07
//! §7.1).
//!
//! Every error message begins with the method (`.floor: ...`) or the
//! function's full path (`gene/math/min: ...`), and a wrong argument kind is
//! an `ArgumentError` (spec 07 §7.11).
//!
//! Decisions beyond the spec:
//! * A Float that does not fit in an Int given to `.floor`, `.ceil`,
//!   `.trunc`, `.round` or `.to_i` raises `ArgumentError`, like NaN and ±inf.
//! * `.round n` of an Int gives a Float, as for a Float; `n` may be
//!   negative (`(1250 .round -2)` ⇒ `1300.0`).
//! * `.sign` of NaN raises `ArgumentError`; `-0.0 .sign` is `0`.
//! * `.min`/`.max` keep the receiver on a tie; `.clamp lo hi` with
//!   `lo > hi` raises `ArgumentError`.
//! * `.pow_mod e m` needs `e >= 0` and `m >= 1`; the result is in `0…m-1`.
//! * `.to_fixed n` accepts `n` in 0…100.

use super::arg;
use super::arity::with_arity;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::numeric::{arith, BinOp};
use gene_core::object::PropMap;
use gene_core::{heap, ErrorKind, Value};

pub fn install(vm: &mut Vm) {
    let (int, float) = (vm.classes.int, vm.classes.float);
    let both: [(&str, super::NativeFn); 15] = [
        ("abs", with_arity!(".abs", 0, 0, abs)),
        ("floor", with_arity!(".floor", 0, 0, floor)),
        ("ceil", with_arity!(".ceil", 0, 0, ceil)),
        ("trunc", with_arity!(".trunc", 0, 0, trunc)),
        ("round", with_arity!(".round", 0, 1, round)),
        ("to_i", with_arity!(".to_i", 0, 0, to_i)),
        ("to_f", with_arity!(".to_f", 0, 0, to_f)),
        ("sqrt", with_arity!(".sqrt", 0, 0, sqrt)),
        ("min", with_arity!(".min", 1, 1, min)),
        ("max", with_arity!(".max", 1, 1, max)),
        ("clamp", with_arity!(".clamp", 2, 2, clamp)),
        ("sign", with_arity!(".sign", 0, 0, sign)),
        ("is_nan", with_arity!(".is_nan", 0, 0, is_nan)),
        ("is_finite", with_arity!(".is_finite", 0, 0, is_finite)),
        ("to_fixed", with_arity!(".to_fixed", 1, 1, to_fixed)),
    ];
    for (name, f) in both {
        vm.def_method(int, name, f);
        vm.def_method(float, name, f);
    }
    let ints: [(&str, super::NativeFn); 8] = [
        ("div", with_arity!(".div", 1, 1, div)),
        ("bit_and", with_arity!(".bit_and", 1, 1, bit_and)),
        ("bit_or", with_arity!(".bit_or", 1, 1, bit_or)),
        ("bit_xor", with_arity!(".bit_xor", 1, 1, bit_xor)),
        ("bit_not", with_arity!(".bit_not", 0, 0, bit_not)),
        ("shl", with_arity!(".shl", 1, 1, shl)),
        ("shr", with_arity!(".shr", 1, 1, shr)),
        ("pow_mod", with_arity!(".pow_mod", 2, 2, pow_mod)),
    ];
    for (name, f) in ints {
        vm.def_method(int, name, f);
    }
    install_math(vm);
}

/// An Int or Float operand.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn of(v: Value) -> Option<Num> {
        match v.as_float() {
            Some(f) => Some(Num::Float(f)),
            None => v.as_int().map(Num::Int),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

fn argument_error(vm: &Vm, message: String) -> Value {
    vm.error(ErrorKind::ArgumentError, message)
}

/// The receiver as a number (`name` is the method, for the error).
fn receiver(vm: &Vm, name: &str, this: Value) -> VmResult<Num> {
    Num::of(this).ok_or_else(|| vm.bad_receiver(name, "number", this))
}

/// Argument `i` as a number; `name` prefixes the error.
fn number_arg(vm: &Vm, name: &str, args: &[Value], i: usize) -> VmResult<Num> {
    let v = arg(args, i);
    Num::of(v).ok_or_else(|| vm.bad_argument(&format!("{name}: expected a number"), v))
}

/// Argument `i` as an Int; `name` prefixes the error.
fn int_arg(vm: &Vm, name: &str, args: &[Value], i: usize) -> VmResult<i64> {
    let v = arg(args, i);
    v.as_int()
        .ok_or_else(|| vm.bad_argument(&format!("{name}: expected an Int"), v))
}

/// The receiver as an Int (for the Int-only methods).
fn int_receiver(vm: &Vm, name: &str, this: Value) -> VmResult<i64> {
    this.as_int()
        .ok_or_else(|| vm.bad_receiver(name, "Int", this))
}

/// `f` rounded by `how` to an Int: NaN, ±inf and values beyond the Int
/// range raise `ArgumentError`.
fn float_to_int(vm: &Vm, name: &str, f: f64, how: fn(f64) -> f64) -> VmResult {
    let r = how(f);
    // 2^63 is exactly representable; every float below it in magnitude
    // (and -2^63 itself) converts exactly.
    if r.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&r) {
        let mut shown = String::new();
        gene_core::print::write_float(&mut shown, f);
        return Err(argument_error(
            vm,
            format!("{name}: cannot convert {shown} to an Int"),
        ));
    }
    Ok(Value::int(r as i64))
}

/// `.floor`, `.ceil`, `.trunc`, `.round` and `.to_i` without arguments:
/// an Int stays itself, a Float is rounded by `how`.
fn to_int_by(vm: &Vm, name: &str, this: Value, how: fn(f64) -> f64) -> VmResult {
    match receiver(vm, name, this)? {
        Num::Int(_) => Ok(this),
        Num::Float(f) => float_to_int(vm, name, f, how),
    }
}

fn abs(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    abs_of(vm, ".abs", this)
}

fn abs_of(vm: &Vm, name: &str, v: Value) -> VmResult {
    match receiver(vm, name, v)? {
        Num::Int(i) => i.checked_abs().map(Value::int).ok_or_else(|| {
            vm.error(
                ErrorKind::OverflowError,
                format!("{name}: Integer overflow: {i} has no positive Int"),
            )
        }),
        Num::Float(f) => Ok(Value::float(f.abs())),
    }
}

fn floor(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    to_int_by(vm, ".floor", this, f64::floor)
}

fn ceil(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    to_int_by(vm, ".ceil", this, f64::ceil)
}

fn trunc(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    to_int_by(vm, ".trunc", this, f64::trunc)
}

fn to_i(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    to_int_by(vm, ".to_i", this, f64::trunc)
}

/// `.round`: an Int, halves away from zero; `.round n`: a Float rounded to
/// `n` decimals as `(x * 10^n).round() / 10^n`.
fn round(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    round_of(vm, ".round", this, args.first().copied())
}

fn round_of(vm: &Vm, name: &str, this: Value, digits: Option<Value>) -> VmResult {
    let Some(digits) = digits else {
        return to_int_by(vm, name, this, f64::round);
    };
    let x = receiver(vm, name, this)?.as_f64();
    let n = digits.as_int().ok_or_else(|| {
        vm.bad_argument(
            &format!("{name}: the number of decimals must be an Int"),
            digits,
        )
    })?;
    if !(-308..=308).contains(&n) {
        return Err(argument_error(
            vm,
            format!("{name}: the number of decimals must be in -308…308, got {n}"),
        ));
    }
    let scale = 10f64.powi(n as i32);
    let scaled = x * scale;
    if !scaled.is_finite() {
        // So many decimals that every digit of `x` is kept.
        return Ok(Value::float(x));
    }
    Ok(Value::float(scaled.round() / scale))
}

fn to_f(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::float(receiver(vm, ".to_f", this)?.as_f64()))
}

fn sqrt(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::float(receiver(vm, ".sqrt", this)?.as_f64().sqrt()))
}

/// Whether `a < b` numerically, exactly for two Ints.
fn less(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x < y,
        _ => a.as_f64() < b.as_f64(),
    }
}

fn min(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = receiver(vm, ".min", this)?;
    let y = number_arg(vm, ".min", args, 0)?;
    Ok(if less(y, x) { arg(args, 0) } else { this })
}

fn max(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = receiver(vm, ".max", this)?;
    let y = number_arg(vm, ".max", args, 0)?;
    Ok(if less(x, y) { arg(args, 0) } else { this })
}

fn clamp(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = receiver(vm, ".clamp", this)?;
    let lo = number_arg(vm, ".clamp", args, 0)?;
    let hi = number_arg(vm, ".clamp", args, 1)?;
    if less(hi, lo) {
        return Err(argument_error(
            vm,
            format!(
                ".clamp: the lower bound {} is above the upper bound {}",
                gene_core::print::display(arg(args, 0)),
                gene_core::print::display(arg(args, 1))
            ),
        ));
    }
    Ok(if less(x, lo) {
        arg(args, 0)
    } else if less(hi, x) {
        arg(args, 1)
    } else {
        this
    })
}

fn sign(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(match receiver(vm, ".sign", this)? {
        Num::Int(i) => i.signum(),
        Num::Float(f) if f.is_nan() => {
            return Err(argument_error(vm, ".sign: nan has no sign".into()))
        }
        Num::Float(f) if f > 0.0 => 1,
        Num::Float(f) if f < 0.0 => -1,
        Num::Float(_) => 0,
    }))
}

fn is_nan(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(matches!(
        receiver(vm, ".is_nan", this)?,
        Num::Float(f) if f.is_nan()
    )))
}

fn is_finite(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(match receiver(vm, ".is_finite", this)? {
        Num::Int(_) => true,
        Num::Float(f) => f.is_finite(),
    }))
}

/// `.to_fixed n`: exactly `n` decimals, rounded as Rust's `{:.n}` (the
/// exact binary value, ties to even).
fn to_fixed(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let x = receiver(vm, ".to_fixed", this)?.as_f64();
    let n = int_arg(vm, ".to_fixed", args, 0)?;
    if !(0..=100).contains(&n) {
        return Err(argument_error(
            vm,
            format!(".to_fixed: the number of decimals must be in 0…100, got {n}"),
        ));
    }
    Ok(heap::string(fixed(x, n as usize)))
}

/// `x` with `n` decimals; `nan`, `inf` and `-inf` as Gene prints them.
pub fn fixed(x: f64, n: usize) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{x:.n$}")
    }
}

/// `.div b`: as `//`.
fn div(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    int_receiver(vm, ".div", this)?;
    number_arg(vm, ".div", args, 0)?;
    arith(BinOp::FloorDiv, this, arg(args, 0)).map_err(|e| vm.raise(e))
}

/// The receiver and the Int argument of a binary bit method.
fn bit_operands(vm: &Vm, name: &str, this: Value, args: &[Value]) -> VmResult<(i64, i64)> {
    Ok((int_receiver(vm, name, this)?, int_arg(vm, name, args, 0)?))
}

fn bit_and(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (x, y) = bit_operands(vm, ".bit_and", this, args)?;
    Ok(Value::int(x & y))
}

fn bit_or(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (x, y) = bit_operands(vm, ".bit_or", this, args)?;
    Ok(Value::int(x | y))
}

fn bit_xor(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (x, y) = bit_operands(vm, ".bit_xor", this, args)?;
    Ok(Value::int(x ^ y))
}

fn bit_not(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(!int_receiver(vm, ".bit_not", this)?))
}

/// The receiver and the shift count (0…63) of `.shl`/`.shr`.
fn shift_operands(vm: &Vm, name: &str, this: Value, args: &[Value]) -> VmResult<(i64, u32)> {
    let (x, n) = bit_operands(vm, name, this, args)?;
    match u32::try_from(n) {
        Ok(n) if n < 64 => Ok((x, n)),
        _ => Err(argument_error(
            vm,
            format!("{name}: the shift must be in 0…63, got {n}"),
        )),
    }
}

fn shl(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (x, n) = shift_operands(vm, ".shl", this, args)?;
    Ok(Value::int(x << n))
}

fn shr(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (x, n) = shift_operands(vm, ".shr", this, args)?;
    Ok(Value::int(x >> n))
}

/// `.pow_mod e m`: `self ** e` modulo `m`, by squaring on 128 bits.
fn pow_mod(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let base = int_receiver(vm, ".pow_mod", this)?;
    let e = int_arg(vm, ".pow_mod", args, 0)?;
    let m = int_arg(vm, ".pow_mod", args, 1)?;
    if e < 0 {
        return Err(argument_error(
            vm,
            format!(".pow_mod: the exponent must not be negative, got {e}"),
        ));
    }
    if m < 1 {
        return Err(argument_error(
            vm,
            format!(".pow_mod: the modulus must be positive, got {m}"),
        ));
    }
    let m = m as i128;
    let (mut result, mut b, mut e) = (1 % m, (base as i128).rem_euclid(m), e);
    while e > 0 {
        if e & 1 == 1 {
            result = result * b % m;
        }
        b = b * b % m;
        e >>= 1;
    }
    Ok(Value::int(result as i64))
}

fn install_math(vm: &mut Vm) {
    let math = vm.builtin_namespace("math");
    let values = [
        ("pi", std::f64::consts::PI),
        ("e", std::f64::consts::E),
        ("inf", f64::INFINITY),
        ("nan", f64::NAN),
    ];
    for (name, x) in values {
        vm.define_member(math, gene_core::Symbol::intern(name), Value::float(x));
    }
    let unary: [(&str, super::NativeFn); 11] = [
        (
            "sqrt",
            with_arity!("gene/math/sqrt", 1, 1, |vm, _, a, _| unary(
                vm,
                "sqrt",
                a,
                f64::sqrt
            )),
        ),
        (
            "sin",
            with_arity!("gene/math/sin", 1, 1, |vm, _, a, _| unary(
                vm,
                "sin",
                a,
                f64::sin
            )),
        ),
        (
            "cos",
            with_arity!("gene/math/cos", 1, 1, |vm, _, a, _| unary(
                vm,
                "cos",
                a,
                f64::cos
            )),
        ),
        (
            "tan",
            with_arity!("gene/math/tan", 1, 1, |vm, _, a, _| unary(
                vm,
                "tan",
                a,
                f64::tan
            )),
        ),
        (
            "asin",
            with_arity!("gene/math/asin", 1, 1, |vm, _, a, _| unary(
                vm,
                "asin",
                a,
                f64::asin
            )),
        ),
        (
            "acos",
            with_arity!("gene/math/acos", 1, 1, |vm, _, a, _| unary(
                vm,
                "acos",
                a,
                f64::acos
            )),
        ),
        (
            "atan",
            with_arity!("gene/math/atan", 1, 1, |vm, _, a, _| unary(
                vm,
                "atan",
                a,
                f64::atan
            )),
        ),
        (
            "exp",
            with_arity!("gene/math/exp", 1, 1, |vm, _, a, _| unary(
                vm,
                "exp",
                a,
                f64::exp
            )),
        ),
        (
            "log",
            with_arity!("gene/math/log", 1, 1, |vm, _, a, _| unary(
                vm,
                "log",
                a,
                f64::ln
            )),
        ),
        (
            "log2",
            with_arity!("gene/math/log2", 1, 1, |vm, _, a, _| unary(
                vm,
                "log2",
                a,
                f64::log2
            )),
        ),
        (
            "log10",
            with_arity!("gene/math/log10", 1, 1, |vm, _, a, _| unary(
                vm,
                "log10",
                a,
                f64::log10
            )),
        ),
    ];
    let others: [(&str, super::NativeFn); 9] = [
        (
            "atan2",
            with_arity!("gene/math/atan2", 2, 2, |vm, _, a, _| binary(
                vm,
                "atan2",
                a,
                f64::atan2
            )),
        ),
        (
            "hypot",
            with_arity!("gene/math/hypot", 2, 2, |vm, _, a, _| binary(
                vm,
                "hypot",
                a,
                f64::hypot
            )),
        ),
        ("pow", with_arity!("gene/math/pow", 2, 2, math_pow)),
        (
            "floor",
            with_arity!("gene/math/floor", 1, 1, |vm, _, a, _| {
                let x = math_number(vm, "floor", a)?;
                to_int_by(vm, "gene/math/floor", x, f64::floor)
            }),
        ),
        (
            "ceil",
            with_arity!("gene/math/ceil", 1, 1, |vm, _, a, _| {
                let x = math_number(vm, "ceil", a)?;
                to_int_by(vm, "gene/math/ceil", x, f64::ceil)
            }),
        ),
        (
            "round",
            with_arity!("gene/math/round", 1, 2, |vm, _, a, _| {
                let x = math_number(vm, "round", a)?;
                round_of(vm, "gene/math/round", x, a.get(1).copied())
            }),
        ),
        (
            "abs",
            with_arity!("gene/math/abs", 1, 1, |vm, _, a, _| {
                let x = math_number(vm, "abs", a)?;
                abs_of(vm, "gene/math/abs", x)
            }),
        ),
        (
            "min",
            with_arity!("gene/math/min", 1, usize::MAX, |vm, _, a, _| {
                extreme(vm, "min", a, |best, x| less(x, best))
            }),
        ),
        (
            "max",
            with_arity!("gene/math/max", 1, usize::MAX, |vm, _, a, _| extreme(
                vm, "max", a, less
            )),
        ),
    ];
    for (name, f) in unary.into_iter().chain(others) {
        vm.def_fn_in(math, name, f);
    }
}

/// Argument 0 of `gene/math/<name>`, checked to be a number.
fn math_number(vm: &Vm, name: &str, args: &[Value]) -> VmResult<Value> {
    number_arg(vm, &format!("gene/math/{name}"), args, 0)?;
    Ok(arg(args, 0))
}

fn unary(vm: &Vm, name: &str, args: &[Value], f: fn(f64) -> f64) -> VmResult {
    let x = number_arg(vm, &format!("gene/math/{name}"), args, 0)?;
    Ok(Value::float(f(x.as_f64())))
}

fn binary(vm: &Vm, name: &str, args: &[Value], f: fn(f64, f64) -> f64) -> VmResult {
    let path = format!("gene/math/{name}");
    let x = number_arg(vm, &path, args, 0)?;
    let y = number_arg(vm, &path, args, 1)?;
    Ok(Value::float(f(x.as_f64(), y.as_f64())))
}

/// `gene/math/pow x y`: as `x ** y`.
fn math_pow(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    number_arg(vm, "gene/math/pow", args, 0)?;
    number_arg(vm, "gene/math/pow", args, 1)?;
    arith(BinOp::Pow, arg(args, 0), arg(args, 1)).map_err(|e| vm.raise(e))
}

/// `gene/math/min x...` / `max x...`: the first number `better` than every
/// other, from the arguments or from one Array argument.
fn extreme(vm: &Vm, name: &str, args: &[Value], better: fn(Num, Num) -> bool) -> VmResult {
    let path = format!("gene/math/{name}");
    let items: Vec<Value> = match args {
        [one] => match one.obj() {
            Some(heap::Obj::Array(a)) => a.borrow().to_vec(),
            _ => vec![*one],
        },
        _ => args.to_vec(),
    };
    let mut best: Option<(Num, Value)> = None;
    for v in items {
        let n =
            Num::of(v).ok_or_else(|| vm.bad_argument(&format!("{path}: expected numbers"), v))?;
        if best.is_none_or(|(b, _)| better(b, n)) {
            best = Some((n, v));
        }
    }
    best.map(|(_, v)| v).ok_or_else(|| {
        argument_error(
            vm,
            format!("{path}: expected one or more numbers or an Array of them, got none"),
        )
    })
}
