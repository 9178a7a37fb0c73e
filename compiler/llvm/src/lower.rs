//! Lowering one Proto to one LLVM function with the `NativeCode` signature
//! `(closure, self, args, argc) -> value`.
//!
//! The operand stack and the slots become allocas (one per stack position
//! and per slot, since the depth at every pc is static), which `mem2reg`
//! turns into SSA values. Small-int `+ - <` and friends are inlined behind
//! tag checks, with the runtime's slow path for everything else; other
//! instructions call the runtime (`runtime_fns`). Every call that can throw
//! is followed by a check for the exception sentinel, which branches to the
//! Proto's handler for that pc or returns the sentinel to the caller. A
//! self tail call jumps back to the start.
//!
//! A Proto with an instruction or feature this lowering does not support
//! stays bytecode; [`lower_proto`] says why. A function computing with
//! ints only also gets an int body ([`int_body`]).

mod analysis;
mod arith;
mod calls;
mod debug;
mod frame;
mod function;
mod instr;
mod int_body;
mod program;
mod spill;
mod values;

use analysis::*;
use arith::*;
pub use debug::DebugInfo;
use frame::*;
use function::*;
pub use program::Program;
use program::*;

use crate::runtime_fns::runtime_fn;
use gene_core::bytecode::{
    key_count, stack_effect, step_pops, Capture, Flow, Instr, Proto, ProtoKind, EXCEPTION_SENTINEL,
};
use gene_core::numeric::{BinOp, CmpOp, INLINED_INT_METHODS};
use gene_core::Value;
use inkwell::basic_block::BasicBlock;
use inkwell::builder::{Builder, BuilderError};
use inkwell::context::Context;
use inkwell::debug_info::{
    AsDIScope, DIFile, DIFlags, DIFlagsConstants, DIScope, DISubprogram, DWARFEmissionKind,
    DWARFSourceLanguage, DebugInfoBuilder,
};
use inkwell::intrinsics::Intrinsic;
use inkwell::module::FlagBehavior;
use inkwell::module::{Linkage, Module};
use inkwell::values::{
    BasicMetadataValueEnum, FloatValue, FunctionValue, IntValue, PhiValue, PointerValue,
};
use inkwell::{AddressSpace, FloatPredicate, IntPredicate};
use std::collections::HashMap;

type R<T> = Result<T, String>;

fn b_err(e: BuilderError) -> String {
    format!("LLVM builder: {e}")
}

struct Lowering<'a, 'ctx> {
    program: &'a Program<'a, 'ctx>,
    /// Call sites whose callee (at this stack position) is a `fn` binding
    /// with a direct body: the callee's Proto index.
    direct_sites: Vec<Option<u32>>,
    cx: &'ctx Context,
    module: &'a Module<'ctx>,
    b: Builder<'ctx>,
    f: FunctionValue<'ctx>,
    proto: &'static Proto,
    index: u32,
    slots: Vec<PointerValue<'ctx>>,
    stack: Vec<PointerValue<'ctx>>,
    /// Scratch space for arrays passed to the runtime.
    tmp: PointerValue<'ctx>,
    /// The slots spilled for a macro call.
    spill: PointerValue<'ctx>,
    /// The slots live in `spill` itself (see [`spill_code_too_large`]), so
    /// nothing is copied around a macro call or a `match`.
    slots_in_spill: bool,
    blocks: Vec<Option<BasicBlock<'ctx>>>,
    closure: IntValue<'ctx>,
    self_val: IntValue<'ctx>,
    /// `$args` of the running call (nil unless the Proto reads it).
    args_value: PointerValue<'ctx>,
    /// Where a throw at each handler-covered region lands, by handler index,
    /// with the phi of the pc it came from.
    catch_blocks: HashMap<usize, (BasicBlock<'ctx>, PhiValue<'ctx>)>,
    /// The return of the sentinel, with the phi of the pc it came from.
    unwind_block: Option<(BasicBlock<'ctx>, PhiValue<'ctx>)>,
    /// `gene_depth_room` on entry: every return restores it (see
    /// `gene_vm::backtrace`).
    depth_in: IntValue<'ctx>,
    /// How many more nested activations the recursion limit allows.
    depth_room: IntValue<'ctx>,
}
