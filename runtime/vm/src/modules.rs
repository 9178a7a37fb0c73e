//! Modules (spec 03 §3.17): `import` loads a file once, runs it in a
//! namespace of its own, and caches the namespace by resolved path.

use crate::errors::VmResult;
use crate::vm::{new_namespace, Vm};
use gene_core::{ErrorKind, Value};
use std::path::{Path, PathBuf};

/// The file a module path names: relative to the importing file's
/// directory first, then the working directory; `.gene` appended if absent.
fn resolve(path: &str, importer: &str) -> Option<PathBuf> {
    let file = if path.ends_with(".gene") {
        path.to_string()
    } else {
        format!("{path}.gene")
    };
    let beside = Path::new(importer).parent().map(|dir| dir.join(&file));
    beside
        .into_iter()
        .chain(std::iter::once(PathBuf::from(&file)))
        .find(|p| p.is_file())
        .map(|p| p.canonicalize().unwrap_or(p))
}

impl Vm {
    pub fn import_module(&mut self, path: Value, importer: &str) -> VmResult {
        let text_path = gene_core::print::display(path);
        let Some(file) = resolve(&text_path, importer) else {
            return Err(self.error(
                ErrorKind::ImportError,
                format!("Failed to read module '{text_path}': no such file"),
            ));
        };
        match self.modules.get(&file) {
            Some(ns) if ns.is_nil() => {
                return Err(self.error(
                    ErrorKind::ImportError,
                    format!("circular import of '{text_path}'"),
                ))
            }
            Some(ns) => return Ok(*ns),
            None => {}
        }
        let source = std::fs::read_to_string(&file).map_err(|e| {
            self.error(
                ErrorKind::ImportError,
                format!("Failed to read module '{text_path}': {e}"),
            )
        })?;
        let name = file.display().to_string();
        let forms = gene_reader::read_all(&source).map_err(|e| {
            self.error(
                ErrorKind::ParseError,
                format!("{name}:{}:{}: {}", e.span.line, e.span.col, e.message),
            )
        })?;
        let proto = gene_frontend::compile_program(&forms, &name).map_err(|e| {
            self.error(
                ErrorKind::ParseError,
                format!("{name}:{}:{}: {}", e.span.line, e.span.col, e.message),
            )
        })?;
        self.modules.insert(file.clone(), Value::NIL);
        let ns = new_namespace(&text_path, Value::NIL);
        self.native_depth += 1;
        let result = self.run_top_level(proto, ns, Value::NIL);
        self.native_depth -= 1;
        match result {
            Ok(_) => {
                self.modules.insert(file, ns);
                Ok(ns)
            }
            Err(e) => {
                self.modules.remove(&file);
                Err(e)
            }
        }
    }
}
