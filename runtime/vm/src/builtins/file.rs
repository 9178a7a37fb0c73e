//! Files (spec 07 §7.3): the `File` class and its methods, `gene/fs/open`,
//! the standard streams `gene/io/stdin`, `gene/io/stdout` and
//! `gene/io/stderr`, and lines of a File for `for`.
//!
//! Reading is buffered and streaming: a line is returned as soon as it is
//! available, and a file larger than memory can be read line by line. The
//! standard streams go through the process-wide buffers of
//! [`crate::stdio`], so `gene/io/stdout` and `print` share one buffer.
//! Files opened for writing are registered (weakly) so that
//! [`flush_open_files`] writes them out at exit and before a command runs;
//! an unreachable File is closed by the collector (its buffer flushed).
//!
//! Decisions beyond the spec: `.close` of a closed File is allowed and does
//! nothing; a line is text, so bytes that are not UTF-8 raise `IOError`;
//! `.flush` of a File opened for reading does nothing; reading a File
//! opened for writing (or writing one opened for reading) raises `IOError`.

use super::{arg, fs::path_arg};
use crate::errors::VmResult;
use crate::stdio::{self, os_reason};
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::print::display;
use gene_core::stream::{FileObj, SharedWriter, Stream, WriterCell};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::RefCell;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::rc::{Rc, Weak};

/// Bytes a File reads or writes at once.
const FILE_BUFFER: usize = 64 << 10;

thread_local! {
    /// Every File opened for writing that may still be open, by name.
    static OPEN_WRITERS: RefCell<Vec<(String, Weak<WriterCell>)>> =
        const { RefCell::new(Vec::new()) };
}

pub fn install(vm: &mut Vm) {
    let class = vm.classes.file;
    let methods: [(&str, super::NativeFn); 8] = [
        ("read_line", read_line),
        ("read_all", read_all),
        ("lines", lines),
        ("each_line", each_line),
        ("write", write),
        ("write_line", write_line),
        ("flush", flush),
        ("close", close),
    ];
    for (name, f) in methods {
        vm.def_method(class, name, f);
    }
    let io = vm.builtin_namespace("io");
    for (name, stream) in [
        ("stdin", Stream::Stdin),
        ("stdout", Stream::Stdout),
        ("stderr", Stream::Stderr),
    ] {
        let file = new_file(name, stream);
        vm.define_member(io, Symbol::intern(name), file);
    }
    let fs = vm.builtin_namespace("fs");
    vm.def_fn_in(fs, "open", open);
}

fn new_file(name: &str, stream: Stream) -> Value {
    heap::alloc(Obj::File(Box::new(FileObj::new(name, stream))))
}

/// `gene/fs/open path [mode]`: mode `"r"` (default), `"w"` or `"a"`.
fn open(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/fs/open";
    let path = path_arg(vm, args, 0, WHO)?;
    let mode = match arg(args, 1) {
        m if m.is_nil() => "r".to_string(),
        m => match m.as_str() {
            Some(s) => s.to_string(),
            None => {
                return Err(vm.bad_argument(
                    &format!("{WHO}: expected a mode String (\"r\", \"w\" or \"a\")"),
                    m,
                ))
            }
        },
    };
    let failed = |e: std::io::Error| {
        vm.error(
            ErrorKind::IOError,
            format!("{WHO}: Failed to open '{path}': {}", os_reason(&e)),
        )
    };
    let stream = match mode.as_str() {
        "r" => {
            let file = std::fs::File::open(&path).map_err(failed)?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(failed(std::io::Error::from_raw_os_error(libc::EISDIR)));
            }
            Stream::Reader(BufReader::with_capacity(FILE_BUFFER, file))
        }
        "w" | "a" => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(mode == "w")
                .append(mode == "a")
                .open(&path)
                .map_err(failed)?;
            let writer: SharedWriter = Rc::new(RefCell::new(Some(BufWriter::with_capacity(
                FILE_BUFFER,
                file,
            ))));
            OPEN_WRITERS.with(|open| {
                let mut open = open.borrow_mut();
                open.retain(|(_, w)| w.strong_count() > 0);
                open.push((path.clone(), Rc::downgrade(&writer)));
            });
            Stream::Writer(writer)
        }
        other => {
            return Err(vm.error(
                ErrorKind::ArgumentError,
                format!("{WHO}: mode must be \"r\", \"w\" or \"a\", got {other:?}"),
            ))
        }
    };
    Ok(new_file(&path, stream))
}

/// Writes out every File opened for writing that is still open; the first
/// failure's message.
pub fn flush_open_files() -> Result<(), String> {
    OPEN_WRITERS.with(|open| {
        let mut first = Ok(());
        open.borrow_mut().retain(|(name, weak)| {
            let Some(writer) = weak.upgrade() else {
                return false;
            };
            if let Some(w) = writer.borrow_mut().as_mut() {
                if let Err(e) = w.flush() {
                    if first.is_ok() {
                        first = Err(format!("Failed to write '{name}': {}", os_reason(&e)));
                    }
                }
            }
            true
        });
        first
    })
}

/// The receiver as a File.
fn file_of(vm: &Vm, this: Value, method: &str) -> VmResult<&'static FileObj> {
    match this.obj() {
        Some(Obj::File(f)) => Ok(f),
        _ => Err(vm.bad_receiver(method, "File", this)),
    }
}

fn closed(vm: &Vm, who: &str) -> Value {
    vm.error(ErrorKind::IOError, format!("{who}: File is closed"))
}

fn io_error(vm: &Vm, who: &str, doing: &str, file: &FileObj, e: &std::io::Error) -> Value {
    vm.error(
        ErrorKind::IOError,
        format!("{who}: Failed to {doing} '{}': {}", file.name, os_reason(e)),
    )
}

fn wrong_direction(vm: &Vm, who: &str, file: &FileObj, direction: &str) -> Value {
    vm.error(
        ErrorKind::IOError,
        format!("{who}: '{}' is not open for {direction}", file.name),
    )
}

fn text_of(vm: &Vm, who: &str, file: &FileObj, bytes: Vec<u8>) -> VmResult<String> {
    String::from_utf8(bytes).map_err(|_| {
        vm.error(
            ErrorKind::IOError,
            format!("{who}: '{}' holds bytes that are not UTF-8 text", file.name),
        )
    })
}

/// The next line of `file` without its `\n` (and a `\r` before it), or
/// `None` at its end.
pub(crate) fn next_line(vm: &Vm, file: &FileObj, who: &str) -> VmResult<Option<String>> {
    let mut bytes = Vec::new();
    let read = match &mut *file.stream.borrow_mut() {
        Stream::Stdin => stdio::read_stdin_line(&mut bytes),
        Stream::Reader(r) => r.read_until(b'\n', &mut bytes),
        Stream::Closed => return Err(closed(vm, who)),
        Stream::Stdout | Stream::Stderr | Stream::Writer(_) => {
            return Err(wrong_direction(vm, who, file, "reading"))
        }
    };
    if read.map_err(|e| io_error(vm, who, "read", file, &e))? == 0 {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    text_of(vm, who, file, bytes).map(Some)
}

/// For `for x in file`: the next line as a value, or `None` at the end.
pub(crate) fn next_line_value(vm: &Vm, coll: Value) -> VmResult<Option<Value>> {
    let file = file_of(vm, coll, "for")?;
    Ok(next_line(vm, file, "for")?.map(heap::string))
}

/// What `for` iterates over a File: the File itself, when it can be read.
pub(crate) fn iteration_source(vm: &Vm, coll: Value, file: &FileObj) -> VmResult {
    match &*file.stream.borrow() {
        Stream::Stdin | Stream::Reader(_) => Ok(coll),
        Stream::Closed => Err(closed(vm, "for")),
        _ => Err(wrong_direction(vm, "for", file, "reading")),
    }
}

fn read_line(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let file = file_of(vm, this, ".read_line")?;
    Ok(next_line(vm, file, ".read_line")?.map_or(Value::NIL, heap::string))
}

fn read_all(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = ".read_all";
    let file = file_of(vm, this, WHO)?;
    let mut bytes = Vec::new();
    let read = match &mut *file.stream.borrow_mut() {
        Stream::Stdin => stdio::read_stdin_to_end(&mut bytes),
        Stream::Reader(r) => r.read_to_end(&mut bytes),
        Stream::Closed => return Err(closed(vm, WHO)),
        _ => return Err(wrong_direction(vm, WHO, file, "reading")),
    };
    read.map_err(|e| io_error(vm, WHO, "read", file, &e))?;
    Ok(heap::string(text_of(vm, WHO, file, bytes)?))
}

fn lines(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let file = file_of(vm, this, ".lines")?;
    let mut out = Vec::new();
    while let Some(line) = next_line(vm, file, ".lines")? {
        out.push(heap::string(line));
    }
    Ok(heap::array(out))
}

fn each_line(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = ".each_line";
    let file = file_of(vm, this, WHO)?;
    let f = arg(args, 0);
    if !matches!(
        f.obj(),
        Some(Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(_))
    ) {
        return Err(vm.bad_argument(&format!("{WHO}: expected a function"), f));
    }
    while let Some(line) = next_line(vm, file, WHO)? {
        vm.call_value(f, &[heap::string(line)])?;
    }
    Ok(Value::NIL)
}

/// Writes `text` to `file`.
fn write_text(vm: &Vm, who: &str, file: &FileObj, text: &str) -> VmResult<()> {
    match &*file.stream.borrow() {
        Stream::Stdout => vm.print_out(who, text),
        Stream::Stderr => {
            stdio::write_stderr(text.as_bytes()).map_err(|e| io_error(vm, who, "write", file, &e))
        }
        Stream::Writer(w) => match w.borrow_mut().as_mut() {
            Some(w) => w
                .write_all(text.as_bytes())
                .map_err(|e| io_error(vm, who, "write", file, &e)),
            None => Err(closed(vm, who)),
        },
        Stream::Closed => Err(closed(vm, who)),
        Stream::Stdin | Stream::Reader(_) => Err(wrong_direction(vm, who, file, "writing")),
    }
}

fn write(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let file = file_of(vm, this, ".write")?;
    let text: String = args.iter().map(|a| display(*a)).collect();
    write_text(vm, ".write", file, &text)?;
    Ok(Value::NIL)
}

fn write_line(vm: &mut Vm, this: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let file = file_of(vm, this, ".write_line")?;
    let mut text: String = args.iter().map(|a| display(*a)).collect();
    text.push('\n');
    write_text(vm, ".write_line", file, &text)?;
    Ok(Value::NIL)
}

fn flush(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = ".flush";
    let file = file_of(vm, this, WHO)?;
    let flushed = match &*file.stream.borrow() {
        Stream::Stdout => stdio::flush_stdout(),
        Stream::Writer(w) => match w.borrow_mut().as_mut() {
            Some(w) => w.flush(),
            None => return Err(closed(vm, WHO)),
        },
        Stream::Closed => return Err(closed(vm, WHO)),
        Stream::Stdin | Stream::Stderr | Stream::Reader(_) => Ok(()),
    };
    flushed.map_err(|e| io_error(vm, WHO, "write", file, &e))?;
    Ok(Value::NIL)
}

fn close(vm: &mut Vm, this: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = ".close";
    let file = file_of(vm, this, WHO)?;
    let previous = std::mem::replace(&mut *file.stream.borrow_mut(), Stream::Closed);
    let flushed = match previous {
        Stream::Stdout => stdio::flush_stdout(),
        Stream::Writer(w) => match w.borrow_mut().take() {
            Some(mut w) => w.flush(),
            None => Ok(()),
        },
        _ => Ok(()),
    };
    flushed.map_err(|e| io_error(vm, WHO, "write", file, &e))?;
    Ok(Value::NIL)
}
