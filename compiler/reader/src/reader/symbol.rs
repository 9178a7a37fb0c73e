//! Symbol tokens (spec §1.8) and the words `nil`, `true`, `false` (§1.3).
//!
//! A token is a maximal run of characters up to whitespace or a terminating
//! character; a backslash escapes the next character, so `a\ b` is one token
//! and `a\/b` keeps its `/`. Property keys (`^a^b`) are tokens too, which is
//! why the lexer keeps, for each character, whether it was escaped.

use super::cursor::Cursor;
use super::{ends_token, ParseError, Result};
use crate::{Form, FormKind, Span};

/// One token's characters, each with whether it was written escaped.
pub(super) struct Token {
    pub(super) chars: Vec<(char, bool)>,
    pub(super) span: Span,
}

impl Token {
    pub(super) fn text(&self) -> String {
        self.chars.iter().map(|&(c, _)| c).collect()
    }
}

/// Lexes one token. Its first character always belongs to it: tokens only
/// start at a character that cannot end one, and taking it unconditionally
/// guarantees the reader advances.
pub(super) fn lex_token(cur: &mut Cursor<'_>) -> Result<Token> {
    let start = *cur;
    let mut chars = Vec::new();
    while let Some(c) = cur.peek() {
        if ends_token(c) && !chars.is_empty() {
            break;
        }
        let escape_at = *cur;
        cur.bump();
        if c != '\\' {
            chars.push((c, false));
            continue;
        }
        match cur.bump() {
            Some(escaped) => chars.push((escaped, true)),
            None => {
                return Err(ParseError::new(
                    escape_at.span_of_next(),
                    "EOF after `\\` in a symbol: expected the character it escapes",
                ))
            }
        }
    }
    Ok(Token {
        chars,
        span: cur.span_from(&start),
    })
}

/// A symbol, complex symbol, or one of `nil`, `true`, `false`.
pub(super) fn read_symbol(cur: &mut Cursor<'_>) -> Result<Form> {
    let token = lex_token(cur)?;
    let any_escaped = token.chars.iter().any(|&(_, escaped)| escaped);
    let text = token.text();
    let kind = match text.as_str() {
        "nil" if !any_escaped => FormKind::Nil,
        "true" if !any_escaped => FormKind::Bool(true),
        "false" if !any_escaped => FormKind::Bool(false),
        // The compound division operator, not the path `self/=`; and the
        // floor-division operator (spec 07 §7.1), not an empty path.
        "/=" | "//" if !any_escaped => FormKind::Symbol(text),
        _ if token.chars.len() > 1 && token.chars.contains(&('/', false)) => {
            FormKind::ComplexSymbol(split_on_slash(&token.chars))
        }
        _ => FormKind::Symbol(text),
    };
    Ok(Form::new(kind, token.span))
}

/// `n/m/A` ⇒ `["n", "m", "A"]`; an escaped `/` stays inside its part.
fn split_on_slash(chars: &[(char, bool)]) -> Vec<String> {
    chars
        .split(|&(c, escaped)| c == '/' && !escaped)
        .map(|part| part.iter().map(|&(c, _)| c).collect())
        .collect()
}
