//! Spilling and reloading slots around macro calls and `match`.

use super::*;

impl<'a, 'ctx> Lowering<'a, 'ctx> {
    pub(super) fn spill_at(&self, i: u32) -> R<PointerValue<'ctx>> {
        element(self.cx, &self.b, self.spill, i)
    }

    /// Copies the frame's slots into the spill buffer (before code that reads
    /// them from there, e.g. a `match`).
    pub(super) fn spill_slots(&self) -> R<()> {
        self.copy_slots(0..self.proto.n_slots, true)
    }

    /// Spills the slots a macro called at `pc` can name (`gene_call_macro`
    /// reads only those): spilling every slot at every macro call made
    /// code size quadratic in a function with many scopes.
    pub(super) fn spill_named_slots(&self, pc: u32) -> R<()> {
        self.copy_slots(named_slots(self.proto, pc), true)
    }

    pub(super) fn reload_named_slots(&self, pc: u32) -> R<()> {
        self.copy_slots(named_slots(self.proto, pc), false)
    }

    pub(super) fn reload_slots(&self) -> R<()> {
        self.copy_slots(0..self.proto.n_slots, false)
    }

    /// Copies `slots` from their registers to the spill buffer
    /// (`to_spill`) or back; nothing when the slots live in the buffer.
    pub(super) fn copy_slots(&self, slots: impl IntoIterator<Item = u32>, to_spill: bool) -> R<()> {
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
