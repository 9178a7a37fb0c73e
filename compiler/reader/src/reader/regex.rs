//! Regex literals (spec 07 §7.6): `#/pattern/flags`.
//!
//! The pattern runs to the first `/` not escaped by a backslash; `\/` reads
//! as `/`, every other escape is kept for the regex syntax. Flags are the
//! letters right after the closing slash, any of `imsx`, kept in that order.
//! The reader knows no regex engine: the pattern is checked by the
//! validator installed with [`set_regex_validator`] (the runtime's regex
//! library does so when it is linked), so an invalid pattern is a
//! `ParseError` located at the literal.

use super::cursor::Cursor;
use super::{ParseError, Result};
use crate::{Form, FormKind};
use std::sync::OnceLock;

/// Checks a pattern with its flags; the error says what is wrong.
pub type RegexValidator = fn(pattern: &str, flags: &str) -> std::result::Result<(), String>;

static VALIDATOR: OnceLock<RegexValidator> = OnceLock::new();

/// Installs the function that checks every regex literal read from now on.
pub fn set_regex_validator(validator: RegexValidator) {
    let _ = VALIDATOR.set(validator);
}

const FLAGS: &str = "imsx";

pub(super) fn read_regex(cur: &mut Cursor<'_>) -> Result<Form> {
    let start = *cur;
    cur.bump_n(2);
    let mut pattern = String::new();
    loop {
        match cur.bump() {
            None => {
                return Err(ParseError::new(
                    start.span_of_next(),
                    "unterminated regex literal: expected a closing `/` (write `\\/` for a slash inside the pattern)",
                ))
            }
            Some('/') => break,
            Some('\\') => match cur.bump() {
                Some('/') => pattern.push('/'),
                Some(c) => {
                    pattern.push('\\');
                    pattern.push(c);
                }
                None => {
                    return Err(ParseError::new(
                        start.span_of_next(),
                        "unterminated regex literal: expected a closing `/`",
                    ))
                }
            },
            Some(c) => pattern.push(c),
        }
    }
    let mut seen = [false; 4];
    while let Some(c) = cur.peek().filter(|c| c.is_ascii_alphanumeric()) {
        let Some(i) = FLAGS.find(c) else {
            return Err(ParseError::new(
                cur.span_of_next(),
                format!("unknown regex flag `{c}`: the flags are i, m, s and x"),
            ));
        };
        seen[i] = true;
        cur.bump();
    }
    let flags: String = FLAGS
        .chars()
        .zip(seen)
        .filter(|(_, on)| *on)
        .map(|(c, _)| c)
        .collect();
    let span = cur.span_from(&start);
    if let Some(validate) = VALIDATOR.get() {
        if let Err(why) = validate(&pattern, &flags) {
            return Err(ParseError::new(
                span,
                format!("invalid regex literal: {why}"),
            ));
        }
    }
    Ok(Form::new(FormKind::Regex { pattern, flags }, span))
}
