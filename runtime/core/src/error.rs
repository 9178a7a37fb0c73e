//! Errors raised by core operations, before the VM turns them into Gene
//! exception instances of the matching built-in class (spec 04 §4.5).

/// The built-in error classes. The VM creates one class per kind, all
/// subclasses of `Exception`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    ParseError,
    UndefinedSymbol,
    TypeError,
    NotCallable,
    NoMethodError,
    ArgumentError,
    DivisionByZero,
    OverflowError,
    IndexError,
    ControlFlowError,
    AssertionError,
    ImportError,
    IOError,
    MatchError,
    AsyncError,
    StackOverflow,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::ParseError,
        ErrorKind::UndefinedSymbol,
        ErrorKind::TypeError,
        ErrorKind::NotCallable,
        ErrorKind::NoMethodError,
        ErrorKind::ArgumentError,
        ErrorKind::DivisionByZero,
        ErrorKind::OverflowError,
        ErrorKind::IndexError,
        ErrorKind::ControlFlowError,
        ErrorKind::AssertionError,
        ErrorKind::ImportError,
        ErrorKind::IOError,
        ErrorKind::MatchError,
        ErrorKind::AsyncError,
        ErrorKind::StackOverflow,
    ];

    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::ParseError => "ParseError",
            ErrorKind::UndefinedSymbol => "UndefinedSymbol",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::NotCallable => "NotCallable",
            ErrorKind::NoMethodError => "NoMethodError",
            ErrorKind::ArgumentError => "ArgumentError",
            ErrorKind::DivisionByZero => "DivisionByZero",
            ErrorKind::OverflowError => "OverflowError",
            ErrorKind::IndexError => "IndexError",
            ErrorKind::ControlFlowError => "ControlFlowError",
            ErrorKind::AssertionError => "AssertionError",
            ErrorKind::ImportError => "ImportError",
            ErrorKind::IOError => "IOError",
            ErrorKind::MatchError => "MatchError",
            ErrorKind::AsyncError => "AsyncError",
            ErrorKind::StackOverflow => "StackOverflow",
        }
    }
}

/// An error of a core operation: its kind and the message of spec 04.
#[derive(Clone, Debug, PartialEq)]
pub struct CoreError {
    pub kind: ErrorKind,
    pub message: String,
}

impl CoreError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> CoreError {
        CoreError {
            kind,
            message: message.into(),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
