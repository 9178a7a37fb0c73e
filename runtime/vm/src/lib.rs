//! `gene-vm`: the bytecode interpreter and the built-in library.
//!
//! [`Vm`] owns the value stack, the call frames, the namespaces and the
//! built-in classes. [`interp`] is the interpreter loop; [`call`] the
//! calling convention and parameter binding; [`access`] member and index
//! access; [`names`] namespace lookup with inline caches; [`errors`] Gene
//! exceptions raised by the runtime; [`builtins`] the native functions and
//! the methods of built-in classes.
//!
//! Architecture invariant: the VM never depends on LLVM; native code reaches
//! it only through its `extern "C"` ABI (added with the native tier).

pub mod abi;
pub mod access;
pub mod backtrace;
pub mod builtins;
pub mod call;
pub mod catalog;
pub mod collect;
pub mod errors;
pub mod extension;
pub mod interp;
pub mod linked_ext;
pub mod modules;
pub mod names;
pub mod selector;
pub mod stdio;
pub mod stdlib;
pub mod step;
pub mod vm;

pub use errors::VmResult;
pub use vm::{Vm, VmOptions};
