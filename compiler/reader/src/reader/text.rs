//! Strings (spec §1.5), characters (§1.7) and the text of interpolated
//! strings (§1.6), whose embedded forms the frame loop reads.

use super::cursor::Cursor;
use super::frame::FrameKind;
use super::{eof_error, skip_block_comment, skip_trivia, Event, ParseError, Result};
use crate::{Form, FormKind, Span};

/// `"..."` or `"""..."""`.
pub(super) fn read_string(cur: &mut Cursor<'_>) -> Result<Form> {
    let start = *cur;
    let triple = cur.starts_with(TRIPLE);
    let (what, close) = if triple {
        ("triple-quoted string", TRIPLE)
    } else {
        ("string", "\"")
    };
    cur.bump_n(close.len());
    let mut text = String::new();
    loop {
        match cur.peek() {
            None => return Err(eof_error(&start, what, close)),
            Some('"') if cur.starts_with(close) => {
                cur.bump_n(close.len());
                break;
            }
            Some('\\') => match read_escape(cur)? {
                Some(c) => text.push(c),
                None => return Err(eof_error(&start, what, close)),
            },
            Some(c) => {
                text.push(c);
                cur.bump();
            }
        }
    }
    if triple {
        text = trim_trailing_indent(&trim_leading_blank(&text));
    }
    Ok(Form::new(FormKind::Str(text), cur.span_from(&start)))
}

const TRIPLE: &str = "\"\"\"";

/// `'a'`, `'中'`, `'\n'`, `'\u0041'`.
pub(super) fn read_char(cur: &mut Cursor<'_>) -> Result<Form> {
    let start = *cur;
    let eof = || eof_error(&start, "character literal", "'");
    cur.bump();
    let c = match cur.peek() {
        None => return Err(eof()),
        Some('\'') => {
            cur.bump();
            return Err(ParseError::new(
                cur.span_from(&start),
                "empty character literal `''`: a character literal holds exactly one character",
            ));
        }
        // `'\u'` is `u` like any other escaped letter; `'\u4E2D'` is an escape.
        Some('\\') if cur.starts_with("\\u'") => {
            cur.bump_n(2);
            'u'
        }
        Some('\\') => read_escape(cur)?.ok_or_else(eof)?,
        Some(c) => {
            cur.bump();
            c
        }
    };
    match cur.peek() {
        Some('\'') => {
            cur.bump();
            Ok(Form::new(FormKind::Char(c), cur.span_from(&start)))
        }
        None => Err(eof()),
        Some(_) => Err(ParseError::new(
            start.span_of_next(),
            "bad character literal: it holds exactly one character and ends with `'` (strings use double quotes)",
        )),
    }
}

/// The escape at the cursor's `\`: `\n \t \r \b \f \uXXXX`, and any other
/// character for itself. `None` when the text ends first.
fn read_escape(cur: &mut Cursor<'_>) -> Result<Option<char>> {
    let escape_at = *cur;
    cur.bump();
    let Some(c) = cur.bump() else {
        return Ok(None);
    };
    Ok(Some(match c {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'u' => read_unicode_escape(cur, &escape_at)?,
        other => other,
    }))
}

/// The rest of `\uXXXX`, combining a surrogate pair `\uD83D\uDE00`.
fn read_unicode_escape(cur: &mut Cursor<'_>, escape_at: &Cursor<'_>) -> Result<char> {
    let unit = read_hex4(cur, escape_at)?;
    let lone_surrogate = |cur: &Cursor<'_>, detail: &str| {
        ParseError::new(
            cur.span_from(escape_at),
            format!("lone surrogate `\\u{unit:04X}`: {detail}"),
        )
    };
    let code = match unit {
        0xD800..=0xDBFF => {
            if !cur.starts_with("\\u") {
                return Err(lone_surrogate(
                    cur,
                    "a high surrogate must be followed by a `\\u` low surrogate",
                ));
            }
            cur.bump_n(2);
            match read_hex4(cur, escape_at)? {
                low @ 0xDC00..=0xDFFF => 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00),
                _ => {
                    return Err(lone_surrogate(
                        cur,
                        "a high surrogate must be followed by a `\\u` low surrogate",
                    ))
                }
            }
        }
        0xDC00..=0xDFFF => {
            return Err(lone_surrogate(
                cur,
                "a low surrogate must follow a high surrogate",
            ))
        }
        _ => unit,
    };
    char::from_u32(code).ok_or_else(|| {
        ParseError::new(
            cur.span_from(escape_at),
            "bad `\\u` escape: not a Unicode scalar value",
        )
    })
}

/// Four hex digits of a `\u` escape.
fn read_hex4(cur: &mut Cursor<'_>, escape_at: &Cursor<'_>) -> Result<u32> {
    let mut value = 0;
    for _ in 0..4 {
        let Some(digit) = cur.peek().and_then(|c| c.to_digit(16)) else {
            return Err(ParseError::new(
                cur.span_from(escape_at),
                "bad `\\u` escape: expected four hex digits after `\\u`",
            ));
        };
        value = value * 16 + digit;
        cur.bump();
    }
    Ok(value)
}

/// An interpolated string `#"..."` or `#"""..."""` being read.
pub(super) struct Interpolation<'a> {
    triple: bool,
    /// The span of `#"`, given to the `#Str` head.
    head_span: Span,
    parts: Parts<'a>,
}

impl<'a> Interpolation<'a> {
    /// Consumes the opening `#"` or `#"""`.
    pub(super) fn open(cur: &mut Cursor<'a>) -> Self {
        let start = *cur;
        cur.bump();
        let triple = cur.starts_with(TRIPLE);
        cur.bump_n(if triple { 3 } else { 1 });
        Interpolation {
            triple,
            head_span: cur.span_from(&start),
            parts: Parts::default(),
        }
    }

    pub(super) fn closing_quotes(&self) -> &'static str {
        if self.triple {
            TRIPLE
        } else {
            "\""
        }
    }

    /// Scans text up to the next embedded form (`#{`, `#(`, `#[`), which it
    /// opens, or to the closing quote, reported as `Close('"')`.
    pub(super) fn scan(&mut self, cur: &mut Cursor<'a>) -> Result<Event<'a>> {
        let close = self.closing_quotes();
        loop {
            let at = *cur;
            match cur.peek() {
                None => return Ok(Event::Eof),
                Some('"') if cur.starts_with(close) => {
                    self.parts.end_text(cur);
                    cur.bump_n(close.len());
                    return Ok(Event::Close('"', cur.span_from(&at)));
                }
                Some('\\') => match read_escape(cur)? {
                    Some(c) => self.parts.push_char(c, &at),
                    None => return Ok(Event::Eof),
                },
                Some('#') => match cur.peek_nth(1) {
                    Some('{') => {
                        self.parts.end_text(cur);
                        return Ok(open_embedded(cur));
                    }
                    Some(open @ ('(' | '[')) => {
                        self.parts.end_text(cur);
                        cur.bump();
                        let at = *cur;
                        cur.bump();
                        let kind = if open == '(' {
                            FrameKind::gene()
                        } else {
                            FrameKind::Array(Vec::new())
                        };
                        return Ok(Event::open(at, kind));
                    }
                    Some('<') => skip_block_comment(cur),
                    _ => {
                        self.parts.push_char('#', &at);
                        cur.bump();
                    }
                },
                Some(c) => {
                    self.parts.push_char(c, &at);
                    cur.bump();
                }
            }
        }
    }

    /// Takes an embedded form.
    pub(super) fn accept(&mut self, form: Form) {
        self.parts.push_form(form);
    }

    /// A plain string when every part is a string, else `(#Str part ...)`.
    pub(super) fn finish(self) -> FormKind {
        let mut parts = self.parts.forms;
        if self.triple {
            trim_part(parts.first_mut(), trim_leading_blank);
            trim_part(parts.last_mut(), trim_trailing_indent);
        }
        match parts.as_slice() {
            [] => FormKind::Str(String::new()),
            [Form {
                kind: FormKind::Str(s),
                ..
            }] => FormKind::Str(s.clone()),
            _ => FormKind::Gene {
                head: Box::new(Form::new(FormKind::Symbol("#Str".into()), self.head_span)),
                props: Vec::new(),
                children: parts,
            },
        }
    }
}

/// `#{expr}`, or `#{^k v ...}`, which is a map literal.
fn open_embedded<'a>(cur: &mut Cursor<'a>) -> Event<'a> {
    let at = *cur;
    let mut lookahead = *cur;
    lookahead.bump_n(2);
    skip_trivia(&mut lookahead);
    if lookahead.peek() == Some('^') {
        cur.bump();
        let brace = *cur;
        cur.bump();
        return Event::open(brace, FrameKind::map());
    }
    cur.bump_n(2);
    Event::open(at, FrameKind::Embedded(None))
}

/// The parts of an interpolated string being read. Adjacent string parts
/// merge: literal text around a comment, or an embedded string literal.
#[derive(Default)]
struct Parts<'a> {
    forms: Vec<Form>,
    /// The literal text being collected, and where it started.
    text: String,
    text_start: Option<Cursor<'a>>,
}

impl<'a> Parts<'a> {
    fn push_char(&mut self, c: char, at: &Cursor<'a>) {
        self.text_start.get_or_insert(*at);
        self.text.push(c);
    }

    /// Ends the literal text being collected; `end` is where it ends.
    fn end_text(&mut self, end: &Cursor<'_>) {
        if let Some(start) = self.text_start.take() {
            let text = std::mem::take(&mut self.text);
            self.push_form(Form::new(FormKind::Str(text), end.span_from(&start)));
        }
    }

    fn push_form(&mut self, form: Form) {
        if let (
            Some(Form {
                kind: FormKind::Str(last),
                span,
            }),
            FormKind::Str(more),
        ) = (self.forms.last_mut(), &form.kind)
        {
            last.push_str(more);
            span.end = form.span.end;
            return;
        }
        self.forms.push(form);
    }
}

/// Applies a triple-quote trimming rule to an interpolation part that is a string.
fn trim_part(part: Option<&mut Form>, trim: fn(&str) -> String) {
    if let Some(Form {
        kind: FormKind::Str(s),
        ..
    }) = part
    {
        *s = trim(s);
    }
}

/// Triple-quoted strings: spaces and tabs followed by a line break at the very
/// start become a single `\n` (`"""  ⏎x"""` ⇒ `"\nx"`).
fn trim_leading_blank(s: &str) -> String {
    let after_blank = s.trim_start_matches([' ', '\t']);
    match strip_line_break_prefix(after_blank) {
        Some(rest) => format!("\n{rest}"),
        None => s.to_string(),
    }
}

/// Triple-quoted strings: a line break followed by spaces and tabs at the very
/// end becomes a single `\n` (`"""x⏎   """` ⇒ `"x\n"`).
fn trim_trailing_indent(s: &str) -> String {
    let before_blank = s.trim_end_matches([' ', '\t']);
    match strip_line_break_suffix(before_blank) {
        Some(head) => format!("{head}\n"),
        None => s.to_string(),
    }
}

fn strip_line_break_prefix(s: &str) -> Option<&str> {
    s.strip_prefix("\r\n")
        .or_else(|| s.strip_prefix(['\n', '\r']))
}

fn strip_line_break_suffix(s: &str) -> Option<&str> {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix(['\n', '\r']))
}
