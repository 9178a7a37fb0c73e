//! Modules: `import`.

use super::define::{has_flag, split_alias};
use super::{CResult, CompileError, Compiler};
use gene_core::bytecode::Instr;
use gene_core::Symbol;
use gene_reader::{Form, FormKind, Span};

impl Compiler {
    /// `(import a b:alias n/f n/[x y:z] from "path")` (or `from` first):
    /// loads the module and defines the named members in the current
    /// namespace. Evaluates to nil.
    pub(super) fn compile_import(
        &mut self,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
    ) -> CResult<()> {
        let from = children
            .iter()
            .position(|f| f.is_symbol("from"))
            .ok_or_else(|| {
                CompileError::new(span, "`import` needs a module: (import a b from \"path\")")
            })?;
        let Some(Form {
            kind: FormKind::Str(path),
            ..
        }) = children.get(from + 1)
        else {
            return Err(CompileError::new(
                span,
                "`from` must be followed by the module path as a string",
            ));
        };
        let mut specs: Vec<&Form> = children[..from].iter().collect();
        specs.extend(children[from + 2..].iter());
        // Each import: the member path inside the module and the local name.
        let mut imports: Vec<(Vec<String>, String)> = Vec::new();
        let mut i = 0;
        while i < specs.len() {
            let spec = specs[i];
            i += 1;
            let parts: Vec<String> = match &spec.kind {
                FormKind::Symbol(s) => vec![s.clone()],
                FormKind::ComplexSymbol(p) => p.clone(),
                _ => return Err(CompileError::new(spec.span, "expected a name to import")),
            };
            if parts.last().is_some_and(|p| p.is_empty()) {
                // `n/[a b:c]`: several members of a nested namespace
                let prefix = &parts[..parts.len() - 1];
                let Some(Form {
                    kind: FormKind::Array(items),
                    ..
                }) = specs.get(i)
                else {
                    return Err(CompileError::new(
                        spec.span,
                        "expected [names] after a trailing /",
                    ));
                };
                i += 1;
                for item in items {
                    let name = item
                        .as_symbol()
                        .ok_or_else(|| CompileError::new(item.span, "expected a name"))?;
                    let mut path = prefix.to_vec();
                    path.push(name.to_string());
                    imports.push(split_alias(path));
                }
            } else {
                imports.push(split_alias(parts));
            }
        }
        if has_flag(props, "native") {
            // A native extension (spec 05 §5.7): `gene/load_extension`
            // loads the library, relative to this file, and returns its
            // namespace.
            self.emit_load_name("gene", span);
            self.emit(Instr::GetMember(Symbol::intern("load_extension")), span);
            self.emit_const(gene_core::heap::string(path.as_str()), span);
            let file = self.fr().file;
            self.emit_const(gene_core::heap::string(file), span);
            self.emit(Instr::Call(2), span);
        } else {
            self.emit_const(gene_core::heap::string(path.as_str()), span);
            self.emit(Instr::ImportModule, span);
        }
        for (path, alias) in imports {
            self.emit(Instr::Dup, span);
            for part in &path {
                self.emit(Instr::ImportMember(Symbol::intern(part)), span);
            }
            self.emit(Instr::DefineMember(Symbol::intern(&alias)), span);
            self.emit(Instr::Pop, span);
        }
        self.emit(Instr::Pop, span);
        self.emit(Instr::Nil, span);
        Ok(())
    }
}
