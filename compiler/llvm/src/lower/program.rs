//! The whole program's lowering plan: every Proto's native function, its
//! direct body and caches, and the entry wrappers ([`Program`]).

use super::*;

/// Where a function's parameters come from.
pub(super) enum Params<'ctx> {
    /// The `NativeCode` entry: an argument array, its length and the named
    /// arguments.
    Array {
        args: PointerValue<'ctx>,
        argc: IntValue<'ctx>,
        props: IntValue<'ctx>,
    },
    /// A direct entry: the positional arguments themselves.
    Registers(Vec<IntValue<'ctx>>),
}

/// The native functions of one Proto.
pub(super) struct Planned<'ctx> {
    /// The `NativeCode` entry point (in the table).
    pub(super) entry: FunctionValue<'ctx>,
    /// For plain functions: the body taking its arguments in registers,
    /// which `entry` and direct call sites call.
    pub(super) direct: Option<FunctionValue<'ctx>>,
    /// For direct bodies that compute with ints only: the int body, which
    /// the direct body enters when its arguments are ints.
    pub(super) int: Option<(FunctionValue<'ctx>, int_body::IntPlan)>,
    pub(super) depth: Vec<Option<u32>>,
    pub(super) max_depth: u32,
}

/// The whole program's lowering: which Protos become native, their
/// functions (declared before any body is built, so call sites can call
/// them directly), and the globals that remember each `fn`'s latest closure.
pub struct Program<'a, 'ctx> {
    pub(super) cx: &'ctx Context,
    pub(super) module: &'a Module<'ctx>,
    pub(super) protos: &'a [&'static Proto],
    pub(super) debug: &'a DebugInfo<'ctx>,
    pub(super) index_of: HashMap<*const Proto, u32>,
    pub(super) plans: Vec<Result<Planned<'ctx>, String>>,
    /// `(fn name ...)` bindings made in exactly one place: name → Proto.
    pub(super) defs: HashMap<gene_core::Symbol, u32>,
    /// Per defined Proto: the last closure its `fn` form bound.
    pub(super) def_globals: HashMap<u32, inkwell::values::GlobalValue<'ctx>>,
    /// Every inline-cache word, for the runtime to clear after a collection.
    pub(super) cache_words: std::cell::RefCell<Vec<PointerValue<'ctx>>>,
}

impl<'a, 'ctx> Program<'a, 'ctx> {
    pub fn new(
        cx: &'ctx Context,
        module: &'a Module<'ctx>,
        protos: &'a [&'static Proto],
        debug: &'a DebugInfo<'ctx>,
    ) -> Program<'a, 'ctx> {
        let index_of: HashMap<*const Proto, u32> = protos
            .iter()
            .enumerate()
            .map(|(i, p)| (*p as *const Proto, i as u32))
            .collect();
        let i64t = cx.i64_type();
        let ptr = cx.ptr_type(AddressSpace::default());
        let entry_type = i64t.fn_type(
            &[
                i64t.into(),
                i64t.into(),
                ptr.into(),
                cx.i32_type().into(),
                i64t.into(),
            ],
            false,
        );
        let mut plans = protos
            .iter()
            .enumerate()
            .map(|(i, proto)| {
                if let Some(why) = unsupported(proto) {
                    return Err(why);
                }
                let (depth, max_depth) = depths(proto)?;
                let name = format!("gene_proto_{i}_{}", sanitize(proto.name.name()));
                let entry = module.add_function(&name, entry_type, Some(Linkage::Internal));
                let direct = direct_arity(proto).map(|k| {
                    let params: Vec<_> = (0..k + 2).map(|_| i64t.into()).collect();
                    module.add_function(
                        &format!("{name}_direct"),
                        i64t.fn_type(&params, false),
                        Some(Linkage::Internal),
                    )
                });
                Ok(Planned {
                    entry,
                    direct,
                    int: None,
                    depth,
                    max_depth,
                })
            })
            .collect::<Vec<_>>();
        let mut bound: HashMap<gene_core::Symbol, Vec<u32>> = HashMap::new();
        for proto in protos {
            for pair in proto.code.windows(2) {
                if let [Instr::Closure(k), Instr::DefineMember(name)] = pair {
                    if let Some(nested) = proto.protos.get(*k as usize) {
                        if let Some(&t) = index_of.get(&(*nested as *const Proto)) {
                            bound.entry(*name).or_default().push(t);
                        }
                    }
                }
            }
        }
        let defs: HashMap<_, _> = bound
            .into_iter()
            .filter(|(_, ts)| ts.len() == 1)
            .map(|(name, ts)| (name, ts[0]))
            .filter(|(_, t)| matches!(plans.get(*t as usize), Some(Ok(p)) if p.direct.is_some()))
            .collect();
        for (i, plan) in plans.iter_mut().enumerate() {
            let Ok(plan) = plan else { continue };
            let (Some(direct), Some(arity)) = (plan.direct, direct_arity(protos[i])) else {
                continue;
            };
            let self_name = defs
                .iter()
                .find(|(_, t)| **t == i as u32)
                .map(|(name, _)| *name);
            if let Ok(int_plan) = int_body::analyse(protos[i], arity, self_name) {
                let name = direct.get_name().to_string_lossy();
                let name = name.trim_end_matches("_direct");
                let f = int_body::declare(cx, module, name, arity);
                plan.int = Some((f, int_plan));
            }
        }
        let def_globals = defs
            .values()
            .map(|&t| {
                let g = module.add_global(i64t, None, &format!("gene_def_{t}"));
                g.set_initializer(&i64t.const_zero());
                g.set_linkage(Linkage::Private);
                (t, g)
            })
            .collect::<HashMap<u32, inkwell::values::GlobalValue<'ctx>>>();
        // The `fn` globals are cleared with the caches: a cleared one only
        // sends its calls down the ordinary path until the `fn` runs again.
        let cache_words =
            std::cell::RefCell::new(def_globals.values().map(|g| g.as_pointer_value()).collect());
        Program {
            cx,
            module,
            protos,
            debug,
            index_of,
            plans,
            defs,
            def_globals,
            cache_words,
        }
    }

    /// The words of every inline cache (after [`Program::build`]).
    pub fn cache_words(&self) -> Vec<PointerValue<'ctx>> {
        self.cache_words.borrow().clone()
    }

    /// Per Proto: whether it has an int body.
    pub fn int_bodies(&self) -> Vec<bool> {
        self.plans
            .iter()
            .map(|p| matches!(p, Ok(p) if p.int.is_some()))
            .collect()
    }

    /// Builds every native function; returns, per Proto, its table entry or
    /// why it stays bytecode.
    pub fn build(&self) -> Result<Vec<Result<FunctionValue<'ctx>, String>>, String> {
        let mut out = Vec::with_capacity(self.protos.len());
        for (i, plan) in self.plans.iter().enumerate() {
            match plan {
                Err(why) => out.push(Err(why.clone())),
                Ok(plan) => {
                    self.build_proto(i as u32, plan).map_err(|e| {
                        format!("internal error lowering {}: {e}", self.protos[i].name)
                    })?;
                    out.push(Ok(plan.entry));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn build_proto(&self, index: u32, plan: &Planned<'ctx>) -> R<()> {
        let proto = self.protos[index as usize];
        let body = plan.direct.unwrap_or(plan.entry);
        let first_line = first_line(proto);
        let name = body.get_name().to_string_lossy().into_owned();
        let subprogram = self.debug.subprogram(proto.name.name(), &name, first_line);
        body.set_subprogram(subprogram);
        let scope = subprogram.as_debug_info_scope();
        let params = match plan.direct {
            Some(direct) => {
                self.build_entry_wrapper(plan.entry, direct, direct_arity(proto).unwrap_or(0))?;
                Params::Registers(
                    direct
                        .get_param_iter()
                        .skip(2)
                        .map(|p| p.into_int_value())
                        .collect(),
                )
            }
            None => {
                let param = |i: u32| {
                    plan.entry
                        .get_nth_param(i)
                        .ok_or_else(|| "missing parameter".to_string())
                };
                Params::Array {
                    args: param(2)?.into_pointer_value(),
                    argc: param(3)?.into_int_value(),
                    props: param(4)?.into_int_value(),
                }
            }
        };
        build_function(
            self,
            body,
            proto,
            index,
            params,
            &plan.depth,
            plan.max_depth,
            scope,
        )?;
        if let Some((f, int_plan)) = &plan.int {
            int_body::build(self, *f, proto, int_plan)?;
        }
        for f in [Some(plan.entry), plan.direct].into_iter().flatten() {
            if !f.verify(false) {
                return Err(format!(
                    "invalid function {}",
                    f.get_name().to_string_lossy()
                ));
            }
        }
        Ok(())
    }

    /// The `NativeCode` entry of a function with a direct body: takes its
    /// arguments from the array (nil for missing ones) and calls the body.
    pub(super) fn build_entry_wrapper(
        &self,
        entry: FunctionValue<'ctx>,
        direct: FunctionValue<'ctx>,
        k: u32,
    ) -> R<()> {
        let cx = self.cx;
        let b = cx.create_builder();
        let block = cx.append_basic_block(entry, "entry");
        b.position_at_end(block);
        let param = |i: u32| {
            entry
                .get_nth_param(i)
                .ok_or_else(|| "missing parameter".to_string())
        };
        let args = param(2)?.into_pointer_value();
        let argc = param(3)?.into_int_value();
        let mut call_args: Vec<BasicMetadataValueEnum> = vec![
            param(0)?.into_int_value().into(),
            param(1)?.into_int_value().into(),
        ];
        for i in 0..k {
            call_args.push(load_arg(cx, &b, entry, args, argc, i)?.into());
        }
        let r = b
            .build_call(direct, &call_args, "result")
            .map_err(b_err)?
            .try_as_basic_value()
            .basic()
            .ok_or("a direct body returns a value")?;
        b.build_return(Some(&r)).map_err(b_err)?;
        Ok(())
    }
}

/// The runtime's i64 global `name` (declared on first use). Hidden: the
/// runtime is linked into the executable, so the global is addressed
/// relative to the code rather than through the GOT.
pub(super) fn extern_global<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
) -> PointerValue<'ctx> {
    module
        .get_global(name)
        .unwrap_or_else(|| {
            let g = module.add_global(cx.i64_type(), None, name);
            g.set_linkage(Linkage::External);
            g.set_visibility(inkwell::GlobalVisibility::Hidden);
            g
        })
        .as_pointer_value()
}

/// The address of element `i` of an array of i64s at `base`.
pub(super) fn element<'ctx>(
    cx: &'ctx Context,
    b: &Builder<'ctx>,
    base: PointerValue<'ctx>,
    i: u32,
) -> R<PointerValue<'ctx>> {
    let i64t = cx.i64_type();
    // Safety of the GEP: every array indexed here is sized for its users.
    unsafe { b.build_gep(i64t, base, &[i64t.const_int(i as u64, false)], "element") }.map_err(b_err)
}

pub(super) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}
