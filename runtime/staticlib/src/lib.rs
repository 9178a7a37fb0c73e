//! `gene-runtime`: the Gene runtime as a static library, `libgene_runtime.a`.
//!
//! Executables made by `gene build` are an object file emitted by the LLVM
//! backend (native code, the bytecode image and a `main` that calls
//! `gene_rt_main`) linked against this library. It holds the VM, the
//! built-in functions and classes and every `extern "C"` entry point of the
//! native ABI (`runtime/vm/src/abi.rs`); this crate only re-exports them so
//! that all of them are defined in the archive.
//!
//! `compiler/cli/build.rs` builds it with a nested `cargo rustc` (release,
//! LTO, one codegen unit, opt-level "s", panic=abort) and embeds the archive
//! in `gene`. Invariant: like the rest of the runtime it never depends on
//! LLVM.

pub use gene_vm::abi::*;
