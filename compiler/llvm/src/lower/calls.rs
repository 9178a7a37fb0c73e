//! Calls, inline caches, name loads and the GC poll.

use super::*;

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    /// The `fn` binding a call site's callee was loaded from, when its Proto
    /// has a direct body: the Proto index and its latest-closure global.
    pub(super) fn direct_target(
        &self,
        pc: usize,
    ) -> Option<(u32, inkwell::values::GlobalValue<'ctx>)> {
        let Instr::LoadName { name, .. } = self.proto.code.get(pc.checked_sub(1)?)? else {
            return None;
        };
        let t = *self.program.defs.get(name)?;
        Some((t, *self.program.def_globals.get(&t)?))
    }

    /// Whether `callee` is the closure last bound by the `fn` of Proto `t`.
    pub(super) fn is_bound_closure(
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
    pub(super) fn lower_tail_call(
        &mut self,
        callee: IntValue<'ctx>,
        n: u32,
        d: u32,
        pc: usize,
    ) -> R<()> {
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
    pub(super) fn gc_poll(&mut self) -> R<()> {
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
    pub(super) fn site_cache(&self, words: u32, pc: usize) -> R<PointerValue<'ctx>> {
        Ok(self.cache_global(&format!("gene_site_{}_{pc}", self.index), words))
    }

    /// A zeroed global of `words` cache words named `name`, its words
    /// registered with the runtime (which zeroes them at every collection).
    pub(super) fn cache_global(&self, name: &str, words: u32) -> PointerValue<'ctx> {
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
    pub(super) fn cached(
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
    pub(super) fn int_method_inline(
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
    pub(super) fn name_epoch(&self) -> R<IntValue<'ctx>> {
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
    pub(super) fn load_name(&self, pc: usize) -> R<IntValue<'ctx>> {
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
    pub(super) fn load_name_cached(&mut self, pc: usize) -> R<IntValue<'ctx>> {
        let epoch = self.name_epoch()?;
        self.cached(&format!("gene_name_ic_{}_{pc}", self.index), epoch, |l| {
            let v = l.load_name(pc)?;
            l.check(v, pc)?;
            Ok(v)
        })
    }

    /// Whether `callee` is a macro, cached by callee identity (a value's
    /// kind never changes).
    pub(super) fn is_macro_cached(
        &mut self,
        callee: IntValue<'ctx>,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        self.cached(&format!("gene_macro_ic_{}_{pc}", self.index), callee, |l| {
            l.call("gene_is_macro", &[callee.into()])
        })
    }

    /// A call to the function a `fn` of Proto `target` bound: when the
    /// callee is still that closure, its direct body is called with the
    /// arguments in registers; otherwise the ordinary call path runs.
    pub(super) fn call_direct(
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
    pub(super) fn call_cached(
        &mut self,
        callee: IntValue<'ctx>,
        n: u32,
        pc: usize,
    ) -> R<IntValue<'ctx>> {
        let r = self.call_cached_unchecked(callee, n, pc)?;
        self.check(r, pc)?;
        Ok(r)
    }

    /// [`Lowering::call_cached`] without the sentinel check.
    pub(super) fn call_cached_unchecked(
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
}
