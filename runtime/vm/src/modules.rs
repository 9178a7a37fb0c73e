//! Modules (spec 03 §3.17): `import` loads a file once, runs it in a
//! namespace of its own, and caches the namespace by resolved path.
//! `std/NAME` names a module of the embedded standard library
//! ([`crate::stdlib`]) rather than a file.

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

/// Where a module comes from: a file, or the embedded standard library
/// (`std/...`, [`crate::stdlib`]).
enum Origin {
    File(PathBuf),
    Std(String, &'static str),
}

impl Vm {
    /// The module an import path names, or the `ImportError` saying why
    /// there is none.
    fn origin(&self, text_path: &str, importer: &str) -> VmResult<Origin> {
        if crate::stdlib::is_std_path(text_path) {
            let name = text_path.strip_suffix(".gene").unwrap_or(text_path);
            return match crate::stdlib::source(name) {
                Some(text) => Ok(Origin::Std(name.to_string(), text)),
                None => {
                    let known: Vec<_> = crate::stdlib::names().collect();
                    Err(self.error(
                        ErrorKind::ImportError,
                        format!(
                            "No standard module '{text_path}': the standard modules are {}",
                            known.join(", ")
                        ),
                    ))
                }
            };
        }
        match resolve(text_path, importer) {
            Some(file) => Ok(Origin::File(file)),
            None => Err(self.error(
                ErrorKind::ImportError,
                format!("Failed to read module '{text_path}': no such file"),
            )),
        }
    }

    pub fn import_module(&mut self, path: Value, importer: &str) -> VmResult {
        let text_path = gene_core::print::display(path);
        let origin = self.origin(&text_path, importer)?;
        // The cache key: the canonical file, or the import path itself
        // (`std/test`) for a standard module, which no canonical path equals.
        let file = match &origin {
            Origin::File(file) => file.clone(),
            Origin::Std(name, _) => PathBuf::from(name.as_str()),
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
        let (name, source) = match origin {
            Origin::Std(name, text) => (format!("{name}.gene"), text.to_string()),
            Origin::File(file) => {
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    self.error(
                        ErrorKind::ImportError,
                        format!("Failed to read module '{text_path}': {e}"),
                    )
                })?;
                (file.display().to_string(), text)
            }
        };
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
