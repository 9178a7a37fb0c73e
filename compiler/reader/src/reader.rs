//! The reader proper (spec 01): comments, literals, symbols, collections,
//! genes, quoting and reader dispatch forms.

use crate::{Form, Span};

/// A located reader error.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// Reads every top-level form of `src`.
pub fn read_all(src: &str) -> Result<Vec<Form>, ParseError> {
    let _ = src;
    Err(ParseError { message: "reader not implemented".into(), span: Span::default() })
}

/// Reads the first form of `src`, or `None` when it holds no form.
pub fn read_one(src: &str) -> Result<Option<Form>, ParseError> {
    Ok(read_all(src)?.into_iter().next())
}
