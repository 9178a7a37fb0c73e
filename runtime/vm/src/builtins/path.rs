//! Paths (spec 07 §7.3): `gene/path/...`, computed on the text of the path
//! (only `absolute` and `cwd` look at the process's working directory).
//!
//! Decisions beyond the spec: `join` follows the platform's rule that an
//! absolute part replaces what came before (`(join "a" "/b")` ⇒ `"/b"`);
//! `basename` and `stem` of a path ending in `/` name its last component;
//! `dirname` of a bare name is `"."` and of `/` is `/`; `extension` and
//! `stem` treat a leading dot as part of the name (`".bashrc"` has no
//! extension); `absolute` also resolves `.` and `..` on the text, without
//! following symbolic links; a path that is not UTF-8 (from the system) is
//! shown with replacement characters.

use super::fs::path_arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::{ErrorKind, Value};
use std::path::{Component, Path, PathBuf};

pub fn install(vm: &mut Vm) {
    let path = vm.builtin_namespace("path");
    let functions: [(&str, super::NativeFn); 7] = [
        ("join", join),
        ("basename", basename),
        ("dirname", dirname),
        ("extension", extension),
        ("stem", stem),
        ("absolute", absolute),
        ("cwd", cwd),
    ];
    for (name, f) in functions {
        vm.def_fn_in(path, name, f);
    }
}

fn text(p: &Path) -> Value {
    heap::string(p.to_string_lossy())
}

/// `join a b...`: at least one part.
fn join(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/path/join";
    if args.is_empty() {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!("{WHO}: expected one or more String parts, got none"),
        ));
    }
    let mut out = PathBuf::new();
    for i in 0..args.len() {
        out.push(path_arg(vm, args, i, WHO)?);
    }
    Ok(text(&out))
}

fn basename(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let p = path_arg(vm, args, 0, "gene/path/basename")?;
    Ok(heap::string(
        Path::new(&p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

fn dirname(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let p = path_arg(vm, args, 0, "gene/path/dirname")?;
    Ok(match Path::new(&p).parent() {
        Some(parent) if parent.as_os_str().is_empty() => heap::string("."),
        Some(parent) => text(parent),
        None if p.starts_with('/') => heap::string("/"),
        None => heap::string("."),
    })
}

fn extension(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let p = path_arg(vm, args, 0, "gene/path/extension")?;
    Ok(heap::string(
        Path::new(&p)
            .extension()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

fn stem(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let p = path_arg(vm, args, 0, "gene/path/stem")?;
    Ok(heap::string(
        Path::new(&p)
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    ))
}

/// `path` with `.` and `..` resolved on its text.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_root = matches!(out.components().next_back(), Some(Component::RootDir));
                let at_start = out.as_os_str().is_empty()
                    || matches!(out.components().next_back(), Some(Component::ParentDir));
                if at_start && !at_root {
                    out.push("..");
                } else if !at_root {
                    out.pop();
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn current_dir(vm: &Vm, who: &str) -> VmResult<PathBuf> {
    std::env::current_dir().map_err(|e| {
        vm.error(
            ErrorKind::IOError,
            format!(
                "{who}: Failed to read the working directory: {}",
                crate::stdio::os_reason(&e)
            ),
        )
    })
}

fn absolute(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/path/absolute";
    let p = path_arg(vm, args, 0, WHO)?;
    let p = Path::new(&p);
    let full = if p.is_absolute() {
        p.to_path_buf()
    } else {
        current_dir(vm, WHO)?.join(p)
    };
    Ok(text(&lexically_normal(&full)))
}

fn cwd(vm: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(text(&current_dir(vm, "gene/path/cwd")?))
}
