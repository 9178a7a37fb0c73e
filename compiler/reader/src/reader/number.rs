//! Number literals (spec §1.4): `[+-]? digits ('.' digits*)? ([eE] [+-]? digits)?`,
//! plus `0x`, `0b`, `0o` integers. Ints are i64 (02-types §2.3).
//!
//! A number must end where a token ends. Whatever else follows it is one of
//! the literal kinds the older interpreter had and v1 rejects (units, dates,
//! ratios, data literals), reported with a message naming that kind.

use super::cursor::Cursor;
use super::{ends_token, ParseError, Result};
use crate::{Form, FormKind, Span};

/// Reads a number; the cursor is at a digit or at a sign before a digit.
pub(super) fn read_number(cur: &mut Cursor<'_>) -> Result<Form> {
    let start = *cur;
    let mut text = String::new();
    if let Some(sign @ ('+' | '-')) = cur.peek() {
        text.push(sign);
        cur.bump();
    }
    if cur.peek() == Some('0') {
        if let Some(prefix @ ('x' | 'b' | 'o')) = cur.peek_nth(1) {
            cur.bump_n(2);
            return read_radix_int(cur, &start, text, prefix);
        }
    }
    take_digits(cur, &mut text);
    let mut is_float = false;
    if cur.peek() == Some('.') {
        is_float = true;
        text.push('.');
        cur.bump();
        take_digits(cur, &mut text);
    }
    if exponent_follows(cur) {
        is_float = true;
        for _ in 0..2 {
            if let Some(c) = cur.bump() {
                text.push(c);
            }
        }
        take_digits(cur, &mut text);
    }
    if let Some(next) = cur.peek().filter(|&c| !ends_token(c)) {
        let message = if next.is_alphabetic() {
            "number with unit not supported".to_string()
        } else if !is_float && matches!(next, '-' | ':' | '/') {
            "date, time and ratio literals are not supported".to_string()
        } else if !is_float
            && text.trim_start_matches(['+', '-']) == "0"
            && matches!(next, '!' | '*' | '#')
        {
            "binary, hex-byte and base64 literals (`0!`, `0*`, `0#`) are not supported".to_string()
        } else {
            format!("unexpected character `{next}` after the number `{text}`")
        };
        skip_to_token_end(cur);
        return Err(ParseError::new(cur.span_from(&start), message));
    }
    let span = cur.span_from(&start);
    let kind = if is_float {
        match text.parse::<f64>() {
            Ok(f) => FormKind::Float(f),
            Err(_) => {
                return Err(ParseError::new(
                    span,
                    format!("invalid float literal `{text}`"),
                ))
            }
        }
    } else {
        match text.parse::<i64>() {
            Ok(i) => FormKind::Int(i),
            Err(_) => return Err(out_of_range(span)),
        }
    };
    Ok(Form::new(kind, span))
}

fn take_digits(cur: &mut Cursor<'_>, text: &mut String) {
    while let Some(d) = cur.peek().filter(char::is_ascii_digit) {
        text.push(d);
        cur.bump();
    }
}

/// `e5`, `E-3`: an exponent needs at least one digit; `1e` is a unit.
fn exponent_follows(cur: &Cursor<'_>) -> bool {
    let digit_at = |n| cur.peek_nth(n).is_some_and(|c: char| c.is_ascii_digit());
    matches!(cur.peek(), Some('e' | 'E'))
        && (digit_at(1) || (matches!(cur.peek_nth(1), Some('+' | '-')) && digit_at(2)))
}

/// `0x1F`, `0b101`, `0o17` after the prefix; `sign` is `""`, `"+"` or `"-"`.
fn read_radix_int(
    cur: &mut Cursor<'_>,
    start: &Cursor<'_>,
    sign: String,
    prefix: char,
) -> Result<Form> {
    let (radix, name) = match prefix {
        'x' => (16, "hex"),
        'b' => (2, "binary"),
        _ => (8, "octal"),
    };
    let mut digits = sign;
    let sign_len = digits.len();
    while let Some(c) = cur.peek().filter(|&c| !ends_token(c)) {
        digits.push(c);
        cur.bump();
    }
    let span = cur.span_from(start);
    let body = digits.get(sign_len..).unwrap_or("");
    if body.is_empty() {
        return Err(ParseError::new(
            span,
            format!("{name} literal `0{prefix}` needs at least one digit"),
        ));
    }
    if let Some(bad) = body.chars().find(|c| !c.is_digit(radix)) {
        return Err(ParseError::new(
            span,
            format!("invalid digit `{bad}` in {name} literal `0{prefix}{body}`"),
        ));
    }
    match i64::from_str_radix(&digits, radix) {
        Ok(i) => Ok(Form::new(FormKind::Int(i), span)),
        Err(_) => Err(out_of_range(span)),
    }
}

fn skip_to_token_end(cur: &mut Cursor<'_>) {
    while cur.peek().is_some_and(|c| !ends_token(c)) {
        cur.bump();
    }
}

fn out_of_range(span: Span) -> ParseError {
    ParseError::new(
        span,
        format!(
            "integer literal out of range: ints are 64-bit ({} to {})",
            i64::MIN,
            i64::MAX
        ),
    )
}
