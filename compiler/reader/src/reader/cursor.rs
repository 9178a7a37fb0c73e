//! A position in the source text: byte offset plus 1-based line and column.
//!
//! The cursor is `Copy`, so the reader remembers where a form started by
//! keeping a copy and can rewind cheaply after a lookahead. It never indexes
//! the text directly: every access goes through `str::get`, so a position can
//! never split a character or run past the end.

use crate::Span;

#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    /// The previous character was a CR, so an LF now ends the same line break.
    after_cr: bool,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Cursor {
            src,
            pos: 0,
            line: 1,
            col: 1,
            after_cr: false,
        }
    }

    /// The unread text.
    pub(super) fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// The character `n` places after the next one (`peek_nth(0)` ≡ `peek()`).
    pub(super) fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    pub(super) fn starts_with(&self, prefix: &str) -> bool {
        self.rest().starts_with(prefix)
    }

    /// Consumes one character, counting CRLF, CR and LF as one line break.
    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        match c {
            '\r' => {
                self.line = self.line.saturating_add(1);
                self.col = 1;
                self.after_cr = true;
            }
            '\n' => {
                if !self.after_cr {
                    self.line = self.line.saturating_add(1);
                }
                self.col = 1;
                self.after_cr = false;
            }
            _ => {
                self.col = self.col.saturating_add(1);
                self.after_cr = false;
            }
        }
        Some(c)
    }

    /// Consumes `n` characters (fewer at the end of the text).
    pub(super) fn bump_n(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    pub(super) fn line(&self) -> u32 {
        self.line
    }

    pub(super) fn col(&self) -> u32 {
        self.col
    }

    /// The span from `start` (an earlier copy of this cursor) to here.
    pub(super) fn span_from(&self, start: &Cursor<'_>) -> Span {
        Span {
            start: to_u32(start.pos),
            end: to_u32(self.pos.max(start.pos)),
            line: start.line,
            col: start.col,
        }
    }

    /// The span of the next character (empty at the end of the text).
    pub(super) fn span_of_next(&self) -> Span {
        let mut end = *self;
        end.bump();
        end.span_from(self)
    }
}

/// Spans hold `u32` offsets; a text beyond 4 GiB saturates instead of wrapping.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position_after(src: &str, chars: usize) -> (u32, u32, u32) {
        let mut cur = Cursor::new(src);
        cur.bump_n(chars);
        let span = cur.span_from(&cur);
        (span.start, span.line, span.col)
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(position_after("é中x", 2), (5, 1, 3));
    }

    #[test]
    fn crlf_cr_and_lf_are_each_one_line_break() {
        assert_eq!(position_after("a\r\nb", 3), (3, 2, 1));
        assert_eq!(position_after("a\rb", 2), (2, 2, 1));
        assert_eq!(position_after("a\nb", 2), (2, 2, 1));
        assert_eq!(position_after("a\r\rb", 3), (3, 3, 1));
        assert_eq!(position_after("a\n\rb", 3), (3, 3, 1));
        assert_eq!(position_after("a\r\n\nb", 4), (4, 3, 1));
    }

    #[test]
    fn bumping_past_the_end_stays_at_the_end() {
        let mut cur = Cursor::new("ab");
        cur.bump_n(5);
        assert_eq!(cur.peek(), None);
        assert_eq!(cur.rest(), "");
        assert_eq!(
            cur.span_of_next(),
            Span {
                start: 2,
                end: 2,
                line: 1,
                col: 3
            }
        );
    }
}
