//! Numbers: inline small-int and float fast paths with the runtime's slow
//! path, and the integer helpers the int body shares.

use super::*;

/// An inline fast path for two small ints (see `Lowering::numeric_op`).
pub(super) type IntFast<'a, 'ctx, L> =
    dyn Fn(&L, IntValue<'ctx>, IntValue<'ctx>) -> R<(IntValue<'ctx>, Option<IntValue<'ctx>>)> + 'a;
/// An inline fast path for two numbers as f64s.
pub(super) type FloatFast<'a, 'ctx, L> =
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

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    /// `a op b` with inline paths: `int` computes the result of two small
    /// ints from their payloads and may decline it (returning a condition
    /// that must hold, e.g. "no overflow"); `float` computes it from two
    /// numbers that are not both small ints, as f64s (an int operand
    /// converted). Anything else, and what `int` declines, goes to the
    /// runtime function `slow(op, a, b)` (the exception path is taken for the
    /// sentinel).
    pub(super) fn numeric_op(
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
    pub(super) fn is_number(&self, v: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let float = self
            .b
            .build_int_compare(IntPredicate::ULT, v, self.i64c(0xFFF8 << 48), "is_float")
            .map_err(b_err)?;
        self.b
            .build_or(float, self.is_int(v)?, "is_number")
            .map_err(b_err)
    }

    /// A float or small int as an f64.
    pub(super) fn to_f64(&self, v: IntValue<'ctx>) -> R<FloatValue<'ctx>> {
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
    pub(super) fn float_value(&self, f: FloatValue<'ctx>) -> R<IntValue<'ctx>> {
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
    pub(super) fn arith(
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
    pub(super) fn small_int(&self, r: IntValue<'ctx>) -> R<IntValue<'ctx>> {
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
    pub(super) fn compare(
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

    pub(super) fn operands(
        &self,
        instr: Instr,
        d: u32,
    ) -> R<(IntValue<'ctx>, IntValue<'ctx>, u32)> {
        let top = self.load(self.stk(d - 1)?)?;
        Ok(match instr {
            Instr::AddInt(k) | Instr::SubInt(k) | Instr::LtInt(k) => {
                (top, self.value(Value::small_int(k as i64)), d - 1)
            }
            _ => (self.load(self.stk(d - 2)?)?, top, d - 2),
        })
    }
}
