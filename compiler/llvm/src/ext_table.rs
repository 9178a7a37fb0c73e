//! The object that registers the extensions linked into an executable
//! (`gene build --link-extension`): a constructor, run before `main` by the
//! C library (static or not), that calls the runtime's `gene_register_linked_extension(name, init)`
//! for each extension, with its renamed init function
//! (`runtime/vm/src/linked_ext.rs`).

use crate::{target_machine, Error};
use inkwell::context::Context;
use inkwell::module::Linkage;
use inkwell::targets::FileType;
use inkwell::AddressSpace;

/// One linked extension: the name programs import it by and the symbol of
/// its init function.
pub struct LinkedExtension {
    pub name: String,
    pub init_symbol: String,
}

/// An object file for `triple` (an LLVM triple) registering `extensions`.
pub fn extension_table(triple: &str, extensions: &[LinkedExtension]) -> Result<Vec<u8>, Error> {
    let machine = target_machine(triple, 0)?;
    let cx = Context::create();
    let module = cx.create_module("gene_linked_extensions");
    module.set_triple(&machine.get_triple());
    module.set_data_layout(&machine.get_target_data().get_data_layout());

    let ptr = cx.ptr_type(AddressSpace::default());
    let void = cx.void_type();
    let i32_type = cx.i32_type();
    let register = module.add_function(
        "gene_register_linked_extension",
        void.fn_type(&[ptr.into(), ptr.into()], false),
        Some(Linkage::External),
    );
    let init_type = i32_type.fn_type(&[ptr.into(), ptr.into()], false);
    let ctor = module.add_function(
        "gene_register_linked_extensions",
        void.fn_type(&[], false),
        Some(Linkage::Internal),
    );
    let builder = cx.create_builder();
    builder.position_at_end(cx.append_basic_block(ctor, "entry"));
    for (i, extension) in extensions.iter().enumerate() {
        let init = module.add_function(&extension.init_symbol, init_type, Some(Linkage::External));
        let name = cx.const_string(extension.name.as_bytes(), true);
        let global = module.add_global(name.get_type(), None, &format!("extension_name.{i}"));
        global.set_initializer(&name);
        global.set_constant(true);
        global.set_linkage(Linkage::Private);
        builder
            .build_call(
                register,
                &[
                    global.as_pointer_value().into(),
                    init.as_global_value().as_pointer_value().into(),
                ],
                "",
            )
            .map_err(|e| Error(e.to_string()))?;
    }
    builder
        .build_return(None)
        .map_err(|e| Error(e.to_string()))?;

    // The constructor goes straight into `.init_array`: `llvm.global_ctors`
    // would land in `.ctors` (the target machine's default), which GNU ld
    // folds into `.init_array` but ld.lld does not.
    let slot = module.add_global(ptr, None, "gene_linked_extensions_ctor");
    slot.set_initializer(&ctor.as_global_value().as_pointer_value());
    slot.set_linkage(Linkage::Internal);
    slot.set_section(Some(".init_array"));
    slot.set_constant(false);
    let used = module.add_global(ptr.array_type(1), None, "llvm.used");
    used.set_linkage(Linkage::Appending);
    used.set_section(Some("llvm.metadata"));
    used.set_initializer(&ptr.const_array(&[slot.as_pointer_value()]));

    module.verify().map_err(|e| Error(e.to_string()))?;
    machine
        .write_to_memory_buffer(&module, FileType::Object)
        .map(|buffer| buffer.as_slice().to_vec())
        .map_err(|e| Error(e.to_string()))
}
