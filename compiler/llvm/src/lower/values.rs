//! Value-level helpers of [`Lowering`]: constants, runtime calls, returns,
//! exception checks, truthiness and tag tests.

use super::*;

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    pub(super) fn i64c(&self, v: u64) -> IntValue<'ctx> {
        self.cx.i64_type().const_int(v, false)
    }

    pub(super) fn i32c(&self, v: u32) -> IntValue<'ctx> {
        self.cx.i32_type().const_int(v as u64, false)
    }

    pub(super) fn value(&self, v: Value) -> IntValue<'ctx> {
        self.i64c(v.bits())
    }

    pub(super) fn tmp_at(&self, i: u32) -> R<PointerValue<'ctx>> {
        element(self.cx, &self.b, self.tmp, i)
    }

    pub(super) fn call(
        &self,
        name: &str,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> R<IntValue<'ctx>> {
        let f = runtime_fn(self.cx, self.module, name);
        let site = self.b.build_call(f, args, name).map_err(b_err)?;
        Ok(site
            .try_as_basic_value()
            .basic()
            .map(|v| v.into_int_value())
            .unwrap_or_else(|| self.i64c(0)))
    }

    /// Returns `v` from the function, restoring the activation count.
    pub(super) fn ret(&self, v: IntValue<'ctx>) -> R<()> {
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
    pub(super) fn exception_block(&mut self, pc: usize) -> R<BasicBlock<'ctx>> {
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
    pub(super) fn check(&mut self, r: IntValue<'ctx>, pc: usize) -> R<()> {
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

    pub(super) fn truthy(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
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

    pub(super) fn bool_value(&self, c: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        Ok(self
            .b
            .build_select(c, self.value(Value::TRUE), self.value(Value::FALSE), "bool")
            .map_err(b_err)?
            .into_int_value())
    }

    pub(super) fn is_int(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let top = self
            .b
            .build_right_shift(v, self.i64c(50), false, "top")
            .map_err(b_err)?;
        self.b
            .build_int_compare(IntPredicate::EQ, top, self.i64c(0x3FFF), "is_int")
            .map_err(b_err)
    }

    pub(super) fn both_ints(&self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let ia = self.is_int(a)?;
        let ib = self.is_int(b)?;
        self.b.build_and(ia, ib, "both_int").map_err(b_err)
    }

    pub(super) fn int_of(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
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
    pub(super) fn if_else(
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
    pub(super) fn equals(&mut self, a: IntValue<'ctx>, b: IntValue<'ctx>) -> R<IntValue<'ctx>> {
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
    pub(super) fn stack_to_tmp(&self, from: u32, n: u32) -> R<()> {
        for i in 0..n {
            let v = self.load(self.stk(from + i)?)?;
            self.store(self.tmp_at(i)?, v)?;
        }
        Ok(())
    }
}
