//! Rendering of located diagnostics, shared by every layer that reports an
//! error against source text.
//!
//! The format is fixed by the design (`file:line:col: error: message`, then the
//! source line and a caret under the column), which is why this is a few lines
//! of our own rather than a diagnostics crate whose layout differs.

use crate::Span;

/// Maps byte offsets of one source text to lines.
pub struct LineIndex<'a> {
    src: &'a str,
}

impl<'a> LineIndex<'a> {
    pub fn new(src: &'a str) -> Self {
        LineIndex { src }
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &'a str {
        let mut current = 1;
        let mut rest = self.src;
        while current < line {
            match rest.find(['\n', '\r']) {
                Some(i) => {
                    let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                    rest = &rest[i + skip..];
                    current += 1;
                }
                None => return "",
            }
        }
        match rest.find(['\n', '\r']) {
            Some(i) => &rest[..i],
            None => rest,
        }
    }
}

/// `file:line:col: error: message`, the source line, and a caret.
pub fn render_diagnostic(file: &str, src: &str, span: Span, message: &str) -> String {
    let mut out = format!("{file}:{}:{}: error: {message}", span.line, span.col);
    if span.line > 0 {
        let text = LineIndex::new(src).line_text(span.line);
        let pad: String = text
            .chars()
            .take(span.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("\n  {text}\n  {pad}^"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_and_caret() {
        let src = "(a)\n  (b c\n";
        let span = Span {
            start: 6,
            end: 7,
            line: 2,
            col: 3,
        };
        assert_eq!(
            render_diagnostic("x.gene", src, span, "EOF while reading list"),
            "x.gene:2:3: error: EOF while reading list\n    (b c\n    ^"
        );
    }

    #[test]
    fn crlf_counts_as_one_break() {
        let idx = LineIndex::new("a\r\nb\rc\nd");
        assert_eq!(idx.line_text(2), "b");
        assert_eq!(idx.line_text(3), "c");
        assert_eq!(idx.line_text(4), "d");
        assert_eq!(idx.line_text(9), "");
    }
}
