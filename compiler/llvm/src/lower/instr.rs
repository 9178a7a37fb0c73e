//! Lowering one instruction ([`Lowering::lower_instr`]), by group.

use super::*;

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    pub(super) fn lower_instr(&mut self, pc: usize, d: u32) -> R<()> {
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
    pub(super) fn lower_step(&mut self, pc: usize, d: u32, instr: Instr) -> R<()> {
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
}
