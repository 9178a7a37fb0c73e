//! `format` and the String padding methods (spec 07 §7.2, §7.11).
//!
//! The placeholder grammar is Rust's `format!` restricted to what spec 07
//! lists: `{[index][:[[fill]align][+][#][0][width][.precision][type]]}`
//! with `type` one of `?`, `x`, `X`, `o`, `b`. It is parsed here (a small,
//! Gene-specific grammar: Gene display and repr forms, widths counted in
//! characters, errors naming the placeholder), while every number is
//! rendered by Rust's own formatter, so precision rounds exactly as
//! `format!` does (the exact binary value, ties to even).
//!
//! Decisions beyond the spec:
//! * Negative Ints in `{:x}`, `{:o}`, `{:b}` print their 64-bit two's
//!   complement, as Rust does.
//! * The `0` flag pads numbers only; for other values it is ignored.
//! * `{:+}` of NaN prints `nan` (no sign); a precision applies to Ints and
//!   Floats (as Floats) and to the text of any other value.

use super::arity::with_arity;
use super::numbers::fixed;
use super::{arg, int_arg};
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::print::{display, repr};
use gene_core::{ErrorKind, Value};

pub fn install(vm: &mut Vm) {
    vm.def_fn("format", with_arity!("format", 1, usize::MAX, format));
    let string = vm.classes.string;
    let methods: [(&str, super::NativeFn); 3] = [
        ("pad_left", with_arity!(".pad_left", 1, 2, pad_left)),
        ("pad_right", with_arity!(".pad_right", 1, 2, pad_right)),
        ("center", with_arity!(".center", 1, 2, center)),
    ];
    for (name, f) in methods {
        vm.def_method(string, name, f);
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Right,
    Center,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Display,
    Repr,
    LowerHex,
    UpperHex,
    Octal,
    Binary,
}

/// One parsed `{...}`.
struct Spec {
    index: Option<usize>,
    fill: char,
    align: Option<Align>,
    plus: bool,
    alternate: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    kind: Kind,
}

/// The largest width or precision accepted (by `format` and the padding
/// methods): beyond it a typo would allocate gigabytes.
const MAX_WIDTH: usize = 1_000_000;

/// A piece of the format string: literal text or a placeholder.
enum Piece {
    Text(String),
    Hole(Spec),
}

fn format_error(vm: &Vm, message: String) -> Value {
    vm.error(ErrorKind::ArgumentError, format!("format: {message}"))
}

/// `(format FMT args...)`.
fn format(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let fmt = arg(args, 0);
    let Some(fmt) = fmt.as_str() else {
        return Err(vm.bad_argument("format: expected a String as the first argument", fmt));
    };
    let values = args.get(1..).unwrap_or(&[]);
    let pieces = parse(fmt).map_err(|m| format_error(vm, m))?;
    let mut used = vec![false; values.len()];
    let mut next = 0;
    let implicit = pieces
        .iter()
        .filter(|p| matches!(p, Piece::Hole(s) if s.index.is_none()))
        .count();
    let mut out = String::new();
    for piece in &pieces {
        let spec = match piece {
            Piece::Text(t) => {
                out.push_str(t);
                continue;
            }
            Piece::Hole(spec) => spec,
        };
        let i = spec.index.unwrap_or_else(|| {
            next += 1;
            next - 1
        });
        let Some(&value) = values.get(i) else {
            return Err(format_error(
                vm,
                match spec.index {
                    Some(i) => format!("placeholder {{{i}}} but {}", arguments(values.len())),
                    None => format!(
                        "{} but {}",
                        plural(implicit, "placeholder"),
                        arguments(values.len())
                    ),
                },
            ));
        };
        used[i] = true;
        render(vm, spec, value, &mut out)?;
    }
    if let Some(unused) = used.iter().position(|u| !u) {
        let all_implicit = pieces
            .iter()
            .all(|p| !matches!(p, Piece::Hole(s) if s.index.is_some()));
        return Err(format_error(
            vm,
            if all_implicit {
                format!(
                    "{} but {}",
                    plural(implicit, "placeholder"),
                    arguments(values.len())
                )
            } else {
                format!("argument {unused} is never used")
            },
        ));
    }
    Ok(heap::string(out))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn arguments(n: usize) -> String {
    plural(n, "argument")
}

/// The pieces of `fmt`; an error message for a malformed one.
fn parse(fmt: &str) -> Result<Vec<Piece>, String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => {
                text.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                text.push('}');
                i += 2;
            }
            '}' => {
                return Err(format!(
                    "lone '}}' at character {}; write '}}}}' for a literal brace",
                    i + 1
                ))
            }
            '{' => {
                let start = i;
                let Some(len) = chars[i + 1..].iter().position(|&c| c == '}') else {
                    return Err(format!(
                        "unclosed '{{' at character {}; write '{{{{' for a literal brace",
                        start + 1
                    ));
                };
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                let spec = parse_spec(&inner).map_err(|why| {
                    format!(
                        "malformed placeholder {{{inner}}} at character {}: {why}",
                        start + 1
                    )
                })?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Hole(spec));
                i += len + 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The inside of `{...}`: `[index][:spec]`.
fn parse_spec(inner: &str) -> Result<Spec, String> {
    let (index, spec) = match inner.split_once(':') {
        Some((i, s)) => (i, s),
        None => (inner, ""),
    };
    let index = match index {
        "" => None,
        i => Some(
            i.parse::<usize>()
                .map_err(|_| format!("'{i}' is not an argument position"))?,
        ),
    };
    let chars: Vec<char> = spec.chars().collect();
    let mut at = 0;
    let align_of = |c: char| match c {
        '<' => Some(Align::Left),
        '>' => Some(Align::Right),
        '^' => Some(Align::Center),
        _ => None,
    };
    let (mut fill, mut align) = (' ', None);
    if let Some(a) = chars.get(1).and_then(|&c| align_of(c)) {
        fill = chars[0];
        align = Some(a);
        at = 2;
    } else if let Some(a) = chars.first().and_then(|&c| align_of(c)) {
        align = Some(a);
        at = 1;
    }
    let mut flag = |c: char| {
        let hit = chars.get(at) == Some(&c);
        if hit {
            at += 1;
        }
        hit
    };
    let plus = flag('+');
    let alternate = flag('#');
    let zero = flag('0');
    // A number of digits: None when there are none.
    let digits = |at: &mut usize| -> Result<Option<usize>, String> {
        let start = *at;
        while chars.get(*at).is_some_and(|c| c.is_ascii_digit()) {
            *at += 1;
        }
        if start == *at {
            return Ok(None);
        }
        let s: String = chars[start..*at].iter().collect();
        match s.parse::<usize>() {
            Ok(n) if n <= MAX_WIDTH => Ok(Some(n)),
            _ => Err(format!("{s} is larger than {MAX_WIDTH}")),
        }
    };
    let width = digits(&mut at)?.unwrap_or(0);
    let mut precision = None;
    if chars.get(at) == Some(&'.') {
        at += 1;
        precision = Some(digits(&mut at)?.ok_or("expected digits after '.'")?);
    }
    let kind = match chars.get(at) {
        None => Kind::Display,
        Some(c) => {
            at += 1;
            match c {
                '?' => Kind::Repr,
                'x' => Kind::LowerHex,
                'X' => Kind::UpperHex,
                'o' => Kind::Octal,
                'b' => Kind::Binary,
                c => return Err(format!("unknown format type '{c}'")),
            }
        }
    };
    if at != chars.len() {
        return Err("unexpected characters after the format type".into());
    }
    Ok(Spec {
        index,
        fill,
        align,
        plus,
        alternate,
        zero,
        width,
        precision,
        kind,
    })
}

/// Appends `value` formatted by `spec`.
fn render(vm: &Vm, spec: &Spec, value: Value, out: &mut String) -> VmResult<()> {
    let int = if value.is_float() {
        None
    } else {
        value.as_int()
    };
    let float = value.as_float();
    let radix = matches!(
        spec.kind,
        Kind::LowerHex | Kind::UpperHex | Kind::Octal | Kind::Binary
    );
    // (sign and prefix, digits) for numbers, or the text of anything else.
    let (prefix, body, numeric) = if radix {
        let Some(i) = int else {
            let letter = match spec.kind {
                Kind::LowerHex => 'x',
                Kind::UpperHex => 'X',
                Kind::Octal => 'o',
                _ => 'b',
            };
            return Err(vm.bad_argument(&format!("format: {{:{letter}}} needs an Int"), value));
        };
        let mut prefix = String::new();
        if spec.plus && i >= 0 {
            prefix.push('+');
        }
        let (tag, digits) = match spec.kind {
            Kind::LowerHex => ("0x", format!("{i:x}")),
            Kind::UpperHex => ("0x", format!("{i:X}")),
            Kind::Octal => ("0o", format!("{i:o}")),
            _ => ("0b", format!("{i:b}")),
        };
        if spec.alternate {
            prefix.push_str(tag);
        }
        (prefix, digits, true)
    } else if let Some(x) = float.or(if spec.precision.is_some() {
        int.map(|i| i as f64)
    } else {
        None
    }) {
        let negative = x.is_sign_negative() && !x.is_nan();
        let magnitude = x.abs();
        let body = match spec.precision {
            Some(p) => fixed(magnitude, p),
            None => display(Value::float(magnitude)),
        };
        (sign(negative, spec.plus && !x.is_nan()), body, true)
    } else if let Some(i) = int {
        (sign(i < 0, spec.plus), i.unsigned_abs().to_string(), true)
    } else {
        let mut text = if spec.kind == Kind::Repr {
            repr(value)
        } else {
            display(value)
        };
        if let Some(p) = spec.precision {
            text = text.chars().take(p).collect();
        }
        (String::new(), text, false)
    };
    let len = prefix.chars().count() + body.chars().count();
    let pad = spec.width.saturating_sub(len);
    if numeric && spec.zero {
        out.push_str(&prefix);
        out.extend(std::iter::repeat_n('0', pad));
        out.push_str(&body);
        return Ok(());
    }
    let default = if numeric { Align::Right } else { Align::Left };
    let text = prefix + &body;
    pad_into(out, &text, pad, spec.fill, spec.align.unwrap_or(default));
    Ok(())
}

fn sign(negative: bool, plus: bool) -> String {
    if negative {
        "-".into()
    } else if plus {
        "+".into()
    } else {
        String::new()
    }
}

/// `text` with `pad` fill characters around it; centring puts the odd one
/// on the right.
fn pad_into(out: &mut String, text: &str, pad: usize, fill: char, align: Align) {
    let (left, right) = match align {
        Align::Left => (0, pad),
        Align::Right => (pad, 0),
        Align::Center => (pad / 2, pad - pad / 2),
    };
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(text);
    out.extend(std::iter::repeat_n(fill, right));
}

/// `.pad_left n [fill]`, `.pad_right n [fill]`, `.center n [fill]`.
fn pad_method(vm: &Vm, name: &str, this: Value, args: &[Value], align: Align) -> VmResult {
    let s = this
        .as_str()
        .ok_or_else(|| vm.bad_receiver(name, "String", this))?;
    let width = int_arg(vm, args, 0, &format!("{name}: the width must be an Int"))?;
    let fill = match args.get(1) {
        None => ' ',
        Some(f) => {
            let one = f.as_char().or_else(|| {
                let s = f.as_str()?;
                let mut cs = s.chars();
                let c = cs.next()?;
                cs.next().is_none().then_some(c)
            });
            one.ok_or_else(|| {
                if f.as_str().is_some() {
                    vm.error(
                        ErrorKind::ArgumentError,
                        format!("{name}: the fill must be one character, got {}", repr(*f)),
                    )
                } else {
                    vm.bad_argument(&format!("{name}: the fill must be a String"), *f)
                }
            })?
        }
    };
    if width > MAX_WIDTH as i64 {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!("{name}: the width must be at most {MAX_WIDTH}, got {width}"),
        ));
    }
    let pad = usize::try_from(width)
        .unwrap_or(0)
        .saturating_sub(s.chars().count());
    let mut out = String::with_capacity(s.len() + pad);
    pad_into(&mut out, s, pad, fill, align);
    Ok(heap::string(out))
}

fn pad_left(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    pad_method(vm, ".pad_left", this, args, Align::Right)
}

fn pad_right(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    pad_method(vm, ".pad_right", this, args, Align::Left)
}

fn center(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    pad_method(vm, ".center", this, args, Align::Center)
}
