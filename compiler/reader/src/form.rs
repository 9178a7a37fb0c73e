//! Located forms: what the reader produces.

/// A region of source text: byte offsets plus the 1-based line and column
/// (in characters) of its start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub line: u32,
    pub col: u32,
}

/// One form read from source, with the span it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub kind: FormKind,
    pub span: Span,
}

/// The shapes a form can take. Property keys are plain names (the text after
/// `^`); nested shorthands (`^a^b 1`) produce a nested [`FormKind::Map`].
#[derive(Clone, Debug, PartialEq)]
pub enum FormKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Char(char),
    Str(String),
    /// A plain symbol, including `_`, `...`, `a...`, `.m`, `$name`, `#Str`.
    Symbol(String),
    /// A symbol containing `/`, split into its parts (`/a` ⇒ `["", "a"]`).
    ComplexSymbol(Vec<String>),
    Array(Vec<Form>),
    Map(Vec<(String, Form)>),
    Set(Vec<Form>),
    /// `(head ^k v ... child ...)`; `()` has head [`FormKind::Nil`].
    Gene {
        head: Box<Form>,
        props: Vec<(String, Form)>,
        children: Vec<Form>,
    },
    /// `:x`
    Quote(Box<Form>),
    /// `%x`
    Unquote(Box<Form>),
    /// `%_x`
    UnquoteDiscard(Box<Form>),
    /// `#/pattern/flags` (spec 07 §7.6): the pattern with `\/` read as `/`,
    /// the flags among `imsx`, in that order.
    Regex {
        pattern: String,
        flags: String,
    },
}

impl Form {
    pub fn new(kind: FormKind, span: Span) -> Form {
        Form { kind, span }
    }

    /// The symbol's name when this form is a plain symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match &self.kind {
            FormKind::Symbol(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_symbol(&self, name: &str) -> bool {
        self.as_symbol() == Some(name)
    }
}
