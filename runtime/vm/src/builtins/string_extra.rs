//! The String methods spec 07 §7.2 adds to spec 04's: `.repeat`, `.lines`,
//! `.is_empty`, `.count`, `.trim_start`, `.trim_end` (the padding methods
//! live with `format` in `format.rs`).
//!
//! Decisions beyond the spec:
//! * `.repeat n` with a negative `n` raises `ArgumentError`; `0` gives `""`.
//! * `.count ""` raises `ArgumentError` (an empty pattern has no count).

use super::arity::with_arity;
use super::text_arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::{ErrorKind, Value};

pub fn install(vm: &mut Vm) {
    let string = vm.classes.string;
    let methods: [(&str, super::NativeFn); 6] = [
        ("repeat", with_arity!(".repeat", 1, 1, repeat)),
        ("lines", with_arity!(".lines", 0, 0, lines)),
        ("is_empty", with_arity!(".is_empty", 0, 0, is_empty)),
        ("count", with_arity!(".count", 1, 1, count)),
        ("trim_start", with_arity!(".trim_start", 0, 0, trim_start)),
        ("trim_end", with_arity!(".trim_end", 0, 0, trim_end)),
    ];
    for (name, f) in methods {
        vm.def_method(string, name, f);
    }
}

/// The largest String `.repeat` builds, in bytes.
const MAX_REPEAT_BYTES: usize = 1 << 30;

fn text(vm: &Vm, name: &str, this: Value) -> VmResult<&'static str> {
    this.as_str()
        .ok_or_else(|| vm.bad_receiver(name, "String", this))
}

fn repeat(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, ".repeat", this)?;
    let n = super::int_arg(vm, args, 0, ".repeat: the count must be an Int")?;
    let Ok(n) = usize::try_from(n) else {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!(".repeat: the count must not be negative, got {n}"),
        ));
    };
    if s.len().saturating_mul(n) > MAX_REPEAT_BYTES {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!(".repeat: the result would exceed {MAX_REPEAT_BYTES} bytes"),
        ));
    }
    Ok(heap::string(s.repeat(n)))
}

/// `.lines`: split on `\n`, a trailing `\r` removed from each line, no
/// empty last element for a final newline; `""` has no lines.
pub fn split_lines(s: &str) -> Vec<Value> {
    let body = s.strip_suffix('\n').unwrap_or(s);
    if s.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .map(|l| heap::string(l.strip_suffix('\r').unwrap_or(l)))
        .collect()
}

fn lines(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::array(split_lines(text(vm, ".lines", this)?)))
}

fn is_empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(text(vm, ".is_empty", this)?.is_empty()))
}

/// `.count s`: non-overlapping occurrences, left to right.
fn count(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, ".count", this)?;
    let needle = text_arg(vm, args, 0, ".count: the pattern must be a String")?;
    if needle.is_empty() {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            ".count: the pattern must not be empty",
        ));
    }
    Ok(Value::int(s.matches(needle.as_str()).count() as i64))
}

fn trim_start(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(text(vm, ".trim_start", this)?.trim_start()))
}

fn trim_end(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(text(vm, ".trim_end", this)?.trim_end()))
}
