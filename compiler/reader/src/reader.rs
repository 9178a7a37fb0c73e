//! The reader proper (spec 01): comments, literals, symbols, collections,
//! genes, quoting and reader dispatch forms.
//!
//! The reader is a loop over a stack of open frames, not a recursive descent:
//! a collection, a prefix such as `:` or `#_`, or an interpolated string
//! opens a frame; each finished form is handed to the innermost frame, and a
//! closing delimiter finishes it. Recursion would cost kilobytes of machine
//! stack per nesting level in debug builds, and the reader must not overflow
//! whatever thread it runs on. Atoms (numbers, strings, symbols, keys) are
//! lexed by flat functions over the cursor.
//!
//! What a character means depends on the innermost frame: `^a` is a property
//! key inside a map or gene and a symbol elsewhere; inside an interpolated
//! string, text is scanned until `#{`, `#(` or `#[` opens an embedded form.
//!
//! * `cursor`: position tracking (byte offset, line, column);
//! * `frame`: open collections and prefixes, and how each one completes;
//! * `props`: `^key` properties, their shorthands and duplicate checks;
//! * `symbol`, `number`, `text`: the atoms, and the text of interpolations.
//!
//! Architecture invariant: the reader never panics and its stack use does
//! not grow with the input. Any text yields forms or a located
//! [`ParseError`]; nesting deeper than [`MAX_NESTING`] is an error.

mod cursor;
mod frame;
mod number;
mod props;
mod regex;
pub use regex::{set_regex_validator, RegexValidator};
mod symbol;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::{render_diagnostic, Form, FormKind, Span};
use cursor::Cursor;
use frame::{Frame, FrameKind, PrefixKind};

/// How deeply forms may nest (collections, quotes, decorators, `#_`,
/// interpolations, nested property keys). The reader itself could go deeper;
/// the limit protects the passes after it, which recurse over forms.
pub const MAX_NESTING: usize = 1000;

/// A located reader error.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl ParseError {
    fn new(span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            span,
        }
    }

    /// The error as `file:line:col: error: message`, the source line and a caret.
    pub fn render(&self, file: &str, src: &str) -> String {
        render_diagnostic(file, src, self.span, &self.message)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.span.line, self.span.col, self.message)
    }
}

impl std::error::Error for ParseError {}

type Result<T> = std::result::Result<T, ParseError>;

/// Reads every top-level form of `src`.
pub fn read_all(src: &str) -> Result<Vec<Form>> {
    let mut reader = Reader {
        cur: Cursor::new(src),
        stack: Vec::new(),
    };
    let mut forms = Vec::new();
    while let Some(form) = reader.read_top_level()? {
        forms.push(form);
    }
    Ok(forms)
}

/// Reads the first form of `src`, or `None` when it holds no form.
pub fn read_one(src: &str) -> Result<Option<Form>> {
    Ok(read_all(src)?.into_iter().next())
}

/// What the reader finds next.
enum Event<'a> {
    /// A complete atom.
    Form(Form),
    /// The start of a nested form, already consumed.
    Open(Box<Frame<'a>>),
    /// A closing delimiter, consumed; `"` when an interpolated string ends.
    Close(char, Span),
    Eof,
}

impl<'a> Event<'a> {
    fn open(at: Cursor<'a>, kind: FrameKind<'a>) -> Self {
        Event::Open(Box::new(Frame { at, kind }))
    }
}

struct Reader<'a> {
    cur: Cursor<'a>,
    /// The open frames, innermost last.
    stack: Vec<Frame<'a>>,
}

impl<'a> Reader<'a> {
    /// Reads the next top-level form, or `None` at the end of the text.
    fn read_top_level(&mut self) -> Result<Option<Form>> {
        loop {
            let depth = self.stack.len();
            let event = match self.stack.last_mut() {
                Some(Frame {
                    kind: FrameKind::Interpolation(interpolation),
                    ..
                }) => interpolation.scan(&mut self.cur)?,
                top => {
                    skip_trivia(&mut self.cur);
                    match top.and_then(Frame::props_mut) {
                        Some(props) if self.cur.peek() == Some('^') => {
                            let key = props::read_key(&mut self.cur, depth)?;
                            props.accept_key(key)?;
                            continue;
                        }
                        _ => scan(&mut self.cur)?,
                    }
                }
            };
            let finished = match event {
                Event::Form(form) => Some(form),
                Event::Open(frame) => {
                    if depth >= MAX_NESTING {
                        return Err(ParseError::new(
                            frame.at.span_of_next(),
                            format!("nesting too deep: forms may be nested at most {MAX_NESTING} levels"),
                        ));
                    }
                    self.stack.push(*frame);
                    continue;
                }
                Event::Close(c, span) => match self.stack.pop() {
                    Some(frame) => frame.close(c, span, &self.cur)?,
                    None => {
                        return Err(ParseError::new(
                            span,
                            format!("unmatched closing delimiter `{c}`: nothing is open here"),
                        ))
                    }
                },
                Event::Eof => {
                    return match self.stack.last() {
                        Some(frame) => Err(frame.eof_error()),
                        None => Ok(None),
                    }
                }
            };
            if let Some(form) = self.deliver(finished)? {
                return Ok(Some(form));
            }
        }
    }

    /// Hands a finished form to the innermost frame; a frame it completes
    /// (such as `:` after its operand) finishes in turn and is handed on.
    /// Returns the form when it is a complete top-level form.
    fn deliver(&mut self, mut finished: Option<Form>) -> Result<Option<Form>> {
        while let Some(form) = finished.take() {
            let Some(frame) = self.stack.last_mut() else {
                return Ok(Some(form));
            };
            if frame.accept(form)? {
                finished = self.stack.pop().and_then(|frame| frame.finish(&self.cur));
            }
        }
        Ok(None)
    }
}

/// Scans the next atom or delimiter where a form may stand; trivia is skipped.
fn scan<'a>(cur: &mut Cursor<'a>) -> Result<Event<'a>> {
    let at = *cur;
    let Some(c) = cur.peek() else {
        return Ok(Event::Eof);
    };
    let open = |cur: &mut Cursor<'a>, len: usize, kind: FrameKind<'a>| {
        cur.bump_n(len);
        Ok(Event::open(at, kind))
    };
    match c {
        ')' | ']' | '}' => {
            cur.bump();
            Ok(Event::Close(c, cur.span_from(&at)))
        }
        '(' => open(cur, 1, FrameKind::gene()),
        '[' => open(cur, 1, FrameKind::Array(Vec::new())),
        '{' => open(cur, 1, FrameKind::map()),
        ':' => open(cur, 1, FrameKind::prefix(PrefixKind::Quote)),
        // `%` alone (and `%=`) is the modulo operator, not an unquote.
        '%' if operator_ends(cur.peek_nth(1)) => {
            cur.bump();
            Ok(Event::Form(Form::new(
                FormKind::Symbol("%".into()),
                cur.span_from(&at),
            )))
        }
        '%' if cur.peek_nth(1) == Some('=') && operator_ends(cur.peek_nth(2)) => {
            cur.bump_n(2);
            Ok(Event::Form(Form::new(
                FormKind::Symbol("%=".into()),
                cur.span_from(&at),
            )))
        }
        '%' if cur.peek_nth(1) == Some('_') => {
            open(cur, 2, FrameKind::prefix(PrefixKind::UnquoteDiscard))
        }
        '%' => open(cur, 1, FrameKind::prefix(PrefixKind::Unquote)),
        '#' => match cur.peek_nth(1) {
            Some('[') => open(cur, 2, FrameKind::Set(Vec::new())),
            Some('_') => open(cur, 2, FrameKind::prefix(PrefixKind::Discard)),
            Some('@') => open(cur, 2, FrameKind::prefix(PrefixKind::Decorator)),
            Some('"') => {
                let interpolation = text::Interpolation::open(cur);
                Ok(Event::open(at, FrameKind::Interpolation(interpolation)))
            }
            Some('/') => regex::read_regex(cur).map(Event::Form),
            _ => symbol::read_symbol(cur).map(Event::Form),
        },
        '"' => text::read_string(cur).map(Event::Form),
        '\'' => text::read_char(cur).map(Event::Form),
        '0'..='9' => number::read_number(cur).map(Event::Form),
        '+' | '-' if cur.peek_nth(1).is_some_and(|d| d.is_ascii_digit()) => {
            number::read_number(cur).map(Event::Form)
        }
        _ => symbol::read_symbol(cur).map(Event::Form),
    }
}

/// Whether an operator token ends before `next`: whitespace, a closing
/// delimiter or the end of input.
fn operator_ends(next: Option<char>) -> bool {
    next.is_none_or(|c| is_whitespace(c) || matches!(c, ')' | ']' | '}'))
}

/// Whitespace separates forms; the comma is whitespace (`[1, 2]` ≡ `[1 2]`).
fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | ',')
}

/// Whether `c` ends a symbol or number token: whitespace or one of `" % ( ) [ ] { }`.
fn ends_token(c: char) -> bool {
    is_whitespace(c) || matches!(c, '"' | '%' | '(' | ')' | '[' | ']' | '{' | '}')
}

/// Skips whitespace and comments. `#` starts a line comment when followed by
/// a space, `!`, `#`, a line break or the end of the text; `#<` a block comment.
fn skip_trivia(cur: &mut Cursor<'_>) {
    while let Some(c) = cur.peek() {
        if is_whitespace(c) {
            cur.bump();
        } else if c == '#' {
            match cur.peek_nth(1) {
                None | Some(' ' | '!' | '#' | '\r' | '\n') => skip_line_comment(cur),
                Some('<') => skip_block_comment(cur),
                Some(_) => return,
            }
        } else {
            return;
        }
    }
}

/// Skips to the end of the line, leaving the line break to `skip_trivia`.
fn skip_line_comment(cur: &mut Cursor<'_>) {
    while cur.peek().is_some_and(|c| c != '\r' && c != '\n') {
        cur.bump();
    }
}

/// Skips `#< ... >#`. It ends at the first `>#` whose `>` is not itself
/// preceded by `>`, so `#<< ... >>#` can sit inside a block comment. An
/// unterminated block comment runs to the end of the text.
fn skip_block_comment(cur: &mut Cursor<'_>) {
    cur.bump_n(2);
    let mut prev = '<';
    while let Some(c) = cur.bump() {
        if c == '>' && prev != '>' && cur.peek() == Some('#') {
            cur.bump();
            return;
        }
        prev = c;
    }
}

/// "EOF while reading ...", reported at the opening delimiter, which is where
/// the fix usually belongs.
fn eof_error(opened: &Cursor<'_>, what: &str, close: &str) -> ParseError {
    ParseError::new(
        opened.span_of_next(),
        format!(
            "EOF while reading {what} opened at line {} col {}: missing `{close}`",
            opened.line(),
            opened.col()
        ),
    )
}
