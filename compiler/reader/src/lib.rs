//! The Gene reader: UTF-8 source text to a sequence of located [`Form`]s.
//!
//! The reader owns the lexical syntax of `spec/01-syntax.md` and nothing else:
//! it knows no runtime values, no heap and no evaluation rules. The bytecode
//! compiler consumes forms directly; `gene-frontend` converts forms to runtime
//! values where a program observes them as data (quotes, `$parse`).
//!
//! Architecture invariant: the reader never panics, and its stack use does not
//! grow with the input. Any byte string yields forms or a located
//! [`ParseError`]; nesting deeper than [`MAX_NESTING`] is a parse error, so the
//! passes that recurse over forms stay within a small stack too.

mod diagnostic;
mod form;
mod reader;

pub use diagnostic::{render_diagnostic, LineIndex};
pub use form::{Form, FormKind, Span};
pub use reader::{
    read_all, read_one, set_regex_validator, ParseError, RegexValidator, MAX_NESTING,
};
