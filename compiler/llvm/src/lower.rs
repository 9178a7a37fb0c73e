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

mod int_body;

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

/// Why `proto` cannot be lowered, if it cannot.
fn unsupported(proto: &Proto) -> Option<String> {
    for instr in &proto.code {
        let why = match instr {
            Instr::Eval | Instr::CallerEval | Instr::CallerLocation | Instr::Render => {
                "eval-like form"
            }
            Instr::LoadOuter(_)
            | Instr::StoreOuter(_)
            | Instr::LoadOuterUpvalue(_)
            | Instr::StoreOuterUpvalue(_)
            | Instr::DefineEvalVar(_) => "code compiled for eval",
            _ => continue,
        };
        return Some(why.into());
    }
    None
}

/// The operand-stack depth before every reachable pc, and the maximum.
fn depths(proto: &Proto) -> R<(Vec<Option<u32>>, u32)> {
    let n = proto.code.len();
    let mut depth: Vec<Option<u32>> = vec![None; n];
    let mut work = vec![(0usize, 0u32)];
    for h in &proto.handlers {
        work.push((h.target as usize, h.depth + 1));
    }
    let mut max = 0;
    while let Some((pc, d)) = work.pop() {
        if pc >= n {
            continue;
        }
        match depth[pc] {
            Some(existing) if existing == d => continue,
            Some(existing) => {
                return Err(format!(
                    "inconsistent stack depth at pc {pc} ({existing} vs {d})"
                ))
            }
            None => depth[pc] = Some(d),
        }
        let instr = &proto.code[pc];
        let (pops, pushes) = stack_effect(instr, &|k| key_count(&proto.key_lists, k));
        let after = d
            .checked_sub(pops)
            .ok_or_else(|| format!("stack underflow at pc {pc}"))?
            + pushes;
        max = max.max(d).max(after);
        match instr.flow() {
            Flow::Next => work.push((pc + 1, after)),
            Flow::End => {}
            Flow::Jump(t) => work.push((t as usize, after)),
            Flow::Branch { target, keep } => {
                work.push((target as usize, if keep { d } else { after }));
                work.push((pc + 1, after));
            }
        }
    }
    Ok((depth, max + 2))
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

/// DWARF for the module: one compile unit for the program's file, one
/// subprogram per native function named after its Gene function, and a
/// line for every instruction, so debuggers and backtraces show Gene source.
pub struct DebugInfo<'ctx> {
    builder: DebugInfoBuilder<'ctx>,
    file: DIFile<'ctx>,
}

impl<'ctx> DebugInfo<'ctx> {
    pub fn new(cx: &'ctx Context, module: &Module<'ctx>, path: &str) -> DebugInfo<'ctx> {
        let path = std::path::Path::new(path);
        let name = path
            .file_name()
            .map_or_else(|| "main.gene".into(), |n| n.to_string_lossy());
        let dir = match path.parent().map(|d| d.to_string_lossy().into_owned()) {
            Some(d) if !d.is_empty() => d,
            _ => ".".to_string(),
        };
        module.add_basic_value_flag(
            "Debug Info Version",
            FlagBehavior::Warning,
            cx.i32_type().const_int(3, false),
        );
        module.add_basic_value_flag(
            "Dwarf Version",
            FlagBehavior::Warning,
            cx.i32_type().const_int(4, false),
        );
        let (builder, unit) = module.create_debug_info_builder(
            true,
            DWARFSourceLanguage::C,
            &name,
            &dir,
            "gene",
            true,
            "",
            0,
            "",
            DWARFEmissionKind::LineTablesOnly,
            0,
            false,
            false,
            "",
            "",
        );
        let file = unit.get_file();
        DebugInfo { builder, file }
    }

    pub fn finish(&self) {
        self.builder.finalize();
    }

    fn subprogram(&self, name: &str, linkage: &str, line: u32) -> DISubprogram<'ctx> {
        let ty = self
            .builder
            .create_subroutine_type(self.file, None, &[], DIFlags::PUBLIC);
        self.builder.create_function(
            self.file.as_debug_info_scope(),
            name,
            Some(linkage),
            self.file,
            line,
            ty,
            true,
            true,
            line,
            DIFlags::PUBLIC,
            true,
        )
    }
}

/// Where a function's parameters come from.
enum Params<'ctx> {
    /// The `NativeCode` entry: an argument array, its length and the named
    /// arguments.
    Array {
        args: PointerValue<'ctx>,
        argc: IntValue<'ctx>,
        props: IntValue<'ctx>,
    },
    /// A direct entry: the positional arguments themselves.
    Registers(Vec<IntValue<'ctx>>),
}

/// The native functions of one Proto.
struct Planned<'ctx> {
    /// The `NativeCode` entry point (in the table).
    entry: FunctionValue<'ctx>,
    /// For plain functions: the body taking its arguments in registers,
    /// which `entry` and direct call sites call.
    direct: Option<FunctionValue<'ctx>>,
    /// For direct bodies that compute with ints only: the int body, which
    /// the direct body enters when its arguments are ints.
    int: Option<(FunctionValue<'ctx>, int_body::IntPlan)>,
    depth: Vec<Option<u32>>,
    max_depth: u32,
}

/// The whole program's lowering: which Protos become native, their
/// functions (declared before any body is built, so call sites can call
/// them directly), and the globals that remember each `fn`'s latest closure.
pub struct Program<'a, 'ctx> {
    cx: &'ctx Context,
    module: &'a Module<'ctx>,
    protos: &'a [&'static Proto],
    debug: &'a DebugInfo<'ctx>,
    index_of: HashMap<*const Proto, u32>,
    plans: Vec<Result<Planned<'ctx>, String>>,
    /// `(fn name ...)` bindings made in exactly one place: name → Proto.
    defs: HashMap<gene_core::Symbol, u32>,
    /// Per defined Proto: the last closure its `fn` form bound.
    def_globals: HashMap<u32, inkwell::values::GlobalValue<'ctx>>,
    /// Every inline-cache word, for the runtime to clear after a collection.
    cache_words: std::cell::RefCell<Vec<PointerValue<'ctx>>>,
}

impl<'a, 'ctx> Program<'a, 'ctx> {
    pub fn new(
        cx: &'ctx Context,
        module: &'a Module<'ctx>,
        protos: &'a [&'static Proto],
        debug: &'a DebugInfo<'ctx>,
    ) -> Program<'a, 'ctx> {
        let index_of: HashMap<*const Proto, u32> = protos
            .iter()
            .enumerate()
            .map(|(i, p)| (*p as *const Proto, i as u32))
            .collect();
        let i64t = cx.i64_type();
        let ptr = cx.ptr_type(AddressSpace::default());
        let entry_type = i64t.fn_type(
            &[
                i64t.into(),
                i64t.into(),
                ptr.into(),
                cx.i32_type().into(),
                i64t.into(),
            ],
            false,
        );
        let mut plans = protos
            .iter()
            .enumerate()
            .map(|(i, proto)| {
                if let Some(why) = unsupported(proto) {
                    return Err(why);
                }
                let (depth, max_depth) = depths(proto)?;
                let name = format!("gene_proto_{i}_{}", sanitize(proto.name.name()));
                let entry = module.add_function(&name, entry_type, Some(Linkage::Internal));
                let direct = direct_arity(proto).map(|k| {
                    let params: Vec<_> = (0..k + 2).map(|_| i64t.into()).collect();
                    module.add_function(
                        &format!("{name}_direct"),
                        i64t.fn_type(&params, false),
                        Some(Linkage::Internal),
                    )
                });
                Ok(Planned {
                    entry,
                    direct,
                    int: None,
                    depth,
                    max_depth,
                })
            })
            .collect::<Vec<_>>();
        let mut bound: HashMap<gene_core::Symbol, Vec<u32>> = HashMap::new();
        for proto in protos {
            for pair in proto.code.windows(2) {
                if let [Instr::Closure(k), Instr::DefineMember(name)] = pair {
                    if let Some(nested) = proto.protos.get(*k as usize) {
                        if let Some(&t) = index_of.get(&(*nested as *const Proto)) {
                            bound.entry(*name).or_default().push(t);
                        }
                    }
                }
            }
        }
        let defs: HashMap<_, _> = bound
            .into_iter()
            .filter(|(_, ts)| ts.len() == 1)
            .map(|(name, ts)| (name, ts[0]))
            .filter(|(_, t)| matches!(plans.get(*t as usize), Some(Ok(p)) if p.direct.is_some()))
            .collect();
        for (i, plan) in plans.iter_mut().enumerate() {
            let Ok(plan) = plan else { continue };
            let (Some(direct), Some(arity)) = (plan.direct, direct_arity(protos[i])) else {
                continue;
            };
            let self_name = defs
                .iter()
                .find(|(_, t)| **t == i as u32)
                .map(|(name, _)| *name);
            if let Ok(int_plan) = int_body::analyse(protos[i], arity, self_name) {
                let name = direct.get_name().to_string_lossy();
                let name = name.trim_end_matches("_direct");
                let f = int_body::declare(cx, module, name, arity);
                plan.int = Some((f, int_plan));
            }
        }
        let def_globals = defs
            .values()
            .map(|&t| {
                let g = module.add_global(i64t, None, &format!("gene_def_{t}"));
                g.set_initializer(&i64t.const_zero());
                g.set_linkage(Linkage::Private);
                (t, g)
            })
            .collect::<HashMap<u32, inkwell::values::GlobalValue<'ctx>>>();
        // The `fn` globals are cleared with the caches: a cleared one only
        // sends its calls down the ordinary path until the `fn` runs again.
        let cache_words =
            std::cell::RefCell::new(def_globals.values().map(|g| g.as_pointer_value()).collect());
        Program {
            cx,
            module,
            protos,
            debug,
            index_of,
            plans,
            defs,
            def_globals,
            cache_words,
        }
    }

    /// The words of every inline cache (after [`Program::build`]).
    pub fn cache_words(&self) -> Vec<PointerValue<'ctx>> {
        self.cache_words.borrow().clone()
    }

    /// Per Proto: whether it has an int body.
    pub fn int_bodies(&self) -> Vec<bool> {
        self.plans
            .iter()
            .map(|p| matches!(p, Ok(p) if p.int.is_some()))
            .collect()
    }

    /// Builds every native function; returns, per Proto, its table entry or
    /// why it stays bytecode.
    pub fn build(&self) -> Result<Vec<Result<FunctionValue<'ctx>, String>>, String> {
        let mut out = Vec::with_capacity(self.protos.len());
        for (i, plan) in self.plans.iter().enumerate() {
            match plan {
                Err(why) => out.push(Err(why.clone())),
                Ok(plan) => {
                    self.build_proto(i as u32, plan).map_err(|e| {
                        format!("internal error lowering {}: {e}", self.protos[i].name)
                    })?;
                    out.push(Ok(plan.entry));
                }
            }
        }
        Ok(out)
    }

    fn build_proto(&self, index: u32, plan: &Planned<'ctx>) -> R<()> {
        let proto = self.protos[index as usize];
        let body = plan.direct.unwrap_or(plan.entry);
        let first_line = first_line(proto);
        let name = body.get_name().to_string_lossy().into_owned();
        let subprogram = self.debug.subprogram(proto.name.name(), &name, first_line);
        body.set_subprogram(subprogram);
        let scope = subprogram.as_debug_info_scope();
        let params = match plan.direct {
            Some(direct) => {
                self.build_entry_wrapper(plan.entry, direct, direct_arity(proto).unwrap_or(0))?;
                Params::Registers(
                    direct
                        .get_param_iter()
                        .skip(2)
                        .map(|p| p.into_int_value())
                        .collect(),
                )
            }
            None => {
                let param = |i: u32| {
                    plan.entry
                        .get_nth_param(i)
                        .ok_or_else(|| "missing parameter".to_string())
                };
                Params::Array {
                    args: param(2)?.into_pointer_value(),
                    argc: param(3)?.into_int_value(),
                    props: param(4)?.into_int_value(),
                }
            }
        };
        build_function(
            self,
            body,
            proto,
            index,
            params,
            &plan.depth,
            plan.max_depth,
            scope,
        )?;
        if let Some((f, int_plan)) = &plan.int {
            int_body::build(self, *f, proto, int_plan)?;
        }
        for f in [Some(plan.entry), plan.direct].into_iter().flatten() {
            if !f.verify(false) {
                return Err(format!(
                    "invalid function {}",
                    f.get_name().to_string_lossy()
                ));
            }
        }
        Ok(())
    }

    /// The `NativeCode` entry of a function with a direct body: takes its
    /// arguments from the array (nil for missing ones) and calls the body.
    fn build_entry_wrapper(
        &self,
        entry: FunctionValue<'ctx>,
        direct: FunctionValue<'ctx>,
        k: u32,
    ) -> R<()> {
        let cx = self.cx;
        let b = cx.create_builder();
        let block = cx.append_basic_block(entry, "entry");
        b.position_at_end(block);
        let param = |i: u32| {
            entry
                .get_nth_param(i)
                .ok_or_else(|| "missing parameter".to_string())
        };
        let args = param(2)?.into_pointer_value();
        let argc = param(3)?.into_int_value();
        let mut call_args: Vec<BasicMetadataValueEnum> = vec![
            param(0)?.into_int_value().into(),
            param(1)?.into_int_value().into(),
        ];
        for i in 0..k {
            call_args.push(load_arg(cx, &b, entry, args, argc, i)?.into());
        }
        let r = b
            .build_call(direct, &call_args, "result")
            .map_err(b_err)?
            .try_as_basic_value()
            .basic()
            .ok_or("a direct body returns a value")?;
        b.build_return(Some(&r)).map_err(b_err)?;
        Ok(())
    }
}

/// The runtime's i64 global `name` (declared on first use). Hidden: the
/// runtime is linked into the executable, so the global is addressed
/// relative to the code rather than through the GOT.
fn extern_global<'ctx>(cx: &'ctx Context, module: &Module<'ctx>, name: &str) -> PointerValue<'ctx> {
    module
        .get_global(name)
        .unwrap_or_else(|| {
            let g = module.add_global(cx.i64_type(), None, name);
            g.set_linkage(Linkage::External);
            g.set_visibility(inkwell::GlobalVisibility::Hidden);
            g
        })
        .as_pointer_value()
}

/// The address of element `i` of an array of i64s at `base`.
fn element<'ctx>(
    cx: &'ctx Context,
    b: &Builder<'ctx>,
    base: PointerValue<'ctx>,
    i: u32,
) -> R<PointerValue<'ctx>> {
    let i64t = cx.i64_type();
    // Safety of the GEP: every array indexed here is sized for its users.
    unsafe { b.build_gep(i64t, base, &[i64t.const_int(i as u64, false)], "element") }.map_err(b_err)
}

/// The line of a Proto's first instruction that has one (1 if none).
fn first_line(proto: &Proto) -> u32 {
    proto.lines.iter().copied().find(|l| *l > 0).unwrap_or(1)
}

/// Argument `i` of an argument array of length `argc`, nil when missing.
fn load_arg<'ctx>(
    cx: &'ctx Context,
    b: &Builder<'ctx>,
    f: FunctionValue<'ctx>,
    args: PointerValue<'ctx>,
    argc: IntValue<'ctx>,
    i: u32,
) -> R<IntValue<'ctx>> {
    let i64t = cx.i64_type();
    let nil = i64t.const_int(Value::NIL.bits(), false);
    let present = b
        .build_int_compare(
            IntPredicate::UGT,
            argc,
            cx.i32_type().const_int(i as u64, false),
            "present",
        )
        .map_err(b_err)?;
    let at = element(cx, b, args, i)?;
    let load_block = cx.append_basic_block(f, "arg_load");
    let join = cx.append_basic_block(f, "arg_join");
    let here = b.get_insert_block().ok_or("no block")?;
    b.build_conditional_branch(present, load_block, join)
        .map_err(b_err)?;
    b.position_at_end(load_block);
    let v = b
        .build_load(i64t, at, "argv")
        .map_err(b_err)?
        .into_int_value();
    b.build_unconditional_branch(join).map_err(b_err)?;
    b.position_at_end(join);
    let phi = b.build_phi(i64t, "arg").map_err(b_err)?;
    phi.add_incoming(&[(&v, load_block), (&nil, here)]);
    Ok(phi.as_basic_value().into_int_value())
}

/// The arity of a Proto whose body can take its arguments in registers:
/// plain functions with plain positional parameters (blocks take `self`
/// from their closure and async functions are wrapped by the runtime, so
/// they keep the array entry only).
fn direct_arity(proto: &Proto) -> Option<u32> {
    match proto.kind {
        ProtoKind::Function if !proto.is_async && !proto.uses_args => proto.fast_arity,
        _ => None,
    }
}

/// Emits the body of `f` for `proto`.
#[allow(clippy::too_many_arguments)]
fn build_function<'ctx>(
    program: &Program<'_, 'ctx>,
    f: FunctionValue<'ctx>,
    proto: &'static Proto,
    index: u32,
    params: Params<'ctx>,
    depth: &[Option<u32>],
    max_depth: u32,
    scope: DIScope<'ctx>,
) -> R<()> {
    let (cx, module, debug) = (program.cx, program.module, program.debug);
    let i64t = cx.i64_type();
    let entry = cx.append_basic_block(f, "entry");
    let b = cx.create_builder();
    b.position_at_end(entry);
    let first_line = first_line(proto);
    let at_line = |line: u32| {
        debug
            .builder
            .create_debug_location(cx, line, 0, scope, None)
    };
    b.set_current_debug_location(at_line(first_line));
    let param = |i: u32| {
        f.get_nth_param(i)
            .ok_or_else(|| "missing parameter".to_string())
    };
    let closure = param(0)?.into_int_value();
    let self_val = param(1)?.into_int_value();

    let alloca = |name: String| b.build_alloca(i64t, &name).map_err(b_err);
    let stack = (0..max_depth)
        .map(|i| alloca(format!("stk{i}")))
        .collect::<R<Vec<_>>>()?;
    let tmp_len = scratch_len(proto).max(4);
    let tmp = b
        .build_array_alloca(i64t, i64t.const_int(tmp_len as u64, false), "tmp")
        .map_err(b_err)?;
    let spill = b
        .build_array_alloca(
            i64t,
            i64t.const_int(proto.n_slots.max(1) as u64, false),
            "spill",
        )
        .map_err(b_err)?;
    let slots_in_spill = spill_code_too_large(proto);
    let slots = (0..proto.n_slots)
        .map(|i| {
            if slots_in_spill {
                element(cx, &b, spill, i)
            } else {
                alloca(format!("slot{i}"))
            }
        })
        .collect::<R<Vec<_>>>()?;
    let nil = i64t.const_int(Value::NIL.bits(), false);
    for s in &slots {
        b.build_store(*s, nil).map_err(b_err)?;
    }
    match (&params, proto.fast_arity) {
        (Params::Registers(values), _) => {
            for (slot, v) in slots.iter().zip(values) {
                b.build_store(*slot, *v).map_err(b_err)?;
            }
        }
        // Plain positional parameters: the arguments present, nil for the others.
        (Params::Array { args, argc, .. }, Some(arity)) => {
            let (args, argc) = (*args, *argc);
            for i in 0..arity.min(proto.n_slots) {
                let v = load_arg(cx, &b, f, args, argc, i)?;
                b.build_store(slots[i as usize], v).map_err(b_err)?;
            }
        }
        // Defaults, rest, named parameters, destructuring: the runtime's
        // binder fills the slots (the default code then runs natively).
        (Params::Array { args, argc, props }, None) => {
            let (args, argc, props) = (*args, *argc, *props);
            for i in 0..proto.n_slots {
                let at = element(cx, &b, spill, i)?;
                b.build_store(at, nil).map_err(b_err)?;
            }
            let status = b
                .build_call(
                    runtime_fn(cx, module, "gene_bind_params"),
                    &[
                        cx.i32_type().const_int(index as u64, false).into(),
                        args.into(),
                        argc.into(),
                        props.into(),
                        self_val.into(),
                        spill.into(),
                    ],
                    "bound",
                )
                .map_err(b_err)?
                .try_as_basic_value()
                .basic()
                .ok_or("gene_bind_params returns a value")?
                .into_int_value();
            let failed = b
                .build_int_compare(
                    IntPredicate::EQ,
                    status,
                    i64t.const_int(EXCEPTION_SENTINEL, false),
                    "bind_failed",
                )
                .map_err(b_err)?;
            let fail = cx.append_basic_block(f, "bind_failed");
            let bound = cx.append_basic_block(f, "bound");
            b.build_conditional_branch(failed, fail, bound)
                .map_err(b_err)?;
            b.position_at_end(fail);
            b.build_return(Some(&status)).map_err(b_err)?;
            b.position_at_end(bound);
            for (i, s) in slots.iter().enumerate() {
                let at = element(cx, &b, spill, i as u32)?;
                let v = b.build_load(i64t, at, "param").map_err(b_err)?;
                b.build_store(*s, v).map_err(b_err)?;
            }
        }
    }
    // `$args`: the whole call, kept when the body reads it.
    let args_value = b.build_alloca(i64t, "args_value").map_err(b_err)?;
    let kept = if let (true, Params::Array { args, argc, props }) = (proto.uses_args, &params) {
        let (args, argc, props) = (*args, *argc, *props);
        b.build_call(
            runtime_fn(cx, module, "gene_make_args"),
            &[args.into(), argc.into(), props.into()],
            "args_gene",
        )
        .map_err(b_err)?
        .try_as_basic_value()
        .basic()
        .ok_or("gene_make_args returns a value")?
        .into_int_value()
    } else {
        nil
    };
    b.build_store(args_value, kept).map_err(b_err)?;
    // Runaway recursion: a frame below the runtime's limit raises
    // StackOverflow instead of running off the stack.
    let limit_global = extern_global(cx, module, "gene_stack_limit");
    let limit = b
        .build_load(i64t, limit_global, "stack_limit")
        .map_err(b_err)?
        .into_int_value();
    let sp = b.build_ptr_to_int(tmp, i64t, "sp").map_err(b_err)?;
    let too_deep = b
        .build_int_compare(IntPredicate::ULT, sp, limit, "too_deep")
        .map_err(b_err)?;
    let overflow = cx.append_basic_block(f, "stack_overflow");
    let run = cx.append_basic_block(f, "run");
    b.build_conditional_branch(too_deep, overflow, run)
        .map_err(b_err)?;
    b.position_at_end(overflow);
    let raised = b
        .build_call(
            runtime_fn(cx, module, "gene_stack_overflow"),
            &[],
            "overflow",
        )
        .map_err(b_err)?
        .try_as_basic_value()
        .basic()
        .ok_or("gene_stack_overflow returns a value")?;
    b.build_return(Some(&raised)).map_err(b_err)?;
    b.position_at_end(run);
    // The recursion limit: one more activation (see gene_vm::backtrace).
    let depth_global = extern_global(cx, module, "gene_depth_room");
    let depth_in = b
        .build_load(i64t, depth_global, "depth_in")
        .map_err(b_err)?
        .into_int_value();
    let depth_room = b
        .build_int_sub(depth_in, i64t.const_int(1, false), "depth_room")
        .map_err(b_err)?;
    b.build_store(depth_global, depth_room).map_err(b_err)?;
    let too_many = b
        .build_int_compare(IntPredicate::SLT, depth_room, i64t.const_zero(), "too_many")
        .map_err(b_err)?;
    let depth_overflow = cx.append_basic_block(f, "depth_overflow");
    let go = cx.append_basic_block(f, "go");
    b.build_conditional_branch(too_many, depth_overflow, go)
        .map_err(b_err)?;
    b.position_at_end(depth_overflow);
    b.build_store(depth_global, depth_in).map_err(b_err)?;
    let raised = b
        .build_call(
            runtime_fn(cx, module, "gene_depth_overflow"),
            &[],
            "overflow",
        )
        .map_err(b_err)?
        .try_as_basic_value()
        .basic()
        .ok_or("gene_depth_overflow returns a value")?;
    b.build_return(Some(&raised)).map_err(b_err)?;
    b.position_at_end(go);
    let blocks: Vec<Option<BasicBlock>> = depth
        .iter()
        .enumerate()
        .map(|(pc, d)| d.map(|_| cx.append_basic_block(f, &format!("pc{pc}"))))
        .collect();
    let Some(Some(first)) = blocks.first().copied() else {
        return Err("empty code".into());
    };
    let int = program
        .plans
        .get(index as usize)
        .and_then(|p| p.as_ref().ok())
        .and_then(|p| p.int.as_ref());
    let int_params = match (&params, int) {
        (Params::Registers(values), Some((target, plan))) => Some((values.clone(), *target, plan)),
        _ => {
            b.build_unconditional_branch(first).map_err(b_err)?;
            None
        }
    };

    let mut l = Lowering {
        program,
        direct_sites: vec![None; max_depth as usize + 2],
        cx,
        module,
        b,
        f,
        proto,
        index,
        slots,
        stack,
        tmp,
        spill,
        slots_in_spill,
        blocks,
        closure,
        self_val,
        args_value,
        catch_blocks: HashMap::new(),
        unwind_block: None,
        depth_in,
        depth_room,
    };
    if let Some((values, target, plan)) = int_params {
        l.enter_int_body(&values, target, plan, first)?;
    }
    for (pc, d) in depth.iter().enumerate() {
        let (Some(d), Some(block)) = (*d, l.blocks[pc]) else {
            continue;
        };
        l.b.position_at_end(block);
        let line = proto.line_at(pc);
        if line > 0 {
            l.b.set_current_debug_location(at_line(line));
        }
        l.lower_instr(pc, d)?;
    }
    Ok(())
}

/// An inline fast path for two small ints (see `Lowering::numeric_op`).
type IntFast<'a, 'ctx, L> =
    dyn Fn(&L, IntValue<'ctx>, IntValue<'ctx>) -> R<(IntValue<'ctx>, Option<IntValue<'ctx>>)> + 'a;
/// An inline fast path for two numbers as f64s.
type FloatFast<'a, 'ctx, L> =
    dyn Fn(&L, FloatValue<'ctx>, FloatValue<'ctx>) -> R<IntValue<'ctx>> + 'a;

/// `x // y` rounded toward negative infinity, for a divisor the caller has
/// made safe (non-zero, and not -1 when `x` may be `i64::MIN`): the
/// truncated quotient, minus one when the remainder is non-zero and the
/// operands' signs differ.
pub(super) fn floor_quotient<'ctx>(
    b: &Builder<'ctx>,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
) -> R<IntValue<'ctx>> {
    let i64t = x.get_type();
    let q = b.build_int_signed_div(x, y, "quot").map_err(b_err)?;
    let r = b.build_int_signed_rem(x, y, "rem").map_err(b_err)?;
    let inexact = b
        .build_int_compare(IntPredicate::NE, r, i64t.const_zero(), "inexact")
        .map_err(b_err)?;
    let signs = b.build_xor(x, y, "signs").map_err(b_err)?;
    let differ = b
        .build_int_compare(IntPredicate::SLT, signs, i64t.const_zero(), "differ")
        .map_err(b_err)?;
    let adjust = b.build_and(inexact, differ, "adjust").map_err(b_err)?;
    let one = b.build_int_z_extend(adjust, i64t, "one").map_err(b_err)?;
    b.build_int_sub(q, one, "floor_div").map_err(b_err)
}

/// `floor(x)` through LLVM's intrinsic.
pub(super) fn float_floor<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
) -> R<FloatValue<'ctx>> {
    let intrinsic = Intrinsic::find("llvm.floor")
        .and_then(|i| i.get_declaration(module, &[cx.f64_type().into()]))
        .ok_or("missing intrinsic llvm.floor")?;
    Ok(b.build_call(intrinsic, &[x.into()], "floor")
        .map_err(b_err)?
        .try_as_basic_value()
        .basic()
        .ok_or("llvm.floor returns a value")?
        .into_float_value())
}

/// `x op y` for `+ - *` on i64s through LLVM's overflow-checking
/// intrinsics: the wrapped result and whether it overflowed.
pub(super) fn with_overflow<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    b: &Builder<'ctx>,
    op: BinOp,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
    let name = match op {
        BinOp::Add => "llvm.sadd.with.overflow",
        BinOp::Sub => "llvm.ssub.with.overflow",
        BinOp::Mul => "llvm.smul.with.overflow",
        _ => return Err(format!("no checked {op:?}")),
    };
    let intrinsic = Intrinsic::find(name)
        .and_then(|i| i.get_declaration(module, &[cx.i64_type().into()]))
        .ok_or_else(|| format!("missing intrinsic {name}"))?;
    let pair = b
        .build_call(intrinsic, &[x.into(), y.into()], "checked")
        .map_err(b_err)?
        .try_as_basic_value()
        .basic()
        .ok_or("an overflow intrinsic returns a value")?
        .into_struct_value();
    let part = |i: u32, name: &str| -> R<IntValue<'ctx>> {
        Ok(b.build_extract_value(pair, i, name)
            .map_err(b_err)?
            .into_int_value())
    };
    Ok((part(0, "r")?, part(1, "overflowed")?))
}

fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// How many values the largest runtime array argument of `proto` needs.
fn scratch_len(proto: &Proto) -> u32 {
    let mut n = 4;
    for instr in &proto.code {
        let need = match *instr {
            Instr::Call(k) | Instr::TailCall(k) | Instr::CallMacro(k) => k,
            Instr::Closure(i) => proto
                .protos
                .get(i as usize)
                .map_or(0, |p| p.captures.len() as u32),
            ref other => step_pops(proto, other).unwrap_or(0),
        };
        n = n.max(need);
    }
    n
}

/// The frame both lowerings (the ordinary body and the int body) emit code
/// over: an i64 alloca per slot and per operand-stack position, and a block
/// per reachable pc.
pub(super) trait FrameCode<'ctx> {
    fn builder(&self) -> &Builder<'ctx>;
    fn context(&self) -> &'ctx Context;
    /// The slots, the stack positions and the blocks.
    fn frame(
        &self,
    ) -> (
        &[PointerValue<'ctx>],
        &[PointerValue<'ctx>],
        &[Option<BasicBlock<'ctx>>],
    );

    fn load(&self, p: PointerValue<'ctx>) -> R<IntValue<'ctx>> {
        Ok(self
            .builder()
            .build_load(self.context().i64_type(), p, "v")
            .map_err(b_err)?
            .into_int_value())
    }

    fn store(&self, p: PointerValue<'ctx>, v: IntValue<'ctx>) -> R<()> {
        self.builder().build_store(p, v).map_err(b_err)?;
        Ok(())
    }

    fn stk(&self, i: u32) -> R<PointerValue<'ctx>> {
        self.frame()
            .1
            .get(i as usize)
            .copied()
            .ok_or_else(|| format!("stack position {i} out of range"))
    }

    fn slot(&self, i: u32) -> R<PointerValue<'ctx>> {
        self.frame()
            .0
            .get(i as usize)
            .copied()
            .ok_or_else(|| format!("slot {i} out of range"))
    }

    fn block(&self, pc: usize) -> R<BasicBlock<'ctx>> {
        self.frame()
            .2
            .get(pc)
            .copied()
            .flatten()
            .ok_or_else(|| format!("no block for pc {pc}"))
    }

    /// Branches to the block of `pc`.
    fn br(&self, pc: usize) -> R<()> {
        self.builder()
            .build_unconditional_branch(self.block(pc)?)
            .map_err(b_err)?;
        Ok(())
    }
}

impl<'ctx> FrameCode<'ctx> for Lowering<'_, 'ctx> {
    fn builder(&self) -> &Builder<'ctx> {
        &self.b
    }

    fn context(&self) -> &'ctx Context {
        self.cx
    }

    fn frame(
        &self,
    ) -> (
        &[PointerValue<'ctx>],
        &[PointerValue<'ctx>],
        &[Option<BasicBlock<'ctx>>],
    ) {
        (&self.slots, &self.stack, &self.blocks)
    }
}

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    fn i64c(&self, v: u64) -> IntValue<'ctx> {
        self.cx.i64_type().const_int(v, false)
    }

    fn i32c(&self, v: u32) -> IntValue<'ctx> {
        self.cx.i32_type().const_int(v as u64, false)
    }

    fn value(&self, v: Value) -> IntValue<'ctx> {
        self.i64c(v.bits())
    }

    fn tmp_at(&self, i: u32) -> R<PointerValue<'ctx>> {
        element(self.cx, &self.b, self.tmp, i)
    }

    fn call(&self, name: &str, args: &[BasicMetadataValueEnum<'ctx>]) -> R<IntValue<'ctx>> {
        let f = runtime_fn(self.cx, self.module, name);
        let site = self.b.build_call(f, args, name).map_err(b_err)?;
        Ok(site
            .try_as_basic_value()
            .basic()
            .map(|v| v.into_int_value())
            .unwrap_or_else(|| self.i64c(0)))
    }

    /// Returns `v` from the function, restoring the activation count.
    fn ret(&self, v: IntValue<'ctx>) -> R<()> {
        let depth_global = extern_global(self.cx, self.module, "gene_depth_room");
        self.b
            .build_store(depth_global, self.depth_in)
            .map_err(b_err)?;
        self.b.build_return(Some(&v)).map_err(b_err)?;
        Ok(())
    }

    /// The block a throw at `pc` goes to: the handler covering it (which
    /// takes the exception onto the stack) or a return of the sentinel;
    /// the edge from the current block carries `pc` for the backtrace
    /// (recorded on these cold paths only, see `gene_vm::backtrace`).
    fn exception_block(&mut self, pc: usize) -> R<BasicBlock<'ctx>> {
        let pc32 = pc as u32;
        let handler = self
            .proto
            .handlers
            .iter()
            .position(|h| h.start <= pc32 && pc32 < h.end);
        let here = self.b.get_insert_block().ok_or("no block")?;
        let known = match handler {
            Some(h) => self.catch_blocks.get(&h).copied(),
            None => self.unwind_block,
        };
        let (block, phi) = match known {
            Some(known) => known,
            None => {
                let block = self
                    .cx
                    .append_basic_block(self.f, if handler.is_some() { "catch" } else { "unwind" });
                self.b.position_at_end(block);
                let phi = self
                    .b
                    .build_phi(self.cx.i32_type(), "throw_pc")
                    .map_err(b_err)?;
                let at = phi.as_basic_value().into_int_value();
                let index = self.i32c(self.index);
                match handler {
                    Some(h) => {
                        let handler = self.proto.handlers[h];
                        let exc = self.call("gene_catch", &[index.into(), at.into()])?;
                        self.store(self.stk(handler.depth)?, exc)?;
                        self.br(handler.target as usize)?;
                        self.catch_blocks.insert(h, (block, phi));
                    }
                    None => {
                        self.call("gene_trace", &[index.into(), at.into()])?;
                        self.ret(self.i64c(EXCEPTION_SENTINEL))?;
                        self.unwind_block = Some((block, phi));
                    }
                }
                (block, phi)
            }
        };
        phi.add_incoming(&[(&self.i32c(pc32), here)]);
        self.b.position_at_end(here);
        Ok(block)
    }

    /// Branches to the exception path when `r` is the sentinel.
    fn check(&mut self, r: IntValue<'ctx>, pc: usize) -> R<()> {
        let exc = self.exception_block(pc)?;
        let ok = self.cx.append_basic_block(self.f, "ok");
        let is_exc = self
            .b
            .build_int_compare(IntPredicate::EQ, r, self.i64c(EXCEPTION_SENTINEL), "is_exc")
            .map_err(b_err)?;
        self.b
            .build_conditional_branch(is_exc, exc, ok)
            .map_err(b_err)?;
        self.b.position_at_end(ok);
        Ok(())
    }

    fn truthy(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let not_nil = self
            .b
            .build_int_compare(IntPredicate::NE, v, self.value(Value::NIL), "not_nil")
            .map_err(b_err)?;
        let not_false = self
            .b
            .build_int_compare(IntPredicate::NE, v, self.value(Value::FALSE), "not_false")
            .map_err(b_err)?;
        self.b
            .build_and(not_nil, not_false, "truthy")
            .map_err(b_err)
    }

    fn bool_value(&self, c: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        Ok(self
            .b
            .build_select(c, self.value(Value::TRUE), self.value(Value::FALSE), "bool")
            .map_err(b_err)?
            .into_int_value())
    }

    fn is_int(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let top = self
            .b
            .build_right_shift(v, self.i64c(50), false, "top")
            .map_err(b_err)?;
        self.b
            .build_int_compare(IntPredicate::EQ, top, self.i64c(0x3FFF), "is_int")
            .map_err(b_err)
    }

    fn both_ints(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let ia = self.is_int(a)?;
        let ib = self.is_int(b)?;
        self.b.build_and(ia, ib, "both_int").map_err(b_err)
    }

    fn int_of(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let up = self
            .b
            .build_left_shift(v, self.i64c(14), "up")
            .map_err(b_err)?;
        self.b
            .build_right_shift(up, self.i64c(14), true, "int")
            .map_err(b_err)
    }

    /// Branches on `cond` to the code `then` and `otherwise` emit (each may
    /// add blocks of its own) and joins their values.
    fn if_else(
        &mut self,
        cond: IntValue<'ctx>,
        name: &str,
        then: impl FnOnce(&mut Self) -> R<IntValue<'ctx>>,
        otherwise: impl FnOnce(&mut Self) -> R<IntValue<'ctx>>,
    ) -> R<IntValue<'ctx>> {
        let then_block = self.cx.append_basic_block(self.f, &format!("{name}_then"));
        let else_block = self.cx.append_basic_block(self.f, &format!("{name}_else"));
        let done = self.cx.append_basic_block(self.f, &format!("{name}_done"));
        self.b
            .build_conditional_branch(cond, then_block, else_block)
            .map_err(b_err)?;
        self.b.position_at_end(then_block);
        let a = then(self)?;
        let a_end = self.b.get_insert_block().ok_or("no block")?;
        self.b.build_unconditional_branch(done).map_err(b_err)?;
        self.b.position_at_end(else_block);
        let b = otherwise(self)?;
        let b_end = self.b.get_insert_block().ok_or("no block")?;
        self.b.build_unconditional_branch(done).map_err(b_err)?;
        self.b.position_at_end(done);
        let phi = self.b.build_phi(a.get_type(), name).map_err(b_err)?;
        phi.add_incoming(&[(&a, a_end), (&b, b_end)]);
        Ok(phi.as_basic_value().into_int_value())
    }

    /// Whether `a` and `b` are equal (an `i1`): two small ints inline, any
    /// other pair through the runtime's structural equality.
    fn equals(&mut self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let both = self.both_ints(a, b)?;
        self.if_else(
            both,
            "equal",
            |l| {
                l.b.build_int_compare(IntPredicate::EQ, a, b, "same")
                    .map_err(b_err)
            },
            |l| {
                let eq = l.call("gene_equals", &[a.into(), b.into()])?;
                l.b.build_int_compare(IntPredicate::EQ, eq, l.value(Value::TRUE), "eq")
                    .map_err(b_err)
            },
        )
    }

    /// Copies `n` stack values starting at position `from` into `tmp`.
    fn stack_to_tmp(&self, from: u32, n: u32) -> R<()> {
        for i in 0..n {
            let v = self.load(self.stk(from + i)?)?;
            self.store(self.tmp_at(i)?, v)?;
        }
        Ok(())
    }

    /// `a op b` with inline paths: `int` computes the result of two small
    /// ints from their payloads and may decline it (returning a condition
    /// that must hold, e.g. "no overflow"); `float` computes it from two
    /// numbers that are not both small ints, as f64s (an int operand
    /// converted). Anything else, and what `int` declines, goes to the
    /// runtime function `slow(op, a, b)` (the exception path is taken for the
    /// sentinel).
    fn numeric_op(
        &mut self,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
        pc: usize,
        (slow, op): (&str, u32),
        int: Option<&IntFast<'_, 'ctx, Self>>,
        float: Option<&FloatFast<'_, 'ctx, Self>>,
    ) -> R<IntValue<'ctx>> {
        let slow_block = self.cx.append_basic_block(self.f, "num_slow");
        let merge = self.cx.append_basic_block(self.f, "num_done");
        let mut incoming = Vec::new();
        let both = self.both_ints(a, b)?;
        let not_ints = self.cx.append_basic_block(self.f, "not_ints");
        if let Some(int) = int {
            let int_block = self.cx.append_basic_block(self.f, "int_fast");
            self.b
                .build_conditional_branch(both, int_block, not_ints)
                .map_err(b_err)?;
            self.b.position_at_end(int_block);
            let (x, y) = (self.int_of(a)?, self.int_of(b)?);
            let (v, holds) = int(self, x, y)?;
            if let Some(holds) = holds {
                let ok = self.cx.append_basic_block(self.f, "int_ok");
                self.b
                    .build_conditional_branch(holds, ok, slow_block)
                    .map_err(b_err)?;
                self.b.position_at_end(ok);
            }
            incoming.push((v, self.b.get_insert_block().ok_or("no block")?));
            self.b.build_unconditional_branch(merge).map_err(b_err)?;
        } else {
            self.b.build_unconditional_branch(not_ints).map_err(b_err)?;
        }
        self.b.position_at_end(not_ints);
        if let Some(float) = float {
            let both_numbers = self
                .b
                .build_and(self.is_number(a)?, self.is_number(b)?, "nums");
            let float_block = self.cx.append_basic_block(self.f, "float_fast");
            self.b
                .build_conditional_branch(both_numbers.map_err(b_err)?, float_block, slow_block)
                .map_err(b_err)?;
            self.b.position_at_end(float_block);
            let (x, y) = (self.to_f64(a)?, self.to_f64(b)?);
            let v = float(self, x, y)?;
            incoming.push((v, self.b.get_insert_block().ok_or("no block")?));
            self.b.build_unconditional_branch(merge).map_err(b_err)?;
        } else {
            self.b
                .build_unconditional_branch(slow_block)
                .map_err(b_err)?;
        }
        self.b.position_at_end(slow_block);
        let s = self.call(slow, &[self.i32c(op).into(), a.into(), b.into()])?;
        self.check(s, pc)?;
        incoming.push((s, self.b.get_insert_block().ok_or("no block")?));
        self.b.build_unconditional_branch(merge).map_err(b_err)?;
        self.b.position_at_end(merge);
        let phi = self
            .b
            .build_phi(self.cx.i64_type(), "num_op")
            .map_err(b_err)?;
        for (v, block) in &incoming {
            phi.add_incoming(&[(v, *block)]);
        }
        Ok(phi.as_basic_value().into_int_value())
    }

    /// Whether `v` is a float or a small int.
    fn is_number(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let float = self
            .b
            .build_int_compare(IntPredicate::ULT, v, self.i64c(0xFFF8 << 48), "is_float")
            .map_err(b_err)?;
        self.b
            .build_or(float, self.is_int(v)?, "is_number")
            .map_err(b_err)
    }

    /// A float or small int as an f64.
    fn to_f64(&self, v: IntValue<'ctx>) -> R<FloatValue<'ctx>> {
        let f64t = self.cx.f64_type();
        let from_int = self
            .b
            .build_signed_int_to_float(self.int_of(v)?, f64t, "from_int")
            .map_err(b_err)?;
        let bits = self
            .b
            .build_bit_cast(v, f64t, "from_bits")
            .map_err(b_err)?
            .into_float_value();
        Ok(self
            .b
            .build_select(self.is_int(v)?, from_int, bits, "f64")
            .map_err(b_err)?
            .into_float_value())
    }

    /// The float value of an f64 (NaNs canonicalised, as `Value::float`).
    fn float_value(&self, f: FloatValue<'ctx>) -> R<IntValue<'ctx>> {
        let bits = self
            .b
            .build_bit_cast(f, self.cx.i64_type(), "bits")
            .map_err(b_err)?
            .into_int_value();
        let nan = self
            .b
            .build_float_compare(FloatPredicate::UNO, f, f, "nan")
            .map_err(b_err)?;
        Ok(self
            .b
            .build_select(nan, self.i64c(0x7FF8 << 48), bits, "float")
            .map_err(b_err)?
            .into_int_value())
    }

    /// `a op b` for `+ - * / %`: small ints inline unless the result leaves
    /// the small-int range (or the divisor is zero: the runtime raises);
    /// floats, and an int with a float, inline as f64s. `/` is float
    /// division for ints too.
    fn arith(
        &mut self,
        op: BinOp,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        let int = |l: &Self,
                   x: IntValue<'ctx>,
                   y: IntValue<'ctx>|
         -> R<(IntValue<'ctx>, Option<IntValue<'ctx>>)> {
            if op == BinOp::FloorDiv {
                // Small ints are far from i64::MIN: no overflow.
                let nonzero =
                    l.b.build_int_compare(IntPredicate::NE, y, l.i64c(0), "nonzero")
                        .map_err(b_err)?;
                let safe_y =
                    l.b.build_select(nonzero, y, l.i64c(1), "divisor")
                        .map_err(b_err)?
                        .into_int_value();
                let q = floor_quotient(&l.b, x, safe_y)?;
                return Ok((l.small_int(q)?, Some(nonzero)));
            }
            if op == BinOp::Mod {
                // Small ints are far from i64::MIN, so srem cannot overflow;
                // it truncates toward zero like the runtime's `wrapping_rem`.
                let nonzero =
                    l.b.build_int_compare(IntPredicate::NE, y, l.i64c(0), "nonzero")
                        .map_err(b_err)?;
                let safe_y =
                    l.b.build_select(nonzero, y, l.i64c(1), "divisor")
                        .map_err(b_err)?
                        .into_int_value();
                let r = l.b.build_int_signed_rem(x, safe_y, "rem").map_err(b_err)?;
                return Ok((l.small_int(r)?, Some(nonzero)));
            }
            let (r, overflowed) = with_overflow(l.cx, l.module, &l.b, op, x, y)?;
            let back = l.int_of(r)?;
            let in_range =
                l.b.build_int_compare(IntPredicate::EQ, back, r, "in_range")
                    .map_err(b_err)?;
            let no_overflow = l.b.build_not(overflowed, "no_overflow").map_err(b_err)?;
            let fits =
                l.b.build_and(in_range, no_overflow, "fits")
                    .map_err(b_err)?;
            Ok((l.small_int(r)?, Some(fits)))
        };
        let float = |l: &Self, x: FloatValue<'ctx>, y: FloatValue<'ctx>| -> R<IntValue<'ctx>> {
            let r = match op {
                BinOp::Add => l.b.build_float_add(x, y, "fadd"),
                BinOp::Sub => l.b.build_float_sub(x, y, "fsub"),
                BinOp::Mul => l.b.build_float_mul(x, y, "fmul"),
                BinOp::Div => l.b.build_float_div(x, y, "fdiv"),
                BinOp::Mod => l.b.build_float_rem(x, y, "frem"),
                BinOp::FloorDiv => {
                    let q = l.b.build_float_div(x, y, "fdiv").map_err(b_err)?;
                    return l.float_value(float_floor(l.cx, l.module, &l.b, q)?);
                }
                BinOp::Pow => return Err("no inline power".into()),
            }
            .map_err(b_err)?;
            l.float_value(r)
        };
        let int_inline = matches!(
            op,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Mod | BinOp::FloorDiv
        );
        let float_inline = op != BinOp::Pow;
        self.numeric_op(
            a,
            b,
            pc,
            ("gene_arith", op as u32),
            int_inline.then_some(&int as &IntFast<'_, 'ctx, Self>),
            float_inline.then_some(&float as &FloatFast<'_, 'ctx, Self>),
        )
    }

    /// The small-int value of an i64 (its low 50 bits: the value itself when
    /// it is in the small-int range).
    fn small_int(&self, r: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let payload = self
            .b
            .build_and(r, self.i64c((1 << 50) - 1), "payload")
            .map_err(b_err)?;
        self.b
            .build_or(payload, self.i64c(0x3FFF << 50), "small")
            .map_err(b_err)
    }

    /// `a op b` for `< <= > >=`: small ints inline, and floats (or an int
    /// with a float) as f64s; a NaN compares false.
    fn compare(
        &mut self,
        op: CmpOp,
        a: IntValue<'ctx>,
        b: IntValue<'ctx>,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        let (ipred, fpred) = match op {
            CmpOp::Lt => (IntPredicate::SLT, FloatPredicate::OLT),
            CmpOp::Le => (IntPredicate::SLE, FloatPredicate::OLE),
            CmpOp::Gt => (IntPredicate::SGT, FloatPredicate::OGT),
            CmpOp::Ge => (IntPredicate::SGE, FloatPredicate::OGE),
        };
        let int = |l: &Self,
                   x: IntValue<'ctx>,
                   y: IntValue<'ctx>|
         -> R<(IntValue<'ctx>, Option<IntValue<'ctx>>)> {
            let c = l.b.build_int_compare(ipred, x, y, "cmp").map_err(b_err)?;
            Ok((l.bool_value(c)?, None))
        };
        let float = |l: &Self, x: FloatValue<'ctx>, y: FloatValue<'ctx>| -> R<IntValue<'ctx>> {
            let c =
                l.b.build_float_compare(fpred, x, y, "fcmp")
                    .map_err(b_err)?;
            l.bool_value(c)
        };
        self.numeric_op(
            a,
            b,
            pc,
            ("gene_compare", op as u32),
            Some(&int),
            Some(&float),
        )
    }

    fn operands(&self, instr: Instr, d: u32) -> R<(IntValue<'ctx>, IntValue<'ctx>, u32)> {
        let top = self.load(self.stk(d - 1)?)?;
        Ok(match instr {
            Instr::AddInt(k) | Instr::SubInt(k) | Instr::LtInt(k) => {
                (top, self.value(Value::small_int(k as i64)), d - 1)
            }
            _ => (self.load(self.stk(d - 2)?)?, top, d - 2),
        })
    }

    fn lower_instr(&mut self, pc: usize, d: u32) -> R<()> {
        let index_of = &self.program.index_of;
        use Instr::*;
        let instr = self.proto.code[pc];
        let next = pc + 1;
        let top = |l: &Self| -> R<IntValue<'ctx>> { l.load(l.stk(d - 1)?) };
        match instr {
            Nil => self.store(self.stk(d)?, self.value(Value::NIL))?,
            True => self.store(self.stk(d)?, self.value(Value::TRUE))?,
            False => self.store(self.stk(d)?, self.value(Value::FALSE))?,
            Placeholder => self.store(self.stk(d)?, self.value(Value::PLACEHOLDER))?,
            SelfValue => self.store(self.stk(d)?, self.self_val)?,
            Int(i) => self.store(self.stk(d)?, self.value(Value::small_int(i as i64)))?,
            Const(i) => {
                let c = self.proto.consts[i as usize];
                let portable = c.is_float()
                    || c.is_small_int()
                    || c.as_char().is_some()
                    || matches!(
                        c,
                        Value::NIL | Value::TRUE | Value::FALSE | Value::PLACEHOLDER | Value::VOID
                    );
                let v = if portable {
                    self.value(c)
                } else {
                    self.call(
                        "gene_const",
                        &[self.i32c(self.index).into(), self.i32c(i).into()],
                    )?
                };
                self.store(self.stk(d)?, v)?;
            }
            Pop | PopN(_) => {}
            Slide(n) => {
                let v = top(self)?;
                self.store(self.stk(d - 1 - n)?, v)?;
            }
            Dup => {
                let v = top(self)?;
                self.store(self.stk(d)?, v)?;
            }
            LoadLocal(s) => {
                let v = self.load(self.slot(s)?)?;
                self.store(self.stk(d)?, v)?;
            }
            StoreLocal(s) | DeclareLocal(s) => {
                let v = top(self)?;
                self.store(self.slot(s)?, v)?;
            }
            LoadCell(s) => {
                let c = self.load(self.slot(s)?)?;
                let v = self.call("gene_cell_get", &[c.into()])?;
                self.store(self.stk(d)?, v)?;
            }
            StoreCell(s) => {
                let c = self.load(self.slot(s)?)?;
                let v = top(self)?;
                self.call("gene_cell_set", &[c.into(), v.into()])?;
            }
            DeclareCell(s) => {
                let v = top(self)?;
                let c = self.call("gene_cell_new", &[v.into()])?;
                self.store(self.slot(s)?, c)?;
            }
            LoadUpvalue(i) => {
                let v = self.call(
                    "gene_upvalue_get",
                    &[
                        self.closure.into(),
                        self.i32c(i).into(),
                        self.i32c(0).into(),
                    ],
                )?;
                self.store(self.stk(d)?, v)?;
            }
            StoreUpvalue(i) => {
                let v = top(self)?;
                self.call(
                    "gene_upvalue_set",
                    &[self.closure.into(), self.i32c(i).into(), v.into()],
                )?;
            }
            LoadName { .. } => {
                let v = self.load_name_cached(pc)?;
                self.store(self.stk(d)?, v)?;
            }
            Add | Sub | AddInt(_) | SubInt(_) | Mul | Div | Mod | Pow | FloorDiv => {
                let op = instr.bin_op().ok_or("not arithmetic")?;
                let (a, b, at) = self.operands(instr, d)?;
                let r = self.arith(op, a, b, pc)?;
                self.store(self.stk(at)?, r)?;
            }
            Lt | Le | Gt | Ge | LtInt(_) => {
                let op = instr.cmp_op().ok_or("not a comparison")?;
                let (a, b, at) = self.operands(instr, d)?;
                let r = self.compare(op, a, b, pc)?;
                self.store(self.stk(at)?, r)?;
            }
            Eq | Ne => {
                let (a, b) = (self.load(self.stk(d - 2)?)?, top(self)?);
                let mut holds = self.equals(a, b)?;
                if instr == Ne {
                    holds = self.b.build_not(holds, "ne").map_err(b_err)?;
                }
                let r = self.bool_value(holds)?;
                self.store(self.stk(d - 2)?, r)?;
            }
            MakeArray(n) => {
                self.stack_to_tmp(d - n, n)?;
                let r = self.call("gene_make_array", &[self.tmp.into(), self.i32c(n).into()])?;
                self.check(r, pc)?;
                self.store(self.stk(d - n)?, r)?;
            }
            Select | SetKey => {
                let f = if instr == Select {
                    "gene_select"
                } else {
                    "gene_set_key"
                };
                let (a, b) = (self.load(self.stk(d - 3)?)?, self.load(self.stk(d - 2)?)?);
                let r = self.call(f, &[a.into(), b.into(), top(self)?.into()])?;
                self.check(r, pc)?;
                self.store(self.stk(d - 3)?, r)?;
            }
            GetMember(_) => {
                let cache = self.site_cache(2, pc)?;
                let r = self.call(
                    "gene_get_member",
                    &[
                        self.i32c(self.index).into(),
                        self.i32c(pc as u32).into(),
                        top(self)?.into(),
                        cache.into(),
                    ],
                )?;
                self.check(r, pc)?;
                self.store(self.stk(d - 1)?, r)?;
            }
            SetMember(_) => {
                let cache = self.site_cache(2, pc)?;
                let obj = self.load(self.stk(d - 2)?)?;
                let r = self.call(
                    "gene_set_member",
                    &[
                        self.i32c(self.index).into(),
                        self.i32c(pc as u32).into(),
                        obj.into(),
                        top(self)?.into(),
                        cache.into(),
                    ],
                )?;
                self.check(r, pc)?;
                self.store(self.stk(d - 2)?, r)?;
            }
            CallMethod { name, args } => {
                let inline_done = self.int_method_inline(name, args, d)?;
                let cache = self.site_cache(3, pc)?;
                self.stack_to_tmp(d - args - 1, args + 1)?;
                let r = self.call(
                    "gene_call_method",
                    &[
                        self.i32c(self.index).into(),
                        self.i32c(pc as u32).into(),
                        self.tmp.into(),
                        self.i32c(args).into(),
                        cache.into(),
                    ],
                )?;
                self.check(r, pc)?;
                self.store(self.stk(d - args - 1)?, r)?;
                if let Some(done) = inline_done {
                    self.b.build_unconditional_branch(done).map_err(b_err)?;
                    self.b.position_at_end(done);
                }
            }
            GetChild(i) => {
                let index = self.cx.i64_type().const_int(i as i64 as u64, true);
                let r = self.call("gene_get_child", &[top(self)?.into(), index.into()])?;
                self.check(r, pc)?;
                self.store(self.stk(d - 1)?, r)?;
            }
            Not => {
                let t = self.truthy(top(self)?)?;
                let f = self.b.build_not(t, "not").map_err(b_err)?;
                let r = self.bool_value(f)?;
                self.store(self.stk(d - 1)?, r)?;
            }
            Jump(t) => {
                if (t as usize) <= pc {
                    self.gc_poll()?;
                }
                return self.br(t as usize);
            }
            JumpIfFalse(t) | JumpIfTrue(t) => {
                let c = self.truthy(top(self)?)?;
                let (yes, no) = if matches!(instr, JumpIfTrue(_)) {
                    (self.block(t as usize)?, self.block(next)?)
                } else {
                    (self.block(next)?, self.block(t as usize)?)
                };
                self.b.build_conditional_branch(c, yes, no).map_err(b_err)?;
                return Ok(());
            }
            JumpIfFalseKeep(t) | JumpIfTrueKeep(t) => {
                let c = self.truthy(top(self)?)?;
                let (yes, no) = if matches!(instr, JumpIfTrueKeep(_)) {
                    (self.block(t as usize)?, self.block(next)?)
                } else {
                    (self.block(next)?, self.block(t as usize)?)
                };
                self.b.build_conditional_branch(c, yes, no).map_err(b_err)?;
                return Ok(());
            }
            JumpIfMacro(t) => {
                let callee = top(self)?;
                let check_block = self.cx.append_basic_block(self.f, "macro_check");
                match self.direct_target(pc) {
                    Some((target, global)) => {
                        // The callee is the function its `fn` bound: not a
                        // macro, and the call below can go straight to it.
                        self.direct_sites[(d - 1) as usize] = Some(target);
                        let same = self.is_bound_closure(callee, global)?;
                        self.b
                            .build_conditional_branch(same, self.block(next)?, check_block)
                            .map_err(b_err)?;
                    }
                    None => {
                        self.b
                            .build_unconditional_branch(check_block)
                            .map_err(b_err)?;
                    }
                }
                self.b.position_at_end(check_block);
                let m = self.is_macro_cached(callee, pc)?;
                let c = self
                    .b
                    .build_int_compare(IntPredicate::NE, m, self.i64c(0), "is_macro")
                    .map_err(b_err)?;
                self.b
                    .build_conditional_branch(c, self.block(t as usize)?, self.block(next)?)
                    .map_err(b_err)?;
                return Ok(());
            }
            Call(n) | TailCall(n) => {
                let callee = self.load(self.stk(d - n - 1)?)?;
                if matches!(instr, TailCall(_)) {
                    return self.lower_tail_call(callee, n, d, pc);
                }
                let site = self
                    .direct_sites
                    .get_mut((d - n - 1) as usize)
                    .and_then(Option::take);
                let r = match site {
                    Some(target) => self.call_direct(callee, target, n, d, pc)?,
                    None => {
                        self.stack_to_tmp(d - n, n)?;
                        self.call_cached(callee, n, pc)?
                    }
                };
                self.store(self.stk(d - n - 1)?, r)?;
            }
            CallMacro(n) => {
                let callee = self.load(self.stk(d - n - 1)?)?;
                self.stack_to_tmp(d - n, n)?;
                self.spill_named_slots(pc as u32)?;
                let r = self.call(
                    "gene_call_macro",
                    &[
                        callee.into(),
                        self.tmp.into(),
                        self.i32c(n).into(),
                        self.i32c(self.index).into(),
                        self.i32c(pc as u32).into(),
                        self.spill.into(),
                        self.closure.into(),
                        self.self_val.into(),
                    ],
                )?;
                self.reload_named_slots(pc as u32)?;
                self.check(r, pc)?;
                self.store(self.stk(d - n - 1)?, r)?;
            }
            Return => {
                let v = top(self)?;
                self.ret(v)?;
                return Ok(());
            }
            Throw => {
                let v = top(self)?;
                let r = self.call("gene_throw", &[v.into()])?;
                self.check(r, pc)?;
                self.b.build_unreachable().map_err(b_err)?;
                return Ok(());
            }
            Closure(i) => {
                let nested = self.proto.protos[i as usize];
                let Some(&nested_index) = index_of.get(&(nested as *const Proto)) else {
                    return Err("closure over a Proto missing from the image".into());
                };
                for (k, capture) in nested.captures.iter().enumerate() {
                    let v = match *capture {
                        Capture::Local(s) => self.load(self.slot(s)?)?,
                        Capture::Upvalue(u) => self.call(
                            "gene_upvalue_get",
                            &[
                                self.closure.into(),
                                self.i32c(u).into(),
                                self.i32c(1).into(),
                            ],
                        )?,
                    };
                    self.store(self.tmp_at(k as u32)?, v)?;
                }
                let f = self.call(
                    "gene_make_closure",
                    &[
                        self.i32c(nested_index).into(),
                        self.tmp.into(),
                        self.i32c(nested.captures.len() as u32).into(),
                        self.closure.into(),
                        self.self_val.into(),
                        self.i32c(self.index).into(),
                    ],
                )?;
                self.store(self.stk(d)?, f)?;
            }
            RunBody(i) => {
                let nested = self.proto.protos[i as usize];
                let Some(&nested_index) = index_of.get(&(nested as *const Proto)) else {
                    return Err("body of a Proto missing from the image".into());
                };
                let target = top(self)?;
                let r = self.call(
                    "gene_run_body",
                    &[self.i32c(nested_index).into(), target.into()],
                )?;
                self.check(r, pc)?;
            }
            LoadArgs => {
                let v = self.load(self.args_value)?;
                self.store(self.stk(d)?, v)?;
            }
            JumpIfBound { slot, target } => {
                let v = self.load(self.slot(slot)?)?;
                let content = self.call("gene_cell_get", &[v.into()])?;
                let bound = self
                    .b
                    .build_int_compare(IntPredicate::NE, content, self.value(Value::VOID), "bound")
                    .map_err(b_err)?;
                self.b
                    .build_conditional_branch(
                        bound,
                        self.block(target as usize)?,
                        self.block(next)?,
                    )
                    .map_err(b_err)?;
                return Ok(());
            }
            Match(i) => {
                let v = top(self)?;
                self.spill_slots()?;
                let st = self.call(
                    "gene_match",
                    &[
                        self.i32c(self.index).into(),
                        self.i32c(i).into(),
                        v.into(),
                        self.self_val.into(),
                        self.spill.into(),
                    ],
                )?;
                self.reload_slots()?;
                self.check(st, pc)?;
            }
            IterInit(s) => {
                let source = self.call("gene_iter_init", &[top(self)?.into()])?;
                self.check(source, pc)?;
                self.store(self.slot(s)?, source)?;
                self.store(self.slot(s + 1)?, self.value(Value::small_int(0)))?;
            }
            IterNext { slot, exit } | IterNext2 { slot, exit } => {
                for k in 0..2 {
                    let v = self.load(self.slot(slot + k)?)?;
                    self.store(self.tmp_at(k)?, v)?;
                }
                let out = self.tmp_at(2)?;
                let more = self.call("gene_iter_next", &[self.tmp.into(), out.into()])?;
                // Reading a File's next line can fail.
                self.check(more, pc)?;
                let position = self.load(self.tmp_at(1)?)?;
                self.store(self.slot(slot + 1)?, position)?;
                let key = self.load(self.tmp_at(2)?)?;
                let element = self.load(self.tmp_at(3)?)?;
                if matches!(instr, IterNext2 { .. }) {
                    self.store(self.stk(d)?, key)?;
                    self.store(self.stk(d + 1)?, element)?;
                } else {
                    self.store(self.stk(d)?, element)?;
                }
                let c = self
                    .b
                    .build_int_compare(IntPredicate::NE, more, self.i64c(0), "more")
                    .map_err(b_err)?;
                self.b
                    .build_conditional_branch(c, self.block(next)?, self.block(exit as usize)?)
                    .map_err(b_err)?;
                return Ok(());
            }
            DefineMember(_) => {
                self.lower_step(pc, d, instr)?;
                // `(fn name ...)`: remember the closure for direct calls.
                if let (Some(Closure(k)), true) =
                    (pc.checked_sub(1).map(|p| self.proto.code[p]), d > 0)
                {
                    let nested = self
                        .proto
                        .protos
                        .get(k as usize)
                        .map(|p| *p as *const Proto);
                    let global = nested
                        .and_then(|p| index_of.get(&p))
                        .and_then(|t| self.program.def_globals.get(t));
                    if let Some(global) = global {
                        let v = top(self)?;
                        self.store(global.as_pointer_value(), v)?;
                    }
                }
            }
            other => self.lower_step(pc, d, other)?,
        }
        self.br(next)
    }

    /// A step instruction (`step_pops`): its operands go to the runtime's
    /// shared implementation.
    fn lower_step(&mut self, pc: usize, d: u32, instr: Instr) -> R<()> {
        let Some(pops) = step_pops(self.proto, &instr) else {
            return Err(format!("instruction {instr:?} is not lowered"));
        };
        self.stack_to_tmp(d - pops, pops)?;
        let st = self.call(
            "gene_step",
            &[
                self.i32c(self.index).into(),
                self.i32c(pc as u32).into(),
                self.closure.into(),
                self.self_val.into(),
                self.tmp.into(),
                self.i32c(pops).into(),
            ],
        )?;
        self.check(st, pc)?;
        let v = self.load(self.tmp_at(0)?)?;
        self.store(self.stk(d - pops)?, v)
    }

    /// The `fn` binding a call site's callee was loaded from, when its Proto
    /// has a direct body: the Proto index and its latest-closure global.
    fn direct_target(&self, pc: usize) -> Option<(u32, inkwell::values::GlobalValue<'ctx>)> {
        let Instr::LoadName { name, .. } = self.proto.code.get(pc.checked_sub(1)?)? else {
            return None;
        };
        let t = *self.program.defs.get(name)?;
        Some((t, *self.program.def_globals.get(&t)?))
    }

    /// Whether `callee` is the closure last bound by the `fn` of Proto `t`.
    fn is_bound_closure(
        &self,
        callee: IntValue<'ctx>,
        global: inkwell::values::GlobalValue<'ctx>,
    ) -> R<IntValue<'ctx>> {
        let bound = self.load(global.as_pointer_value())?;
        self.b
            .build_int_compare(IntPredicate::EQ, callee, bound, "bound_fn")
            .map_err(b_err)
    }

    /// A self tail call rebinds the parameters and jumps to the start;
    /// another callee is an ordinary call whose result is returned.
    fn lower_tail_call(&mut self, callee: IntValue<'ctx>, n: u32, d: u32, pc: usize) -> R<()> {
        let is_self = self
            .b
            .build_int_compare(IntPredicate::EQ, callee, self.closure, "self_call")
            .map_err(b_err)?;
        let again = self.cx.append_basic_block(self.f, "tail_again");
        let other = self.cx.append_basic_block(self.f, "tail_other");
        self.b
            .build_conditional_branch(is_self, again, other)
            .map_err(b_err)?;
        self.b.position_at_end(again);
        let arity = self.proto.fast_arity.unwrap_or(0);
        let args: Vec<IntValue> = (0..arity)
            .map(|i| {
                if i < n {
                    self.load(self.stk(d - n + i)?)
                } else {
                    Ok(self.value(Value::NIL))
                }
            })
            .collect::<R<_>>()?;
        for (i, v) in args.into_iter().enumerate() {
            self.store(self.slot(i as u32)?, v)?;
        }
        self.gc_poll()?;
        self.br(0)?;
        self.b.position_at_end(other);
        self.stack_to_tmp(d - n, n)?;
        // The callee replaces this activation: it counts from ours, and
        // its exception returns as it is (the frame a tail call replaced
        // is not in the backtrace, as in the interpreter).
        let depth_global = extern_global(self.cx, self.module, "gene_depth_room");
        self.b
            .build_store(depth_global, self.depth_in)
            .map_err(b_err)?;
        let r = self.call_cached_unchecked(callee, n, pc)?;
        self.b.build_return(Some(&r)).map_err(b_err)?;
        Ok(())
    }

    /// A safepoint (loop back edges): calls the runtime when a collection
    /// is due.
    fn gc_poll(&mut self) -> R<()> {
        let flag = self
            .module
            .get_global("gene_gc_requested")
            .unwrap_or_else(|| {
                let g = self
                    .module
                    .add_global(self.cx.i64_type(), None, "gene_gc_requested");
                g.set_linkage(Linkage::External);
                g
            });
        let requested = self.load(flag.as_pointer_value())?;
        let due = self
            .b
            .build_int_compare(IntPredicate::NE, requested, self.i64c(0), "gc_due")
            .map_err(b_err)?;
        let poll = self.cx.append_basic_block(self.f, "gc_poll");
        let go_on = self.cx.append_basic_block(self.f, "gc_done");
        self.b
            .build_conditional_branch(due, poll, go_on)
            .map_err(b_err)?;
        self.b.position_at_end(poll);
        self.call("gene_gc_poll", &[])?;
        self.b.build_unconditional_branch(go_on).map_err(b_err)?;
        self.b.position_at_end(go_on);
        Ok(())
    }

    /// `words` zeroed cache words for the runtime function a site calls,
    /// cleared again by every collection (they may name objects).
    fn site_cache(&self, words: u32, pc: usize) -> R<PointerValue<'ctx>> {
        Ok(self.cache_global(&format!("gene_site_{}_{pc}", self.index), words))
    }

    /// A zeroed global of `words` cache words named `name`, its words
    /// registered with the runtime (which zeroes them at every collection).
    fn cache_global(&self, name: &str, words: u32) -> PointerValue<'ctx> {
        let ty = self.cx.i64_type().array_type(words);
        let g = self.module.add_global(ty, None, name);
        g.set_initializer(&ty.const_zero());
        g.set_linkage(Linkage::Private);
        for i in 0..words {
            let at = unsafe {
                g.as_pointer_value()
                    .const_gep(ty, &[self.i64c(0), self.i64c(i as u64)])
            };
            self.program.cache_words.borrow_mut().push(at);
        }
        g.as_pointer_value()
    }

    /// A two-word inline cache at this site: when its first word equals
    /// `key`, the second is the answer; otherwise `miss` computes it and
    /// both words are stored. Returns the answer.
    fn cached(
        &mut self,
        name: &str,
        key: IntValue<'ctx>,
        miss: impl FnOnce(&mut Self) -> R<IntValue<'ctx>>,
    ) -> R<IntValue<'ctx>> {
        let ty = self.cx.i64_type().array_type(2);
        let g = self.cache_global(name, 2);
        let word = |l: &Self, i: u64| -> R<PointerValue<'ctx>> {
            unsafe { l.b.build_gep(ty, g, &[l.i64c(0), l.i64c(i)], "ic_word") }.map_err(b_err)
        };
        let cached_key = self.load(word(self, 0)?)?;
        let hit = self
            .b
            .build_int_compare(IntPredicate::EQ, key, cached_key, "ic_hit")
            .map_err(b_err)?;
        self.if_else(
            hit,
            "ic",
            |l| l.load(word(l, 1)?),
            |l| {
                let found = miss(l)?;
                l.store(word(l, 0)?, key)?;
                l.store(word(l, 1)?, found)?;
                Ok(found)
            },
        )
    }

    /// For `(x .bit_and y)` and the other `INLINED_INT_METHODS` on small
    /// ints: computes the result inline when the runtime's
    /// `gene_int_methods_builtin` flag holds and the operands are small ints
    /// the operation accepts, storing it and branching to the returned
    /// block; everything else falls through to the ordinary method call
    /// the caller emits next (where the builder is left), which also
    /// raises the errors.
    fn int_method_inline(
        &mut self,
        name: gene_core::Symbol,
        args: u32,
        d: u32,
    ) -> R<Option<BasicBlock<'ctx>>> {
        let method = name.name();
        let arity = if method == "bit_not" { 0 } else { 1 };
        if args != arity || !INLINED_INT_METHODS.contains(&method) {
            return Ok(None);
        }
        let at = self.stk(d - args - 1)?;
        let recv = self.load(at)?;
        let arg = if args == 1 {
            self.load(self.stk(d - 1)?)?
        } else {
            recv
        };
        let flag = self.runtime_global("gene_int_methods_builtin")?;
        let enabled = self
            .b
            .build_int_compare(IntPredicate::NE, flag, self.i64c(0), "int_methods")
            .map_err(b_err)?;
        let ints = self.both_ints(recv, arg)?;
        let go = self.b.build_and(enabled, ints, "inline").map_err(b_err)?;
        let fast = self.cx.append_basic_block(self.f, "int_method");
        let slow = self.cx.append_basic_block(self.f, "int_method_call");
        let done = self.cx.append_basic_block(self.f, "int_method_done");
        self.b
            .build_conditional_branch(go, fast, slow)
            .map_err(b_err)?;
        self.b.position_at_end(fast);
        let (x, y) = (self.int_of(recv)?, self.int_of(arg)?);
        // A further condition under which the inline result is right.
        let (r, holds) = match method {
            "bit_and" => (self.b.build_and(x, y, "and").map_err(b_err)?, None),
            "bit_or" => (self.b.build_or(x, y, "or").map_err(b_err)?, None),
            "bit_xor" => (self.b.build_xor(x, y, "xor").map_err(b_err)?, None),
            "bit_not" => (self.b.build_not(x, "not").map_err(b_err)?, None),
            "div" => {
                let nonzero = self
                    .b
                    .build_int_compare(IntPredicate::NE, y, self.i64c(0), "nonzero")
                    .map_err(b_err)?;
                let safe_y = self
                    .b
                    .build_select(nonzero, y, self.i64c(1), "divisor")
                    .map_err(b_err)?
                    .into_int_value();
                (floor_quotient(&self.b, x, safe_y)?, Some(nonzero))
            }
            _ => {
                // shl / shr: the count must be in 0…63 (compared unsigned).
                let in_range = self
                    .b
                    .build_int_compare(IntPredicate::ULT, y, self.i64c(64), "shift_ok")
                    .map_err(b_err)?;
                let count = self.b.build_and(y, self.i64c(63), "count").map_err(b_err)?;
                if method == "shr" {
                    let r = self
                        .b
                        .build_right_shift(x, count, true, "shr")
                        .map_err(b_err)?;
                    (r, Some(in_range))
                } else {
                    let r = self.b.build_left_shift(x, count, "shl").map_err(b_err)?;
                    let small = self.small_int(r)?;
                    let back = self.int_of(small)?;
                    let fits = self
                        .b
                        .build_int_compare(IntPredicate::EQ, back, r, "fits")
                        .map_err(b_err)?;
                    let ok = self.b.build_and(in_range, fits, "shl_ok").map_err(b_err)?;
                    (r, Some(ok))
                }
            }
        };
        if let Some(holds) = holds {
            let ok = self.cx.append_basic_block(self.f, "int_method_ok");
            self.b
                .build_conditional_branch(holds, ok, slow)
                .map_err(b_err)?;
            self.b.position_at_end(ok);
        }
        let v = self.small_int(r)?;
        self.store(at, v)?;
        self.b.build_unconditional_branch(done).map_err(b_err)?;
        self.b.position_at_end(slow);
        Ok(Some(done))
    }

    /// The value of the runtime global `name` (an `i64`).
    pub(super) fn runtime_global(&self, name: &str) -> R<IntValue<'ctx>> {
        let global = self.module.get_global(name).unwrap_or_else(|| {
            let g = self.module.add_global(self.cx.i64_type(), None, name);
            g.set_linkage(Linkage::External);
            g
        });
        self.load(global.as_pointer_value())
    }

    /// The runtime's namespace epoch: bumped whenever a name's binding may
    /// have changed.
    fn name_epoch(&self) -> R<IntValue<'ctx>> {
        let global = self
            .module
            .get_global("gene_name_epoch")
            .unwrap_or_else(|| {
                let g = self
                    .module
                    .add_global(self.cx.i64_type(), None, "gene_name_epoch");
                g.set_linkage(Linkage::External);
                g
            });
        self.load(global.as_pointer_value())
    }

    /// `LoadName` at `pc` through the runtime (the sentinel when it throws).
    fn load_name(&self, pc: usize) -> R<IntValue<'ctx>> {
        self.call(
            "gene_load_name",
            &[
                self.closure.into(),
                self.self_val.into(),
                self.i32c(self.index).into(),
                self.i32c(pc as u32).into(),
            ],
        )
    }

    /// `LoadName` cached while the runtime's namespace epoch is unchanged
    /// (a Proto always runs in one namespace).
    fn load_name_cached(&mut self, pc: usize) -> R<IntValue<'ctx>> {
        let epoch = self.name_epoch()?;
        self.cached(&format!("gene_name_ic_{}_{pc}", self.index), epoch, |l| {
            let v = l.load_name(pc)?;
            l.check(v, pc)?;
            Ok(v)
        })
    }

    /// Whether `callee` is a macro, cached by callee identity (a value's
    /// kind never changes).
    fn is_macro_cached(&mut self, callee: IntValue<'ctx>, pc: usize) -> R<IntValue<'ctx>> {
        self.cached(&format!("gene_macro_ic_{}_{pc}", self.index), callee, |l| {
            l.call("gene_is_macro", &[callee.into()])
        })
    }

    /// A call to the function a `fn` of Proto `target` bound: when the
    /// callee is still that closure, its direct body is called with the
    /// arguments in registers; otherwise the ordinary call path runs.
    fn call_direct(
        &mut self,
        callee: IntValue<'ctx>,
        target: u32,
        n: u32,
        d: u32,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        let (Some(Ok(plan)), Some(global)) = (
            self.program.plans.get(target as usize),
            self.program.def_globals.get(&target),
        ) else {
            return Err("direct call to a Proto without a direct body".into());
        };
        let Some(body) = plan.direct else {
            return Err("direct call to a Proto without a direct body".into());
        };
        let arity = body.count_params().saturating_sub(2);
        let same = self.is_bound_closure(callee, *global)?;
        self.if_else(
            same,
            "direct_call",
            |l| {
                let mut args: Vec<BasicMetadataValueEnum> =
                    vec![callee.into(), l.value(Value::NIL).into()];
                for i in 0..arity {
                    let v = if i < n {
                        l.load(l.stk(d - n + i)?)?
                    } else {
                        l.value(Value::NIL)
                    };
                    args.push(v.into());
                }
                let r =
                    l.b.build_call(body, &args, "direct")
                        .map_err(b_err)?
                        .try_as_basic_value()
                        .basic()
                        .ok_or("a direct body returns a value")?
                        .into_int_value();
                l.check(r, pc)?;
                Ok(r)
            },
            |l| {
                l.stack_to_tmp(d - n, n)?;
                l.call_cached(callee, n, pc)
            },
        )
    }

    /// A call with the `n` arguments in `tmp`: a callee seen before at this
    /// site whose native code is known is called directly; anything else
    /// goes through the runtime.
    fn call_cached(&mut self, callee: IntValue<'ctx>, n: u32, pc: usize) -> R<IntValue<'ctx>> {
        let r = self.call_cached_unchecked(callee, n, pc)?;
        self.check(r, pc)?;
        Ok(r)
    }

    /// [`Lowering::call_cached`] without the sentinel check.
    fn call_cached_unchecked(
        &mut self,
        callee: IntValue<'ctx>,
        n: u32,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        let i64t = self.cx.i64_type();
        let ptr = self.cx.ptr_type(AddressSpace::default());
        let code_bits = self.cached(&format!("gene_call_ic_{}_{pc}", self.index), callee, |l| {
            let target = runtime_fn(l.cx, l.module, "gene_native_target");
            let found =
                l.b.build_call(target, &[callee.into()], "target")
                    .map_err(b_err)?
                    .try_as_basic_value()
                    .basic()
                    .ok_or("gene_native_target returns a value")?
                    .into_pointer_value();
            l.b.build_ptr_to_int(found, i64t, "code_bits")
                .map_err(b_err)
        })?;
        let code = self
            .b
            .build_int_to_ptr(code_bits, ptr, "code")
            .map_err(b_err)?;
        let is_null = self.b.build_is_null(code, "no_native").map_err(b_err)?;
        let r = self.if_else(
            is_null,
            "call",
            |l| {
                l.call(
                    "gene_call",
                    &[callee.into(), l.tmp.into(), l.i32c(n).into()],
                )
            },
            |l| {
                let fn_type = i64t.fn_type(
                    &[
                        i64t.into(),
                        i64t.into(),
                        ptr.into(),
                        l.cx.i32_type().into(),
                        i64t.into(),
                    ],
                    false,
                );
                let nil = l.value(Value::NIL);
                Ok(l.b
                    .build_indirect_call(
                        fn_type,
                        code,
                        &[
                            callee.into(),
                            nil.into(),
                            l.tmp.into(),
                            l.i32c(n).into(),
                            nil.into(),
                        ],
                        "direct",
                    )
                    .map_err(b_err)?
                    .try_as_basic_value()
                    .basic()
                    .ok_or("native code returns a value")?
                    .into_int_value())
            },
        )?;
        Ok(r)
    }

    fn spill_at(&self, i: u32) -> R<PointerValue<'ctx>> {
        element(self.cx, &self.b, self.spill, i)
    }

    /// Copies the frame's slots into the spill buffer (before code that reads
    /// them from there, e.g. a `match`).
    fn spill_slots(&self) -> R<()> {
        self.copy_slots(0..self.proto.n_slots, true)
    }

    /// Spills the slots a macro called at `pc` can name (`gene_call_macro`
    /// reads only those): spilling every slot at every macro call made
    /// code size quadratic in a function with many scopes.
    fn spill_named_slots(&self, pc: u32) -> R<()> {
        self.copy_slots(named_slots(self.proto, pc), true)
    }

    fn reload_named_slots(&self, pc: u32) -> R<()> {
        self.copy_slots(named_slots(self.proto, pc), false)
    }

    fn reload_slots(&self) -> R<()> {
        self.copy_slots(0..self.proto.n_slots, false)
    }

    /// Copies `slots` from their registers to the spill buffer
    /// (`to_spill`) or back; nothing when the slots live in the buffer.
    fn copy_slots(&self, slots: impl IntoIterator<Item = u32>, to_spill: bool) -> R<()> {
        if self.slots_in_spill {
            return Ok(());
        }
        for i in slots {
            let (from, to) = if to_spill {
                (self.slot(i)?, self.spill_at(i)?)
            } else {
                (self.spill_at(i)?, self.slot(i)?)
            };
            let v = self.load(from)?;
            self.store(to, v)?;
        }
        Ok(())
    }
}

/// The distinct slots named at `pc`, ascending.
fn named_slots(proto: &Proto, pc: u32) -> Vec<u32> {
    let mut slots: Vec<u32> = proto.slots_named_at(pc).collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Copies of a slot around macro calls and `match`es allowed per
/// instruction before the slots move into memory for good.
const SPILL_COPIES_PER_INSTR: usize = 1;

/// Whether copying the slots around every macro call (each call site of an
/// unknown name has a macro path) and `match` would cost more code than
/// [`SPILL_COPIES_PER_INSTR`] per instruction. Then the slots live in the
/// spill buffer itself: slower to access than registers, but the code stays
/// linear in the function's size. Without this, a long top level (every
/// top-level `var` is a slot, visible to every later call) took build time
/// quadratic in its length.
fn spill_code_too_large(proto: &Proto) -> bool {
    let sites = proto
        .code
        .iter()
        .filter(|i| matches!(i, Instr::CallMacro(_) | Instr::Match(_)))
        .count();
    sites.saturating_mul(proto.n_slots as usize)
        > SPILL_COPIES_PER_INSTR
            .saturating_mul(proto.code.len())
            .max(1024)
}
