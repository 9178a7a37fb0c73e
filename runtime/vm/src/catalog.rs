//! The catalog of the built-in library: every member of the `gene`
//! namespace tree and every method of the built-in classes, by the names
//! `docs/stdlib.md` uses for its entries (the test `tests/stdlib_docs.rs`
//! checks the reference against this list both ways, so it cannot drift).
//!
//! Names: a member of `gene` itself is its bare name (`println`,
//! `cmd_args`); a member of a namespace below it is its full path
//! (`gene/io/read`, `gene/math/pi`); a method is `Class.method`
//! (`String.split`). Classes and namespaces are not entries themselves:
//! their members and methods are. The modules of the standard library
//! written in Gene (`std/test`) contribute `std/NAME/member` for each
//! function or macro they export.

use crate::vm::Vm;
use gene_core::heap::Obj;
use gene_core::Value;
use std::collections::BTreeSet;

impl Vm {
    /// The names of every built-in function, value and method, sorted.
    pub fn builtin_catalog(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        let mut classes_seen = Vec::new();
        walk(self.gene_ns, None, &mut names, &mut classes_seen, 0);
        for class in self.classes.all() {
            methods_of(class, &mut names, &mut classes_seen);
        }
        names.into_iter().collect()
    }

    /// `std/NAME/member` for every function and macro each standard module
    /// exports (classes and namespaces excluded, as above), sorted. Loads
    /// the modules; an error is the one loading a module raised.
    pub fn std_catalog(&mut self) -> Result<Vec<String>, String> {
        let mut names = BTreeSet::new();
        for module in crate::stdlib::names() {
            let ns = self
                .import_module(gene_core::heap::string(module), "")
                .map_err(|e| format!("{module}: {}", self.describe_uncaught(e)))?;
            let Some(Obj::Namespace(n)) = ns.obj() else {
                continue;
            };
            for (name, value) in n.members.borrow().iter() {
                if !matches!(value.obj(), Some(Obj::Namespace(_) | Obj::Class(_))) {
                    names.insert(format!("{module}/{}", name.name()));
                }
            }
        }
        Ok(names.into_iter().collect())
    }
}

/// Namespaces nest only a few levels; this bounds a cycle (a namespace that
/// is a member of itself, e.g. `gene/gene`).
const MAX_DEPTH: usize = 8;

fn walk(
    ns: Value,
    prefix: Option<&str>,
    names: &mut BTreeSet<String>,
    classes_seen: &mut Vec<Value>,
    depth: usize,
) {
    let members = match ns.obj() {
        Some(Obj::Namespace(n)) => n.members.borrow().clone(),
        Some(Obj::Class(c)) => c.ns.members.borrow().clone(),
        _ => return,
    };
    for (name, value) in members {
        let path = match prefix {
            None => name.name().to_string(),
            Some(p) => format!("{p}/{}", name.name()),
        };
        match value.obj() {
            Some(Obj::Namespace(_)) if depth < MAX_DEPTH && value != ns => {
                let nested = match prefix {
                    None => format!("gene/{}", name.name()),
                    Some(_) => path,
                };
                walk(value, Some(&nested), names, classes_seen, depth + 1);
            }
            Some(Obj::Namespace(_)) => {}
            Some(Obj::Class(_)) => {
                methods_of(value, names, classes_seen);
                // Members of the class itself (`gene/File/read`).
                if depth < MAX_DEPTH {
                    let nested = match prefix {
                        None => format!("gene/{}", name.name()),
                        Some(_) => path,
                    };
                    walk(value, Some(&nested), names, classes_seen, depth + 1);
                }
            }
            _ => {
                names.insert(path);
            }
        }
    }
}

/// Adds `Class.method` for each method of `class` (once per class).
fn methods_of(class: Value, names: &mut BTreeSet<String>, classes_seen: &mut Vec<Value>) {
    let Some(Obj::Class(c)) = class.obj() else {
        return;
    };
    if classes_seen.contains(&class) {
        return;
    }
    classes_seen.push(class);
    let class_name = c.ns.name.name();
    for method in c.methods.borrow().keys() {
        names.insert(format!("{class_name}.{}", method.name()));
    }
}

#[cfg(test)]
mod tests {
    use crate::{Vm, VmOptions};

    #[test]
    fn lists_globals_namespaced_functions_and_methods() {
        let vm = Vm::new(VmOptions::default());
        let names = vm.builtin_catalog();
        for expected in ["println", "gene/io/read", "String.split", "Array.map"] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(!names.iter().any(|n| n == "String" || n == "io"));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn lists_the_api_of_std_test() {
        let mut vm = Vm::new(VmOptions::default());
        let names = vm.std_catalog().expect("std/test loads");
        let api = [
            "std/test/assert",
            "std/test/assert_eq",
            "std/test/assert_ne",
            "std/test/assert_raises",
            "std/test/run_tests",
            "std/test/test",
        ];
        assert_eq!(names, api);
    }
}
