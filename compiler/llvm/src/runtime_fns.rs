//! The runtime functions generated code may call: one table mirroring the
//! `extern "C"` entry points of `runtime/vm/src/abi.rs` (name, parameter
//! types, return type). The lowering declares functions only from here, and
//! a test checks the table against the symbols of `libgene_runtime.a`.

use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::{BasicMetadataTypeEnum, FunctionType};
use inkwell::values::FunctionValue;
use inkwell::AddressSpace;

/// An ABI type: values are `I64`, Proto indices, pcs and counts `I32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I32,
    I64,
    Ptr,
    Void,
}

pub struct RuntimeFn {
    pub name: &'static str,
    pub params: &'static [Ty],
    pub ret: Ty,
}

use Ty::*;

pub const RUNTIME_FNS: &[RuntimeFn] = &[
    RuntimeFn {
        name: "gene_rt_main",
        params: &[Ptr, I64, Ptr, I64, Ptr, I64, I32, Ptr],
        ret: I32,
    },
    RuntimeFn {
        name: "gene_rt_use_libraries",
        params: &[],
        ret: Void,
    },
    RuntimeFn {
        name: "gene_take_exception",
        params: &[],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_throw",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_const",
        params: &[I32, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_call",
        params: &[I64, Ptr, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_is_macro",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_call_macro",
        params: &[I64, Ptr, I32, I32, I32, Ptr, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_load_name",
        params: &[I64, I64, I32, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_arith",
        params: &[I32, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_int_arith",
        params: &[I32, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_box_int",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_compare",
        params: &[I32, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_make_array",
        params: &[Ptr, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_get_child",
        params: &[I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_get_member",
        params: &[I32, I32, I64, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_set_member",
        params: &[I32, I32, I64, I64, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_call_method",
        params: &[I32, I32, Ptr, I32, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_select",
        params: &[I64, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_set_key",
        params: &[I64, I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_equals",
        params: &[I64, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_negate",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_step",
        params: &[I32, I32, I64, I64, Ptr, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_cell_new",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_cell_get",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_cell_set",
        params: &[I64, I64],
        ret: Void,
    },
    RuntimeFn {
        name: "gene_upvalue_get",
        params: &[I64, I32, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_upvalue_set",
        params: &[I64, I32, I64],
        ret: Void,
    },
    RuntimeFn {
        name: "gene_make_closure",
        params: &[I32, Ptr, I32, I64, I64, I32],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_iter_init",
        params: &[I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_iter_next",
        params: &[Ptr, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_run_body",
        params: &[I32, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_stack_overflow",
        params: &[],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_bind_params",
        params: &[I32, Ptr, I32, I64, I64, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_match",
        params: &[I32, I32, I64, I64, Ptr],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_make_args",
        params: &[Ptr, I32, I64],
        ret: I64,
    },
    RuntimeFn {
        name: "gene_native_target",
        params: &[I64],
        ret: Ptr,
    },
    RuntimeFn {
        name: "gene_gc_poll",
        params: &[],
        ret: Void,
    },
];

/// The runtime's global variables generated code reads (each a `usize`).
pub const RUNTIME_GLOBALS: &[&str] = &["gene_stack_limit", "gene_name_epoch", "gene_gc_requested"];

fn fn_type<'ctx>(cx: &'ctx Context, f: &RuntimeFn) -> FunctionType<'ctx> {
    let params: Vec<BasicMetadataTypeEnum> = f
        .params
        .iter()
        .map(|t| match t {
            I32 => cx.i32_type().into(),
            I64 | Void => cx.i64_type().into(),
            Ptr => cx.ptr_type(AddressSpace::default()).into(),
        })
        .collect();
    match f.ret {
        I32 => cx.i32_type().fn_type(&params, false),
        I64 => cx.i64_type().fn_type(&params, false),
        Ptr => cx.ptr_type(AddressSpace::default()).fn_type(&params, false),
        Void => cx.void_type().fn_type(&params, false),
    }
}

/// The declaration of runtime function `name` in `module` (added on first use).
pub fn runtime_fn<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
) -> FunctionValue<'ctx> {
    if let Some(f) = module.get_function(name) {
        return f;
    }
    let f = RUNTIME_FNS
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} is not in the runtime function table"));
    module.add_function(name, fn_type(cx, f), None)
}
