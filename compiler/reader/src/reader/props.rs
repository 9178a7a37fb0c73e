//! Property keys of maps and genes (spec §1.9): `^k v`, the shorthands
//! `^^flag` (true) and `^!flag` (nil), nested keys `^a^b v`, and the table
//! that merges nested keys and rejects duplicates.

use std::collections::HashMap;

use super::cursor::Cursor;
use super::symbol::{lex_token, Token};
use super::{ParseError, Result, MAX_NESTING};
use crate::{Form, FormKind, Span};

/// The shorthand ending a key, which stands for the value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Flag {
    /// `^^name`
    True,
    /// `^!name`: nil on its own, false at the end of a nested key.
    Nil,
}

/// A parsed `^...` key.
pub(super) struct PropKey {
    /// `^a^b` ⇒ `["a", "b"]`.
    path: Vec<String>,
    flag: Option<Flag>,
    pub(super) span: Span,
    /// The key as written, for messages.
    pub(super) text: String,
}

impl PropKey {
    /// The value a shorthand stands for, or `None` when a value form follows.
    pub(super) fn implied_value(&self) -> Option<Form> {
        let kind = match self.flag? {
            Flag::True => FormKind::Bool(true),
            Flag::Nil if self.path.len() > 1 => FormKind::Bool(false),
            Flag::Nil => FormKind::Nil,
        };
        Some(Form::new(kind, self.span))
    }
}

/// Reads a `^...` key; the cursor is at the `^`. `depth` is the number of
/// open frames, which a nested key adds to.
pub(super) fn read_key(cur: &mut Cursor<'_>, depth: usize) -> Result<PropKey> {
    let token = lex_token(cur)?;
    let key = parse_key(&token)?;
    if depth + key.path.len() > MAX_NESTING {
        return Err(ParseError::new(
            key.span,
            format!("nesting too deep: forms may be nested at most {MAX_NESTING} levels"),
        ));
    }
    Ok(key)
}

/// Splits `^a^^b` into segments. Each segment is an optional flag (`^` or `!`)
/// and a name; only the last segment may carry a flag.
fn parse_key(token: &Token) -> Result<PropKey> {
    let text = token.text();
    let error = |message: String| Err(ParseError::new(token.span, message));
    let mut rest = token.chars.get(1..).unwrap_or(&[]);
    let mut path = Vec::new();
    let mut flag = None;
    loop {
        if flag.is_some() {
            return error(format!(
                "`^^` and `^!` must end a nested key, but `{text}` continues after one"
            ));
        }
        flag = match rest.first() {
            Some(('^', false)) => Some(Flag::True),
            Some(('!', false)) => Some(Flag::Nil),
            _ => None,
        };
        if flag.is_some() {
            rest = rest.get(1..).unwrap_or(&[]);
        }
        let end = rest
            .iter()
            .position(|&c| c == ('^', false))
            .unwrap_or(rest.len());
        let (name, tail) = rest.split_at(end);
        if name.is_empty() {
            return error(format!("property name missing in `{text}`"));
        }
        path.push(name.iter().map(|&(c, _)| c).collect());
        match tail.split_first() {
            Some((_caret, after)) => rest = after,
            None => break,
        }
    }
    Ok(PropKey {
        path,
        flag,
        span: token.span,
        text,
    })
}

/// The properties of one map or gene, in insertion order.
#[derive(Default)]
pub(super) struct PropTable {
    entries: Vec<(String, PropNode)>,
    index: HashMap<String, usize>,
}

enum PropNode {
    Value(Form),
    /// A map made by nested keys (`^a^b 1`), which later nested keys extend.
    Nested(Span, PropTable),
}

impl PropTable {
    /// Adds `key value`; `what` names the literal for the duplicate-key message.
    pub(super) fn insert(&mut self, key: &PropKey, value: Form, what: &str) -> Result<()> {
        self.insert_path(&key.path, key, value, what)
    }

    fn insert_path(
        &mut self,
        path: &[String],
        key: &PropKey,
        value: Form,
        what: &str,
    ) -> Result<()> {
        let Some((name, rest)) = path.split_first() else {
            return Ok(());
        };
        match self.index.get(name).copied() {
            None => {
                let node = if rest.is_empty() {
                    PropNode::Value(value)
                } else {
                    let mut nested = PropTable::default();
                    nested.insert_path(rest, key, value, what)?;
                    PropNode::Nested(key.span, nested)
                };
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name.clone(), node));
                Ok(())
            }
            Some(i) => match self.entries.get_mut(i) {
                Some((_, PropNode::Nested(_, nested))) if !rest.is_empty() => {
                    nested.insert_path(rest, key, value, what)
                }
                _ => Err(ParseError::new(
                    key.span,
                    format!("duplicate key `{}` in this {what}", key.text),
                )),
            },
        }
    }

    pub(super) fn into_pairs(self) -> Vec<(String, Form)> {
        self.entries
            .into_iter()
            .map(|(name, node)| {
                let form = match node {
                    PropNode::Value(form) => form,
                    PropNode::Nested(span, table) => {
                        Form::new(FormKind::Map(table.into_pairs()), span)
                    }
                };
                (name, form)
            })
            .collect()
    }
}
