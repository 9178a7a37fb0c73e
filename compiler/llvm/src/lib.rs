//! `gene-llvm`: the native tier. Lowers Protos to LLVM IR (one function per
//! Proto the backend supports), embeds the bytecode image as read-only data,
//! adds the `main` that starts the runtime, optimises and emits an object
//! file (or IR / assembly) for the target.
//!
//! [`lower`] turns one Proto into one LLVM function; [`runtime_fns`] is the
//! table of runtime entry points generated code calls.
//!
//! Architecture invariant: this crate is the only one that knows LLVM; the
//! runtime never depends on it.

pub mod lower;
pub mod runtime_fns;

use gene_core::bytecode::Proto;
use inkwell::context::Context;
use inkwell::module::{Linkage, Module};
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target, TargetMachine, TargetTriple,
};
use inkwell::values::BasicValue;
use inkwell::{AddressSpace, OptimizationLevel};

/// What to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    Object,
    LlvmIr,
    Asm,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// 0 to 3, as `-O0` .. `-O3`.
    pub opt_level: u8,
    /// An LLVM target triple; `None` for the host.
    pub target: Option<String>,
    pub emit: Emit,
}

/// How each Proto was compiled.
#[derive(Clone, Debug)]
pub struct ProtoStat {
    pub name: String,
    pub file: String,
    /// `None` when native, else why it stays bytecode.
    pub fallback: Option<String>,
    /// Whether it also has an int body (computes with unboxed ints when
    /// its arguments are ints).
    pub int_body: bool,
}

pub struct Output {
    pub bytes: Vec<u8>,
    pub stats: Vec<ProtoStat>,
}

/// A failure of the backend itself (the program is fine).
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// The host's target triple, as LLVM names it.
pub fn host_triple() -> String {
    TargetMachine::get_default_triple()
        .as_str()
        .to_string_lossy()
        .into_owned()
}

fn init_targets() {
    let config = InitializationConfig::default();
    Target::initialize_x86(&config);
    Target::initialize_aarch64(&config);
}

fn target_machine(triple: &str, opt_level: u8) -> Result<TargetMachine, Error> {
    init_targets();
    let triple = TargetTriple::create(triple);
    let target = Target::from_triple(&triple).map_err(|e| Error(e.to_string()))?;
    let level = match opt_level {
        0 => OptimizationLevel::None,
        1 => OptimizationLevel::Less,
        2 => OptimizationLevel::Default,
        _ => OptimizationLevel::Aggressive,
    };
    target
        .create_target_machine(
            &triple,
            "generic",
            "",
            level,
            RelocMode::PIC,
            CodeModel::Default,
        )
        .ok_or_else(|| {
            Error(format!(
                "LLVM cannot generate code for {}",
                triple.as_str().to_string_lossy()
            ))
        })
}

/// Compiles a program: `protos` in pre-order (the image's indexing), and
/// the serialized image to embed.
pub fn compile(
    protos: &[&'static Proto],
    image: &[u8],
    options: &Options,
) -> Result<Output, Error> {
    let triple = options.target.clone().unwrap_or_else(host_triple);
    let machine = target_machine(&triple, options.opt_level)?;
    let cx = Context::create();
    let module = cx.create_module("gene");
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());

    let debug = lower::DebugInfo::new(&cx, &module, protos.first().map_or("main.gene", |p| p.file));
    let program = lower::Program::new(&cx, &module, protos, &debug);
    let results = program.build().map_err(Error)?;
    let int_bodies = program.int_bodies();
    let mut stats = Vec::with_capacity(protos.len());
    let mut natives = Vec::with_capacity(protos.len());
    for ((proto, result), int_body) in protos.iter().zip(results).zip(int_bodies) {
        let (native, fallback) = match result {
            Ok(f) => (Some(f), None),
            Err(reason) => (None, Some(reason)),
        };
        natives.push(native);
        stats.push(ProtoStat {
            name: proto.name.name().to_string(),
            file: proto.file.to_string(),
            fallback,
            int_body,
        });
    }
    let libraries = gene_frontend::libraries::uses_libraries(protos);
    emit_entry(
        &cx,
        &module,
        image,
        &natives,
        &program.cache_words(),
        libraries,
    );
    debug.finish();
    module
        .verify()
        .map_err(|e| Error(format!("invalid LLVM module: {}", e.to_string_lossy())))?;
    let passes = format!("default<O{}>", options.opt_level.min(3));
    module
        .run_passes(&passes, &machine, PassBuilderOptions::create())
        .map_err(|e| Error(e.to_string()))?;
    let bytes = match options.emit {
        Emit::LlvmIr => module.print_to_string().to_bytes().to_vec(),
        Emit::Object | Emit::Asm => {
            let file_type = if options.emit == Emit::Asm {
                FileType::Assembly
            } else {
                FileType::Object
            };
            machine
                .write_to_memory_buffer(&module, file_type)
                .map_err(|e| Error(e.to_string()))?
                .as_slice()
                .to_vec()
        }
    };
    Ok(Output { bytes, stats })
}

/// The image as read-only data, the table of native entry points, and
/// `main`, which hands both to `gene_rt_main`.
fn emit_entry<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    image: &[u8],
    natives: &[Option<inkwell::values::FunctionValue<'ctx>>],
    cache_words: &[inkwell::values::PointerValue<'ctx>],
    libraries: bool,
) {
    let i8 = cx.i8_type();
    let i32 = cx.i32_type();
    let i64 = cx.i64_type();
    let ptr = cx.ptr_type(AddressSpace::default());

    let image_value = i8.const_array(
        &image
            .iter()
            .map(|b| i8.const_int(*b as u64, false))
            .collect::<Vec<_>>(),
    );
    let image_global = module.add_global(image_value.get_type(), None, "gene_image");
    image_global.set_initializer(&image_value);
    image_global.set_constant(true);
    image_global.set_linkage(Linkage::Private);

    let entries: Vec<_> = natives
        .iter()
        .map(|f| match f {
            Some(f) => f.as_global_value().as_pointer_value(),
            None => ptr.const_null(),
        })
        .collect();
    let table_value = ptr.const_array(&entries);
    let table = module.add_global(table_value.get_type(), None, "gene_native_table");
    table.set_initializer(&table_value);
    table.set_constant(true);
    table.set_linkage(Linkage::Private);

    // Native code's inline caches, which a collection clears.
    let words_value = ptr.const_array(cache_words);
    let words = module.add_global(words_value.get_type(), None, "gene_cache_words");
    words.set_initializer(&words_value);
    words.set_constant(true);
    words.set_linkage(Linkage::Private);

    let main_type = i32.fn_type(&[i32.into(), ptr.into()], false);
    let main = module.add_function("main", main_type, None);
    let entry = cx.append_basic_block(main, "entry");
    let b = cx.create_builder();
    b.position_at_end(entry);
    if libraries {
        // Links regular expressions and DateTime (see gene-frontend's
        // `libraries`): only programs that may use them carry them.
        let use_libraries = runtime_fns::runtime_fn(cx, module, "gene_rt_use_libraries");
        let _ = b.build_call(use_libraries, &[], "");
    }
    let rt_main = runtime_fns::runtime_fn(cx, module, "gene_rt_main");
    let argc = main.get_nth_param(0).map(|p| p.into_int_value());
    let argv = main.get_nth_param(1).map(|p| p.into_pointer_value());
    let (Some(argc), Some(argv)) = (argc, argv) else {
        return;
    };
    let status = b
        .build_call(
            rt_main,
            &[
                image_global.as_pointer_value().into(),
                i64.const_int(image.len() as u64, false).into(),
                table.as_pointer_value().into(),
                i64.const_int(natives.len() as u64, false).into(),
                words.as_pointer_value().into(),
                i64.const_int(cache_words.len() as u64, false).into(),
                argc.into(),
                argv.into(),
            ],
            "status",
        )
        .ok()
        .and_then(|c| c.try_as_basic_value().basic());
    let status = status.unwrap_or_else(|| i32.const_zero().as_basic_value_enum());
    let _ = b.build_return(Some(&status));
}
