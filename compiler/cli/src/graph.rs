//! The static import graph of a program, for a whole-program build.
//!
//! Starting from the main Proto, every `import ... from "literal"` (an
//! `ImportModule` instruction whose path is a constant) names a module:
//! a standard-library module (`std/NAME`, source embedded in the runtime,
//! `gene_vm::stdlib`) or a file found as `gene run` finds it (beside the importing file, in
//! `$GENE_PATH`, in the installation's directory). Each module is read and
//! compiled once (files are identified by their canonical path, which is
//! also the name its Protos carry, as under `gene run`); the module table
//! maps every [`module_key`] an import used to it, so that at run time the
//! executable finds a module from the importing module's name alone. Cycles, missing
//! modules and modules that do not compile are errors located at the
//! importing form.

use gene_core::bytecode::{Instr, Proto};
use gene_frontend::image::{self, module_key, Module};
use gene_reader::{render_diagnostic, Form, FormKind, Span};
use std::path::{Path, PathBuf};

/// One module of the program being built.
struct Node {
    /// The name its Protos carry (and its first key).
    name: String,
    /// The canonical file, or the `std/` path.
    identity: PathBuf,
    proto: &'static Proto,
    source: String,
    /// Still being walked: an import reaching it closes a cycle.
    open: bool,
}

/// An import found in a module's code.
struct Import {
    path: String,
    line: u32,
}

pub struct Graph {
    nodes: Vec<Node>,
    /// The module table: every key an import used, and the node it names.
    keys: Vec<(String, usize)>,
}

impl Graph {
    /// Each module's name and source, the main program first.
    pub fn sources(&self) -> impl Iterator<Item = (&str, &str)> {
        self.nodes
            .iter()
            .map(|n| (n.name.as_str(), n.source.as_str()))
    }

    /// The module table for the image: each key with its module's Proto.
    pub fn modules(&self) -> Vec<Module> {
        self.keys
            .iter()
            .map(|(key, node)| Module {
                key: key.clone(),
                proto: self.nodes[*node].proto,
            })
            .collect()
    }
}

/// Walks the imports of the program `main` (compiled from `source`, named
/// `name`) and compiles every module it reaches; the error is a rendered
/// diagnostic.
pub fn build(main: &'static Proto, name: &str, source: &str) -> Result<Graph, String> {
    let mut graph = Graph {
        nodes: vec![Node {
            name: name.to_string(),
            identity: canonical(Path::new(name)),
            proto: main,
            source: source.to_string(),
            open: true,
        }],
        keys: Vec::new(),
    };
    walk(&mut graph, 0)?;
    Ok(graph)
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// Visits the imports of node `index`, depth first, in the order of its
/// code.
fn walk(graph: &mut Graph, index: usize) -> Result<(), String> {
    let importer = graph.nodes[index].name.clone();
    for import in imports_of(graph.nodes[index].proto) {
        let key = if gene_vm::stdlib::is_std_path(&import.path) {
            gene_vm::modules::std_name(&import.path)
        } else {
            module_key(&import.path, &importer)
        };
        let at = |graph: &Graph, message: String| {
            let node = &graph.nodes[index];
            let span = import_span(&node.source, &import.path, import.line);
            render_diagnostic(&node.name, &node.source, span, &message)
        };
        let (identity, name, source) = match locate(&import.path, &importer, &key) {
            Ok(Some(found)) => found,
            Ok(None) => continue,
            Err(message) => return Err(at(graph, message)),
        };
        if let Some(existing) = graph.nodes.iter().position(|n| n.identity == identity) {
            if graph.nodes[existing].open {
                let chain = cycle(graph, existing);
                return Err(at(
                    graph,
                    format!(
                        "import cycle: {chain} -> {}; a module cannot import itself, \
                         even through others",
                        graph.nodes[existing].name
                    ),
                ));
            }
            add_key(graph, key, existing);
            continue;
        }
        let proto = match compile_module(&name, &source) {
            Ok(p) => p,
            Err(message) => {
                return Err(at(
                    graph,
                    format!("cannot import \"{}\": {message}", import.path),
                ))
            }
        };
        graph.nodes.push(Node {
            name,
            identity,
            proto,
            source,
            open: true,
        });
        let node = graph.nodes.len() - 1;
        add_key(graph, key, node);
        walk(graph, node)?;
        graph.nodes[node].open = false;
    }
    Ok(())
}

fn add_key(graph: &mut Graph, key: String, node: usize) {
    if !graph.keys.iter().any(|(k, _)| *k == key) {
        graph.keys.push((key, node));
    }
}

/// `a.gene -> b.gene -> ...`: the open modules from `from` on (the current
/// chain of imports).
fn cycle(graph: &Graph, from: usize) -> String {
    let chain: Vec<&str> = graph.nodes[from..]
        .iter()
        .filter(|n| n.open)
        .map(|n| n.name.as_str())
        .collect();
    chain.join(" -> ")
}

/// The module an import names: its identity, the name its Protos get, and
/// its source.
/// `None` for an unknown standard module, which is left to fail at run
/// time.
fn locate(
    path: &str,
    importer: &str,
    key: &str,
) -> Result<Option<(PathBuf, String, String)>, String> {
    if gene_vm::stdlib::is_std_path(path) {
        let name = gene_vm::modules::std_name(path);
        return match gene_vm::stdlib::source(path) {
            Some(source) => Ok(Some((PathBuf::from(&name), name, source.to_string()))),
            // The executable's runtime has the same table: the import
            // raises the same ImportError there as under `gene run`.
            None => Ok(None),
        };
    }
    let file = if path.ends_with(".gene") {
        path.to_string()
    } else {
        format!("{path}.gene")
    };
    let found =
        gene_vm::modules::find_file(&file, importer, None, "GENE_PATH").ok_or_else(|| {
            format!(
                "cannot import \"{path}\": {key} does not exist (looked beside the importing \
             file, in GENE_PATH and in the installation's directory)"
            )
        })?;
    let identity = canonical(&found);
    // Named by its canonical path, as `gene run` names it (backtraces are
    // the same in both tiers); the module table's keys are computed from
    // these names, at build time as at run time.
    let name = identity.display().to_string();
    let bytes = std::fs::read(&found).map_err(|e| {
        format!(
            "cannot import \"{path}\": cannot read {}: {e}",
            found.display()
        )
    })?;
    Ok(Some((
        identity,
        name,
        String::from_utf8_lossy(&bytes).into_owned(),
    )))
}

/// Reads and compiles a module; the error names the module's own location.
fn compile_module(name: &str, source: &str) -> Result<&'static Proto, String> {
    let forms = gene_reader::read_all(source).map_err(|e| {
        format!(
            "{name}:{}:{}: ParseError: {}",
            e.span.line, e.span.col, e.message
        )
    })?;
    gene_frontend::compile_program(&forms, name)
        .map_err(|e| format!("{name}:{}:{}: {}", e.span.line, e.span.col, e.message))
}

/// The imports with a literal path in `root` and every Proto nested in it,
/// in pre-order and code order.
fn imports_of(root: &'static Proto) -> Vec<Import> {
    let mut found = Vec::new();
    for proto in image::protos_preorder(root) {
        for (pc, instr) in proto.code.iter().enumerate() {
            if !matches!(instr, Instr::ImportModule) {
                continue;
            }
            let Some(Instr::Const(c)) = pc.checked_sub(1).and_then(|p| proto.code.get(p)) else {
                continue;
            };
            let Some(path) = proto.consts.get(*c as usize).and_then(|v| v.as_str()) else {
                continue;
            };
            found.push(Import {
                path: path.to_string(),
                line: proto.lines.get(pc).copied().unwrap_or(0),
            });
        }
    }
    found
}

/// Where the `(import ... from "path")` on `line` starts, for the
/// diagnostic; the start of the line when it cannot be found.
fn import_span(source: &str, path: &str, line: u32) -> Span {
    let fallback = Span {
        start: 0,
        end: 0,
        line,
        col: 1,
    };
    let Ok(forms) = gene_reader::read_all(source) else {
        return fallback;
    };
    let mut pending: Vec<&Form> = forms.iter().collect();
    while let Some(form) = pending.pop() {
        match &form.kind {
            FormKind::Gene {
                head,
                props,
                children,
            } => {
                let is_it = head.is_symbol("import")
                    && form.span.line == line
                    && children
                        .iter()
                        .any(|c| matches!(&c.kind, FormKind::Str(s) if s == path));
                if is_it {
                    return form.span;
                }
                pending.push(head);
                pending.extend(props.iter().map(|(_, v)| v));
                pending.extend(children.iter());
            }
            FormKind::Array(items) | FormKind::Set(items) => pending.extend(items.iter()),
            FormKind::Map(entries) => pending.extend(entries.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    fallback
}
