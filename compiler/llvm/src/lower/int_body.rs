//! Int bodies: a second lowering for Protos whose whole body computes with
//! ints only.
//!
//! Under the assumption that every parameter is an int, [`analyse`]
//! abstract-interprets the bytecode (the type of every stack position and
//! slot at every pc, to a fixpoint over the jumps) with the types int and
//! bool, and accepts only a small instruction set: locals, int constants,
//! `+ - * %`, comparisons, jumps on bools, and calls of the function's own
//! name. An accepted Proto gets a function `gene_proto_N_NAME_int` taking
//! its arguments as raw (unboxed) i64s and returning the raw int result;
//! when it fails (overflow, modulo by zero, too deep a recursion) it sets a
//! flag, `gene_int_failed`, and nothing else: the ordinary body then runs
//! the same call again as generic code, which raises the exact error with
//! its backtrace (see [`Lowering::enter_int_body`]). An int body has no side
//! effects, so running it again is invisible but for time, and the failure
//! paths stay small enough for the inliner.
//!
//! Self-calls inside an int body call the int body directly, with no name
//! or closure check: while an int body runs no other Gene code runs, so
//! nothing can rebind the name. The check happens once, at the boundary:
//! the Proto's ordinary body enters its int body when every argument is an
//! int and the name its self-calls load resolves to the running closure
//! (see [`Lowering::enter_int_body`]); otherwise it runs as usual.
//!
//! The recursion limit costs a register: an int body takes, after its
//! arguments, how many more activations the limit allows (`room`), checks
//! it before each self-call and passes one less.

use super::{b_err, first_line, floor_quotient, with_overflow, FrameCode, Lowering, Program, R};
use gene_core::bytecode::{Instr, Proto, EXCEPTION_SENTINEL};
use gene_core::numeric::{BinOp, INLINED_INT_METHODS};
use gene_core::Symbol;
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::debug_info::AsDIScope;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicMetadataValueEnum, FunctionValue, IntValue, PointerValue};
use inkwell::IntPredicate;

/// The type of a stack position or slot in an int body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Bool,
    /// Only ever popped (the value of a `while`).
    Nil,
    /// The function itself, loaded by name for a self-call.
    SelfFn,
    /// Unusable (a slot holding different types on different paths).
    Top,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    stack: Vec<Ty>,
    slots: Vec<Ty>,
}

/// A Proto whose int body can be generated.
pub(super) struct IntPlan {
    arity: u32,
    /// One `LoadName` of the body's self-calls, if it makes any: the name
    /// must resolve to the running closure for the int body to run.
    self_name_pc: Option<usize>,
    /// The stack types before every reachable pc.
    types: Vec<Option<Vec<Ty>>>,
    /// Per pc: whether every path to it made a stack check in this frame.
    checked_before: Vec<bool>,
    /// Whether the body calls Int methods computed inline: it then runs
    /// only while the runtime says they are the built-in ones.
    uses_int_methods: bool,
}

/// The index in `INLINED_INT_METHODS` of a method call an int body
/// computes inline, with its argument count.
fn inlined_int_method(instr: Instr) -> Option<u32> {
    let Instr::CallMethod { name, args } = instr else {
        return None;
    };
    let code = INLINED_INT_METHODS.iter().position(|m| *m == name.name())?;
    let arity = if name.name() == "bit_not" { 0 } else { 1 };
    (args == arity).then_some(code as u32)
}

/// Whether `proto` (a plain function of `arity` parameters that `fn`
/// binds to `self_name`, if any) has an int body, or why not.
pub(super) fn analyse(
    proto: &Proto,
    arity: u32,
    self_name: Option<Symbol>,
) -> Result<IntPlan, String> {
    if !proto.handlers.is_empty() {
        return Err("has handlers".into());
    }
    if arity == 0 || arity > proto.n_slots {
        return Err("no int parameters".into());
    }
    let n = proto.code.len();
    let mut states: Vec<Option<State>> = vec![None; n];
    let start = State {
        stack: Vec::new(),
        slots: (0..proto.n_slots)
            .map(|s| if s < arity { Ty::Int } else { Ty::Nil })
            .collect(),
    };
    let mut work = vec![(0usize, start)];
    let mut self_name_pc = None;
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    while let Some((pc, incoming)) = work.pop() {
        if pc >= n {
            return Err("runs off the end".into());
        }
        let merged = match &states[pc] {
            None => incoming,
            Some(old) => {
                if old.stack != incoming.stack {
                    return Err(format!("stack types differ at pc {pc}"));
                }
                let slots = old
                    .slots
                    .iter()
                    .zip(&incoming.slots)
                    .map(|(a, b)| if a == b { *a } else { Ty::Top })
                    .collect();
                let merged = State {
                    stack: old.stack.clone(),
                    slots,
                };
                if &merged == old {
                    continue;
                }
                merged
            }
        };
        states[pc] = Some(merged.clone());
        if matches!(proto.code[pc], Instr::LoadName { .. }) {
            self_name_pc.get_or_insert(pc);
        }
        let nexts = step(proto, arity, self_name, pc, merged)?;
        succs[pc] = nexts.iter().map(|(t, _)| *t).collect();
        work.extend(nexts);
    }
    // Which calls need a stack check: those some path reaches from the
    // entry without passing another call (the stack pointer is the same
    // throughout a frame). A forward must-analysis over the pcs.
    let mut checked_before = vec![true; n];
    checked_before[0] = false;
    let mut changed = true;
    while changed {
        changed = false;
        for pc in 0..n {
            if states[pc].is_none() {
                continue;
            }
            let out = checked_before[pc] || matches!(proto.code[pc], Instr::Call(_));
            for &t in &succs[pc] {
                if checked_before[t] && !out {
                    checked_before[t] = false;
                    changed = true;
                }
            }
        }
    }
    let uses_int_methods = proto.code.iter().any(|i| inlined_int_method(*i).is_some());
    Ok(IntPlan {
        arity,
        self_name_pc,
        types: states.into_iter().map(|s| s.map(|s| s.stack)).collect(),
        checked_before,
        uses_int_methods,
    })
}

fn is_value(t: Ty) -> bool {
    matches!(t, Ty::Int | Ty::Bool)
}

/// The successors of `pc` with their states, or why the body is not int-only.
fn step(
    proto: &Proto,
    arity: u32,
    self_name: Option<Symbol>,
    pc: usize,
    mut s: State,
) -> Result<Vec<(usize, State)>, String> {
    use Instr::*;
    let instr = proto.code[pc];
    let reject = || format!("{instr:?} at pc {pc} is not int-only");
    let pop = |s: &mut State| s.stack.pop().ok_or_else(|| format!("underflow at pc {pc}"));
    let next = pc + 1;
    match instr {
        Nil => s.stack.push(Ty::Nil),
        True | False => s.stack.push(Ty::Bool),
        Int(_) => s.stack.push(Ty::Int),
        Const(i) => match proto.consts.get(i as usize).and_then(|c| c.as_int()) {
            Some(_) => s.stack.push(Ty::Int),
            None => return Err(reject()),
        },
        Pop | PopN(_) => {
            let k = if let PopN(k) = instr { k } else { 1 };
            for _ in 0..k {
                if pop(&mut s)? == Ty::SelfFn {
                    return Err(reject());
                }
            }
        }
        Dup => {
            let t = *s.stack.last().ok_or_else(reject)?;
            if !is_value(t) {
                return Err(reject());
            }
            s.stack.push(t);
        }
        Slide(k) => {
            let t = pop(&mut s)?;
            for _ in 0..k {
                if pop(&mut s)? == Ty::SelfFn {
                    return Err(reject());
                }
            }
            if !is_value(t) {
                return Err(reject());
            }
            s.stack.push(t);
        }
        LoadLocal(slot) => {
            let t = *s.slots.get(slot as usize).ok_or_else(reject)?;
            if !is_value(t) {
                return Err(reject());
            }
            s.stack.push(t);
        }
        StoreLocal(slot) | DeclareLocal(slot) => {
            let t = *s.stack.last().ok_or_else(reject)?;
            if !is_value(t) || slot as usize >= s.slots.len() {
                return Err(reject());
            }
            s.slots[slot as usize] = t;
        }
        Add | Sub | Mul | Mod | FloorDiv | Lt | Le | Gt | Ge => {
            let (b, a) = (pop(&mut s)?, pop(&mut s)?);
            if (a, b) != (Ty::Int, Ty::Int) {
                return Err(reject());
            }
            let r = if instr.cmp_op().is_some() {
                Ty::Bool
            } else {
                Ty::Int
            };
            s.stack.push(r);
        }
        AddInt(_) | SubInt(_) | LtInt(_) => {
            if pop(&mut s)? != Ty::Int {
                return Err(reject());
            }
            let r = if matches!(instr, LtInt(_)) {
                Ty::Bool
            } else {
                Ty::Int
            };
            s.stack.push(r);
        }
        Eq | Ne => {
            let (b, a) = (pop(&mut s)?, pop(&mut s)?);
            if a != b || !is_value(a) {
                return Err(reject());
            }
            s.stack.push(Ty::Bool);
        }
        Not => {
            if !is_value(pop(&mut s)?) {
                return Err(reject());
            }
            s.stack.push(Ty::Bool);
        }
        Jump(t) => return Ok(vec![(t as usize, s)]),
        JumpIfFalse(t) | JumpIfTrue(t) => {
            if !is_value(pop(&mut s)?) {
                return Err(reject());
            }
            return Ok(vec![(t as usize, s.clone()), (next, s)]);
        }
        JumpIfFalseKeep(t) | JumpIfTrueKeep(t) => {
            let kept = s.clone();
            if !is_value(pop(&mut s)?) {
                return Err(reject());
            }
            return Ok(vec![(t as usize, kept), (next, s)]);
        }
        LoadName { name, .. } if Some(name) == self_name => s.stack.push(Ty::SelfFn),
        // The function itself is no macro.
        JumpIfMacro(_) if s.stack.last() == Some(&Ty::SelfFn) => {}
        Call(k) | TailCall(k) => {
            if k != arity {
                return Err(reject());
            }
            for _ in 0..k {
                if pop(&mut s)? != Ty::Int {
                    return Err(reject());
                }
            }
            if pop(&mut s)? != Ty::SelfFn {
                return Err(reject());
            }
            if matches!(instr, TailCall(_)) {
                for slot in 0..arity {
                    s.slots[slot as usize] = Ty::Int;
                }
                return Ok(vec![(0, s)]);
            }
            s.stack.push(Ty::Int);
        }
        Return => {
            if pop(&mut s)? != Ty::Int {
                return Err(reject());
            }
            return Ok(vec![]);
        }
        CallMethod { args, .. } if inlined_int_method(instr).is_some() => {
            for _ in 0..=args {
                if pop(&mut s)? != Ty::Int {
                    return Err(reject());
                }
            }
            s.stack.push(Ty::Int);
        }
        _ => return Err(reject()),
    }
    Ok(vec![(next, s)])
}

/// How many copies of an int body call each other in a ring for
/// self-calls: the inliner inlines each into the one before, which unrolls
/// the recursion (as C compilers do for a self-recursive function).
const COPIES: usize = 3;

/// The name of copy `i` of the int body of Proto `name`.
fn copy_name(name: &str, i: usize) -> String {
    match i {
        0 => format!("{name}_int"),
        i => format!("{name}_int_{i}"),
    }
}

/// Declares the int body of Proto `name` (`arity` i64s to an i64) and its
/// copies (see [`COPIES`]); returns the first.
pub(super) fn declare<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
    arity: u32,
) -> FunctionValue<'ctx> {
    let i64t = cx.i64_type();
    // The arguments, then the room left below the recursion limit.
    let params: Vec<_> = (0..=arity).map(|_| i64t.into()).collect();
    let ty = i64t.fn_type(&params, false);
    let copies: Vec<_> = (0..COPIES)
        .map(|i| module.add_function(&copy_name(name, i), ty, Some(Linkage::Internal)))
        .collect();
    copies[0]
}

/// The flag an int body sets when it fails (the exception is then
/// pending, as with the sentinel); whoever entered the int body clears it.
/// A flag rather than a second result keeps the common path of a call
/// free of it, and lets leaf calls run without a frame.
fn failed_flag<'ctx>(cx: &'ctx Context, module: &Module<'ctx>) -> PointerValue<'ctx> {
    let g = module.get_global("gene_int_failed").unwrap_or_else(|| {
        let g = module.add_global(cx.bool_type(), None, "gene_int_failed");
        g.set_initializer(&cx.bool_type().const_zero());
        g.set_linkage(Linkage::Private);
        g
    });
    g.as_pointer_value()
}

/// Set while a call whose int body failed runs again as generic code: int
/// bodies are not entered meanwhile, so the generic code raises the error.
fn replay_flag<'ctx>(cx: &'ctx Context, module: &Module<'ctx>) -> PointerValue<'ctx> {
    let g = module.get_global("gene_int_replay").unwrap_or_else(|| {
        let g = module.add_global(cx.bool_type(), None, "gene_int_replay");
        g.set_initializer(&cx.bool_type().const_zero());
        g.set_linkage(Linkage::Private);
        g
    });
    g.as_pointer_value()
}

/// Whether the int body just called failed.
fn load_failed<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    b: &Builder<'ctx>,
) -> R<IntValue<'ctx>> {
    Ok(
        b.build_load(cx.bool_type(), failed_flag(cx, module), "failed")
            .map_err(b_err)?
            .into_int_value(),
    )
}

struct IntLowering<'a, 'ctx> {
    cx: &'ctx Context,
    module: &'a Module<'ctx>,
    b: Builder<'ctx>,
    f: FunctionValue<'ctx>,
    /// What self-calls call.
    callee: FunctionValue<'ctx>,
    proto: &'static Proto,
    slots: Vec<PointerValue<'ctx>>,
    stack: Vec<PointerValue<'ctx>>,
    blocks: Vec<Option<BasicBlock<'ctx>>>,
    types: &'a [Option<Vec<Ty>>],
    checked_before: &'a [bool],
    fail_block: Option<BasicBlock<'ctx>>,
    /// Activations the recursion limit still allows (the last parameter).
    room: IntValue<'ctx>,
    /// Whether this is the first copy of the ring, the one that checks the
    /// room (see [`IntLowering::depth_check`]).
    counts: bool,
}

/// Emits the int body `f` of Proto `proto` and its copies (see
/// [`declare`]), each calling the next.
pub(super) fn build<'ctx>(
    program: &Program<'_, 'ctx>,
    f: FunctionValue<'ctx>,
    proto: &'static Proto,
    plan: &IntPlan,
) -> R<()> {
    let name = f.get_name().to_string_lossy();
    let base = name
        .strip_suffix("_int")
        .ok_or("an int body's name ends in _int")?;
    let copies = (0..COPIES)
        .map(|i| {
            program
                .module
                .get_function(&copy_name(base, i))
                .ok_or("an int body without its copies")
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (i, copy) in copies.iter().enumerate() {
        build_one(
            program,
            *copy,
            copies[(i + 1) % COPIES],
            proto,
            plan,
            i == 0,
        )?;
    }
    Ok(())
}

/// Emits `f`, an int body of `proto` whose self-calls call `callee`.
fn build_one<'ctx>(
    program: &Program<'_, 'ctx>,
    f: FunctionValue<'ctx>,
    callee: FunctionValue<'ctx>,
    proto: &'static Proto,
    plan: &IntPlan,
    counts: bool,
) -> R<()> {
    let (cx, module, debug) = (program.cx, program.module, program.debug);
    let i64t = cx.i64_type();
    let name = f.get_name().to_string_lossy().into_owned();
    let first_line = first_line(proto);
    let subprogram = debug.subprogram(proto.name.name(), &name, first_line);
    f.set_subprogram(subprogram);
    let scope = subprogram.as_debug_info_scope();
    let at_line = |line: u32| {
        debug
            .builder
            .create_debug_location(cx, line, 0, scope, None)
    };
    let b = cx.create_builder();
    let entry = cx.append_basic_block(f, "entry");
    b.position_at_end(entry);
    b.set_current_debug_location(at_line(first_line));
    let alloca = |name: String| b.build_alloca(i64t, &name).map_err(b_err);
    let slots = (0..proto.n_slots)
        .map(|i| alloca(format!("slot{i}")))
        .collect::<R<Vec<_>>>()?;
    let max_depth = plan.types.iter().flatten().map(Vec::len).max().unwrap_or(0) as u32 + 1;
    let stack = (0..max_depth)
        .map(|i| alloca(format!("stk{i}")))
        .collect::<R<Vec<_>>>()?;
    for (i, slot) in slots.iter().enumerate() {
        let v = match f.get_nth_param(i as u32) {
            Some(p) if (i as u32) < plan.arity => p.into_int_value(),
            _ => i64t.const_zero(),
        };
        b.build_store(*slot, v).map_err(b_err)?;
    }
    let blocks: Vec<Option<BasicBlock>> = plan
        .types
        .iter()
        .enumerate()
        .map(|(pc, d)| {
            d.as_ref()
                .map(|_| cx.append_basic_block(f, &format!("pc{pc}")))
        })
        .collect();
    let Some(Some(first)) = blocks.first().copied() else {
        return Err("empty code".into());
    };
    b.build_unconditional_branch(first).map_err(b_err)?;
    let room = f
        .get_nth_param(plan.arity)
        .ok_or("an int body without its room parameter")?
        .into_int_value();
    let mut l = IntLowering {
        cx,
        module,
        b,
        f,
        callee,
        proto,
        slots,
        stack,
        blocks,
        types: &plan.types,
        checked_before: &plan.checked_before,
        fail_block: None,
        room,
        counts,
    };
    for (pc, types) in plan.types.iter().enumerate() {
        let (Some(d), Some(block)) = (types.as_ref().map(|t| t.len() as u32), l.blocks[pc]) else {
            continue;
        };
        l.b.position_at_end(block);
        let line = proto.line_at(pc);
        if line > 0 {
            l.b.set_current_debug_location(at_line(line));
        }
        l.lower(pc, d, plan.arity)?;
    }
    if !f.verify(false) {
        return Err(format!("invalid function {name}"));
    }
    Ok(())
}

impl<'ctx> FrameCode<'ctx> for IntLowering<'_, 'ctx> {
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

impl<'ctx> IntLowering<'_, 'ctx> {
    fn i64c(&self, v: i64) -> IntValue<'ctx> {
        self.cx.i64_type().const_int(v as u64, true)
    }

    /// The block returning failure.
    fn fail_block(&mut self) -> R<BasicBlock<'ctx>> {
        if let Some(b) = self.fail_block {
            return Ok(b);
        }
        let here = self.b.get_insert_block().ok_or("no block")?;
        let block = self.cx.append_basic_block(self.f, "fail");
        self.b.position_at_end(block);
        let flag = failed_flag(self.cx, self.module);
        self.b
            .build_store(flag, self.cx.bool_type().const_int(1, false))
            .map_err(b_err)?;
        self.b.build_return(Some(&self.i64c(0))).map_err(b_err)?;
        self.b.position_at_end(here);
        self.fail_block = Some(block);
        Ok(block)
    }

    /// Continues when `bad` is false; otherwise fails (the ordinary body
    /// then raises the error by running the call as generic code).
    fn fail_if(&mut self, bad: IntValue<'ctx>) -> R<()> {
        let fail = self.fail_block()?;
        let ok = self.cx.append_basic_block(self.f, "int_ok");
        self.b
            .build_conditional_branch(bad, fail, ok)
            .map_err(b_err)?;
        self.b.position_at_end(ok);
        Ok(())
    }

    /// `x op y` for `+ - *` through LLVM's overflow-checking intrinsics.
    fn checked(&mut self, op: BinOp, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let (r, overflowed) = with_overflow(self.cx, self.module, &self.b, op, x, y)?;
        self.fail_if(overflowed)?;
        Ok(r)
    }

    /// `x % y`: the remainder truncated toward zero (Rust's `wrapping_rem`),
    /// and the runtime's DivisionByZero for zero.
    fn modulo(&mut self, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let zero = self
            .b
            .build_int_compare(IntPredicate::EQ, y, self.i64c(0), "by_zero")
            .map_err(b_err)?;
        self.fail_if(zero)?;
        // x % -1 is 0 (and srem would be undefined for i64::MIN).
        let minus_one = self
            .b
            .build_int_compare(IntPredicate::EQ, y, self.i64c(-1), "minus_one")
            .map_err(b_err)?;
        let safe_y = self
            .b
            .build_select(minus_one, self.i64c(1), y, "divisor")
            .map_err(b_err)?
            .into_int_value();
        let r = self
            .b
            .build_int_signed_rem(x, safe_y, "rem")
            .map_err(b_err)?;
        Ok(self
            .b
            .build_select(minus_one, self.i64c(0), r, "mod")
            .map_err(b_err)?
            .into_int_value())
    }

    /// `x // y`: fails for zero and for `i64::MIN // -1` (the generic
    /// body then raises DivisionByZero or OverflowError), else the quotient
    /// rounded toward negative infinity.
    fn floor_div(&mut self, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let cmp = |l: &Self, v: IntValue<'ctx>, k: i64, name: &str| {
            l.b.build_int_compare(IntPredicate::EQ, v, l.i64c(k), name)
                .map_err(b_err)
        };
        let zero = cmp(self, y, 0, "by_zero")?;
        let min = cmp(self, x, i64::MIN, "min")?;
        let minus_one = cmp(self, y, -1, "minus_one")?;
        let overflows = self
            .b
            .build_and(min, minus_one, "overflows")
            .map_err(b_err)?;
        let bad = self.b.build_or(zero, overflows, "bad").map_err(b_err)?;
        self.fail_if(bad)?;
        floor_quotient(&self.b, x, y)
    }

    /// `(x .name y)` for an inlined Int method (`code` indexes
    /// `INLINED_INT_METHODS`): the method's errors come from the runtime
    /// running the method itself on the same ints, when the generic body
    /// reruns the call after this one failed.
    fn int_method(&mut self, code: u32, x: IntValue<'ctx>, y: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let b = &self.b;
        Ok(match INLINED_INT_METHODS[code as usize] {
            "bit_and" => b.build_and(x, y, "and").map_err(b_err)?,
            "bit_or" => b.build_or(x, y, "or").map_err(b_err)?,
            "bit_xor" => b.build_xor(x, y, "xor").map_err(b_err)?,
            "bit_not" => b.build_not(x, "not").map_err(b_err)?,
            "div" => self.floor_div(x, y)?,
            method => {
                let out_of_range = b
                    .build_int_compare(IntPredicate::UGE, y, self.i64c(64), "bad_shift")
                    .map_err(b_err)?;
                self.fail_if(out_of_range)?;
                if method == "shl" {
                    self.b.build_left_shift(x, y, "shl").map_err(b_err)?
                } else {
                    self.b.build_right_shift(x, y, true, "shr").map_err(b_err)?
                }
            }
        })
    }

    fn flag(&self, c: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        self.b
            .build_int_z_extend(c, self.cx.i64_type(), "flag")
            .map_err(b_err)
    }

    fn lower(&mut self, pc: usize, d: u32, arity: u32) -> R<()> {
        use Instr::*;
        let instr = self.proto.code[pc];
        let next = pc + 1;
        let top = |l: &Self| l.load(l.stk(d - 1)?);
        match instr {
            Nil | False | LoadName { .. } => self.store(self.stk(d)?, self.i64c(0))?,
            True => self.store(self.stk(d)?, self.i64c(1))?,
            Int(i) => self.store(self.stk(d)?, self.i64c(i as i64))?,
            Const(i) => {
                let c = self.proto.consts[i as usize]
                    .as_int()
                    .ok_or("a non-int constant")?;
                self.store(self.stk(d)?, self.i64c(c))?;
            }
            Pop | PopN(_) => {}
            Dup => {
                let v = top(self)?;
                self.store(self.stk(d)?, v)?;
            }
            Slide(k) => {
                let v = top(self)?;
                self.store(self.stk(d - 1 - k)?, v)?;
            }
            LoadLocal(s) => {
                let v = self.load(self.slot(s)?)?;
                self.store(self.stk(d)?, v)?;
            }
            StoreLocal(s) | DeclareLocal(s) => {
                let v = top(self)?;
                self.store(self.slot(s)?, v)?;
            }
            Add | Sub | Mul | Mod | FloorDiv | AddInt(_) | SubInt(_) => {
                let op = instr.bin_op().ok_or("not arithmetic")?;
                let (x, y, at) = match instr {
                    AddInt(k) | SubInt(k) => (top(self)?, self.i64c(k as i64), d - 1),
                    _ => (self.load(self.stk(d - 2)?)?, top(self)?, d - 2),
                };
                let r = if op == BinOp::Mod {
                    self.modulo(x, y)?
                } else if op == BinOp::FloorDiv {
                    self.floor_div(x, y)?
                } else {
                    self.checked(op, x, y)?
                };
                self.store(self.stk(at)?, r)?;
            }
            CallMethod { args, .. } if inlined_int_method(instr).is_some() => {
                let code = inlined_int_method(instr).ok_or("not an Int method")?;
                let at = d - args - 1;
                let x = self.load(self.stk(at)?)?;
                let y = if args == 1 { top(self)? } else { x };
                let r = self.int_method(code, x, y)?;
                self.store(self.stk(at)?, r)?;
            }
            Lt | Le | Gt | Ge | LtInt(_) | Eq | Ne => {
                let (x, y, at) = match instr {
                    LtInt(k) => (top(self)?, self.i64c(k as i64), d - 1),
                    _ => (self.load(self.stk(d - 2)?)?, top(self)?, d - 2),
                };
                let pred = match instr {
                    Lt | LtInt(_) => IntPredicate::SLT,
                    Le => IntPredicate::SLE,
                    Gt => IntPredicate::SGT,
                    Ge => IntPredicate::SGE,
                    Eq => IntPredicate::EQ,
                    _ => IntPredicate::NE,
                };
                let c = self.b.build_int_compare(pred, x, y, "cmp").map_err(b_err)?;
                let r = self.flag(c)?;
                self.store(self.stk(at)?, r)?;
            }
            Not => {
                // An int is truthy, a bool is 0 or 1.
                let v = top(self)?;
                let is_false = self
                    .b
                    .build_int_compare(IntPredicate::EQ, v, self.i64c(0), "not")
                    .map_err(b_err)?;
                let r = self.flag(is_false)?;
                let r = if self.is_int_at(pc, d - 1) {
                    self.i64c(0)
                } else {
                    r
                };
                self.store(self.stk(d - 1)?, r)?;
            }
            Jump(t) => return self.br(t as usize),
            JumpIfFalse(t) | JumpIfTrue(t) | JumpIfFalseKeep(t) | JumpIfTrueKeep(t) => {
                let v = top(self)?;
                let truthy = if self.is_int_at(pc, d - 1) {
                    self.cx.bool_type().const_int(1, false)
                } else {
                    self.b
                        .build_int_compare(IntPredicate::NE, v, self.i64c(0), "truthy")
                        .map_err(b_err)?
                };
                let (yes, no) = if matches!(instr, JumpIfTrue(_) | JumpIfTrueKeep(_)) {
                    (self.block(t as usize)?, self.block(next)?)
                } else {
                    (self.block(next)?, self.block(t as usize)?)
                };
                self.b
                    .build_conditional_branch(truthy, yes, no)
                    .map_err(b_err)?;
                return Ok(());
            }
            JumpIfMacro(_) => return self.br(next),
            Call(k) => {
                if !self.checked_before[pc] {
                    self.stack_check()?;
                }
                let room = self.depth_check()?;
                let mut args = (0..k)
                    .map(|i| Ok(self.load(self.stk(d - k + i)?)?.into()))
                    .collect::<R<Vec<BasicMetadataValueEnum>>>()?;
                args.push(room.into());
                let r = self
                    .b
                    .build_call(self.callee, &args, "self_call")
                    .map_err(b_err)?
                    .try_as_basic_value()
                    .basic()
                    .ok_or("an int body returns a value")?
                    .into_int_value();
                let failed = load_failed(self.cx, self.module, &self.b)?;
                let fail = self.fail_block()?;
                let ok = self.cx.append_basic_block(self.f, "call_ok");
                self.b
                    .build_conditional_branch(failed, fail, ok)
                    .map_err(b_err)?;
                self.b.position_at_end(ok);
                self.store(self.stk(d - k - 1)?, r)?;
            }
            TailCall(k) => {
                let args = (0..k)
                    .map(|i| self.load(self.stk(d - k + i)?))
                    .collect::<R<Vec<_>>>()?;
                for (i, v) in args.into_iter().enumerate().take(arity as usize) {
                    self.store(self.slot(i as u32)?, v)?;
                }
                return self.br(0);
            }
            Return => {
                let v = top(self)?;
                self.b.build_return(Some(&v)).map_err(b_err)?;
                return Ok(());
            }
            other => return Err(format!("{other:?} in an int body")),
        }
        self.br(next)
    }

    /// Before a self-call: the same stack-depth check as an ordinary
    /// body's, raising the same catchable StackOverflow. (It is made by
    /// the caller, reading the stack pointer, so leaf calls need no frame.)
    fn stack_check(&mut self) -> R<()> {
        let (cx, module) = (self.cx, self.module);
        let i64t = cx.i64_type();
        let stacksave = Intrinsic::find("llvm.stacksave")
            .and_then(|i| i.get_declaration(module, &[cx.ptr_type(Default::default()).into()]))
            .ok_or("missing intrinsic llvm.stacksave")?;
        let sp = self
            .b
            .build_call(stacksave, &[], "sp")
            .map_err(b_err)?
            .try_as_basic_value()
            .basic()
            .ok_or("llvm.stacksave returns a value")?
            .into_pointer_value();
        let limit_global = super::extern_global(cx, module, "gene_stack_limit");
        let limit = self.load(limit_global)?;
        let sp = self.b.build_ptr_to_int(sp, i64t, "sp").map_err(b_err)?;
        let too_deep = self
            .b
            .build_int_compare(IntPredicate::ULT, sp, limit, "too_deep")
            .map_err(b_err)?;
        self.fail_if(too_deep)?;
        Ok(())
    }

    /// Before a self-call: the recursion limit; returns the callee's room.
    /// Only the first copy of the ring checks, for itself and the two
    /// copies it calls through (room for [`COPIES`] more activations), so
    /// a recursion ends up to two activations early: the failure runs the
    /// call again as generic code, which counts exactly (see
    /// `gene_vm::backtrace`), so an early stop costs time only.
    fn depth_check(&mut self) -> R<IntValue<'ctx>> {
        if !self.counts {
            return Ok(self.room);
        }
        let copies = self.i64c(COPIES as i64);
        let too_many = self
            .b
            .build_int_compare(IntPredicate::SLT, self.room, copies, "too_many")
            .map_err(b_err)?;
        self.fail_if(too_many)?;
        self.b
            .build_int_sub(self.room, copies, "room")
            .map_err(b_err)
    }

    /// Whether stack position `i` before `pc` holds an int (always
    /// truthy) rather than a bool (0 or 1).
    fn is_int_at(&self, pc: usize, i: u32) -> bool {
        self.types
            .get(pc)
            .and_then(|t| t.as_ref())
            .and_then(|t| t.get(i as usize))
            == Some(&Ty::Int)
    }
}

impl<'ctx> Lowering<'_, 'ctx> {
    /// At the start of an ordinary body with an int body: when every
    /// argument is a small int and the body's self-calls would call the
    /// running closure, runs the int body and returns its boxed result;
    /// otherwise continues at `generic`. When the int body fails, the call
    /// runs again as generic code (the ordinary body, called with int
    /// bodies off, in place of this activation), which raises the error
    /// with the frames the interpreter would report.
    pub(super) fn enter_int_body(
        &mut self,
        params: &[IntValue<'ctx>],
        target: FunctionValue<'ctx>,
        plan: &IntPlan,
        generic: BasicBlock<'ctx>,
    ) -> R<()> {
        let replay = replay_flag(self.cx, self.module);
        let replaying = self
            .b
            .build_load(self.cx.bool_type(), replay, "replaying")
            .map_err(b_err)?
            .into_int_value();
        let mut all = self.b.build_not(replaying, "int_ok").map_err(b_err)?;
        for p in params.iter().take(plan.arity as usize) {
            let ok = self.is_int(*p)?;
            all = self.b.build_and(all, ok, "all_int").map_err(b_err)?;
        }
        if plan.uses_int_methods {
            // Nothing inside an int body can define a method, so the flag
            // holds for the whole run of the body.
            let flag = self.runtime_global("gene_int_methods_builtin")?;
            let builtin = self
                .b
                .build_int_compare(IntPredicate::NE, flag, self.i64c(0), "int_methods")
                .map_err(b_err)?;
            all = self.b.build_and(all, builtin, "all_int").map_err(b_err)?;
        }
        let guard = self.cx.append_basic_block(self.f, "int_guard");
        self.b
            .build_conditional_branch(all, guard, generic)
            .map_err(b_err)?;
        self.b.position_at_end(guard);
        if let Some(pc) = plan.self_name_pc {
            let callee = self.load_name_quietly(pc)?;
            let same = self
                .b
                .build_int_compare(IntPredicate::EQ, callee, self.closure, "calls_itself")
                .map_err(b_err)?;
            let enter = self.cx.append_basic_block(self.f, "int_enter");
            self.b
                .build_conditional_branch(same, enter, generic)
                .map_err(b_err)?;
            self.b.position_at_end(enter);
        }
        let mut args = params
            .iter()
            .take(plan.arity as usize)
            .map(|p| Ok(self.int_of(*p)?.into()))
            .collect::<R<Vec<BasicMetadataValueEnum>>>()?;
        args.push(self.depth_room.into());
        let r = self
            .b
            .build_call(target, &args, "int_body")
            .map_err(b_err)?
            .try_as_basic_value()
            .basic()
            .ok_or("an int body returns a value")?
            .into_int_value();
        let failed = load_failed(self.cx, self.module, &self.b)?;
        let fail = self.cx.append_basic_block(self.f, "int_failed");
        let box_it = self.cx.append_basic_block(self.f, "int_box");
        self.b
            .build_conditional_branch(failed, fail, box_it)
            .map_err(b_err)?;
        self.b.position_at_end(fail);
        let bool_t = self.cx.bool_type();
        self.b
            .build_store(failed_flag(self.cx, self.module), bool_t.const_zero())
            .map_err(b_err)?;
        self.b
            .build_store(replay, bool_t.const_int(1, false))
            .map_err(b_err)?;
        // The generic run replaces this activation: it counts from ours.
        let depth_global = super::extern_global(self.cx, self.module, "gene_depth_room");
        self.b
            .build_store(depth_global, self.depth_in)
            .map_err(b_err)?;
        let mut again: Vec<BasicMetadataValueEnum> =
            vec![self.closure.into(), self.self_val.into()];
        again.extend(params.iter().map(|p| BasicMetadataValueEnum::from(*p)));
        let generic_r = self
            .b
            .build_call(self.f, &again, "generic_again")
            .map_err(b_err)?
            .try_as_basic_value()
            .basic()
            .ok_or("a direct body returns a value")?
            .into_int_value();
        self.b
            .build_store(replay, bool_t.const_zero())
            .map_err(b_err)?;
        self.b.build_return(Some(&generic_r)).map_err(b_err)?;
        self.b.position_at_end(box_it);
        let tagged = self.small_int(r)?;
        let back = self.int_of(tagged)?;
        let fits = self
            .b
            .build_int_compare(IntPredicate::EQ, back, r, "fits")
            .map_err(b_err)?;
        let small = self.cx.append_basic_block(self.f, "int_small");
        let boxed = self.cx.append_basic_block(self.f, "int_boxed");
        self.b
            .build_conditional_branch(fits, small, boxed)
            .map_err(b_err)?;
        self.b.position_at_end(small);
        self.ret(tagged)?;
        self.b.position_at_end(boxed);
        let v = self.call("gene_box_int", &[r.into()])?;
        self.ret(v)?;
        Ok(())
    }

    /// What `LoadName` at `pc` loads, cached like it; a name that does not
    /// resolve gives the sentinel with nothing pending (the ordinary body
    /// then raises the error where it loads the name).
    fn load_name_quietly(&mut self, pc: usize) -> R<IntValue<'ctx>> {
        let epoch = self.name_epoch()?;
        self.cached(&format!("gene_int_ic_{}", self.index), epoch, |l| {
            let v = l.load_name(pc)?;
            let thrown =
                l.b.build_int_compare(IntPredicate::EQ, v, l.i64c(EXCEPTION_SENTINEL), "thrown")
                    .map_err(b_err)?;
            let take = l.cx.append_basic_block(l.f, "name_error");
            let found = l.cx.append_basic_block(l.f, "name_found");
            l.b.build_conditional_branch(thrown, take, found)
                .map_err(b_err)?;
            l.b.position_at_end(take);
            l.call("gene_take_exception", &[])?;
            l.b.build_unconditional_branch(found).map_err(b_err)?;
            l.b.position_at_end(found);
            Ok(v)
        })
    }
}
