//! JSON (spec 04 §4.3, spec 07 §7.8): `(x .to_json [^pretty true])`,
//! `gene/json/stringify x [^pretty true]` and `gene/json/parse`.
//!
//! Writing: nil ⇒ `null`, bools, ints, floats (shortest round-trip digits;
//! non-finite ⇒ `null`, as JSON has no infinities), strings escaped per
//! RFC 8259, arrays and sets ⇒ arrays, maps ⇒ objects; symbols, chars,
//! genes and other plain data ⇒ the JSON string of their display form (a
//! symbol `:a` ⇒ `"a"`). Functions, classes, namespaces, futures and other
//! values with no JSON form raise `ArgumentError`. Compact output has no
//! spaces; `^pretty true` indents by two spaces, one member per line, with
//! `"key": value` and `[]`/`{}` for empty containers.
//!
//! Parsing: objects ⇒ maps, arrays ⇒ arrays, integers that fit in 64 bits ⇒
//! ints, other numbers ⇒ floats (correctly rounded), `null` ⇒ nil.
//! Malformed text raises `ArgumentError: gene/json/parse: Invalid JSON at
//! line L, column C: reason`, lines and columns (characters) counted from 1.
//!
//! Both directions stop at [`MAX_DEPTH`] levels of nesting, so cyclic data
//! (an array holding itself) raises instead of overflowing the stack.
//!
//! The reader and writer are our own (about 250 lines) rather than
//! `serde_json`: they build Gene values directly, report positions in the
//! spec's words, and keep built executables small.

use super::arg;
use super::arity::with_arity;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::{prop_map, PropMap};
use gene_core::print::{display, type_name, write_float};
use gene_core::{ErrorKind, Symbol, Value};
use std::fmt::Write;

/// Deepest nesting written or read.
const MAX_DEPTH: usize = 512;

pub fn install(vm: &mut Vm) {
    let object = vm.classes.object;
    vm.def_method(object, "to_json", with_arity!(".to_json", 0, 0, to_json));
    let json = vm.builtin_namespace("json");
    vm.def_fn_in(json, "parse", with_arity!("gene/json/parse", 1, 1, parse));
    vm.def_fn_in(
        json,
        "stringify",
        with_arity!("gene/json/stringify", 1, 1, stringify),
    );
}

/// Whether `^pretty` is set to a truthy value.
fn pretty(props: Option<&PropMap>) -> bool {
    props
        .and_then(|p| p.get(&Symbol::intern("pretty")))
        .is_some_and(|v| v.is_truthy())
}

fn to_json(vm: &mut Vm, this: Value, _: &[Value], props: Option<&PropMap>) -> VmResult {
    json_text(vm, ".to_json", this, pretty(props))
}

fn stringify(vm: &mut Vm, _: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    json_text(vm, "gene/json/stringify", arg(args, 0), pretty(props))
}

fn json_text(vm: &Vm, name: &str, v: Value, pretty: bool) -> VmResult {
    let mut w = Writer {
        out: String::new(),
        pretty,
        open: Vec::new(),
    };
    match w.value(v, 0) {
        Ok(()) => Ok(heap::string(w.out)),
        Err(message) => Err(vm.error(ErrorKind::ArgumentError, format!("{name}: {message}"))),
    }
}

struct Writer {
    out: String,
    pretty: bool,
    /// The bits of the containers being written around the current value,
    /// to recognise a cycle (JSON cannot express one).
    open: Vec<u64>,
}

impl Writer {
    /// A line break and the indentation of `depth` in pretty output.
    fn newline(&mut self, depth: usize) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..depth {
                self.out.push_str("  ");
            }
        }
    }

    /// Appends the JSON text of `v`, nested `depth` levels deep.
    fn value(&mut self, v: Value, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "data nested too deeply (more than {MAX_DEPTH} levels)"
            ));
        }
        if matches!(v.obj(), Some(Obj::Array(_) | Obj::Set(_) | Obj::Map(_))) {
            if self.open.contains(&v.bits()) {
                return Err("the data contains itself, and JSON cannot express a cycle".into());
            }
            self.open.push(v.bits());
            let written = self.scalar_or_container(v, depth);
            self.open.pop();
            return written;
        }
        self.scalar_or_container(v, depth)
    }

    /// [`Writer::value`] once `v` is known not to close a cycle.
    fn scalar_or_container(&mut self, v: Value, depth: usize) -> Result<(), String> {
        if let Some(f) = v.as_float() {
            if f.is_finite() {
                write_float(&mut self.out, f);
            } else {
                self.out.push_str("null");
            }
            return Ok(());
        }
        if let Some(i) = v.as_int() {
            let _ = write!(self.out, "{i}");
            return Ok(());
        }
        match v {
            Value::NIL => self.out.push_str("null"),
            Value::TRUE => self.out.push_str("true"),
            Value::FALSE => self.out.push_str("false"),
            _ => match v.obj() {
                Some(Obj::Str(s)) => write_string(&mut self.out, s),
                Some(Obj::Array(items) | Obj::Set(items)) => {
                    let items = items.borrow().clone();
                    self.container('[', ']', items.len(), depth, |w, i| {
                        w.value(items[i], depth + 1)
                    })?;
                }
                Some(Obj::Map(m)) => {
                    let entries: Vec<(Symbol, Value)> =
                        m.borrow().iter().map(|(k, x)| (*k, *x)).collect();
                    self.container('{', '}', entries.len(), depth, |w, i| {
                        let (k, x) = entries[i];
                        write_string(&mut w.out, k.name());
                        w.out.push_str(if w.pretty { ": " } else { ":" });
                        w.value(x, depth + 1)
                    })?;
                }
                Some(
                    Obj::Function(_)
                    | Obj::Native(_)
                    | Obj::BoundMethod(_)
                    | Obj::Class(_)
                    | Obj::Namespace(_)
                    | Obj::Future(_)
                    | Obj::EnumType(_)
                    | Obj::Custom(_)
                    | Obj::Cell(_),
                ) => return Err(format!("a {} has no JSON form", type_name(v))),
                _ => write_string(&mut self.out, &display(v)),
            },
        }
        Ok(())
    }

    /// `open` item, item... `close`, each item written by `item(self, i)`.
    fn container(
        &mut self,
        open: char,
        close: char,
        len: usize,
        depth: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), String>,
    ) -> Result<(), String> {
        self.out.push(open);
        for i in 0..len {
            if i > 0 {
                self.out.push(',');
            }
            self.newline(depth + 1);
            item(self, i)?;
        }
        if len > 0 {
            self.newline(depth);
        }
        self.out.push(close);
        Ok(())
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `gene/json/parse s`.
fn parse(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let text = arg(args, 0);
    let Some(text) = text.as_str() else {
        return Err(vm.bad_argument("gene/json/parse: expected a String", text));
    };
    let mut p = Parser { text, pos: 0 };
    let result = p.value(0).and_then(|v| {
        p.skip_space();
        if p.pos < text.len() {
            Err(p.fail("unexpected text after the value"))
        } else {
            Ok(v)
        }
    });
    result.map_err(|message| {
        vm.error(
            ErrorKind::ArgumentError,
            format!("gene/json/parse: {message}"),
        )
    })
}

/// A recursive-descent JSON reader over `text`; errors are messages.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    /// The message for a failure at the current position.
    fn fail(&self, what: &str) -> String {
        let before = self.text.get(..self.pos).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        format!("Invalid JSON at line {line}, column {column}: {what}")
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail(&format!("expected '{}'", b as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.fail("nested too deeply"));
        }
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(heap::string(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => {
                for (word, v) in [
                    ("null", Value::NIL),
                    ("true", Value::TRUE),
                    ("false", Value::FALSE),
                ] {
                    if self.text[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(v);
                    }
                }
                Err(self.fail("expected a value"))
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(heap::array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(heap::array(items));
                }
                _ => return Err(self.fail("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut entries = prop_map();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(heap::map(entries));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a string key"));
            }
            let key = self.string()?;
            self.skip_space();
            self.expect(b':')?;
            let v = self.value(depth + 1)?;
            entries.insert(Symbol::intern(&key), v);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(heap::map(entries));
                }
                _ => return Err(self.fail("expected ',' or '}'")),
            }
        }
    }

    /// A string literal starting at the opening quote.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.fail("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => out.push(self.escape()?),
                c if (c as u32) < 0x20 => {
                    return Err(self.fail("control character in string"));
                }
                c => out.push(c),
            }
        }
    }

    /// The character of an escape sequence, just after its backslash.
    fn escape(&mut self) -> Result<char, String> {
        let Some(b) = self.peek() else {
            return Err(self.fail("unterminated escape"));
        };
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) {
                    if !self.text[self.pos..].starts_with("\\u") {
                        return Err(self.fail("unpaired surrogate"));
                    }
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.fail("unpaired surrogate"));
                    }
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    char::from_u32(code).ok_or_else(|| self.fail("invalid escape"))?
                } else {
                    char::from_u32(hi).ok_or_else(|| self.fail("unpaired surrogate"))?
                }
            }
            _ => return Err(self.fail("invalid escape")),
        })
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.fail("expected four hex digits"))?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.fail("expected four hex digits"))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos > from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if !digits(self) {
            return Err(self.fail("expected digits"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integral = false;
            if !digits(self) {
                return Err(self.fail("expected digits after '.'"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integral = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.fail("expected exponent digits"));
            }
        }
        let text = &self.text[start..self.pos];
        if integral {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::int(i));
            }
        }
        text.parse::<f64>()
            .map(Value::float)
            .map_err(|_| self.fail("invalid number"))
    }
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn to_json_is_compact() {
        assert_eq!(eval("([1 2] .to_json)"), r#""[1,2]""#);
        assert_eq!(
            eval(r#"({^a nil ^b [true 1.5 "x\"y"]} .to_json)"#),
            r#""{\"a\":null,\"b\":[true,1.5,\"x\\\"y\"]}""#
        );
        assert_eq!(eval("(:sym .to_json)"), r#""\"sym\"""#);
        assert_eq!(eval("((1 / 0) .to_json)"), r#""null""#);
    }

    #[test]
    fn to_json_rejects_cycles() {
        assert_eq!(
            eval("(var a []) (a .add a) (a .to_json)"),
            "Error: ArgumentError: .to_json: the data contains itself, and JSON cannot express a cycle"
        );
    }

    #[test]
    fn parse_round_trips() {
        assert_eq!(
            eval(r#"(gene/json/parse "{\"a\": [1, 2.5, null, true], \"b\": \"\\u00e9\\n\"}")"#),
            r#"{^a [1 2.5 nil true] ^b "é\n"}"#
        );
        assert_eq!(eval(r#"(gene/json/parse "\"\\ud83d\\ude00\"")"#), "\"😀\"");
        assert_eq!(eval(r#"(gene/json/parse " -12e1 ")"#), "-120.0");
        assert_eq!(eval(r#"(gene/json/parse "99999999999999999999")"#), "1e+20");
        assert_eq!(
            eval(r#"((gene/json/parse "[1,{\"k\":\"v\"}]") .to_json)"#),
            r#""[1,{\"k\":\"v\"}]""#
        );
    }

    #[test]
    fn parse_reports_lines_and_columns() {
        assert_eq!(
            eval(r#"(gene/json/parse "[1,]")"#),
            "Error: ArgumentError: gene/json/parse: Invalid JSON at line 1, column 4: expected a value"
        );
        assert_eq!(
            eval(r#"(gene/json/parse "1 2")"#),
            "Error: ArgumentError: gene/json/parse: Invalid JSON at line 1, column 3: unexpected text after the value"
        );
        assert_eq!(
            eval(r#"(gene/json/parse "\"abc")"#),
            "Error: ArgumentError: gene/json/parse: Invalid JSON at line 1, column 5: unterminated string"
        );
        assert_eq!(
            eval(&format!("(gene/json/parse \"{}\")", "[".repeat(600))),
            "Error: ArgumentError: gene/json/parse: Invalid JSON at line 1, column 514: nested too deeply"
        );
    }
}
