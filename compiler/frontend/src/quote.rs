//! Conversion between reader forms and runtime values.
//!
//! Quoted code is data a program can inspect, so the compiler turns quoted
//! forms into values ([`form_to_value`]); `eval` turns values back into forms
//! to compile them ([`value_to_form`]).

use gene_core::heap::{self, Obj};
use gene_core::object::Regex;
use gene_core::object::{prop_map, Gene, PropMap, Range};
use gene_core::{Symbol, Value};
use gene_reader::{Form, FormKind, Span};
use std::cell::{Cell, RefCell};

/// The value a form denotes as data. A quote nested in data stays a quote
/// value (spec 02 §2.9); unquotes stay unquote values for `$render`.
pub fn form_to_value(form: &Form) -> Value {
    match &form.kind {
        FormKind::Nil => Value::NIL,
        FormKind::Bool(b) => Value::bool(*b),
        FormKind::Int(i) => Value::int(*i),
        FormKind::Float(f) => Value::float(*f),
        FormKind::Char(c) => Value::char(*c),
        FormKind::Str(s) => heap::string(s.as_str()),
        FormKind::Regex { pattern, flags } => heap::alloc(Obj::Regex(Box::new(
            gene_core::object::Regex::new(pattern.as_str(), Regex::parse_flags(flags).unwrap_or(0)),
        ))),
        FormKind::Symbol(s) => Value::symbol(Symbol::intern(s)),
        FormKind::ComplexSymbol(parts) => complex_symbol(parts),
        FormKind::Array(items) => heap::array(items.iter().map(form_to_value).collect()),
        FormKind::Set(items) => heap::alloc(Obj::Set(RefCell::new(
            items.iter().map(form_to_value).collect(),
        ))),
        FormKind::Map(entries) => heap::map(props_to_map(entries)),
        FormKind::Gene {
            head,
            props,
            children,
        } => gene(
            form_to_value(head),
            props_to_map(props),
            children.iter().map(form_to_value).collect(),
        ),
        FormKind::Quote(inner) => heap::alloc(Obj::Quote(form_to_value(inner))),
        FormKind::Unquote(inner) => heap::alloc(Obj::Unquote(form_to_value(inner), false)),
        FormKind::UnquoteDiscard(inner) => heap::alloc(Obj::Unquote(form_to_value(inner), true)),
    }
}

pub fn complex_symbol(parts: &[String]) -> Value {
    heap::alloc(Obj::ComplexSymbol(
        parts.iter().map(|p| Symbol::intern(p)).collect(),
    ))
}

pub fn gene(ty: Value, props: PropMap, children: Vec<Value>) -> Value {
    heap::alloc(Obj::Gene(Box::new(Gene {
        ty: Cell::new(ty),
        props: RefCell::new(props),
        children: RefCell::new(children),
    })))
}

fn props_to_map(entries: &[(String, Form)]) -> PropMap {
    let mut map = prop_map();
    for (k, v) in entries {
        map.insert(Symbol::intern(k), form_to_value(v));
    }
    map
}

/// The form a value denotes as code, located at `span` (values carry no
/// source position of their own). Values with no form of their own (functions,
/// instances, ...) are embedded as literals the compiler loads as constants.
pub fn value_to_form(v: Value, span: Span) -> Form {
    let kind = value_to_form_kind(v, span, 0);
    Form::new(kind, span)
}

/// Values deeper than this are embedded as constants rather than converted.
const MAX_DEPTH: usize = 500;

fn value_to_form_kind(v: Value, span: Span, depth: usize) -> FormKind {
    let sub = |v: Value| Form::new(value_to_form_kind(v, span, depth + 1), span);
    if let Some(f) = v.as_float() {
        return FormKind::Float(f);
    }
    if let Some(i) = v.as_small_int() {
        return FormKind::Int(i);
    }
    if let Some(c) = v.as_char() {
        return FormKind::Char(c);
    }
    if let Some(s) = v.as_symbol() {
        return FormKind::Symbol(s.name().to_string());
    }
    match v {
        Value::NIL => return FormKind::Nil,
        Value::TRUE => return FormKind::Bool(true),
        Value::FALSE => return FormKind::Bool(false),
        Value::PLACEHOLDER => return FormKind::Symbol("_".into()),
        _ => {}
    }
    if depth > MAX_DEPTH {
        return literal(v);
    }
    match v.obj() {
        Some(Obj::Int(i)) => FormKind::Int(*i),
        Some(Obj::Str(s)) => FormKind::Str(s.to_string()),
        Some(Obj::Regex(r)) => FormKind::Regex {
            pattern: r.pattern.to_string(),
            flags: r.flag_letters(),
        },
        Some(Obj::ComplexSymbol(parts)) => {
            FormKind::ComplexSymbol(parts.iter().map(|p| p.name().to_string()).collect())
        }
        Some(Obj::Array(items)) => {
            FormKind::Array(items.borrow().clone().into_iter().map(sub).collect())
        }
        Some(Obj::Map(m)) => FormKind::Map(
            m.borrow()
                .clone()
                .into_iter()
                .map(|(k, v)| (k.name().to_string(), sub(v)))
                .collect(),
        ),
        Some(Obj::Gene(g)) => {
            let props = g.props.borrow().clone();
            let children = g.children.borrow().clone();
            FormKind::Gene {
                head: Box::new(sub(g.ty.get())),
                props: props
                    .into_iter()
                    .map(|(k, v)| (k.name().to_string(), sub(v)))
                    .collect(),
                children: children.into_iter().map(sub).collect(),
            }
        }
        Some(Obj::Quote(q)) => FormKind::Quote(Box::new(sub(*q))),
        Some(Obj::Unquote(q, false)) => FormKind::Unquote(Box::new(sub(*q))),
        Some(Obj::Unquote(q, true)) => FormKind::UnquoteDiscard(Box::new(sub(*q))),
        _ => literal(v),
    }
}

/// A form that evaluates to `v` itself: `(#Literal <index>)` is recognised by
/// the compiler, which loads the value registered here as a constant.
fn literal(v: Value) -> FormKind {
    let id = LITERALS.with(|l| {
        let mut l = l.borrow_mut();
        l.push(v);
        l.len() - 1
    });
    FormKind::Gene {
        head: Box::new(Form::new(
            FormKind::Symbol(LITERAL_HEAD.into()),
            Span::default(),
        )),
        props: Vec::new(),
        children: vec![Form::new(FormKind::Int(id as i64), Span::default())],
    }
}

pub const LITERAL_HEAD: &str = "#Literal";

thread_local! {
    static LITERALS: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Calls `visit` on every value registered by [`value_to_form`] (roots of
/// the collector: compiled code may load them).
pub fn trace_literals(visit: &mut dyn FnMut(Value)) {
    LITERALS.with(|l| l.borrow().iter().for_each(|v| visit(*v)));
}

/// The value registered by [`value_to_form`] under `id`.
pub fn literal_value(id: i64) -> Option<Value> {
    LITERALS.with(|l| {
        usize::try_from(id)
            .ok()
            .and_then(|i| l.borrow().get(i).copied())
    })
}

pub fn range(start: i64, end: i64, step: i64) -> Value {
    heap::alloc(Obj::Range(Range { start, end, step }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gene_core::print::repr;

    fn round_trip(src: &str) -> String {
        let forms = gene_reader::read_all(src).expect("reads");
        let v = form_to_value(&forms[0]);
        let back = value_to_form(v, Span::default());
        repr(form_to_value(&back))
    }

    #[test]
    fn quoted_data_round_trips() {
        assert_eq!(round_trip("(f ^a 1 \"s\" [x :y])"), "(f ^a 1 \"s\" [x :y])");
        assert_eq!(round_trip("{^k %v}"), "{^k %v}");
    }
}
