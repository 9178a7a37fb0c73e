//! Static facts about a Proto the lowering plans from: whether it can be
//! lowered, the stack depth at every pc, and sizes of its scratch and spill space.

use super::*;

/// Why `proto` cannot be lowered, if it cannot.
pub(super) fn unsupported(proto: &Proto) -> Option<String> {
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
pub(super) fn depths(proto: &Proto) -> R<(Vec<Option<u32>>, u32)> {
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

/// The line of a Proto's first instruction that has one (1 if none).
pub(super) fn first_line(proto: &Proto) -> u32 {
    proto.lines.iter().copied().find(|l| *l > 0).unwrap_or(1)
}

/// The arity of a Proto whose body can take its arguments in registers:
/// plain functions with plain positional parameters (blocks take `self`
/// from their closure and async functions are wrapped by the runtime, so
/// they keep the array entry only).
pub(super) fn direct_arity(proto: &Proto) -> Option<u32> {
    match proto.kind {
        ProtoKind::Function if !proto.is_async && !proto.uses_args => proto.fast_arity,
        _ => None,
    }
}

/// How many values the largest runtime array argument of `proto` needs.
pub(super) fn scratch_len(proto: &Proto) -> u32 {
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

/// The distinct slots named at `pc`, ascending.
pub(super) fn named_slots(proto: &Proto, pc: u32) -> Vec<u32> {
    let mut slots: Vec<u32> = proto.slots_named_at(pc).collect();
    slots.sort_unstable();
    slots.dedup();
    slots
}

/// Copies of a slot around macro calls and `match`es allowed per
/// instruction before the slots move into memory for good.
pub(super) const SPILL_COPIES_PER_INSTR: usize = 1;

/// Whether copying the slots around every macro call (each call site of an
/// unknown name has a macro path) and `match` would cost more code than
/// [`SPILL_COPIES_PER_INSTR`] per instruction. Then the slots live in the
/// spill buffer itself: slower to access than registers, but the code stays
/// linear in the function's size. Without this, a long top level (every
/// top-level `var` is a slot, visible to every later call) took build time
/// quadratic in its length.
pub(super) fn spill_code_too_large(proto: &Proto) -> bool {
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
