//! DWARF for the lowered module (see [`DebugInfo`]).

use super::*;

/// DWARF for the module: one compile unit for the program's file, one
/// subprogram per native function named after its Gene function, and a
/// line for every instruction, so debuggers and backtraces show Gene source.
pub struct DebugInfo<'ctx> {
    pub(super) builder: DebugInfoBuilder<'ctx>,
    pub(super) file: DIFile<'ctx>,
}

impl<'ctx> DebugInfo<'ctx> {
    pub fn new(cx: &'ctx Context, module: &Module<'ctx>, path: &str) -> DebugInfo<'ctx> {
        let path = std::path::Path::new(path);
        let name = path
            .file_name()
            .map_or_else(|| "main.gene".into(), |n| n.to_string_lossy());
        let dir = match path.parent().map(|d| d.to_string_lossy().into_owned()) {
            Some(d) if !d.is_empty() => d,
            _ => ".".to_string(),
        };
        module.add_basic_value_flag(
            "Debug Info Version",
            FlagBehavior::Warning,
            cx.i32_type().const_int(3, false),
        );
        module.add_basic_value_flag(
            "Dwarf Version",
            FlagBehavior::Warning,
            cx.i32_type().const_int(4, false),
        );
        let (builder, unit) = module.create_debug_info_builder(
            true,
            DWARFSourceLanguage::C,
            &name,
            &dir,
            "gene",
            true,
            "",
            0,
            "",
            DWARFEmissionKind::LineTablesOnly,
            0,
            false,
            false,
            "",
            "",
        );
        let file = unit.get_file();
        DebugInfo { builder, file }
    }

    pub fn finish(&self) {
        self.builder.finalize();
    }

    pub(super) fn subprogram(&self, name: &str, linkage: &str, line: u32) -> DISubprogram<'ctx> {
        let ty = self
            .builder
            .create_subroutine_type(self.file, None, &[], DIFlags::PUBLIC);
        self.builder.create_function(
            self.file.as_debug_info_scope(),
            name,
            Some(linkage),
            self.file,
            line,
            ty,
            true,
            true,
            line,
            DIFlags::PUBLIC,
            true,
        )
    }
}
