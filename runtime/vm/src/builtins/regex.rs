//! Regular expressions (spec 07 §7.6) on the `regex` crate: the methods of
//! `Regex` and `Match`, `gene/regex/new`, and the Regex branches of the
//! String methods `.split`, `.replace`, `.contains`, `.starts_with`.
//!
//! A Regex value (`Obj::Regex`, made by a `#/.../` literal or by
//! `gene/regex/new`) holds its pattern and flags; the compiled
//! `regex::Regex` is built on first use and kept in the object, so it is
//! freed with it. A Match keeps the searched String, the group spans (bytes)
//! and the compiled regex (for group names); `.start` and `.end` count
//! characters.
//!
//! Decisions beyond the spec:
//! * `.group n` with `n` beyond the groups of the regex, and `.named name`
//!   with a name the regex does not have, raise `ArgumentError`.
//! * A function given as `repl` must return a String (else
//!   `ArgumentError`); a String `repl` expands `$1`, `${name}` and `$$`, also
//!   in String `.replace` with a Regex.
//! * The repr of a Match is `<Match "text">`.

use super::arg;
use crate::errors::VmResult;
use crate::vm::{new_class, Vm};
use gene_core::heap::{self, Obj};
use gene_core::object::{HostValue, PropMap, Regex};
use gene_core::{ErrorKind, Value};
use std::cell::Cell;

thread_local! {
    static MATCH_CLASS: Cell<Value> = const { Cell::new(Value::NIL) };
}

/// Builds the matcher for `pattern` with flag bits `flags`; the error is
/// the regex parser's reason, on one line.
fn build(pattern: &str, flags: u8) -> Result<regex::Regex, String> {
    let on = |letter: char| {
        Regex::FLAGS
            .find(letter)
            .is_some_and(|i| flags & (1 << i) != 0)
    };
    regex::RegexBuilder::new(pattern)
        .case_insensitive(on('i'))
        .multi_line(on('m'))
        .dot_matches_new_line(on('s'))
        .ignore_whitespace(on('x'))
        .build()
        .map_err(|e| reason(&e))
}

/// The one-line reason of a regex error (its `error: ...` line).
fn reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("error: "))
        .map_or_else(|| text.trim().replace('\n', " "), str::to_string)
}

/// The validator the reader runs on every regex literal.
pub fn validate(pattern: &str, flags: &str) -> Result<(), String> {
    build(pattern, Regex::parse_flags(flags).unwrap_or(0)).map(|_| ())
}

/// The compiled matcher of a Regex value, built on first use.
fn compiled(vm: &Vm, r: &Regex) -> VmResult<regex::Regex> {
    let entry = r
        .compiled
        .get_or_init(|| Box::new(build(&r.pattern, r.flags)));
    match entry.downcast_ref::<Result<regex::Regex, String>>() {
        Some(Ok(re)) => Ok(re.clone()),
        Some(Err(why)) => Err(vm.error(
            ErrorKind::ArgumentError,
            format!("invalid regex {}: {why}", r.literal()),
        )),
        None => Err(vm.error(ErrorKind::ArgumentError, "corrupt regex value")),
    }
}

/// The receiver as a Regex, compiled.
fn receiver(vm: &Vm, this: Value, method: &str) -> VmResult<regex::Regex> {
    match this.obj() {
        Some(Obj::Regex(r)) => compiled(vm, r),
        _ => Err(vm.bad_receiver(&format!(".{method}"), "Regex", this)),
    }
}

/// The Regex branch of String method `method` (`.split`, `.replace`,
/// `.contains`, `.starts_with`), whose first argument is a Regex.
pub fn string_method(vm: &mut Vm, method: &str, this: Value, args: &[Value]) -> VmResult {
    let re = match arg(args, 0).obj() {
        Some(Obj::Regex(r)) => compiled(vm, r)?,
        _ => return Err(vm.bad_argument(&format!(".{method}: expected a Regex"), arg(args, 0))),
    };
    let Some(s) = this.as_str() else {
        return Err(vm.bad_receiver(&format!(".{method}"), "String", this));
    };
    match method {
        "split" => {
            let pieces = match args.get(1) {
                None => re.split(s).map(heap::string).collect(),
                Some(l) => match l.as_int() {
                    Some(n) if n >= 1 => re
                        .splitn(s, usize::try_from(n).unwrap_or(usize::MAX))
                        .map(heap::string)
                        .collect(),
                    _ => return Err(vm.bad_argument(".split: limit must be a positive Int", *l)),
                },
            };
            Ok(heap::array(pieces))
        }
        "replace" => substitute(vm, &re, this, s, arg(args, 1), true, method),
        "contains" => Ok(Value::bool(re.is_match(s))),
        "starts_with" => Ok(Value::bool(re.find(s).is_some_and(|m| m.start() == 0))),
        _ => Err(vm.error(
            ErrorKind::ArgumentError,
            format!(".{method} does not take a Regex"),
        )),
    }
}

/// The String argument `i` of method `method`.
fn text_arg(vm: &Vm, args: &[Value], i: usize, method: &str) -> VmResult<(Value, &'static str)> {
    let v = arg(args, i);
    match v.as_str() {
        Some(s) => Ok((v, s)),
        None => Err(vm.bad_argument(&format!(".{method}: expected a String"), v)),
    }
}

/// A match: the searched String, the byte spans of its groups, the regex.
pub struct Match {
    haystack: Value,
    groups: Vec<Option<(usize, usize)>>,
    regex: regex::Regex,
}

impl Match {
    fn new(haystack: Value, caps: &regex::Captures<'_>, regex: &regex::Regex) -> Match {
        Match {
            haystack,
            groups: caps
                .iter()
                .map(|g| g.map(|m| (m.start(), m.end())))
                .collect(),
            regex: regex.clone(),
        }
    }

    fn text(&self) -> &str {
        self.haystack.as_str().unwrap_or("")
    }

    fn group_text(&self, i: usize) -> Option<&str> {
        let (a, b) = self.groups.get(i).copied().flatten()?;
        self.text().get(a..b)
    }

    fn group_value(&self, i: usize) -> Value {
        self.group_text(i).map_or(Value::NIL, heap::string)
    }
}

impl HostValue for Match {
    fn class(&self) -> Value {
        MATCH_CLASS.with(Cell::get)
    }

    fn type_name(&self) -> &'static str {
        "Match"
    }

    fn write(&self, out: &mut String, repr: bool) {
        let text = self.group_text(0).unwrap_or("");
        if repr {
            out.push_str("<Match ");
            out.push_str(&gene_core::print::repr(heap::string(text)));
            out.push('>');
        } else {
            out.push_str(text);
        }
    }

    fn trace(&self, visit: &mut dyn FnMut(Value)) {
        visit(self.haystack);
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn match_value(m: Match) -> Value {
    heap::alloc(Obj::Host(Box::new(m)))
}

fn the_match<'a>(vm: &Vm, this: Value, method: &str) -> VmResult<&'a Match> {
    if let Some(Obj::Host(h)) = this.obj() {
        if let Some(m) = h.as_any().downcast_ref::<Match>() {
            return Ok(m);
        }
    }
    Err(vm.bad_receiver(&format!(".{method}"), "Match", this))
}

/// The character position of byte offset `byte` in `s`.
fn char_pos(s: &str, byte: usize) -> i64 {
    s.get(..byte).map_or(0, |p| p.chars().count()) as i64
}

pub fn install(vm: &mut Vm) {
    let regex_class = new_class("Regex", vm.classes.object, vm.gene_ns, true);
    super::set_regex_class(regex_class);
    vm.define_builtin("Regex", regex_class);
    let match_class = new_class("Match", vm.classes.object, vm.gene_ns, true);
    MATCH_CLASS.with(|c| c.set(match_class));
    vm.define_builtin("Match", match_class);

    let ns = vm.builtin_namespace("regex");
    vm.def_fn_in(ns, "new", new);

    let methods: [(&str, super::NativeFn); 6] = [
        ("test", test),
        ("match", first_match),
        ("match_all", match_all),
        ("replace", |vm, this, args, _| {
            replace(vm, this, args, false)
        }),
        ("replace_all", |vm, this, args, _| {
            replace(vm, this, args, true)
        }),
        ("split", split),
    ];
    for (name, f) in methods {
        vm.def_method(regex_class, name, f);
    }

    let methods: [(&str, super::NativeFn); 6] = [
        ("text", |vm, this, _, _| {
            Ok(the_match(vm, this, "text")?.group_value(0))
        }),
        ("group", group),
        ("named", named),
        ("groups", |vm, this, _, _| {
            let m = the_match(vm, this, "groups")?;
            let groups = (1..m.groups.len()).map(|i| m.group_value(i)).collect();
            Ok(heap::array(groups))
        }),
        ("start", |vm, this, _, _| {
            let m = the_match(vm, this, "start")?;
            let (a, _) = m.groups[0].unwrap_or_default();
            Ok(Value::int(char_pos(m.text(), a)))
        }),
        ("end", |vm, this, _, _| {
            let m = the_match(vm, this, "end")?;
            let (_, b) = m.groups[0].unwrap_or_default();
            Ok(Value::int(char_pos(m.text(), b)))
        }),
    ];
    for (name, f) in methods {
        vm.def_method(match_class, name, f);
    }
}

/// `(gene/regex/new pattern [flags])`.
fn new(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/regex/new";
    let pattern = arg(args, 0);
    let Some(text) = pattern.as_str() else {
        return Err(vm.bad_argument(&format!("{WHO}: expected a pattern String"), pattern));
    };
    let letters = match args.get(1) {
        None => "",
        Some(f) => f.as_str().ok_or_else(|| {
            vm.bad_argument(&format!("{WHO}: expected the flags as a String"), *f)
        })?,
    };
    let flags = Regex::parse_flags(letters).map_err(|c| {
        vm.error(
            ErrorKind::ArgumentError,
            format!("{WHO}: unknown flag '{c}': the flags are i, m, s and x"),
        )
    })?;
    let compiled = build(text, flags).map_err(|why| {
        vm.error(
            ErrorKind::ArgumentError,
            format!("{WHO}: invalid pattern {text:?}: {why}"),
        )
    })?;
    let r = Regex::new(text, flags);
    let _ = r.compiled.set(Box::new(Ok::<_, String>(compiled)));
    Ok(heap::alloc(Obj::Regex(Box::new(r))))
}

fn test(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let re = receiver(vm, this, "test")?;
    let (_, s) = text_arg(vm, args, 0, "test")?;
    Ok(Value::bool(re.is_match(s)))
}

/// The first Match of `re` in the String `s`, or nil (also `=~`).
fn first_match(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let re = receiver(vm, this, "match")?;
    let (hay, s) = text_arg(vm, args, 0, "match")?;
    Ok(re
        .captures(s)
        .map_or(Value::NIL, |c| match_value(Match::new(hay, &c, &re))))
}

fn match_all(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let re = receiver(vm, this, "match_all")?;
    let (hay, s) = text_arg(vm, args, 0, "match_all")?;
    let all = re
        .captures_iter(s)
        .map(|c| match_value(Match::new(hay, &c, &re)))
        .collect();
    Ok(heap::array(all))
}

/// `(re .replace s repl)` / `.replace_all`.
fn replace(vm: &mut Vm, this: Value, args: &[Value], all: bool) -> VmResult {
    let method = if all { "replace_all" } else { "replace" };
    let re = receiver(vm, this, method)?;
    let (hay, s) = text_arg(vm, args, 0, method)?;
    substitute(vm, &re, hay, s, arg(args, 1), all, method)
}

/// `s` with the first (or every) match of `re` replaced by `repl`: a String
/// with `$` references, or a function of the Match returning a String.
/// Shared with String `.replace`.
pub fn substitute(
    vm: &mut Vm,
    re: &regex::Regex,
    hay: Value,
    s: &str,
    repl: Value,
    all: bool,
    method: &str,
) -> VmResult {
    let limit = if all { 0 } else { 1 };
    if let Some(template) = repl.as_str() {
        return Ok(heap::string(re.replacen(s, limit, template)));
    }
    let callable = matches!(
        repl.obj(),
        Some(Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(_))
    );
    if !callable {
        return Err(vm.bad_argument(
            &format!(".{method}: expected a replacement String or a function"),
            repl,
        ));
    }
    // Matches first, then the calls: no borrow of the text across Gene code.
    let found: Vec<Match> = re
        .captures_iter(s)
        .take(if all { usize::MAX } else { 1 })
        .map(|c| Match::new(hay, &c, re))
        .collect();
    let mut out = String::new();
    let mut last = 0;
    for m in found {
        let (a, b) = m.groups[0].unwrap_or_default();
        let piece = vm.call_value(repl, &[match_value(m)])?;
        let Some(text) = piece.as_str() else {
            return Err(vm.bad_argument(
                &format!(".{method}: the replacement function must return a String"),
                piece,
            ));
        };
        out.push_str(s.get(last..a).unwrap_or(""));
        out.push_str(text);
        last = b;
    }
    out.push_str(s.get(last..).unwrap_or(""));
    Ok(heap::string(out))
}

fn split(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let re = receiver(vm, this, "split")?;
    let (_, s) = text_arg(vm, args, 0, "split")?;
    Ok(heap::array(re.split(s).map(heap::string).collect()))
}

/// `.group n`.
fn group(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = the_match(vm, this, "group")?;
    let n = arg(args, 0);
    let Some(i) = n.as_int() else {
        return Err(vm.bad_argument(".group: expected a group number (Int)", n));
    };
    match usize::try_from(i).ok().filter(|i| *i < m.groups.len()) {
        Some(i) => Ok(m.group_value(i)),
        None => Err(vm.error(
            ErrorKind::ArgumentError,
            format!(
                ".group: no group {i}: the regex has groups 0 to {}",
                m.groups.len() - 1
            ),
        )),
    }
}

/// `.named name`.
fn named(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let m = the_match(vm, this, "named")?;
    let n = arg(args, 0);
    let name = match (n.as_str(), n.as_symbol()) {
        (Some(s), _) => s.to_string(),
        (_, Some(sym)) => sym.name().to_string(),
        _ => return Err(vm.bad_argument(".named: expected a group name (String)", n)),
    };
    let index = m
        .regex
        .capture_names()
        .position(|g| g == Some(name.as_str()));
    match index {
        Some(i) => Ok(m.group_value(i)),
        None => Err(vm.error(
            ErrorKind::ArgumentError,
            format!(".named: the regex has no group named {name:?}"),
        )),
    }
}
