//! Methods of `String` (spec 04 §4.4). Strings are immutable: every method
//! returns a new value. Lengths, positions and indices count characters
//! (Unicode scalar values, spec 02 §2.5), never bytes.
//!
//! Decisions beyond the spec:
//! * `.substr` and `.char_at` clamp rather than raise: an out-of-range
//!   `substr` gives `""`, an out-of-range `char_at` gives nil (as `s/i`).
//! * `.split ""` splits into one-character strings; a `limit` (the maximum
//!   number of pieces) must be a positive int.
//! * `.replace "" to` inserts `to` around every character (as Python).
//! * `.to_i` / `.to_f` ignore surrounding whitespace; anything else that is
//!   not a number raises `ArgumentError` ("Invalid integer: \"x\"").

use super::{int_arg, text_arg};
use crate::access::resolve_index;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::print::display;
use gene_core::{ErrorKind, Value};

pub fn install(vm: &mut Vm) {
    let string = vm.classes.string;
    let methods: [(&str, super::NativeFn); 22] = [
        ("length", size),
        ("size", size),
        ("append", append),
        ("to_upper", to_upper),
        ("to_uppercase", to_upper),
        ("to_lower", to_lower),
        ("to_lowercase", to_lower),
        ("substr", substr),
        ("split", split),
        ("index", index),
        ("rindex", rindex),
        ("contains", contains),
        ("starts_with", starts_with),
        ("ends_with", ends_with),
        ("char_at", char_at),
        ("trim", trim),
        ("replace", replace),
        ("to_i", to_i),
        ("to_f", to_f),
        ("chars", chars),
        ("reverse", reverse),
        ("empty", empty),
    ];
    for (name, f) in methods {
        vm.def_method(string, name, f);
    }
}

/// The receiver's text.
fn text(vm: &Vm, this: Value) -> VmResult<&'static str> {
    this.as_str()
        .ok_or_else(|| vm.bad_receiver("String method", "String", this))
}

/// Character count of `s`.
fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The character position of byte offset `byte` in `s`.
fn char_pos(s: &str, byte: usize) -> i64 {
    char_len(&s[..byte]) as i64
}

fn size(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(char_len(text(vm, this)?) as i64))
}

fn empty(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::bool(text(vm, this)?.is_empty()))
}

/// `.append s...`: display forms of the arguments appended.
fn append(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut s = text(vm, this)?.to_string();
    for a in args {
        s.push_str(&display(*a));
    }
    Ok(heap::string(s))
}

fn to_upper(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(text(vm, this)?.to_ascii_uppercase()))
}

fn to_lower(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(text(vm, this)?.to_ascii_lowercase()))
}

/// `.substr start [end]`: `end` is inclusive; negative positions count from
/// the end.
fn substr(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    let start = int_arg(vm, args, 0, "substr: start must be an int")?;
    let end = match args.get(1) {
        Some(_) => Some(int_arg(vm, args, 1, "substr: end must be an int")?),
        None => None,
    };
    let n = char_len(s);
    Ok(match inclusive_span(start, end, n) {
        Some((from, count)) => heap::string(s.chars().skip(from).take(count).collect::<String>()),
        None => heap::string(""),
    })
}

/// The `(first index, count)` selected by an inclusive `start..=end` over
/// `len` items, negatives counting from the end; `end` defaults to the
/// last item. Shared by `String.substr` and `Array.slice`.
pub fn inclusive_span(start: i64, end: Option<i64>, len: usize) -> Option<(usize, usize)> {
    let n = len as i64;
    let from_end = |i: i64| if i < 0 { i.saturating_add(n) } else { i };
    let start = from_end(start).max(0);
    let end = end.map_or(n - 1, from_end).min(n - 1);
    if start > end {
        return None;
    }
    Some((start as usize, (end - start + 1) as usize))
}

/// `.split sep [limit]`.
fn split(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if let Some(result) = super::string_regex_method(vm, "split", this, args) {
        return result;
    }
    let s = text(vm, this)?;
    let sep = text_arg(vm, args, 0, "split: separator must be a string")?;
    let limit = match args.get(1) {
        Some(_) => {
            let l = int_arg(vm, args, 1, "split: limit must be an int")?;
            if l < 1 {
                return Err(vm.error(
                    ErrorKind::ArgumentError,
                    format!("split: limit must be positive, got {l}"),
                ));
            }
            usize::try_from(l).unwrap_or(usize::MAX)
        }
        None => usize::MAX,
    };
    let pieces: Vec<Value> = if sep.is_empty() {
        split_chars(s, limit)
    } else {
        s.splitn(limit, sep.as_str()).map(heap::string).collect()
    };
    Ok(heap::array(pieces))
}

/// Splitting on "": one string per character, the last piece holding the
/// rest when `limit` is reached.
fn split_chars(s: &str, limit: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, (at, c)) in s.char_indices().enumerate() {
        if i + 1 == limit {
            out.push(heap::string(&s[at..]));
            break;
        }
        out.push(heap::string(c.to_string()));
    }
    out
}

fn index(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    let needle = text_arg(vm, args, 0, "index: argument must be a string")?;
    Ok(Value::int(
        s.find(needle.as_str()).map_or(-1, |b| char_pos(s, b)),
    ))
}

fn rindex(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    let needle = text_arg(vm, args, 0, "rindex: argument must be a string")?;
    Ok(Value::int(
        s.rfind(needle.as_str()).map_or(-1, |b| char_pos(s, b)),
    ))
}

fn contains(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if let Some(result) = super::string_regex_method(vm, "contains", this, args) {
        return result;
    }
    let s = text(vm, this)?;
    let needle = text_arg(vm, args, 0, "contains: argument must be a string")?;
    Ok(Value::bool(s.contains(needle.as_str())))
}

fn starts_with(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if let Some(result) = super::string_regex_method(vm, "starts_with", this, args) {
        return result;
    }
    let s = text(vm, this)?;
    let prefix = text_arg(vm, args, 0, "starts_with: argument must be a string")?;
    Ok(Value::bool(s.starts_with(prefix.as_str())))
}

fn ends_with(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    let suffix = text_arg(vm, args, 0, "ends_with: argument must be a string")?;
    Ok(Value::bool(s.ends_with(suffix.as_str())))
}

/// `.char_at i`: as `s/i` (negatives from the end, nil out of range).
fn char_at(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    let i = int_arg(vm, args, 0, "char_at: index must be an int")?;
    Ok(resolve_index(i, char_len(s))
        .and_then(|i| s.chars().nth(i))
        .map_or(Value::NIL, Value::char))
}

fn trim(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(text(vm, this)?.trim()))
}

/// `.replace from to`: every non-overlapping occurrence, left to right.
fn replace(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    if let Some(result) = super::string_regex_method(vm, "replace", this, args) {
        return result;
    }
    let s = text(vm, this)?;
    let from = text_arg(vm, args, 0, "replace: pattern must be a string")?;
    let to = text_arg(vm, args, 1, "replace: replacement must be a string")?;
    Ok(heap::string(s.replace(from.as_str(), &to)))
}

fn to_i(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    match s.trim().parse::<i64>() {
        Ok(i) => Ok(Value::int(i)),
        Err(_) => Err(vm.error(
            ErrorKind::ArgumentError,
            format!("Invalid integer: {}", gene_core::print::repr(this)),
        )),
    }
}

fn to_f(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let s = text(vm, this)?;
    match s.trim().parse::<f64>() {
        Ok(f) => Ok(Value::float(f)),
        Err(_) => Err(vm.error(
            ErrorKind::ArgumentError,
            format!("Invalid float: {}", gene_core::print::repr(this)),
        )),
    }
}

fn chars(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::array(
        text(vm, this)?.chars().map(Value::char).collect(),
    ))
}

fn reverse(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(
        text(vm, this)?.chars().rev().collect::<String>(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn substr_counts_from_either_end_with_inclusive_end() {
        assert_eq!(eval(r#"("abcdef" .substr 2)"#), r#""cdef""#);
        assert_eq!(eval(r#"("abcdef" .substr -2)"#), r#""ef""#);
        assert_eq!(eval(r#"("abcdef" .substr 1 3)"#), r#""bcd""#);
        assert_eq!(eval(r#"("abc" .substr -2 -1)"#), r#""bc""#);
        assert_eq!(eval(r#"("abc" .substr 5)"#), r#""""#);
        assert_eq!(eval(r#"("abc" .substr 2 0)"#), r#""""#);
        assert_eq!(eval(r#"("abc" .substr -10 1)"#), r#""ab""#);
        assert_eq!(eval(r#"("héllo" .substr 1 2)"#), r#""él""#);
    }

    #[test]
    fn substr_rejects_non_int_positions() {
        assert_eq!(
            eval(r#"("abc" .substr "x")"#),
            "Error: ArgumentError: substr: start must be an int, got String"
        );
    }

    #[test]
    fn split_with_and_without_limit() {
        assert_eq!(eval(r#"("a:b:c" .split ":")"#), r#"["a" "b" "c"]"#);
        assert_eq!(eval(r#"("a:b:c" .split ":" 2)"#), r#"["a" "b:c"]"#);
        assert_eq!(eval(r#"("a:b:c" .split ":" 1)"#), r#"["a:b:c"]"#);
        assert_eq!(eval(r#"("abc" .split "")"#), r#"["a" "b" "c"]"#);
        assert_eq!(eval(r#"("abc" .split "" 2)"#), r#"["a" "bc"]"#);
        assert_eq!(eval(r#"("a,,b" .split ",")"#), r#"["a" "" "b"]"#);
        assert_eq!(
            eval(r#"("a" .split ":" 0)"#),
            "Error: ArgumentError: split: limit must be positive, got 0"
        );
    }

    #[test]
    fn replace_is_non_overlapping_left_to_right() {
        assert_eq!(eval(r#"("aabc" .replace "a" "A")"#), r#""AAbc""#);
        assert_eq!(eval(r#"("aaa" .replace "aa" "b")"#), r#""ba""#);
        assert_eq!(eval(r#"("banana" .replace "a" "o")"#), r#""bonono""#);
    }

    #[test]
    fn positions_and_sizes_count_chars() {
        assert_eq!(eval(r#"("héllo" .size)"#), "5");
        assert_eq!(eval(r#"("héllo" .length)"#), "5");
        assert_eq!(eval(r#"("héllo" .index "l")"#), "2");
        assert_eq!(eval(r#"("héllo" .rindex "l")"#), "3");
        assert_eq!(eval(r#"("hello" .index "z")"#), "-1");
        assert_eq!(eval(r#"("héllo" .char_at 1)"#), "'é'");
        assert_eq!(eval(r#"("héllo" .char_at -1)"#), "'o'");
        assert_eq!(eval(r#"("héllo" .char_at 9)"#), "nil");
        assert_eq!(eval(r#"("héllo" .reverse)"#), r#""olléh""#);
        assert_eq!(eval(r#"("hé" .chars)"#), "['h' 'é']");
    }

    #[test]
    fn predicates_and_trim() {
        assert_eq!(eval(r#"("gene" .contains "en")"#), "true");
        assert_eq!(eval(r#"("gene" .starts_with "ge")"#), "true");
        assert_eq!(eval(r#"("gene" .ends_with "ge")"#), "false");
        assert_eq!(eval("(\" \\t pad \\n\" .trim)"), r#""pad""#);
        assert_eq!(eval(r#"("" .empty)"#), "true");
    }

    #[test]
    fn number_parsing() {
        assert_eq!(eval(r#"(" 42 " .to_i)"#), "42");
        assert_eq!(eval(r#"("-7" .to_i)"#), "-7");
        assert_eq!(
            eval(r#"("4x" .to_i)"#),
            r#"Error: ArgumentError: Invalid integer: "4x""#
        );
        assert_eq!(eval(r#"("2.5" .to_f)"#), "2.5");
        assert_eq!(
            eval(r#"("" .to_f)"#),
            r#"Error: ArgumentError: Invalid float: """#
        );
    }

    #[test]
    fn append_is_immutable() {
        assert_eq!(
            eval(r#"(var s "a") (var t (s .append "b" 1)) [s t]"#),
            r#"["a" "ab1"]"#
        );
    }
}
