//! The file system (spec 07 §7.3): `gene/fs/...` and the older aliases
//! `gene/io/read`, `gene/io/write` (spec 04 §4.3) and `gene/File/read`,
//! `gene/File/write`, which are the same functions.
//!
//! Every failure raises `IOError` naming the function, the path and the
//! operating system's reason: `gene/fs/read: Failed to read 'x.txt': No
//! such file or directory`. A path that is not a String is an
//! `ArgumentError`.
//!
//! Decisions beyond the spec: `write` and `append` write the display form
//! of any value (as `print` does); `read` and `read_lines` of bytes that
//! are not UTF-8 raise `IOError`; `size` of a directory is what the system
//! reports for it; `copy` copies a file's contents and permissions, not a
//! directory.

use super::arg;
use crate::errors::VmResult;
use crate::stdio::os_reason;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::PropMap;
use gene_core::print::display;
use gene_core::{ErrorKind, Symbol, Value};
use std::io::Write;

pub fn install(vm: &mut Vm) {
    let fs = vm.builtin_namespace("fs");
    let functions: [(&str, super::NativeFn); 15] = [
        ("read", read),
        ("write", write),
        ("append", append),
        ("read_lines", read_lines),
        ("exists", exists),
        ("is_file", is_file),
        ("is_dir", is_dir),
        ("list_dir", list_dir),
        ("mkdir", mkdir),
        ("remove", remove),
        ("remove_all", remove_all),
        ("rename", rename),
        ("copy", copy),
        ("size", size),
        ("modified", modified),
    ];
    for (name, f) in functions {
        vm.def_fn_in(fs, name, f);
    }
    // The older names are the same function values.
    let io = vm.builtin_namespace("io");
    let file_class = vm.classes.file;
    for name in ["read", "write"] {
        let symbol = Symbol::intern(name);
        if let Some(f) = crate::names::namespace_of(fs).and_then(|ns| ns.get(symbol)) {
            vm.define_member(io, symbol, f);
            vm.define_member(file_class, symbol, f);
        }
    }
}

/// Positional argument `i` as a path: a String, else an `ArgumentError`
/// naming `who`.
pub(crate) fn path_arg(vm: &Vm, args: &[Value], i: usize, who: &str) -> VmResult<String> {
    let v = arg(args, i);
    match v.as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(vm.bad_argument(&format!("{who}: expected a String path"), v)),
    }
}

/// An `IOError`: `who: Failed to <doing> 'path': reason`.
pub(crate) fn fs_error(vm: &Vm, who: &str, doing: &str, path: &str, e: &std::io::Error) -> Value {
    vm.error(
        ErrorKind::IOError,
        format!("{who}: Failed to {doing} '{path}': {}", os_reason(e)),
    )
}

/// The text of the file at `path`.
fn read_text(vm: &Vm, who: &str, path: &str) -> VmResult<String> {
    let bytes = std::fs::read(path).map_err(|e| fs_error(vm, who, "read", path, &e))?;
    String::from_utf8(bytes).map_err(|_| {
        vm.error(
            ErrorKind::IOError,
            format!("{who}: '{path}' holds bytes that are not UTF-8 text"),
        )
    })
}

fn read(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/read";
    let path = path_arg(vm, args, 0, WHO)?;
    Ok(heap::string(read_text(vm, WHO, &path)?))
}

/// The lines of `text` as `String.lines` splits them (spec 07 §7.2).
pub(crate) fn split_lines(text: &str) -> Vec<Value> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    body.split('\n')
        .map(|line| heap::string(line.strip_suffix('\r').unwrap_or(line)))
        .collect()
}

fn read_lines(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/read_lines";
    let path = path_arg(vm, args, 0, WHO)?;
    let text = read_text(vm, WHO, &path)?;
    Ok(heap::array(split_lines(&text)))
}

fn write(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/write";
    let path = path_arg(vm, args, 0, WHO)?;
    std::fs::write(&path, display(arg(args, 1)))
        .map_err(|e| fs_error(vm, WHO, "write", &path, &e))?;
    Ok(Value::NIL)
}

fn append(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/append";
    let path = path_arg(vm, args, 0, WHO)?;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(display(arg(args, 1)).as_bytes()))
        .map_err(|e| fs_error(vm, WHO, "append to", &path, &e))?;
    Ok(Value::NIL)
}

fn exists(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let path = path_arg(vm, args, 0, "gene/fs/exists")?;
    Ok(Value::bool(std::fs::metadata(path).is_ok()))
}

fn is_file(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let path = path_arg(vm, args, 0, "gene/fs/is_file")?;
    Ok(Value::bool(
        std::fs::metadata(path).is_ok_and(|m| m.is_file()),
    ))
}

fn is_dir(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let path = path_arg(vm, args, 0, "gene/fs/is_dir")?;
    Ok(Value::bool(
        std::fs::metadata(path).is_ok_and(|m| m.is_dir()),
    ))
}

/// The names in a directory, sorted by their bytes (spec 07 §7.11).
fn list_dir(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/list_dir";
    let path = path_arg(vm, args, 0, WHO)?;
    let failed = |e: std::io::Error| fs_error(vm, WHO, "list", &path, &e);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&path).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(heap::array(names.into_iter().map(heap::string).collect()))
}

fn mkdir(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/mkdir";
    let path = path_arg(vm, args, 0, WHO)?;
    std::fs::create_dir_all(&path).map_err(|e| fs_error(vm, WHO, "create directory", &path, &e))?;
    Ok(Value::NIL)
}

/// `remove path`: a file (or link), or an empty directory.
fn remove(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/remove";
    let path = path_arg(vm, args, 0, WHO)?;
    let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
    let removed = if is_dir {
        std::fs::remove_dir(&path)
    } else {
        std::fs::remove_file(&path)
    };
    removed.map_err(|e| fs_error(vm, WHO, "remove", &path, &e))?;
    Ok(Value::NIL)
}

/// `remove_all path`: a file, or a directory with everything in it.
fn remove_all(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/remove_all";
    let path = path_arg(vm, args, 0, WHO)?;
    let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
    let removed = if is_dir {
        std::fs::remove_dir_all(&path)
    } else {
        std::fs::remove_file(&path)
    };
    removed.map_err(|e| fs_error(vm, WHO, "remove", &path, &e))?;
    Ok(Value::NIL)
}

fn rename(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/rename";
    let from = path_arg(vm, args, 0, WHO)?;
    let to = path_arg(vm, args, 1, WHO)?;
    std::fs::rename(&from, &to)
        .map_err(|e| fs_error(vm, WHO, &format!("rename '{from}' to"), &to, &e))?;
    Ok(Value::NIL)
}

fn copy(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/copy";
    let from = path_arg(vm, args, 0, WHO)?;
    let to = path_arg(vm, args, 1, WHO)?;
    std::fs::copy(&from, &to)
        .map_err(|e| fs_error(vm, WHO, &format!("copy '{from}' to"), &to, &e))?;
    Ok(Value::NIL)
}

fn size(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/size";
    let path = path_arg(vm, args, 0, WHO)?;
    let meta = std::fs::metadata(&path).map_err(|e| fs_error(vm, WHO, "read", &path, &e))?;
    Ok(Value::int(meta.len() as i64))
}

/// `modified path`: the last modification time, a DateTime in the local
/// zone.
fn modified(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/modified";
    let path = path_arg(vm, args, 0, WHO)?;
    let time = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .map_err(|e| fs_error(vm, WHO, "read", &path, &e))?;
    super::datetime_from_system_time(vm, time)
}
