//! Modules (spec 03 §3.17): `import` loads a file once, runs it in a
//! namespace of its own, and caches the namespace by resolved path.
//!
//! `std/NAME` names a module of the embedded standard library
//! ([`crate::stdlib`]) rather than a file.
//!
//! A built executable carries its modules (`gene build` compiles the whole
//! import graph into the image): an import first looks its
//! [`module_key`] up in the executable's module table and only reads a file
//! for a path the program computed at run time (through `eval`).
//!
//! **Where a relative path is looked up** (modules and native
//! extensions alike; never the working directory as such):
//! 1. beside the importing file: the file's directory under `gene run`; in
//!    a built executable, for a module (named by its absolute path) the
//!    directory it was built from, and then for any code the executable's
//!    directory (joined with the importing file's directory relative to the
//!    main program's, when both names are relative);
//! 2. each directory of `$GENE_PATH` (modules) or `$GENE_EXTENSION_PATH`
//!    (extensions), `:`-separated;
//! 3. the installation's directory: the directory of the running
//!    executable (`gene`'s under `gene run`).

use crate::errors::VmResult;
use crate::vm::{new_namespace, Vm};
use gene_core::bytecode::Proto;
use gene_core::{ErrorKind, Value};
use gene_frontend::image::module_key;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a built executable knows about its program: the modules compiled
/// into it and where its main file was when it was built.
pub struct Embedded {
    /// Each module's main Proto by [`module_key`].
    pub modules: HashMap<String, &'static Proto>,
    /// The directory of the main program's file name, as `gene build` saw
    /// it (the base of the modules' keys).
    pub main_dir: PathBuf,
    /// The main program's file name.
    pub main_file: &'static str,
}

impl Embedded {
    pub fn new(
        main: &'static Proto,
        modules: impl IntoIterator<Item = (String, &'static Proto)>,
    ) -> Embedded {
        Embedded {
            modules: modules.into_iter().collect(),
            main_dir: Path::new(main.file)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            main_file: main.file,
        }
    }
}

/// The name a standard module's Protos carry, which is also its key in
/// a built executable's module table and its cache key: `std/NAME.gene`.
pub fn std_name(path: &str) -> String {
    format!("{}.gene", path.strip_suffix(".gene").unwrap_or(path))
}

/// The directory of the running executable.
fn executable_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.parent().map(Path::to_path_buf)
}

/// The directories a relative import from `importer` is looked up in, in
/// order (see the module documentation): beside the importer, then each
/// directory of the environment variable `env`, then the installation's
/// directory.
pub fn search_dirs(importer: &str, embedded: Option<&Embedded>, env: &str) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let importer_dir = Path::new(importer).parent().unwrap_or(Path::new(""));
    match embedded {
        None => {
            // `gene run`: the importing file exists; its directory is where
            // it is (relative names are relative to where `gene run` ran).
            if !importer.is_empty() && !importer.starts_with('<') {
                dirs.push(importer_dir.to_path_buf());
            }
        }
        Some(embedded) => {
            if importer_dir.is_absolute() {
                dirs.push(importer_dir.to_path_buf());
            }
            if let Some(exe_dir) = executable_dir() {
                let below = importer_dir
                    .strip_prefix(&embedded.main_dir)
                    .unwrap_or(Path::new(""));
                dirs.push(exe_dir.join(below));
            }
        }
    }
    if let Some(paths) = std::env::var_os(env) {
        dirs.extend(std::env::split_paths(&paths).filter(|d| !d.as_os_str().is_empty()));
    }
    dirs.extend(executable_dir());
    dirs
}

/// The first existing file `file` names: an absolute path as it is, a
/// relative one in [`search_dirs`].
pub fn find_file(
    file: &str,
    importer: &str,
    embedded: Option<&Embedded>,
    env: &str,
) -> Option<PathBuf> {
    let path = Path::new(file);
    if path.is_absolute() {
        return path.is_file().then(|| path.to_path_buf());
    }
    search_dirs(importer, embedded, env)
        .into_iter()
        .map(|dir| dir.join(path))
        .find(|p| p.is_file())
}

/// The module file a path names (`.gene` appended if absent).
fn resolve(path: &str, importer: &str, embedded: Option<&Embedded>) -> Option<PathBuf> {
    let file = if path.ends_with(".gene") {
        path.to_string()
    } else {
        format!("{path}.gene")
    };
    find_file(&file, importer, embedded, "GENE_PATH").map(|p| p.canonicalize().unwrap_or(p))
}

impl Vm {
    /// The file an import in code of `importer` is relative to: code
    /// without a file of its own (`<eval>`) imports as the innermost
    /// running code that has one, or the main program.
    pub(crate) fn importing_file<'a>(&self, importer: &'a str) -> &'a str {
        if !importer.starts_with('<') {
            return importer;
        }
        self.frames
            .iter()
            .rev()
            .map(|f| f.proto.file)
            .find(|f| !f.starts_with('<'))
            .or(self.embedded.as_ref().map(|e| e.main_file))
            .unwrap_or(importer)
    }

    pub fn import_module(&mut self, path: Value, importer: &str) -> VmResult {
        let text_path = gene_core::print::display(path);
        let importer = self.importing_file(importer);
        let is_std = crate::stdlib::is_std_path(&text_path);
        if let Some(embedded) = &self.embedded {
            let key = if is_std {
                std_name(&text_path)
            } else {
                module_key(&text_path, importer)
            };
            let found = embedded.modules.get(&key).copied();
            if let Some(proto) = found {
                // Cached under the module's own name, which every key of
                // one module leads to.
                let file = PathBuf::from(proto.file);
                if let Some(done) = self.cached_module(&file, &text_path) {
                    return done;
                }
                return self.run_module(file, &text_path, proto);
            }
        }
        let (file, source) = if is_std {
            let name = std_name(&text_path);
            let Some(text) = crate::stdlib::source(&text_path) else {
                let known: Vec<_> = crate::stdlib::names().collect();
                return Err(self.error(
                    ErrorKind::ImportError,
                    format!(
                        "No standard module '{text_path}': the standard modules are {}",
                        known.join(", ")
                    ),
                ));
            };
            (PathBuf::from(name), text.to_string())
        } else {
            let Some(file) = resolve(&text_path, importer, self.embedded.as_ref()) else {
                return Err(self.error(
                    ErrorKind::ImportError,
                    format!(
                        "Failed to read module '{text_path}': no such file beside the importing \
                         file, in GENE_PATH or in the installation's directory"
                    ),
                ));
            };
            if let Some(done) = self.cached_module(&file, &text_path) {
                return done;
            }
            let text = std::fs::read_to_string(&file).map_err(|e| {
                self.error(
                    ErrorKind::ImportError,
                    format!("Failed to read module '{text_path}': {e}"),
                )
            })?;
            (file, text)
        };
        if let Some(done) = self.cached_module(&file, &text_path) {
            return done;
        }
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
        self.run_module(file, &text_path, proto)
    }

    /// The namespace of the module `file` when it has run; an error when it
    /// is still running (the import is circular); `None` when it has not run.
    fn cached_module(&self, file: &Path, text_path: &str) -> Option<VmResult> {
        match self.modules.get(file) {
            Some(ns) if ns.is_nil() => Some(Err(self.error(
                ErrorKind::ImportError,
                format!("circular import of '{text_path}'"),
            ))),
            Some(ns) => Some(Ok(*ns)),
            None => None,
        }
    }

    /// Runs the module `file` (its Proto `proto`) in a namespace of its own.
    fn run_module(&mut self, file: PathBuf, text_path: &str, proto: &'static Proto) -> VmResult {
        self.modules.insert(file.clone(), Value::NIL);
        let ns = new_namespace(text_path, Value::NIL);
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
