//! `gene-frontend`: forms to [`Proto`]s.
//!
//! The bytecode compiler ([`compiler`]) turns the reader's located forms into
//! Protos of the instruction set defined in `gene-core`; [`quote`] converts
//! between forms and runtime values (quoted data, `$parse`, `eval`);
//! [`disasm`] prints Protos for `gene compile`; and [`image`] writes and reads
//! the bytecode image that `gene build` embeds in executables.
//!
//! Architecture invariant: the frontend knows nothing of the interpreter loop
//! or of LLVM; it produces Protos that both tiers consume unchanged.

pub mod compiler;
pub mod disasm;
pub mod image;
pub mod libraries;
pub mod quote;

pub use compiler::{compile_eval, compile_program, CompileError, EvalScope, Outer, Session};
pub use gene_core::Proto;
