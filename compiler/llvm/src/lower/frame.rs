//! The frame accessors shared by the generic lowering and the int body
//! ([`FrameCode`]).

use super::*;

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
