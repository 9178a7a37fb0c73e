//! The two textual forms of values (spec 02 §2.9): *display* (print,
//! interpolation, `.to_s`) and *repr* (REPL, `gene eval`, strings nested in
//! genes).

use crate::heap::Obj;
use crate::object::{FnKind, FutureState, PropMap};
use crate::value::Value;
use std::fmt::Write;

/// The display form.
pub fn display(v: Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, false, 0, &mut Vec::new());
    out
}

/// The repr form.
pub fn repr(v: Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, true, 0, &mut Vec::new());
    out
}

/// Appends the display form of `v` to `out`.
pub fn write_display(out: &mut String, v: Value) {
    write_value(out, v, false, 0, &mut Vec::new());
}

/// The name of the built-in class of `v` (or the class name of an instance).
pub fn type_name(v: Value) -> &'static str {
    if v.is_float() {
        return "Float";
    }
    if v.is_small_int() {
        return "Int";
    }
    if v.as_char().is_some() {
        return "Char";
    }
    if v.as_symbol().is_some() {
        return "Symbol";
    }
    match v {
        Value::NIL => return "Nil",
        Value::TRUE | Value::FALSE => return "Bool",
        Value::VOID => return "Void",
        Value::PLACEHOLDER => return "Placeholder",
        _ => {}
    }
    match v.obj() {
        Some(Obj::Int(_)) => "Int",
        Some(Obj::Str(_)) => "String",
        Some(Obj::ComplexSymbol(_)) => "ComplexSymbol",
        Some(Obj::Array(_)) => "Array",
        Some(Obj::Map(_)) => "Map",
        Some(Obj::Set(_)) => "Set",
        Some(Obj::Gene(_)) => "Gene",
        Some(Obj::Range(_)) => "Range",
        Some(Obj::Quote(_)) => "Quote",
        Some(Obj::Unquote(..)) => "Unquote",
        Some(Obj::Explode(_)) => "Explode",
        Some(Obj::Cell(_)) => "Cell",
        Some(Obj::Function(f)) => match f.kind {
            FnKind::Function => "Function",
            FnKind::Block => "Block",
            FnKind::Macro => "Macro",
        },
        Some(Obj::Native(_)) | Some(Obj::BoundMethod(_)) => "Function",
        Some(Obj::Class(_)) => "Class",
        Some(Obj::Instance(i)) => match i.class.obj() {
            Some(Obj::Class(c)) => c.ns.name.name(),
            _ => "Object",
        },
        Some(Obj::Namespace(_)) => "Namespace",
        Some(Obj::Future(_)) => "Future",
        Some(Obj::EnumType(_)) => "Enum",
        Some(Obj::EnumMember(_)) => "EnumMember",
        Some(Obj::Custom(c)) => match c.class.obj() {
            Some(Obj::Class(class)) => class.ns.name.name(),
            _ => "Custom",
        },
        Some(Obj::File(_)) => "File",
        Some(Obj::Regex(_)) => "Regex",
        Some(Obj::Host(h)) => h.type_name(),
        None => "Object",
    }
}

/// Nesting depth past which printing writes `...` instead of going deeper,
/// so deep data costs bounded Rust stack.
const MAX_DEPTH: usize = 200;

/// Writes `v`. `open` holds the containers being written around this one
/// (their bits): a container met again inside itself is written as its
/// brackets around `...`, as Python writes `[[...]]` for `a` holding itself,
/// so cyclic data prints finitely.
fn write_value(out: &mut String, v: Value, repr: bool, depth: usize, open: &mut Vec<u64>) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    if let Some(f) = v.as_float() {
        write_float(out, f);
        return;
    }
    if let Some(i) = v.as_small_int() {
        let _ = write!(out, "{i}");
        return;
    }
    if let Some(c) = v.as_char() {
        if repr {
            out.push('\'');
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
            out.push('\'');
        } else {
            out.push(c);
        }
        return;
    }
    if let Some(s) = v.as_symbol() {
        out.push_str(s.name());
        return;
    }
    match v {
        Value::NIL => return out.push_str("nil"),
        Value::TRUE => return out.push_str("true"),
        Value::FALSE => return out.push_str("false"),
        Value::VOID => return out.push_str("void"),
        Value::PLACEHOLDER => return out.push('_'),
        _ => {}
    }
    let Some(obj) = v.obj() else {
        out.push_str("<?>");
        return;
    };
    let brackets = match obj {
        Obj::Array(_) => Some(("[", "]")),
        Obj::Set(_) => Some(("#[", "]")),
        Obj::Map(_) => Some(("{", "}")),
        Obj::Gene(_) => Some(("(", ")")),
        _ => None,
    };
    if let Some((left, right)) = brackets {
        if open.contains(&v.bits()) {
            out.push_str(left);
            out.push_str("...");
            out.push_str(right);
            return;
        }
        open.push(v.bits());
        write_object(out, v, obj, repr, depth, open);
        open.pop();
    } else {
        write_object(out, v, obj, repr, depth, open);
    }
}

fn write_object(
    out: &mut String,
    v: Value,
    obj: &Obj,
    repr: bool,
    depth: usize,
    open: &mut Vec<u64>,
) {
    match obj {
        Obj::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Obj::Str(s) => {
            if repr {
                write_quoted(out, s);
            } else {
                out.push_str(s);
            }
        }
        Obj::ComplexSymbol(parts) => {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    out.push('/');
                }
                out.push_str(p.name());
            }
        }
        Obj::Array(items) => {
            out.push('[');
            write_seq(out, &items.borrow(), repr, depth, open);
            out.push(']');
        }
        Obj::Set(items) => {
            out.push_str("#[");
            write_seq(out, &items.borrow(), repr, depth, open);
            out.push(']');
        }
        Obj::Map(m) => {
            out.push('{');
            write_props(out, &m.borrow(), repr, depth, open);
            out.push('}');
        }
        Obj::Gene(g) => {
            out.push('(');
            write_value(out, g.ty.get(), true, depth + 1, open);
            let props = g.props.borrow();
            if !props.is_empty() {
                out.push(' ');
                write_props(out, &props, true, depth, open);
            }
            for c in g.children.borrow().iter() {
                out.push(' ');
                write_value(out, *c, true, depth + 1, open);
            }
            out.push(')');
        }
        Obj::Range(r) => {
            let _ = write!(out, "{}..{}", r.start, r.end);
            if r.step != 1 {
                let _ = write!(out, " step {}", r.step);
            }
        }
        Obj::Quote(q) => {
            out.push(':');
            write_value(out, *q, true, depth + 1, open);
        }
        Obj::Unquote(q, discard) => {
            out.push_str(if *discard { "%_" } else { "%" });
            write_value(out, *q, true, depth + 1, open);
        }
        Obj::Explode(e) => {
            write_value(out, *e, repr, depth + 1, open);
            out.push_str("...");
        }
        Obj::Cell(c) => write_value(out, c.get(), repr, depth + 1, open),
        Obj::Function(f) => match f.kind {
            FnKind::Function => {
                let _ = write!(out, "<Function {}>", f.proto.name);
            }
            FnKind::Macro => {
                let _ = write!(out, "<Macro {}>", f.proto.name);
            }
            FnKind::Block => out.push_str("<Block>"),
        },
        Obj::Native(n) => {
            let _ = write!(out, "<NativeFunction {}>", n.name);
        }
        Obj::BoundMethod(b) => {
            out.push_str("<BoundMethod ");
            write_value(out, b.method, repr, depth + 1, open);
            out.push('>');
        }
        Obj::Class(c) => {
            let _ = write!(out, "<Class {}>", c.ns.name);
        }
        Obj::Instance(i) => match exception_message(i) {
            Some(message) => {
                let _ = write!(out, "<{}: ", type_name(v));
                write_value(out, message, false, depth + 1, open);
                out.push('>');
            }
            None => {
                let _ = write!(out, "<{} instance>", type_name(v));
            }
        },
        Obj::Namespace(n) => {
            let _ = write!(out, "<Namespace {}>", n.name);
        }
        Obj::Future(f) => {
            let state = match f.state.get() {
                FutureState::Pending => "FsPending",
                FutureState::Success => "FsSuccess",
                FutureState::Failure => "FsFailure",
            };
            let _ = write!(out, "<Future {state}>");
        }
        Obj::EnumType(e) => {
            let _ = write!(out, "<Enum {}>", e.name);
        }
        Obj::EnumMember(m) => {
            if let Some(Obj::EnumType(e)) = m.parent.obj() {
                let _ = write!(out, "{}/", e.name);
            }
            out.push_str(m.name.name());
        }
        Obj::Custom(_) => {
            let _ = write!(out, "<{} custom>", type_name(v));
        }
        Obj::File(f) => {
            let _ = write!(out, "<File {}>", f.name);
        }
        Obj::Regex(r) => out.push_str(&r.literal()),
        Obj::Host(h) => h.write(out, repr),
    }
}

/// The message of an instance whose class descends from the built-in
/// `Exception` (the runtime's only non-builtin root class of that name).
fn exception_message(instance: &crate::object::Instance) -> Option<Value> {
    let mut class = instance.class;
    for _ in 0..10_000 {
        let Some(Obj::Class(c)) = class.obj() else {
            return None;
        };
        if c.ns.name.name() == "Exception"
            && c.parent
                .get()
                .obj()
                .is_some_and(|p| matches!(p, Obj::Class(o) if o.parent.get().is_nil()))
        {
            let message = instance
                .props
                .borrow()
                .get(&crate::Symbol::intern("message"))
                .copied();
            return Some(message.unwrap_or(Value::NIL));
        }
        class = c.parent.get();
    }
    None
}

fn write_seq(out: &mut String, items: &[Value], repr: bool, depth: usize, open: &mut Vec<u64>) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, *v, repr, depth + 1, open);
    }
}

fn write_props(out: &mut String, props: &PropMap, repr: bool, depth: usize, open: &mut Vec<u64>) {
    for (i, (k, v)) in props.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "^{k} ");
        write_value(out, *v, repr, depth + 1, open);
    }
}

fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Shortest round-trip digits; plain decimal for 1e-7 <= |x| < 1e17 (and
/// zero), scientific otherwise.
pub fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
    } else if f == 0.0 || (1e-7..1e17).contains(&f.abs()) {
        let start = out.len();
        let _ = write!(out, "{f}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
    } else {
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    #[test]
    fn float_format_table_of_spec_02() {
        let cases = [
            (1.0, "1.0"),
            (2.5, "2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-5, "0.00001"),
            (1e-7, "0.0000001"),
            (1e-8, "1e-8"),
            (1.5e-8, "1.5e-8"),
            (1e16, "10000000000000000.0"),
            (1.25e16, "12500000000000000.0"),
            (1e17, "1e+17"),
            (1.2345e17, "1.2345e+17"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for (f, text) in cases {
            assert_eq!(float(f), text, "{f:?}");
        }
    }

    #[test]
    fn strings_nested_in_arrays_display_unquoted_but_genes_keep_quotes() {
        let s = heap::string("b c");
        let arr = heap::array(vec![Value::int(1), s]);
        assert_eq!(display(arr), "[1 b c]");
        assert_eq!(repr(arr), "[1 \"b c\"]");
        assert_eq!(repr(heap::string("a\"\n")), "\"a\\\"\\n\"");
    }

    #[test]
    fn chars_display_bare_and_repr_quoted() {
        assert_eq!(display(Value::char('a')), "a");
        assert_eq!(repr(Value::char('a')), "'a'");
    }
}
