//! The payload of a File value (spec 07 §7.3): an open stream.
//!
//! A File is a file opened by `gene/fs/open`, or one of the process's
//! standard streams. Files opened by the program own their buffered reader
//! or writer here; the standard streams only name themselves, because their
//! buffers are process-wide and shared with `print`/`println` (the VM owns
//! them). A writer is shared through an `Rc` so that the VM can flush every
//! open writer at exit and before it runs a command, without keeping the
//! File alive: the collector drops the payload of an unreachable File, which
//! closes it (a `BufWriter` flushes when dropped).
//!
//! Architecture invariant: nothing here knows the VM; reading, writing and
//! their errors are the VM's business (`gene-vm`'s `builtins/file.rs`).

use std::cell::RefCell;
use std::io::{BufReader, BufWriter};
use std::rc::Rc;

/// The buffered writer of a File opened for writing or appending; `None`
/// once closed.
pub type WriterCell = RefCell<Option<BufWriter<std::fs::File>>>;

/// A File's writer, shared with the VM's list of open writers.
pub type SharedWriter = Rc<WriterCell>;

/// An open (or closed) stream.
pub struct FileObj {
    /// The path it was opened with, or `stdin`/`stdout`/`stderr`: its
    /// display form and the name its errors give.
    pub name: String,
    pub stream: RefCell<Stream>,
    /// Bytes of its read or write buffer, counted by the collector so that
    /// abandoned Files are collected (and closed) before descriptors or
    /// memory run out.
    pub buffer_bytes: usize,
}

/// What a File reads from or writes to.
pub enum Stream {
    /// The process's standard input, through the VM's one shared buffer.
    Stdin,
    /// The process's standard output, through the buffer `print` uses.
    Stdout,
    /// The process's standard error (unbuffered).
    Stderr,
    /// A file opened for reading.
    Reader(BufReader<std::fs::File>),
    /// A file opened for writing or appending.
    Writer(SharedWriter),
    /// A closed File: every use raises `IOError`.
    Closed,
}

impl FileObj {
    pub fn new(name: impl Into<String>, stream: Stream) -> FileObj {
        let buffer_bytes = match &stream {
            Stream::Reader(r) => r.capacity(),
            Stream::Writer(w) => w.borrow().as_ref().map_or(0, BufWriter::capacity),
            _ => 0,
        };
        FileObj {
            name: name.into(),
            stream: RefCell::new(stream),
            buffer_bytes,
        }
    }
}
