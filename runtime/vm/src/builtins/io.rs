//! The asynchronous file functions of spec 04 §4.3: `gene/io/read_async`
//! and `gene/io/write_async`. (`gene/io/read` and `gene/io/write` are
//! `gene/fs/read` and `gene/fs/write`, see `fs.rs`; the standard streams
//! `gene/io/stdin`, `stdout`, `stderr` are Files, see `file.rs`.)
//!
//! They complete at once: a failure gives a failed future holding the
//! message ("Failed to read file 'p': ...") rather than raising. `write`
//! writes the display form of its content.

use super::arg;
use crate::interp::new_future;
use crate::stdio::os_reason;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::FutureState;
use gene_core::print::display;
use gene_core::Value;

pub fn install(vm: &mut Vm) {
    let io = vm.builtin_namespace("io");
    vm.def_fn_in(io, "read_async", |_, _, args, _| {
        Ok(match read_file(arg(args, 0)) {
            Ok(text) => new_future(FutureState::Success, heap::string(text)),
            Err(message) => new_future(FutureState::Failure, heap::string(message)),
        })
    });
    vm.def_fn_in(io, "write_async", |_, _, args, _| {
        Ok(match write_file(arg(args, 0), arg(args, 1)) {
            Ok(()) => new_future(FutureState::Success, Value::NIL),
            Err(message) => new_future(FutureState::Failure, heap::string(message)),
        })
    });
}

/// The file's contents, or the failure message.
fn read_file(path: Value) -> Result<String, String> {
    let path = path_of(path)?;
    std::fs::read_to_string(&path)
        .map_err(|e| format!("Failed to read file '{path}': {}", os_reason(&e)))
}

fn write_file(path: Value, content: Value) -> Result<(), String> {
    let path = path_of(path)?;
    std::fs::write(&path, display(content))
        .map_err(|e| format!("Failed to write file '{path}': {}", os_reason(&e)))
}

fn path_of(v: Value) -> Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| {
        format!(
            "A file path must be a string, got {}",
            gene_core::print::type_name(v)
        )
    })
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
        assert_eq!(
            out,
            "Error: IOError: gene/fs/read: Failed to read '/nonexistent/gene/file': No such file or directory"
        );
        let out = eval(r#"((gene/io/read_async "/nonexistent/gene/file") .state)"#);
        assert_eq!(out, "failure");
    }

    #[test]
    fn exec_returns_stdout() {
        assert_eq!(eval(r#"(gene/os/exec "echo hi")"#), "\"hi\\n\"");
    }
}
