//! One Proto's native function: the prologue (arguments, slots, stack
//! allocas, depth checks) and the walk over its blocks ([`build_function`]).

use super::*;

/// Argument `i` of an argument array of length `argc`, nil when missing.
pub(super) fn load_arg<'ctx>(
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

/// Emits the body of `f` for `proto`.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_function<'ctx>(
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
