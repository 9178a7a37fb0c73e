//! The interpreter loop: one `match` over [`Instr`], top to bottom.
//!
//! Hot instructions (locals, small-int arithmetic and comparisons, jumps,
//! calls of plain functions) are handled inline; everything else calls out
//! to a named helper. A thrown value unwinds frame by frame through each
//! Proto's handler table.

use crate::access::PropHint;
use crate::call::{destructure, CallOutcome, CallSite};
use crate::errors::VmResult;
use crate::vm::{Frame, Vm};
use gene_core::bytecode::{step_pops, Instr, Proto, ProtoKind};
use gene_core::heap::{self, Obj};
use gene_core::numeric::{arith, compare, equals, BinOp, CmpOp};
use gene_core::object::{prop_map, FnKind, Function, Future, FutureState, Instance, PropMap};
use gene_core::print::display;
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::{Cell, RefCell};

/// What unwinding a thrown value found.
enum Unwound {
    /// A handler in a running frame took it; continue there.
    Handled,
    /// The entry frame finished (an async function turned it into a
    /// failed future).
    Returned(Value),
}

impl Vm {
    #[inline(always)]
    fn pop(&mut self) -> Value {
        self.stack.pop().unwrap_or(Value::NIL)
    }

    #[inline(always)]
    fn top(&self) -> Value {
        self.stack.last().copied().unwrap_or(Value::NIL)
    }

    /// Runs the top frame (and everything it calls) until it returns, and
    /// returns its value, leaving the stack as it was below the frame's
    /// callee slot.
    pub fn execute(&mut self) -> VmResult {
        let stop = self.frames.len() - 1;
        loop {
            match self.run(stop) {
                Ok(v) => return Ok(v),
                Err(thrown) => match self.unwind(thrown, stop)? {
                    Unwound::Handled => continue,
                    Unwound::Returned(v) => return Ok(v),
                },
            }
        }
    }

    /// [`Vm::execute`] for Rust code that holds values of its own while Gene
    /// code runs (no collection happens until it returns).
    pub fn execute_nested(&mut self) -> VmResult {
        self.native_depth += 1;
        let r = self.execute();
        self.native_depth -= 1;
        r
    }

    /// Finds the handler for `thrown`, popping frames down to `stop`.
    fn unwind(&mut self, thrown: Value, stop: usize) -> VmResult<Unwound> {
        loop {
            let Some(frame) = self.frames.last_mut() else {
                return Err(thrown);
            };
            let pc = frame.pc.saturating_sub(1) as u32;
            let proto = frame.proto;
            if let Some(h) = proto.handlers.iter().find(|h| h.start <= pc && pc < h.end) {
                frame.pc = h.target as usize;
                let keep = frame.base + proto.n_slots as usize + h.depth as usize;
                self.caught(thrown, proto, pc);
                self.stack.truncate(keep);
                self.stack.resize(keep, Value::NIL);
                self.stack.push(thrown);
                self.current_exception = thrown;
                return Ok(Unwound::Handled);
            }
            let frame = self.frames.pop().expect("checked above");
            self.trace_frame(thrown, frame.proto, pc);
            self.stack.truncate(frame.base);
            if frame.proto.is_async {
                let failed = new_future(FutureState::Failure, thrown);
                if let Some(slot) = self.stack.last_mut() {
                    *slot = failed;
                }
                if self.frames.len() == stop {
                    self.stack.pop();
                    return Ok(Unwound::Returned(failed));
                }
                return Ok(Unwound::Handled);
            }
            self.stack.pop();
            if self.frames.len() == stop {
                return Err(thrown);
            }
        }
    }

    /// The interpreter loop proper.
    fn run(&mut self, stop: usize) -> VmResult {
        let mut fi = self.frames.len() - 1;
        let mut proto: &'static Proto = self.frames[fi].proto;
        let mut code: &'static [Instr] = &proto.code;
        let mut pc = self.frames[fi].pc;
        let mut base = self.frames[fi].base;

        macro_rules! reload {
            () => {{
                fi = self.frames.len() - 1;
                let frame = &self.frames[fi];
                proto = frame.proto;
                code = &proto.code;
                pc = frame.pc;
                base = frame.base;
            }};
        }
        macro_rules! save_pc {
            () => {
                self.frames[fi].pc = pc;
            };
        }
        macro_rules! throw {
            ($e:expr) => {{
                save_pc!();
                return Err($e);
            }};
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => throw!(e),
                }
            };
        }
        macro_rules! core {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => throw!(self.raise(e)),
                }
            };
        }

        loop {
            // By reference: each arm loads only the operands it uses.
            let Some(instr) = code.get(pc) else {
                throw!(self.error(ErrorKind::ControlFlowError, "ran past the end of the code"));
            };
            pc += 1;
            match *instr {
                Instr::Nil => self.stack.push(Value::NIL),
                Instr::True => self.stack.push(Value::TRUE),
                Instr::False => self.stack.push(Value::FALSE),
                Instr::Placeholder => self.stack.push(Value::PLACEHOLDER),
                Instr::SelfValue => self.stack.push(self.frames[fi].self_val),
                Instr::Int(i) => self.stack.push(Value::small_int(i as i64)),
                Instr::Const(i) => self.stack.push(proto.consts[i as usize]),
                Instr::Pop => {
                    self.stack.pop();
                }
                Instr::PopN(n) => {
                    let len = self.stack.len();
                    self.stack.truncate(len.saturating_sub(n as usize));
                }
                Instr::Slide(n) => {
                    let v = self.pop();
                    let len = self.stack.len();
                    self.stack.truncate(len.saturating_sub(n as usize));
                    self.stack.push(v);
                }
                Instr::Dup => {
                    let v = self.top();
                    self.stack.push(v);
                }
                Instr::LoadLocal(s) => {
                    let v = self.stack[base + s as usize];
                    self.stack.push(v);
                }
                Instr::StoreLocal(s) | Instr::DeclareLocal(s) => {
                    let v = self.top();
                    self.stack[base + s as usize] = v;
                }
                Instr::LoadCell(s) => {
                    let v = cell_get(self.stack[base + s as usize]);
                    self.stack.push(v);
                }
                Instr::StoreCell(s) => {
                    let v = self.top();
                    let slot = &mut self.stack[base + s as usize];
                    match slot.obj() {
                        Some(Obj::Cell(c)) => c.set(v),
                        _ => *slot = new_cell(v),
                    }
                }
                Instr::DeclareCell(s) => {
                    let v = self.top();
                    self.stack[base + s as usize] = new_cell(v);
                }
                Instr::LoadUpvalue(i) => {
                    let v = match self.frames[fi].closure.obj() {
                        Some(Obj::Function(f)) => cell_get(f.upvalues[i as usize]),
                        _ => Value::NIL,
                    };
                    self.stack.push(v);
                }
                Instr::StoreUpvalue(i) => {
                    let v = self.top();
                    if let Some(Obj::Function(f)) = self.frames[fi].closure.obj() {
                        if let Some(Obj::Cell(c)) = f.upvalues[i as usize].obj() {
                            c.set(v);
                        }
                    }
                }
                Instr::LoadName { name, cache } => {
                    let cache = &proto.name_caches[cache as usize];
                    let frame = &self.frames[fi];
                    let v = if frame.eval_vars.is_nil() {
                        tri!(self.load_name(frame.ns, name, cache))
                    } else {
                        tri!(self.load_name_or_eval_var(fi, name, cache))
                    };
                    self.stack.push(v);
                }
                Instr::StoreName(name) => {
                    let v = self.top();
                    if !self.store_eval_var(fi, name, v) {
                        tri!(self.store_name(self.frames[fi].ns, name, v));
                    }
                }
                Instr::LoadOuter(s) => {
                    let v = match self.outer_slot(fi, s) {
                        Some(i) => cell_get(self.stack[i]),
                        None => Value::NIL,
                    };
                    self.stack.push(v);
                }
                Instr::StoreOuter(s) => {
                    let v = self.top();
                    if let Some(i) = self.outer_slot(fi, s) {
                        match self.stack[i].obj() {
                            Some(Obj::Cell(c)) => c.set(v),
                            _ => self.stack[i] = v,
                        }
                    }
                }
                Instr::LoadOuterUpvalue(u) => {
                    let v = match self.outer_upvalue(fi, u) {
                        Some(cell) => cell_get(cell),
                        None => Value::NIL,
                    };
                    self.stack.push(v);
                }
                Instr::StoreOuterUpvalue(u) => {
                    let v = self.top();
                    if let Some(Obj::Cell(c)) = self.outer_upvalue(fi, u).and_then(|c| c.obj()) {
                        c.set(v);
                    }
                }
                Instr::DefineEvalVar(name) => {
                    let v = self.top();
                    if let Some(Obj::Map(m)) = self.frames[fi].eval_vars.obj() {
                        m.borrow_mut().insert(name, v);
                    }
                }
                Instr::DefineMember(name) => {
                    let v = self.top();
                    self.define_member(self.frames[fi].ns, name, v);
                }
                Instr::GetMember(name) => {
                    let obj = self.pop();
                    let hint = PropHint(&proto.prop_hints[pc - 1]);
                    let v = tri!(self.get_member_hinted(obj, name, hint));
                    self.stack.push(v);
                }
                Instr::GetChild(i) => {
                    let obj = self.pop();
                    let v = tri!(self.get_child(obj, i as i64));
                    self.stack.push(v);
                }
                Instr::Select => {
                    let default = self.pop();
                    let key = self.pop();
                    let obj = self.pop();
                    let v = tri!(self.select(obj, key, default));
                    self.stack.push(v);
                }
                Instr::SetMember(name) => {
                    let v = self.pop();
                    let obj = self.pop();
                    let hint = PropHint(&proto.prop_hints[pc - 1]);
                    tri!(self.set_member_hinted(obj, name, v, hint));
                    self.stack.push(v);
                }
                Instr::SetChild(i) => {
                    let v = self.pop();
                    let obj = self.pop();
                    tri!(self.set_child(obj, i as i64, v));
                    self.stack.push(v);
                }
                Instr::SetKey => {
                    let v = self.pop();
                    let key = self.pop();
                    let obj = self.pop();
                    tri!(self.set_key(obj, key, v));
                    self.stack.push(v);
                }
                Instr::Add => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_small_int(), b.as_small_int()) {
                        (Some(x), Some(y)) => Value::int(x + y),
                        _ => match (a.as_float(), b.as_float()) {
                            (Some(x), Some(y)) => Value::float(x + y),
                            _ => core!(arith(BinOp::Add, a, b)),
                        },
                    };
                    self.stack.push(r);
                }
                Instr::Sub => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_small_int(), b.as_small_int()) {
                        (Some(x), Some(y)) => Value::int(x - y),
                        _ => match (a.as_float(), b.as_float()) {
                            (Some(x), Some(y)) => Value::float(x - y),
                            _ => core!(arith(BinOp::Sub, a, b)),
                        },
                    };
                    self.stack.push(r);
                }
                Instr::Mul => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_small_int(), b.as_small_int()) {
                        (Some(x), Some(y)) => match x.checked_mul(y) {
                            Some(p) => Value::int(p),
                            None => core!(arith(BinOp::Mul, a, b)),
                        },
                        _ => match (a.as_float(), b.as_float()) {
                            (Some(x), Some(y)) => Value::float(x * y),
                            _ => core!(arith(BinOp::Mul, a, b)),
                        },
                    };
                    self.stack.push(r);
                }
                Instr::Div => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_float(), b.as_float()) {
                        (Some(x), Some(y)) => Value::float(x / y),
                        _ => core!(arith(BinOp::Div, a, b)),
                    };
                    self.stack.push(r);
                }
                Instr::Mod => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_small_int(), b.as_small_int()) {
                        (Some(x), Some(y)) if y != 0 => Value::int(x % y),
                        _ => core!(arith(BinOp::Mod, a, b)),
                    };
                    self.stack.push(r);
                }
                Instr::FloorDiv => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = match (a.as_small_int(), b.as_small_int()) {
                        // Small ints are far from i64::MIN: no overflow.
                        (Some(x), Some(y)) if y != 0 => {
                            let q = x / y;
                            Value::int(q - i64::from(x % y != 0 && (x ^ y) < 0))
                        }
                        _ => core!(arith(BinOp::FloorDiv, a, b)),
                    };
                    self.stack.push(r);
                }
                Instr::Pow => {
                    let b = self.pop();
                    let a = self.pop();
                    let r = core!(arith(BinOp::Pow, a, b));
                    self.stack.push(r);
                }
                Instr::Not => {
                    let a = self.pop();
                    self.stack.push(Value::bool(!a.is_truthy()));
                }
                Instr::Eq | Instr::Ne => {
                    let b = self.pop();
                    let a = self.pop();
                    let eq = equals(a, b);
                    self.stack
                        .push(Value::bool(if *instr == Instr::Eq { eq } else { !eq }));
                }
                Instr::Lt | Instr::Le | Instr::Gt | Instr::Ge => {
                    let b = self.pop();
                    let a = self.pop();
                    let ordering = match (a.as_small_int(), b.as_small_int()) {
                        (Some(x), Some(y)) => Some(x.cmp(&y)),
                        _ => match (a.as_float(), b.as_float()) {
                            (Some(x), Some(y)) => Some(x.partial_cmp(&y)),
                            _ => None,
                        }
                        .map(|o| o.unwrap_or(std::cmp::Ordering::Equal)),
                    };
                    let r = match ordering {
                        Some(o)
                            if !(a.as_float().is_some_and(f64::is_nan)
                                || b.as_float().is_some_and(f64::is_nan)) =>
                        {
                            match *instr {
                                Instr::Lt => o.is_lt(),
                                Instr::Le => o.is_le(),
                                Instr::Gt => o.is_gt(),
                                _ => o.is_ge(),
                            }
                        }
                        _ => core!(compare(instr.cmp_op().unwrap_or(CmpOp::Ge), a, b)),
                    };
                    self.stack.push(Value::bool(r));
                }
                Instr::AddInt(i) => {
                    let a = self.pop();
                    let r = match a.as_small_int() {
                        Some(x) => Value::int(x + i as i64),
                        None => core!(arith(BinOp::Add, a, Value::small_int(i as i64))),
                    };
                    self.stack.push(r);
                }
                Instr::SubInt(i) => {
                    let a = self.pop();
                    let r = match a.as_small_int() {
                        Some(x) => Value::int(x - i as i64),
                        None => core!(arith(BinOp::Sub, a, Value::small_int(i as i64))),
                    };
                    self.stack.push(r);
                }
                Instr::LtInt(i) => {
                    let a = self.pop();
                    let r = match a.as_small_int() {
                        Some(x) => x < i as i64,
                        None => core!(compare(CmpOp::Lt, a, Value::small_int(i as i64))),
                    };
                    self.stack.push(Value::bool(r));
                }
                Instr::Jump(t) => {
                    if (t as usize) < pc && gene_core::gc::requested() {
                        save_pc!();
                        tri!(self.check_interrupt());
                        self.safepoint();
                    }
                    pc = t as usize;
                }
                Instr::JumpIfFalse(t) => {
                    if !self.pop().is_truthy() {
                        pc = t as usize;
                    }
                }
                Instr::JumpIfTrue(t) => {
                    if self.pop().is_truthy() {
                        pc = t as usize;
                    }
                }
                Instr::JumpIfFalseKeep(t) => {
                    if self.top().is_truthy() {
                        self.stack.pop();
                    } else {
                        pc = t as usize;
                    }
                }
                Instr::JumpIfTrueKeep(t) => {
                    if self.top().is_truthy() {
                        pc = t as usize;
                    } else {
                        self.stack.pop();
                    }
                }
                Instr::JumpIfBound { slot, target } => {
                    if cell_get(self.stack[base + slot as usize]) != Value::VOID {
                        pc = target as usize;
                    }
                }
                Instr::Render => {
                    let tpl = self.pop();
                    save_pc!();
                    let v = tri!(self.render(tpl, fi));
                    self.stack.push(v);
                }
                Instr::Closure(i) => {
                    let nested = proto.protos[i as usize];
                    let f = self.make_closure(nested, fi);
                    self.stack.push(f);
                }
                Instr::Call(n) => {
                    // A call is followed by the jump over its macro path:
                    // resume after that path directly (same try region and
                    // line for the unwinder, which looks at pc - 1).
                    if let Some(&Instr::Jump(t)) = code.get(pc) {
                        let t = t as usize;
                        if matches!(code.get(t.wrapping_sub(1)), Some(Instr::CallMacro(_))) {
                            pc = t;
                        }
                    }
                    save_pc!();
                    if gene_core::gc::requested() {
                        tri!(self.check_interrupt());
                        self.safepoint();
                    }
                    let callee = self.stack[self.stack.len() - n as usize - 1];
                    if let Some(Obj::Function(f)) = callee.obj() {
                        if let (Some(arity), None) = (f.proto.fast_arity, f.proto.native.get()) {
                            tri!(self.call_fast(callee, f, arity, n as usize, None));
                            reload!();
                            continue;
                        }
                    }
                    let args = self.take(n as usize);
                    match tri!(self.call_general(callee, args, None, CallSite::plain())) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::TailCall(n) => {
                    let n = n as usize;
                    let callee = self.stack[self.stack.len() - n - 1];
                    save_pc!();
                    if callee == self.frames[fi].closure && proto.fast_arity.is_some() {
                        let arity = proto.fast_arity.unwrap_or(0) as usize;
                        let args_at = self.stack.len() - n;
                        for i in 0..arity {
                            self.stack[base + i] = if i < n {
                                self.stack[args_at + i]
                            } else {
                                Value::NIL
                            };
                        }
                        self.stack.truncate(base + proto.n_slots as usize);
                        self.stack.resize(base + proto.n_slots as usize, Value::NIL);
                        pc = 0;
                        continue;
                    }
                    if let Some(Obj::Function(f)) = callee.obj() {
                        if let (Some(arity), None) = (f.proto.fast_arity, f.proto.native.get()) {
                            tri!(self.call_fast(callee, f, arity, n, None));
                            reload!();
                            continue;
                        }
                    }
                    let args = self.take(n);
                    match tri!(self.call_general(callee, args, None, CallSite::plain())) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::CallNamed { keys, args } => {
                    save_pc!();
                    let (args, props) = self.take_call_args(proto, keys, args);
                    let callee = self.pop();
                    self.stack.push(callee);
                    match tri!(self.call_general(callee, args, Some(props), CallSite::plain())) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::CallMethod { name, args } => {
                    save_pc!();
                    match tri!(self.call_method_op(name, args as usize)) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::CallMethodNamed { name, keys, args } => {
                    save_pc!();
                    let (args, props) = self.take_call_args(proto, keys, args);
                    let receiver = self.top();
                    match tri!(self.invoke_method(receiver, name, args, Some(props))) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::CallSuper { name, args } => {
                    save_pc!();
                    let n = args as usize;
                    let receiver = self.stack[self.stack.len() - n - 1];
                    let args = self.take(n);
                    let owner = match self.frames[fi].closure.obj() {
                        Some(Obj::Function(f)) => f.owner.get(),
                        _ => Value::NIL,
                    };
                    let parent = match owner.obj() {
                        Some(Obj::Class(c)) => c.parent.get(),
                        _ => Value::NIL,
                    };
                    let Some(method) = self.find_method(parent, name) else {
                        throw!(self.no_method(receiver, name));
                    };
                    match tri!(self.call_general(method, args, None, CallSite::method(receiver))) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::CallWithSelf(n) => {
                    save_pc!();
                    let args = self.take(n as usize);
                    let f = self.pop();
                    let receiver = self.top();
                    let method_name = f.as_symbol().or_else(|| f.as_str().map(Symbol::intern));
                    let outcome = match method_name {
                        Some(name) => self.invoke_method(receiver, name, args, None),
                        None => self.call_general(f, args, None, CallSite::method(receiver)),
                    };
                    match tri!(outcome) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::LoadArgs => {
                    let args = self.frames[fi].args;
                    self.stack.push(args);
                }
                Instr::JumpIfMacro(t) => {
                    if let Some(Obj::Function(f)) = self.top().obj() {
                        if f.kind == FnKind::Macro {
                            pc = t as usize;
                        }
                    }
                }
                Instr::CallMacro(n) => {
                    save_pc!();
                    let args = self.take(n as usize);
                    let callee = self.top();
                    let site = CallSite {
                        macro_caller: Some(fi),
                        ..CallSite::plain()
                    };
                    match tri!(self.call_general(callee, args, None, site)) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::Return => {
                    let mut v = self.pop();
                    let done = self.frames.pop().expect("a frame is running");
                    if done.returns_self {
                        v = done.self_val;
                    }
                    if done.proto.is_async {
                        v = new_future(FutureState::Success, v);
                    }
                    if done.session {
                        if let Some(saved) = &mut self.session_slots {
                            saved.clear();
                            saved.extend_from_slice(&self.stack[done.base..]);
                        }
                    }
                    self.stack.truncate(done.base);
                    if self.frames.len() == stop {
                        self.stack.pop();
                        return Ok(v);
                    }
                    self.set_top(v);
                    reload!();
                }
                Instr::IterInit(s) => {
                    let coll = self.pop();
                    let coll = tri!(self.iteration_source(coll));
                    self.stack[base + s as usize] = coll;
                    self.stack[base + s as usize + 1] = Value::small_int(0);
                }
                Instr::IterNext { slot, exit } => {
                    let s = base + slot as usize;
                    let i = self.stack[s + 1].as_small_int().unwrap_or(0);
                    match iter_item(self.stack[s], i) {
                        Some((_, v)) => {
                            self.stack[s + 1] = Value::small_int(i + 1);
                            self.stack.push(v);
                        }
                        None => match tri!(self.iter_stream(s, i)) {
                            Some((_, v)) => self.stack.push(v),
                            None => pc = exit as usize,
                        },
                    }
                }
                Instr::IterNext2 { slot, exit } => {
                    let s = base + slot as usize;
                    let i = self.stack[s + 1].as_small_int().unwrap_or(0);
                    match iter_item(self.stack[s], i) {
                        Some((k, v)) => {
                            self.stack[s + 1] = Value::small_int(i + 1);
                            self.stack.push(k);
                            self.stack.push(v);
                        }
                        None => match tri!(self.iter_stream(s, i)) {
                            Some((k, v)) => {
                                self.stack.push(k);
                                self.stack.push(v);
                            }
                            None => pc = exit as usize,
                        },
                    }
                }
                Instr::Throw => {
                    let v = self.pop();
                    save_pc!();
                    let v = if matches!(v.obj(), Some(Obj::Class(_))) {
                        tri!(self.instantiate(v, Vec::new(), None))
                    } else {
                        v
                    };
                    throw!(v);
                }
                Instr::Match(i) => {
                    let v = self.pop();
                    let (elems, props) = destructure(v);
                    let pattern = &proto.patterns[i as usize];
                    tri!(self.bind_pattern(
                        pattern,
                        base,
                        &elems,
                        &props,
                        self.frames[fi].self_val
                    ));
                }
                Instr::RunBody(i) => {
                    let target = self.top();
                    let proto = proto.protos[i as usize];
                    save_pc!();
                    let body_base = self.stack.len();
                    self.stack
                        .resize(body_base + proto.n_slots as usize, Value::NIL);
                    self.frames.push(Frame {
                        proto,
                        closure: Value::NIL,
                        pc: 0,
                        base: body_base,
                        self_val: target,
                        ns: target,
                        returns_self: true,
                        macro_caller: None,
                        session: false,
                        outer: None,
                        eval_vars: Value::NIL,
                        args: Value::NIL,
                    });
                    reload!();
                }
                Instr::New(n) => {
                    save_pc!();
                    let args = self.take(n as usize);
                    let class = self.top();
                    match tri!(self.construct(class, args, None)) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                Instr::NewNamed { keys, args } => {
                    save_pc!();
                    let (args, props) = self.take_call_args(proto, keys, args);
                    let class = self.top();
                    match tri!(self.construct(class, args, Some(props))) {
                        CallOutcome::Frame => reload!(),
                        CallOutcome::Done(v) => self.set_top(v),
                    }
                }
                // Cold data instructions: one implementation shared with
                // native code (step.rs).
                Instr::MakeArray(_)
                | Instr::MakeSet(_)
                | Instr::MakeMap { .. }
                | Instr::MakeGene { .. }
                | Instr::MakeRange
                | Instr::Spread
                | Instr::Concat(_)
                | Instr::ImportModule
                | Instr::ImportMember(_)
                | Instr::IsA
                | Instr::CaseMatch
                | Instr::Raise { .. }
                | Instr::MakeNamespace(_)
                | Instr::MakeClass(_)
                | Instr::DefineMethod(_)
                | Instr::MakeFuture { .. }
                | Instr::Await(_)
                | Instr::MakeEnum(_)
                | Instr::EnumAddMember { .. }
                | Instr::Neg => {
                    save_pc!();
                    let v = tri!(self.run_step(proto, *instr, fi));
                    self.stack.push(v);
                }
                Instr::Eval => {
                    let code_value = self.pop();
                    save_pc!();
                    let code_value = tri!(self.render(code_value, fi));
                    let v = tri!(self.eval_in_frame(code_value, fi, true, EvalOrigin::Eval));
                    self.stack.push(v);
                }
                Instr::CallerEval => {
                    let code_value = self.pop();
                    save_pc!();
                    let Some(caller) = self.macro_caller_of(fi) else {
                        throw!(self.error(
                            ErrorKind::ControlFlowError,
                            "$caller_eval used outside of a macro"
                        ));
                    };
                    let code_value = tri!(self.render(code_value, fi));
                    let v = tri!(self.eval_in_frame(code_value, caller, true, EvalOrigin::Caller));
                    self.stack.push(v);
                }
                Instr::CallerLocation => {
                    save_pc!();
                    let Some(caller) = self.macro_caller_of(fi) else {
                        throw!(self.error(
                            ErrorKind::ControlFlowError,
                            "$caller_location used outside of a macro"
                        ));
                    };
                    let v = self.caller_location(caller);
                    self.stack.push(v);
                }
            }
        }
    }

    /// A cold data instruction of frame `fi` (kept out of line so the hot
    /// loop stays small).
    #[inline(never)]
    fn run_step(&mut self, proto: &'static Proto, instr: Instr, fi: usize) -> VmResult {
        let pops = step_pops(proto, &instr).unwrap_or(0);
        let operands = self.take(pops as usize);
        let frame = &self.frames[fi];
        // Top-level code runs in its frame's namespace (a module's own),
        // passed as the closure, as native code does (`namespace_for`).
        let closure = if frame.closure.is_nil() && proto.kind == ProtoKind::TopLevel {
            frame.ns
        } else {
            frame.closure
        };
        self.step_instr(proto, instr, closure, frame.self_val, &operands)
    }

    /// Pops the top `n` values, in push order.
    fn take(&mut self, n: usize) -> Vec<Value> {
        let at = self.stack.len().saturating_sub(n);
        self.stack.split_off(at)
    }

    fn set_top(&mut self, v: Value) {
        if let Some(slot) = self.stack.last_mut() {
            *slot = v;
        }
    }

    /// Pops `[p1 .. pk a1 .. an]` of a named call: the props map and args.
    fn take_call_args(&mut self, proto: &Proto, keys: u32, n: u32) -> (Vec<Value>, PropMap) {
        let args = self.take(n as usize);
        let keys = &proto.key_lists[keys as usize];
        let values = self.take(keys.len());
        (args, keys.iter().copied().zip(values).collect())
    }

    fn make_closure(&self, proto: &'static Proto, fi: usize) -> Value {
        let frame = &self.frames[fi];
        use gene_core::bytecode::Capture;
        let upvalues = proto
            .captures
            .iter()
            .map(|c| match *c {
                Capture::Local(s) => {
                    let slot = frame.base + s as usize;
                    into_cell(self.stack[slot])
                }
                Capture::Upvalue(i) => match frame.closure.obj() {
                    Some(Obj::Function(f)) => f.upvalues[i as usize],
                    _ => new_cell(Value::NIL),
                },
            })
            .collect();
        self.make_function(proto, upvalues, frame.self_val, frame.ns)
    }

    /// A closure of `proto` over `upvalues` (cells), made where `self_val`
    /// and namespace `ns` are current.
    pub(crate) fn make_function(
        &self,
        proto: &'static Proto,
        upvalues: Box<[Value]>,
        self_val: Value,
        ns: Value,
    ) -> Value {
        let kind = match proto.kind {
            ProtoKind::Block => FnKind::Block,
            ProtoKind::Macro => FnKind::Macro,
            _ => FnKind::Function,
        };
        heap::alloc(Obj::Function(Box::new(Function {
            proto,
            kind,
            upvalues,
            self_val,
            ns,
            owner: Cell::new(Value::NIL),
            is_async: proto.is_async,
        })))
    }

    /// `CallMethod`: the receiver and `n` arguments are on the stack. A
    /// plain method of bytecode gets a frame over them in place (the
    /// receiver sits in the callee slot); other methods take the general
    /// path. Out of line: the interpreter loop stays small.
    #[inline(never)]
    fn call_method_op(&mut self, name: Symbol, n: usize) -> VmResult<CallOutcome> {
        let receiver = self.stack[self.stack.len() - n - 1];
        let method = self.method_of(receiver, name)?;
        match method.obj() {
            Some(Obj::Function(f)) => {
                if let (Some(arity), None, FnKind::Function) =
                    (f.proto.fast_arity, f.proto.native.get(), f.kind)
                {
                    self.call_fast(method, f, arity, n, Some(receiver))?;
                    return Ok(CallOutcome::Frame);
                }
            }
            // A built-in method runs on a copy of its few arguments: no
            // argument vector.
            Some(Obj::Native(host)) => {
                let at = self.stack.len() - n;
                let args: heap::Items = self.stack[at..].iter().copied().collect();
                if !args
                    .iter()
                    .any(|a| matches!(a.obj(), Some(Obj::Explode(_))))
                {
                    self.stack.truncate(at);
                    let v = self.run_host_fn(host.id, receiver, &args, None)?;
                    return Ok(CallOutcome::Done(v));
                }
            }
            _ => {}
        }
        let args = self.take(n);
        self.call_general(method, args, None, CallSite::method(receiver))
    }

    /// A method call: `receiver` sits in the callee slot.
    pub(crate) fn invoke_method(
        &mut self,
        receiver: Value,
        name: Symbol,
        args: Vec<Value>,
        props: Option<PropMap>,
    ) -> VmResult<CallOutcome> {
        let method = self.method_of(receiver, name)?;
        self.call_general(method, args, props, CallSite::method(receiver))
    }

    /// `(new C args...)` with the class in the callee slot.
    pub(crate) fn construct(
        &mut self,
        class: Value,
        args: Vec<Value>,
        props: Option<PropMap>,
    ) -> VmResult<CallOutcome> {
        let Some(Obj::Class(c)) = class.obj() else {
            return Err(self.error(
                ErrorKind::TypeError,
                format!("new needs a class, got {}", display(class)),
            ));
        };
        let instance = heap::alloc(Obj::Instance(Box::new(Instance {
            class,
            props: RefCell::new(prop_map()),
        })));
        match self.find_method(class, Symbol::intern("ctor")) {
            None if c.builtin => Err(self.error(
                ErrorKind::TypeError,
                format!("cannot create instances of built-in class {}", c.ns.name),
            )),
            None => Ok(CallOutcome::Done(instance)),
            Some(ctor) => {
                if let Some(Obj::Native(_)) = ctor.obj() {
                    return match self.call_general(ctor, args, props, CallSite::method(instance))? {
                        CallOutcome::Done(v) if !v.is_nil() => Ok(CallOutcome::Done(v)),
                        _ => Ok(CallOutcome::Done(instance)),
                    };
                }
                let site = CallSite {
                    self_val: instance,
                    returns_self: true,
                    macro_caller: None,
                };
                self.call_general(ctor, args, props, site)
            }
        }
    }

    /// `(new C args...)` from Rust, run to completion.
    pub fn instantiate(
        &mut self,
        class: Value,
        args: Vec<Value>,
        props: Option<PropMap>,
    ) -> VmResult {
        let depth = self.stack.len();
        self.stack.push(class);
        let r = match self.construct(class, args, props) {
            Ok(CallOutcome::Frame) => self.execute_nested(),
            Ok(CallOutcome::Done(v)) => Ok(v),
            Err(e) => Err(e),
        };
        self.stack.truncate(depth);
        r
    }

    pub(crate) fn make_range(&self, start: Value, end: Value, step: Value) -> VmResult {
        let (Some(start), Some(end), Some(step)) = (start.as_int(), end.as_int(), step.as_int())
        else {
            return Err(self.error(ErrorKind::TypeError, "range bounds and step must be ints"));
        };
        if step == 0 {
            return Err(self.error(ErrorKind::ArgumentError, "range step cannot be 0"));
        }
        Ok(gene_frontend::quote::range(start, end, step))
    }

    /// What `for` iterates: arrays, genes, ranges, maps as they are;
    /// strings as their characters, sets as their elements.
    pub(crate) fn iteration_source(&self, coll: Value) -> VmResult {
        match coll.obj() {
            Some(Obj::Array(_) | Obj::Gene(_) | Obj::Range(_) | Obj::Map(_)) => Ok(coll),
            Some(Obj::Set(s)) => Ok(heap::array_of(s.borrow().clone())),
            Some(Obj::Str(s)) => Ok(heap::array(s.chars().map(Value::char).collect())),
            Some(Obj::File(f)) => crate::builtins::file::iteration_source(self, coll, f),
            _ if coll.is_nil() => Ok(heap::array(Vec::new())),
            _ => Err(self.error(
                ErrorKind::TypeError,
                format!("Cannot iterate over {}", gene_core::print::type_name(coll)),
            )),
        }
    }

    /// The next element of an iteration over a stream (a File's lines),
    /// which [`iter_item`] does not read because reading can fail: the
    /// source is in slot `s`, the position `i` in the next one (advanced).
    /// `None` when the source is done or is not a stream.
    #[inline(never)]
    pub(crate) fn iter_stream(&mut self, s: usize, i: i64) -> VmResult<Option<(Value, Value)>> {
        if !matches!(self.stack[s].obj(), Some(Obj::File(_))) {
            return Ok(None);
        }
        let line = crate::builtins::file::next_line_value(self, self.stack[s])?;
        Ok(line.map(|v| {
            self.stack[s + 1] = Value::small_int(i + 1);
            (Value::int(i), v)
        }))
    }

    pub(crate) fn case_matches(&self, v: Value, pattern: Value) -> bool {
        match pattern.obj() {
            Some(Obj::Class(_)) => self.is_instance_of(v, pattern),
            Some(Obj::Array(items)) => items.borrow().iter().any(|x| equals(*x, v)),
            Some(Obj::Range(r)) => v.as_int().is_some_and(|i| r.contains(i)),
            _ => equals(v, pattern),
        }
    }

    pub(crate) fn await_future(&self, f: Value) -> VmResult {
        match f.obj() {
            Some(Obj::Future(fut)) => match fut.state.get() {
                FutureState::Success => Ok(fut.value.get()),
                FutureState::Failure => Err(fut.value.get()),
                FutureState::Pending => {
                    Err(self.error(ErrorKind::AsyncError, "Cannot await a pending future"))
                }
            },
            _ => Err(self.error(
                ErrorKind::TypeError,
                format!(
                    "await needs a future, got {}",
                    gene_core::print::type_name(f)
                ),
            )),
        }
    }

    /// `$caller_location`: `{^file ^line}` of the call running in frame
    /// `caller` (the call of a macro).
    fn caller_location(&self, caller: usize) -> Value {
        let frame = self.frames[caller];
        let line = frame.proto.line_at(frame.pc.saturating_sub(1));
        let mut loc = prop_map();
        loc.insert(Symbol::intern("file"), heap::string(frame.proto.file));
        loc.insert(Symbol::intern("line"), Value::int(i64::from(line)));
        heap::map(loc)
    }

    /// The frame that called the macro running in frame `fi` (or in the
    /// nearest enclosing macro frame).
    fn macro_caller_of(&self, fi: usize) -> Option<usize> {
        self.frames[..=fi].iter().rev().find_map(|f| f.macro_caller)
    }

    /// The stack index of slot `s` of the frame eval unit `fi` runs for.
    fn outer_slot(&self, fi: usize, s: u32) -> Option<usize> {
        let outer = self.frames[fi].outer?;
        let i = self.frames.get(outer)?.base + s as usize;
        (i < self.stack.len()).then_some(i)
    }

    /// Upvalue `u` of the closure running in the frame eval unit `fi` runs for.
    fn outer_upvalue(&self, fi: usize, u: u32) -> Option<Value> {
        let outer = self.frames[fi].outer?;
        match self.frames.get(outer)?.closure.obj() {
            Some(Obj::Function(f)) => f.upvalues.get(u as usize).copied(),
            _ => None,
        }
    }

    /// `LoadName` in a frame that has variables declared by `eval`.
    fn load_name_or_eval_var(
        &mut self,
        fi: usize,
        name: Symbol,
        cache: &Cell<gene_core::bytecode::NameCache>,
    ) -> VmResult {
        if let Some(Obj::Map(m)) = self.frames[fi].eval_vars.obj() {
            if let Some(v) = m.borrow().get(&name) {
                return Ok(*v);
            }
        }
        self.load_name(self.frames[fi].ns, name, cache)
    }

    /// Assigns a variable declared by `eval`; false when there is none.
    fn store_eval_var(&mut self, fi: usize, name: Symbol, v: Value) -> bool {
        if let Some(Obj::Map(m)) = self.frames[fi].eval_vars.obj() {
            if let Some(slot) = m.borrow_mut().get_mut(&name) {
                *slot = v;
                return true;
            }
        }
        false
    }

    /// The names code evaluated for frame `target` sees, and the frame
    /// they are addressed in (`Frame::outer` of the new unit). When
    /// `target` is itself an eval unit (an assertion macro called from code
    /// a macro evaluated in its caller), the code sees the unit's locals
    /// and the names the unit sees, all addressed in the unit's own outer
    /// frame: a frame's slots are stack positions above that frame's base.
    fn eval_names(&self, target: usize) -> (usize, Vec<(String, gene_frontend::Outer)>) {
        use gene_frontend::Outer;
        let frame = self.frames[target];
        let pc = frame.pc.saturating_sub(1) as u32;
        let nested = frame.outer.filter(|&o| o < target).and_then(|outer| {
            let (root, names) = self.eval_names(outer);
            let offset = frame.base.checked_sub(self.frames[root].base)?;
            Some((root, names, u32::try_from(offset).ok()?))
        });
        let (root, mut names, offset) = match nested {
            Some(found) => found,
            None => {
                let names = frame
                    .proto
                    .upvalue_names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.name().to_string(), Outer::Upvalue(i as u32)))
                    .collect();
                (target, names, 0)
            }
        };
        let mut visible: Vec<_> = frame
            .proto
            .local_names
            .iter()
            .filter(|l| l.start <= pc && pc < l.end)
            .collect();
        visible.sort_by_key(|l| l.start);
        names.extend(
            visible
                .iter()
                .map(|l| (l.name.name().to_string(), Outer::Slot(offset + l.slot))),
        );
        (root, names)
    }

    /// Evaluates data as code for frame `target`: it sees the frame's
    /// locals, namespace and self. With `declare_into_caller`, its top-level
    /// `var`s become variables of the frame's scope (spec 03 §3.16).
    /// `origin` says where errors in the code are located.
    pub fn eval_in_frame(
        &mut self,
        code_value: Value,
        target: usize,
        declare_into_caller: bool,
        origin: EvalOrigin,
    ) -> VmResult {
        use gene_frontend::EvalScope;
        let frame = self.frames[target];
        let (root, names) = self.eval_names(target);
        let scope = EvalScope {
            names,
            declare_into_caller,
        };
        let (form, file) = match origin {
            // `eval`: located in the value's printed form (`<eval>:line:col`).
            EvalOrigin::Eval => (
                gene_frontend::quote::value_to_located_form(code_value),
                "<eval>",
            ),
            // Macro code runs as part of the frame's code, and the genes read
            // from source keep their lines: it is located in the frame's file.
            EvalOrigin::Caller => (
                gene_frontend::quote::value_to_form(code_value, gene_reader::Span::default()),
                frame.proto.file,
            ),
        };
        let proto = match gene_frontend::compile_eval(std::slice::from_ref(&form), file, scope) {
            Ok(p) => p,
            Err(e) => return Err(self.error(ErrorKind::ParseError, e.message)),
        };
        let eval_vars = if frame.eval_vars.is_nil() {
            let vars = heap::map(prop_map());
            self.frames[target].eval_vars = vars;
            vars
        } else {
            frame.eval_vars
        };
        self.stack.push(Value::NIL);
        let base = self.stack.len();
        self.stack.resize(base + proto.n_slots as usize, Value::NIL);
        self.frames.push(Frame {
            outer: Some(root),
            eval_vars,
            ..Frame::new(proto, Value::NIL, base, frame.self_val, frame.ns)
        });
        self.execute_nested()
    }

    /// `$render`: a copy of the template with unquotes replaced by their
    /// values, each evaluated for frame `fi` in a child scope.
    pub fn render(&mut self, tpl: Value, fi: usize) -> VmResult {
        self.render_value(tpl, fi, 0)
    }

    fn render_value(&mut self, v: Value, fi: usize, depth: usize) -> VmResult {
        if depth > 500 {
            return Ok(v);
        }
        let items = |vm: &mut Vm, items: Vec<Value>| -> VmResult<Vec<Value>> {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(Obj::Unquote(expr, true)) = item.obj() {
                    vm.eval_in_frame(*expr, fi, false, EvalOrigin::Caller)?;
                    continue;
                }
                let r = vm.render_value(item, fi, depth + 1)?;
                match r.obj() {
                    Some(Obj::Explode(inner)) => match inner.obj() {
                        Some(Obj::Array(a)) => out.extend(a.borrow().iter().copied()),
                        _ => out.push(*inner),
                    },
                    _ => out.push(r),
                }
            }
            Ok(out)
        };
        match v.obj() {
            Some(Obj::Unquote(expr, _)) => self.eval_in_frame(*expr, fi, false, EvalOrigin::Caller),
            Some(Obj::Quote(inner)) => {
                let inner = self.render_value(*inner, fi, depth + 1)?;
                Ok(heap::alloc(Obj::Quote(inner)))
            }
            Some(Obj::Array(a)) => {
                let a = a.borrow().to_vec();
                Ok(heap::array(items(self, a)?))
            }
            Some(Obj::Map(m)) => {
                let m = m.borrow().clone();
                let mut out = prop_map();
                for (k, v) in m {
                    out.insert(k, self.render_value(v, fi, depth + 1)?);
                }
                Ok(heap::map(out))
            }
            Some(Obj::Gene(g)) => {
                let ty = self.render_value(g.ty.get(), fi, depth + 1)?;
                let props = g.props.borrow().clone();
                let mut out = prop_map();
                for (k, v) in props {
                    out.insert(k, self.render_value(v, fi, depth + 1)?);
                }
                let children = g.children.borrow().clone();
                let children = items(self, children)?;
                Ok(gene_frontend::quote::gene_at(ty, out, children, g.line))
            }
            _ => Ok(v),
        }
    }
}

/// The `i`-th element of an iteration source, with its key or index.
pub(crate) fn iter_item(coll: Value, i: i64) -> Option<(Value, Value)> {
    let idx = usize::try_from(i).ok()?;
    match coll.obj()? {
        Obj::Array(a) => a.borrow().get(idx).map(|v| (Value::int(i), *v)),
        Obj::Gene(g) => g.children.borrow().get(idx).map(|v| (Value::int(i), *v)),
        Obj::Range(r) => r.get(i).map(|v| (Value::int(i), Value::int(v))),
        Obj::Map(m) => m
            .borrow()
            .get_index(idx)
            .map(|(k, v)| (heap::string(k.name()), *v)),
        _ => None,
    }
}

pub(crate) fn cell_get(v: Value) -> Value {
    match v.obj() {
        Some(Obj::Cell(c)) => c.get(),
        _ => v,
    }
}

/// A captured variable's cell: `v` itself when it is one, else a new cell
/// holding it.
pub(crate) fn into_cell(v: Value) -> Value {
    if matches!(v.obj(), Some(Obj::Cell(_))) {
        v
    } else {
        new_cell(v)
    }
}

pub(crate) fn new_cell(v: Value) -> Value {
    heap::alloc(Obj::Cell(Cell::new(v)))
}

pub fn new_future(state: FutureState, v: Value) -> Value {
    heap::alloc(Obj::Future(Box::new(Future {
        state: Cell::new(state),
        value: Cell::new(v),
        on_success: RefCell::new(Vec::new()),
        on_failure: RefCell::new(Vec::new()),
    })))
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn self_tail_recursion_runs_in_constant_stack() {
        let src = "(fn count [n acc] (if (n == 0) acc else (count (n - 1) (acc + 1)))) \
                   (count 1000000 0)";
        assert_eq!(eval(src), "1000000");
    }

    #[test]
    fn deep_recursion_works_and_runaway_recursion_is_a_gene_error() {
        let deep = "(fn d [n] (if (n == 0) 0 else ((d (n - 1)) + 1))) (d 10000)";
        assert_eq!(eval(deep), "10000");
        let runaway = "(fn r [n] (+ 1 (r n))) (r 1)";
        assert!(
            eval(runaway).starts_with("Error: StackOverflow:"),
            "{}",
            eval(runaway)
        );
    }

    #[test]
    fn exceptions_unwind_frames_and_run_finally() {
        let src = "(var log []) \
                   (fn inner [] (try (throw \"x\") finally (log .add 1))) \
                   (fn outer [] (try (inner) catch * (log .add 2) $ex)) \
                   [(outer) log]";
        assert_eq!(eval(src), "[\"x\" [1 2]]");
        let returned = "(var log []) (fn f [] (try (return 5) finally (log .add :f))) [(f) log]";
        assert_eq!(eval(returned), "[5 [f]]");
    }

    #[test]
    fn break_from_inside_an_expression_keeps_the_stack_balanced() {
        assert_eq!(eval("[1 (loop [2 (break 3)]) 4]"), "[1 3 4]");
        assert_eq!(
            eval("(var s 0) (for x in [1 2 3] (s += [x (continue)])) s"),
            "0"
        );
    }

    #[test]
    fn eval_reads_and_declares_locals_of_its_caller() {
        assert_eq!(eval("(fn f [] (var a 2) (eval :(a * 10))) (f)"), "20");
        assert_eq!(eval("(fn f [] (eval :(var made 9)) (made + 1)) (f)"), "10");
        assert_eq!(eval("(var i 1) ($render :[%(var i 2)]) i"), "1");
        assert_eq!(
            eval("(macro m [] ($caller_eval :x)) (fn f [] (var x 7) (m)) (f)"),
            "7"
        );
    }

    #[test]
    fn dot_calls_bind_self_and_args_keep_the_call() {
        let src = "(class P (.ctor [x] (/x = x)) (.fn get [d] (/x + d))) \
                   (var p (new P 10)) (fn dbl [] (/x * 2)) \
                   [(p . dbl) (p . \"get\" 5) (($bind dbl p))]";
        assert_eq!(eval(src), "[20 15 20]");
        assert_eq!(eval("(fn f [a] $args) (f 1 2 ^k 3)"), "(_ ^k 3 1 2)");
    }

    #[test]
    fn if_main_runs_only_in_the_entry_file() {
        assert_eq!(eval("(var r 0) ($if_main (r = 1)) r"), "1");
    }
}

/// Where code evaluated from data came from, which decides how its errors
/// are located.
#[derive(Clone, Copy)]
pub enum EvalOrigin {
    /// `eval`: the code is located in its printed form, in `<eval>`.
    Eval,
    /// A macro's `$caller_eval` or a template's unquote: the code is part
    /// of the frame's source, located in its file at the lines its genes
    /// were read from.
    Caller,
}
