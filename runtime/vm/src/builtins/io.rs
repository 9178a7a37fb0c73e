//! Files and processes (spec 04 §4.3): `gene/io/read`, `gene/io/write`,
//! their `_async` forms, the older `gene/File/read` / `gene/File/write`
//! aliases, and `gene/os/exec`.
//!
//! Failures raise `IOError` ("Failed to read file 'p': ..."); the `_async`
//! forms return a failed future holding that message instead. `write`
//! writes the display form of its content.

use super::arg;
use crate::errors::VmResult;
use crate::interp::new_future;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::{FutureState, PropMap};
use gene_core::print::display;
use gene_core::{ErrorKind, Value};

pub fn install(vm: &mut Vm) {
    for ns in ["io", "File"] {
        let ns = vm.builtin_namespace(ns);
        vm.def_fn_in(ns, "read", read);
        vm.def_fn_in(ns, "write", write);
    }
    let io = vm.builtin_namespace("io");
    vm.def_fn_in(io, "read_async", |vm, _, args, _| {
        Ok(match read_file(vm, arg(args, 0)) {
            Ok(text) => new_future(FutureState::Success, heap::string(text)),
            Err(message) => new_future(FutureState::Failure, heap::string(message)),
        })
    });
    vm.def_fn_in(io, "write_async", |vm, _, args, _| {
        Ok(match write_file(vm, arg(args, 0), arg(args, 1)) {
            Ok(()) => new_future(FutureState::Success, Value::NIL),
            Err(message) => new_future(FutureState::Failure, heap::string(message)),
        })
    });
    let os = vm.builtin_namespace("os");
    vm.def_fn_in(os, "exec", exec);
}

fn read(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    read_file(vm, arg(args, 0))
        .map(heap::string)
        .map_err(|message| vm.error(ErrorKind::IOError, message))
}

fn write(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    write_file(vm, arg(args, 0), arg(args, 1))
        .map(|()| Value::NIL)
        .map_err(|message| vm.error(ErrorKind::IOError, message))
}

/// The file's contents, or the failure message.
fn read_file(vm: &Vm, path: Value) -> Result<String, String> {
    let path = path_of(path)?;
    vm.flush();
    std::fs::read_to_string(&path).map_err(|e| format!("Failed to read file '{path}': {e}"))
}

fn write_file(vm: &Vm, path: Value, content: Value) -> Result<(), String> {
    let path = path_of(path)?;
    vm.flush();
    std::fs::write(&path, display(content))
        .map_err(|e| format!("Failed to write file '{path}': {e}"))
}

fn path_of(v: Value) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| {
        format!(
            "A file path must be a string, got {}",
            gene_core::print::type_name(v)
        )
    })
}

/// `gene/os/exec cmd`: runs `cmd` with `sh -c`; returns its stdout.
fn exec(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let cmd = arg(args, 0);
    let Some(cmd) = cmd.as_str() else {
        return Err(vm.bad_argument("os/exec needs a command string", cmd));
    };
    vm.flush();
    match std::process::Command::new("sh").arg("-c").arg(cmd).output() {
        Ok(out) => Ok(heap::string(String::from_utf8_lossy(&out.stdout))),
        Err(e) => Err(vm.error(
            ErrorKind::IOError,
            format!("Failed to run command '{cmd}': {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::builtins::eval_for_test as eval;

    #[test]
    fn write_then_read() {
        let dir = std::env::temp_dir().join(format!("gene-io-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("x.txt");
        let p = path.display();
        assert_eq!(
            eval(&format!(
                "(gene/io/write \"{p}\" [1 \"a\"]) (gene/io/read \"{p}\")"
            )),
            r#""[1 a]""#
        );
        assert_eq!(
            eval(&format!(
                "(await (gene/io/write_async \"{p}\" 5)) (gene/File/read \"{p}\")"
            )),
            r#""5""#
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_files() {
        let out = eval(r#"(gene/io/read "/nonexistent/gene/file")"#);
        assert!(
            out.starts_with("Error: IOError: Failed to read file '/nonexistent/gene/file': "),
            "{out}"
        );
        let out = eval(r#"((gene/io/read_async "/nonexistent/gene/file") .state)"#);
        assert_eq!(out, "failure");
    }

    #[test]
    fn exec_returns_stdout() {
        assert_eq!(eval(r#"(gene/os/exec "echo hi")"#), "\"hi\\n\"");
    }
}
