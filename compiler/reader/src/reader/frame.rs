//! Open frames: a collection, gene, prefix or interpolated string whose
//! contents are still being read, and what each does with the forms handed
//! to it, with its closing delimiter and with the end of the text.

use super::cursor::Cursor;
use super::props::{PropKey, PropTable};
use super::text::Interpolation;
use super::{eof_error, ParseError, Result};
use crate::{Form, FormKind, Span};

/// An open frame and where it was opened.
pub(super) struct Frame<'a> {
    pub(super) at: Cursor<'a>,
    pub(super) kind: FrameKind<'a>,
}

pub(super) enum FrameKind<'a> {
    /// `[...]`
    Array(Vec<Form>),
    /// `#[...]`
    Set(Vec<Form>),
    /// `(head ^k v child ...)`; `head` is `None` until the first form.
    Gene {
        head: Option<Form>,
        props: Props,
        children: Vec<Form>,
    },
    /// `{^k v ...}`
    Map(Props),
    /// `:x`, `%x`, `%_x`, `#_x`, `#@f x`: waiting for its operands.
    Prefix {
        prefix: PrefixKind,
        operands: Vec<Form>,
    },
    /// `#"..."`, between its embedded forms.
    Interpolation(Interpolation<'a>),
    /// `#{expr}` inside an interpolated string.
    Embedded(Option<Form>),
}

#[derive(Clone, Copy)]
pub(super) enum PrefixKind {
    Quote,
    Unquote,
    UnquoteDiscard,
    Discard,
    Decorator,
}

impl PrefixKind {
    fn syntax(self) -> &'static str {
        match self {
            PrefixKind::Quote => ":",
            PrefixKind::Unquote => "%",
            PrefixKind::UnquoteDiscard => "%_",
            PrefixKind::Discard => "#_",
            PrefixKind::Decorator => "#@",
        }
    }

    fn operands_wanted(self) -> &'static str {
        match self {
            PrefixKind::Quote => "a form to quote",
            PrefixKind::Unquote | PrefixKind::UnquoteDiscard => "a form to unquote",
            PrefixKind::Discard => "a form to discard",
            PrefixKind::Decorator => "a decorator and the form it decorates",
        }
    }

    fn arity(self) -> usize {
        match self {
            PrefixKind::Decorator => 2,
            _ => 1,
        }
    }
}

/// Whether a gene's single property group has started or ended.
#[derive(PartialEq)]
enum PropGroup {
    NotYet,
    Open,
    Closed,
}

/// The properties of a map or gene being read.
pub(super) struct Props {
    table: PropTable,
    /// A key read whose value has not arrived yet.
    pending: Option<PropKey>,
    group: PropGroup,
    /// "map" or "gene", for messages.
    what: &'static str,
}

impl Props {
    fn new(what: &'static str) -> Props {
        Props {
            table: PropTable::default(),
            pending: None,
            group: PropGroup::NotYet,
            what,
        }
    }

    pub(super) fn accept_key(&mut self, key: PropKey) -> Result<()> {
        if let Some(pending) = &self.pending {
            return Err(no_value(pending));
        }
        if self.group == PropGroup::Closed {
            return Err(ParseError::new(
                key.span,
                format!(
                    "second property group in a gene: `{}` must sit next to the other properties, not after a child",
                    key.text
                ),
            ));
        }
        self.group = PropGroup::Open;
        match key.implied_value() {
            Some(value) => self.table.insert(&key, value, self.what),
            None => {
                self.pending = Some(key);
                Ok(())
            }
        }
    }

    /// Takes `form` as the value of the pending key; gives it back when no
    /// key is pending.
    fn accept_value(&mut self, form: Form) -> Result<Option<Form>> {
        match self.pending.take() {
            Some(key) => self.table.insert(&key, form, self.what).map(|()| None),
            None => Ok(Some(form)),
        }
    }

    /// A child follows: a property group that was open is now over.
    fn end_group(&mut self) {
        if self.group == PropGroup::Open {
            self.group = PropGroup::Closed;
        }
    }

    fn check_complete(&self) -> Result<()> {
        match &self.pending {
            Some(key) => Err(no_value(key)),
            None => Ok(()),
        }
    }
}

fn no_value(key: &PropKey) -> ParseError {
    ParseError::new(key.span, format!("property `{}` has no value", key.text))
}

impl<'a> FrameKind<'a> {
    pub(super) fn gene() -> Self {
        FrameKind::Gene {
            head: None,
            props: Props::new("gene"),
            children: Vec::new(),
        }
    }

    pub(super) fn map() -> Self {
        FrameKind::Map(Props::new("map"))
    }

    pub(super) fn prefix(prefix: PrefixKind) -> Self {
        FrameKind::Prefix {
            prefix,
            operands: Vec::new(),
        }
    }
}

impl<'a> Frame<'a> {
    /// The frame's properties when a `^key` may stand next: in a map, and in
    /// a gene after its head.
    pub(super) fn props_mut(&mut self) -> Option<&mut Props> {
        match &mut self.kind {
            FrameKind::Map(props) => Some(props),
            FrameKind::Gene {
                head: Some(_),
                props,
                ..
            } => Some(props),
            _ => None,
        }
    }

    /// Takes a finished form; true when that completes the frame.
    pub(super) fn accept(&mut self, form: Form) -> Result<bool> {
        match &mut self.kind {
            FrameKind::Array(items) | FrameKind::Set(items) => items.push(form),
            FrameKind::Gene {
                head,
                props,
                children,
            } => {
                if let Some(form) = props.accept_value(form)? {
                    if head.is_none() {
                        *head = Some(form);
                    } else {
                        props.end_group();
                        children.push(form);
                    }
                }
            }
            FrameKind::Map(props) => {
                if let Some(form) = props.accept_value(form)? {
                    return Err(ParseError::new(
                        form.span,
                        "map entry without a key: a map holds `^key value` pairs",
                    ));
                }
            }
            FrameKind::Prefix { prefix, operands } => {
                operands.push(form);
                return Ok(operands.len() == prefix.arity());
            }
            FrameKind::Interpolation(interpolation) => interpolation.accept(form),
            FrameKind::Embedded(expr) => {
                if expr.is_some() {
                    return Err(ParseError::new(
                        form.span,
                        "interpolation `#{...}` holds one expression; write one `#{...}` for each",
                    ));
                }
                *expr = Some(form);
            }
        }
        Ok(false)
    }

    /// Closes the frame with the delimiter `c` found at `span`; `end` is just
    /// past it. `None` when the frame yields no form.
    pub(super) fn close(self, c: char, span: Span, end: &Cursor<'_>) -> Result<Option<Form>> {
        let expected = match &self.kind {
            FrameKind::Array(_) | FrameKind::Set(_) => ']',
            FrameKind::Gene { .. } => ')',
            FrameKind::Map(_) | FrameKind::Embedded(_) => '}',
            FrameKind::Interpolation(_) => '"',
            FrameKind::Prefix { prefix, .. } => {
                return Err(ParseError::new(
                    self.at.span_of_next(),
                    format!(
                        "`{}` must be followed by {}, but `{c}` follows it",
                        prefix.syntax(),
                        prefix.operands_wanted()
                    ),
                ))
            }
        };
        if c != expected {
            return Err(ParseError::new(
                span,
                format!(
                    "mismatched closing delimiter `{c}`: expected `{expected}` to close the {} opened at line {} col {}",
                    self.what(),
                    self.at.line(),
                    self.at.col()
                ),
            ));
        }
        match &self.kind {
            FrameKind::Gene { props, .. } | FrameKind::Map(props) => props.check_complete()?,
            FrameKind::Embedded(None) => {
                return Err(ParseError::new(
                    end.span_from(&self.at),
                    "empty interpolation `#{}`: it must hold one expression",
                ))
            }
            _ => {}
        }
        Ok(self.finish(end))
    }

    /// The form the frame stands for; `end` is where it ends.
    pub(super) fn finish(self, end: &Cursor<'_>) -> Option<Form> {
        let span = end.span_from(&self.at);
        let kind = match self.kind {
            FrameKind::Array(items) => FormKind::Array(items),
            FrameKind::Set(items) => FormKind::Set(items),
            FrameKind::Gene {
                head,
                props,
                children,
            } => FormKind::Gene {
                head: Box::new(head.unwrap_or(Form::new(FormKind::Nil, span))),
                props: props.table.into_pairs(),
                children,
            },
            FrameKind::Map(props) => FormKind::Map(props.table.into_pairs()),
            FrameKind::Prefix { prefix, operands } => {
                let mut operands = operands.into_iter();
                let first = Box::new(operands.next()?);
                match prefix {
                    PrefixKind::Quote => FormKind::Quote(first),
                    PrefixKind::Unquote => FormKind::Unquote(first),
                    PrefixKind::UnquoteDiscard => FormKind::UnquoteDiscard(first),
                    PrefixKind::Discard => return None,
                    PrefixKind::Decorator => FormKind::Gene {
                        head: first,
                        props: Vec::new(),
                        children: operands.collect(),
                    },
                }
            }
            FrameKind::Interpolation(interpolation) => interpolation.finish(),
            FrameKind::Embedded(expr) => return expr,
        };
        Some(Form::new(kind, span))
    }

    /// The error for reaching the end of the text inside this frame.
    pub(super) fn eof_error(&self) -> ParseError {
        let close = match &self.kind {
            FrameKind::Array(_) | FrameKind::Set(_) => "]",
            FrameKind::Gene { .. } => ")",
            FrameKind::Map(_) | FrameKind::Embedded(_) => "}",
            FrameKind::Interpolation(interpolation) => interpolation.closing_quotes(),
            FrameKind::Prefix { prefix, .. } => {
                return ParseError::new(
                    self.at.span_of_next(),
                    format!(
                        "EOF after `{}`: expected {}",
                        prefix.syntax(),
                        prefix.operands_wanted()
                    ),
                )
            }
        };
        eof_error(&self.at, self.what(), close)
    }

    /// The frame's name in messages.
    fn what(&self) -> &'static str {
        match &self.kind {
            FrameKind::Array(_) => "array",
            FrameKind::Set(_) => "set",
            FrameKind::Gene { .. } => "gene",
            FrameKind::Map(_) => "map",
            FrameKind::Prefix { prefix, .. } => prefix.syntax(),
            FrameKind::Interpolation(_) => "interpolated string",
            FrameKind::Embedded(_) => "interpolation `#{...}`",
        }
    }
}
