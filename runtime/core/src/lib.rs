//! `gene-core`: what every tier of Gene shares at run time.
//!
//! It owns the NaN-boxed [`Value`], the heap object kinds and the one API
//! through which they are allocated ([`heap`]), symbol interning, the
//! instruction set and [`Proto`]s (which closures reference and the collector
//! must trace), the arithmetic and equality rules of spec 02, and printing.
//!
//! Architecture invariant: nothing here knows the reader, the compiler, the
//! interpreter loop or LLVM.

pub mod bytecode;
pub mod error;
pub mod gc;
pub mod heap;
pub mod numeric;
pub mod object;
pub mod print;
pub mod stream;
pub mod symbol;
pub mod value;

pub use bytecode::{Instr, Proto};
pub use error::{CoreError, ErrorKind};
pub use heap::{alloc, Obj};
pub use symbol::Symbol;
pub use value::Value;
