//! The bytecode image: a program's Protos as bytes, for the native tier.
//!
//! `gene build` embeds the image of the compiled program in the executable
//! as read-only data; at run time the runtime reads it back ([`read_image`])
//! and runs the Protos, or calls the native code compiled for them.
//!
//! **The pre-order contract.** Protos are identified by their index in a
//! depth-first pre-order walk of the Proto tree ([`protos_preorder`]): the
//! main Proto is 0, then `main.protos[0]`, its nested Protos, ..., then
//! `main.protos[1]`, and so on. The image stores the Protos in that order and
//! [`read_image`] returns them in that order; the LLVM backend names the
//! native function of a Proto by the same index, so both sides must use
//! [`protos_preorder`].
//!
//! **Format** (version [`FORMAT_VERSION`]). Integers are LEB128 varints
//! (`u32`, `u64`, counts) or zigzag varints (`i32`, `i64`); float bits are 8
//! bytes little-endian; a string is a count then UTF-8 bytes.
//!
//! ```text
//! image    = magic "GENE-IMG", version u32,
//!            symbols: count, name str ...     (each symbol once)
//!            files:   count, path str ...     (each source file once)
//!            protos:  count, proto ...        (pre-order; main first)
//!            modules: count, (name str, proto index u32) ...
//! proto    = name sym, kind u8, file index, n_slots, is_async, uses_args,
//!            fast_arity (0 | 1 u32), code (count, instr ...), lines, cols,
//!            consts (count, value ...), key_lists, nested protos (count,
//!            pre-order index ...: each after this Proto), params pattern,
//!            patterns, captures, upvalue_names, local_names, handlers,
//!            name cache count (caches start empty; native code is
//!            registered by the runtime after loading)
//! instr    = opcode u8, operands (symbols by index, ErrorKind by position
//!            in ErrorKind::ALL)
//! value    = tag u8, payload; a container is its header (counts, and the
//!            keys of maps and gene props by symbol index; a gene's starts
//!            with its source line) followed by its values: a gene's type,
//!            then prop values, then children
//! pattern  = count, item ...; a nested pattern is a tag then a pattern
//! ```
//!
//! **Modules.** A whole-program image also holds the modules the program
//! imports: their Protos follow the main Proto's tree, each module's tree
//! in pre-order after the previous one (the list is a forest walked root
//! by root), and the module table names each module's main Proto by its
//! [`module_key`] (computed from the importing Proto's file name). A module
//! imported under several keys (by different relative paths) has one entry
//! per key, all naming one Proto.
//!
//! Constants are trees (the compiler builds them from source forms), so a
//! value is written once per occurrence; only plain data kinds can be
//! stored. Values and patterns are read and written with explicit stacks,
//! so nesting costs no Rust stack; both are limited to [`MAX_DEPTH`] levels.
//!
//! [`read_image`] never panics: every read is bounds-checked, counts are
//! checked against the bytes left before anything is allocated for them, and
//! nested-Proto indices must point forward and form the pre-order walk. It
//! does not check jump targets, slots or constant indices: the image is
//! produced by [`write_image`] at build time and only guarded against
//! corruption, not verified as bytecode.

use crate::quote;
use gene_core::bytecode::{
    Capture, Handler, Instr, LocalName, NameCache, PatItem, Pattern, Proto, ProtoKind,
};
use gene_core::heap::{self, Obj};
use gene_core::object::prop_map;
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;

const MAGIC: &[u8; 8] = b"GENE-IMG";

/// The version of the image layout; bump it whenever the layout, an opcode
/// or a value tag changes.
pub const FORMAT_VERSION: u32 = 3;

/// The deepest nesting of constant values and patterns an image holds.
pub const MAX_DEPTH: usize = 10_000;

/// Why an image could not be written or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageError {
    /// A constant of a kind that only exists at run time (a function, a
    /// class, ...) cannot be stored.
    UnsupportedValue(&'static str),
    /// A constant or pattern nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The bytes do not start with the image magic.
    NotAnImage,
    /// An image of another format version.
    Version(u32),
    /// The image ends in the middle of a field.
    Truncated { offset: usize },
    /// A field holds an impossible value.
    Corrupt { offset: usize, what: &'static str },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageError::UnsupportedValue(kind) => write!(
                f,
                "a constant of kind {kind} cannot be stored in a bytecode image"
            ),
            ImageError::TooDeep => write!(
                f,
                "data nested deeper than {MAX_DEPTH} levels cannot be stored in a bytecode image"
            ),
            ImageError::NotAnImage => write!(f, "not a Gene bytecode image (bad magic)"),
            ImageError::Version(v) => write!(
                f,
                "bytecode image of format version {v}; this build reads version {FORMAT_VERSION}"
            ),
            ImageError::Truncated { offset } => {
                write!(f, "bytecode image truncated at byte {offset}")
            }
            ImageError::Corrupt { offset, what } => {
                write!(f, "corrupt bytecode image at byte {offset}: {what}")
            }
        }
    }
}

impl std::error::Error for ImageError {}

type Result<T> = std::result::Result<T, ImageError>;

/// `main` and every Proto nested in it, in depth-first pre-order: the index
/// of a Proto in this list is its identity in the image and in native code.
pub fn protos_preorder(main: &'static Proto) -> Vec<&'static Proto> {
    preorder_with_nested(main).0
}

/// The image of the program whose main Proto is `main`.
pub fn write_image(main: &'static Proto) -> Result<Vec<u8>> {
    write_program(main, &[])
}

/// A module compiled into the image: its [`module_key`] and its main Proto.
#[derive(Clone, Debug)]
pub struct Module {
    pub key: String,
    pub proto: &'static Proto,
}

/// A program read from an image: every Proto in the image's order (the
/// main Proto first; native code uses these indices) and the modules.
pub struct Program {
    pub protos: Vec<&'static Proto>,
    pub modules: Vec<Module>,
}

/// The main Proto's tree, then each module's (in the order of `modules`,
/// each Proto once), in pre-order: the image's order and native code's
/// numbering of a whole program.
pub fn program_protos(main: &'static Proto, modules: &[Module]) -> Vec<&'static Proto> {
    roots(main, modules)
        .into_iter()
        .flat_map(|root| preorder_with_nested(root).0)
        .collect()
}

/// `main`, then the modules' Protos, each once.
fn roots(main: &'static Proto, modules: &[Module]) -> Vec<&'static Proto> {
    let mut roots = vec![main];
    for m in modules {
        if !roots.iter().any(|r| std::ptr::eq(*r, m.proto)) {
            roots.push(m.proto);
        }
    }
    roots
}

/// The image of a whole program: `main` and the modules it imports.
pub fn write_program(main: &'static Proto, modules: &[Module]) -> Result<Vec<u8>> {
    let mut w = Writer::default();
    let mut trees = Vec::new();
    let mut root_index = Vec::new();
    let mut next = 0u32;
    for root in roots(main, modules) {
        let (order, nested) = preorder_with_nested(root);
        root_index.push((root, next));
        // The nested indices of a tree count from its root.
        let shift = next;
        next += order.len() as u32;
        trees.push((order, nested, shift));
    }
    w.count(next as usize);
    for (order, nested, shift) in &trees {
        for (proto, nested) in order.iter().zip(nested) {
            let nested: Vec<u32> = nested.iter().map(|i| i + shift).collect();
            w.proto(proto, &nested)?;
        }
    }
    w.count(modules.len());
    for m in modules {
        w.str(&m.key);
        let index = root_index
            .iter()
            .find(|(root, _)| std::ptr::eq(*root, m.proto))
            .map_or(0, |(_, i)| *i);
        w.u32(index);
    }
    Ok(w.finish())
}

/// The file a module import names, as a key of the image's module table:
/// `path` (with `.gene` appended when absent) joined to the directory of
/// the importing file's name and normalised lexically (`.` and `dir/..`
/// removed, symbolic links not followed). `gene build` computes it from
/// the name the importing Protos carry, as the runtime does when the
/// import runs, so a module importing another by a relative path finds it
/// at run time wherever the executable runs.
pub fn module_key(path: &str, importer: &str) -> String {
    use std::path::{Component, Path, PathBuf};
    let file = if path.ends_with(".gene") {
        path.to_string()
    } else {
        format!("{path}.gene")
    };
    let joined = match Path::new(importer).parent() {
        Some(dir) if !Path::new(&file).is_absolute() => dir.join(&file),
        _ => PathBuf::from(&file),
    };
    let mut parts: Vec<Component> = Vec::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(part),
            },
            other => parts.push(other),
        }
    }
    parts
        .iter()
        .collect::<PathBuf>()
        .to_string_lossy()
        .into_owned()
}

/// The Protos of an image, in pre-order (the main Proto first). The Protos
/// and their file names are leaked, like the compiler's; symbols are
/// interned and constants allocated on the heap.
pub fn read_image(bytes: &[u8]) -> Result<Vec<&'static Proto>> {
    read_program(bytes).map(|p| p.protos)
}

/// The Protos and the module table of an image (see [`read_image`]).
pub fn read_program(bytes: &[u8]) -> Result<Program> {
    if bytes.get(..MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err(ImageError::NotAnImage);
    }
    let mut r = Reader::new(bytes);
    r.pos = MAGIC.len();
    let version = r.u32()?;
    if version != FORMAT_VERSION {
        return Err(ImageError::Version(version));
    }
    r.symbol_table()?;
    r.file_table()?;
    let n = r.count()?;
    if n == 0 {
        return Err(r.corrupt("no protos"));
    }
    let mut records = Vec::new();
    for index in 0..n {
        records.push(r.proto(index, n)?);
    }
    let Some(roots) = forest_roots(&records) else {
        return Err(r.corrupt("protos are not in pre-order"));
    };
    let n_modules = r.count()?;
    let mut table = Vec::new();
    for _ in 0..n_modules {
        let key = r.str()?.to_string();
        let index = r.u32()? as usize;
        if index == 0 || !roots.contains(&index) {
            return Err(r.corrupt("a module entry does not name a module's main proto"));
        }
        table.push((key, index));
    }
    if r.remaining() != 0 {
        return Err(r.corrupt("trailing bytes after the module table"));
    }
    let protos =
        link_protos(records).ok_or_else(|| r.corrupt("nested proto index out of range"))?;
    let modules = table
        .into_iter()
        .map(|(key, index)| Module {
            key,
            proto: protos[index],
        })
        .collect();
    Ok(Program { protos, modules })
}

/// The pre-order walk, with the pre-order indices of each Proto's nested
/// Protos (a Proto reachable twice is written twice, so the indices always
/// point forward).
fn preorder_with_nested(main: &'static Proto) -> (Vec<&'static Proto>, Vec<Vec<u32>>) {
    let mut order = Vec::new();
    let mut nested: Vec<Vec<u32>> = Vec::new();
    let mut pending: Vec<(&'static Proto, Option<usize>)> = vec![(main, None)];
    while let Some((proto, parent)) = pending.pop() {
        let index = order.len();
        order.push(proto);
        nested.push(Vec::new());
        if let Some(list) = parent.and_then(|p| nested.get_mut(p)) {
            list.push(index as u32);
        }
        pending.extend(proto.protos.iter().rev().map(|p| (*p, Some(index))));
    }
    (order, nested)
}

/// A Proto read from an image, before its nested Protos exist.
struct ProtoRecord {
    proto: Proto,
    nested: Vec<usize>,
}

/// The roots of the forest the records form when walking their nested
/// indices from record 0, then from the first record not yet visited, and
/// so on, visits every record once, in order; `None` when it does not. The
/// walk stops at the first index out of order, so a corrupt image cannot
/// make it long.
fn forest_roots(records: &[ProtoRecord]) -> Option<Vec<usize>> {
    let mut expected = 0;
    let mut roots = Vec::new();
    while expected < records.len() {
        roots.push(expected);
        let mut pending = vec![expected];
        while let Some(index) = pending.pop() {
            let record = records.get(index).filter(|_| index == expected)?;
            expected += 1;
            pending.extend(record.nested.iter().rev());
        }
    }
    Some(roots)
}

/// Leaks the Protos, last first, so that each nested Proto exists before the
/// Protos that refer to it; returns them in pre-order.
fn link_protos(records: Vec<ProtoRecord>) -> Option<Vec<&'static Proto>> {
    let n = records.len();
    let mut reversed: Vec<&'static Proto> = Vec::with_capacity(n);
    for record in records.into_iter().rev() {
        let mut proto = record.proto;
        for nested in record.nested {
            // Pre-order index `nested` sits at `n - 1 - nested` in
            // `reversed`, which so far holds the Protos after this one.
            let position = n.checked_sub(nested + 1)?;
            proto.protos.push(*reversed.get(position)?);
        }
        reversed.push(proto.leak());
    }
    reversed.reverse();
    Some(reversed)
}

// Value tags.
const NIL: u8 = 0;
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const VOID: u8 = 3;
const PLACEHOLDER: u8 = 4;
const INT: u8 = 5;
const FLOAT: u8 = 6;
const CHAR: u8 = 7;
const SYMBOL: u8 = 8;
const STR: u8 = 9;
const COMPLEX_SYMBOL: u8 = 10;
const ARRAY: u8 = 11;
const SET: u8 = 12;
const MAP: u8 = 13;
const GENE: u8 = 14;
const RANGE: u8 = 15;
const QUOTE: u8 = 16;
const UNQUOTE: u8 = 17;
const UNQUOTE_DISCARD: u8 = 18;
/// A regex literal: its pattern and flag bits.
const REGEX: u8 = 19;

// Pattern item tags.
const PAT_BIND: u8 = 0;
const PAT_REST: u8 = 1;
const PAT_NESTED: u8 = 2;
const PAT_LITERAL: u8 = 3;
const PAT_SKIP: u8 = 4;
const PAT_NAMED: u8 = 5;
const PAT_NAMED_REST: u8 = 6;
const PAT_SELF_PROP: u8 = 7;

const PROTO_KINDS: [ProtoKind; 6] = [
    ProtoKind::TopLevel,
    ProtoKind::Function,
    ProtoKind::Block,
    ProtoKind::Macro,
    ProtoKind::Method,
    ProtoKind::Body,
];

/// The position of `kind` in [`PROTO_KINDS`].
fn proto_kind_code(kind: ProtoKind) -> u8 {
    match kind {
        ProtoKind::TopLevel => 0,
        ProtoKind::Function => 1,
        ProtoKind::Block => 2,
        ProtoKind::Macro => 3,
        ProtoKind::Method => 4,
        ProtoKind::Body => 5,
    }
}

/// Encodes the Protos into a body buffer while collecting the symbols and
/// files they use; [`Writer::finish`] puts the tables in front.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    symbols: Vec<Symbol>,
    symbol_ids: HashMap<Symbol, u32>,
    files: Vec<&'static str>,
    file_ids: HashMap<&'static str, u32>,
}

impl Writer {
    fn finish(self) -> Vec<u8> {
        let mut head = Writer::default();
        head.out.extend_from_slice(MAGIC);
        head.u32(FORMAT_VERSION);
        head.count(self.symbols.len());
        for s in &self.symbols {
            head.str(s.name());
        }
        head.count(self.files.len());
        for f in &self.files {
            head.str(f);
        }
        head.out.extend_from_slice(&self.out);
        head.out
    }

    fn u8(&mut self, b: u8) {
        self.out.push(b);
    }

    fn bool(&mut self, b: bool) {
        self.u8(b as u8);
    }

    fn u32(&mut self, v: u32) {
        self.u64(v as u64);
    }

    fn u64(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn i32(&mut self, v: i32) {
        self.i64(v as i64);
    }

    fn i64(&mut self, v: i64) {
        self.u64(((v << 1) ^ (v >> 63)) as u64);
    }

    fn f64(&mut self, f: f64) {
        self.out.extend_from_slice(&f.to_bits().to_le_bytes());
    }

    fn count(&mut self, n: usize) {
        self.u64(n as u64);
    }

    fn str(&mut self, s: &str) {
        self.count(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn symbol(&mut self, s: Symbol) {
        let next = self.symbols.len() as u32;
        let id = *self.symbol_ids.entry(s).or_insert(next);
        if id == next {
            self.symbols.push(s);
        }
        self.u32(id);
    }

    fn file(&mut self, f: &'static str) {
        let next = self.files.len() as u32;
        let id = *self.file_ids.entry(f).or_insert(next);
        if id == next {
            self.files.push(f);
        }
        self.u32(id);
    }

    fn proto(&mut self, p: &Proto, nested: &[u32]) -> Result<()> {
        self.symbol(p.name);
        self.u8(proto_kind_code(p.kind));
        self.file(p.file);
        self.u32(p.n_slots);
        self.bool(p.is_async);
        self.bool(p.uses_args);
        match p.fast_arity {
            None => self.u8(0),
            Some(n) => {
                self.u8(1);
                self.u32(n);
            }
        }
        self.count(p.code.len());
        for instr in &p.code {
            self.instr(instr);
        }
        self.count(p.lines.len());
        for line in &p.lines {
            self.u32(*line);
        }
        self.count(p.cols.len());
        for col in &p.cols {
            self.u32(*col);
        }
        self.count(p.consts.len());
        for v in &p.consts {
            self.value(*v)?;
        }
        self.count(p.key_lists.len());
        for keys in &p.key_lists {
            self.count(keys.len());
            for k in keys.iter() {
                self.symbol(*k);
            }
        }
        self.count(nested.len());
        for index in nested {
            self.u32(*index);
        }
        self.pattern(&p.params)?;
        self.count(p.patterns.len());
        for pattern in &p.patterns {
            self.pattern(pattern)?;
        }
        self.count(p.captures.len());
        for capture in &p.captures {
            match capture {
                Capture::Local(slot) => {
                    self.u8(0);
                    self.u32(*slot);
                }
                Capture::Upvalue(i) => {
                    self.u8(1);
                    self.u32(*i);
                }
            }
        }
        self.count(p.upvalue_names.len());
        for name in &p.upvalue_names {
            self.symbol(*name);
        }
        self.count(p.local_names.len());
        for l in &p.local_names {
            self.symbol(l.name);
            self.u32(l.slot);
            self.u32(l.start);
            self.u32(l.end);
        }
        self.count(p.handlers.len());
        for h in &p.handlers {
            self.u32(h.start);
            self.u32(h.end);
            self.u32(h.target);
            self.u32(h.depth);
        }
        self.count(p.name_caches.len());
        Ok(())
    }

    fn instr(&mut self, instr: &Instr) {
        match *instr {
            Instr::Nil => self.u8(0),
            Instr::True => self.u8(1),
            Instr::False => self.u8(2),
            Instr::Placeholder => self.u8(3),
            Instr::SelfValue => self.u8(4),
            Instr::Int(i) => self.op_i32(5, i),
            Instr::Const(i) => self.op_u32(6, i),
            Instr::Pop => self.u8(7),
            Instr::Dup => self.u8(8),
            Instr::PopN(n) => self.op_u32(9, n),
            Instr::Slide(n) => self.op_u32(10, n),
            Instr::LoadLocal(s) => self.op_u32(11, s),
            Instr::StoreLocal(s) => self.op_u32(12, s),
            Instr::DeclareLocal(s) => self.op_u32(13, s),
            Instr::LoadCell(s) => self.op_u32(14, s),
            Instr::StoreCell(s) => self.op_u32(15, s),
            Instr::DeclareCell(s) => self.op_u32(16, s),
            Instr::LoadUpvalue(i) => self.op_u32(17, i),
            Instr::StoreUpvalue(i) => self.op_u32(18, i),
            Instr::LoadOuter(s) => self.op_u32(19, s),
            Instr::StoreOuter(s) => self.op_u32(20, s),
            Instr::LoadOuterUpvalue(i) => self.op_u32(21, i),
            Instr::StoreOuterUpvalue(i) => self.op_u32(22, i),
            Instr::DefineEvalVar(name) => self.op_symbol(23, name),
            Instr::LoadName { name, cache } => {
                self.op_symbol(24, name);
                self.u32(cache);
            }
            Instr::StoreName(name) => self.op_symbol(25, name),
            Instr::DefineMember(name) => self.op_symbol(26, name),
            Instr::GetMember(name) => self.op_symbol(27, name),
            Instr::GetChild(i) => self.op_i32(28, i),
            Instr::Select => self.u8(29),
            Instr::SetMember(name) => self.op_symbol(30, name),
            Instr::SetChild(i) => self.op_i32(31, i),
            Instr::SetKey => self.u8(32),
            Instr::Add => self.u8(33),
            Instr::Sub => self.u8(34),
            Instr::Mul => self.u8(35),
            Instr::Div => self.u8(36),
            Instr::Mod => self.u8(37),
            Instr::Pow => self.u8(38),
            Instr::Eq => self.u8(39),
            Instr::Ne => self.u8(40),
            Instr::Lt => self.u8(41),
            Instr::Le => self.u8(42),
            Instr::Gt => self.u8(43),
            Instr::Ge => self.u8(44),
            Instr::Neg => self.u8(45),
            Instr::Not => self.u8(46),
            Instr::AddInt(i) => self.op_i32(47, i),
            Instr::SubInt(i) => self.op_i32(48, i),
            Instr::LtInt(i) => self.op_i32(49, i),
            Instr::Jump(t) => self.op_u32(50, t),
            Instr::JumpIfFalse(t) => self.op_u32(51, t),
            Instr::JumpIfTrue(t) => self.op_u32(52, t),
            Instr::JumpIfFalseKeep(t) => self.op_u32(53, t),
            Instr::JumpIfTrueKeep(t) => self.op_u32(54, t),
            Instr::JumpIfBound { slot, target } => {
                self.op_u32(55, slot);
                self.u32(target);
            }
            Instr::MakeArray(n) => self.op_u32(56, n),
            Instr::MakeSet(n) => self.op_u32(57, n),
            Instr::MakeMap { keys } => self.op_u32(58, keys),
            Instr::MakeGene { keys, children } => {
                self.op_u32(59, keys);
                self.u32(children);
            }
            Instr::MakeRange => self.u8(60),
            Instr::Spread => self.u8(61),
            Instr::Concat(n) => self.op_u32(62, n),
            Instr::Render => self.u8(63),
            Instr::Closure(i) => self.op_u32(64, i),
            Instr::Call(n) => self.op_u32(65, n),
            Instr::CallNamed { keys, args } => {
                self.op_u32(66, keys);
                self.u32(args);
            }
            Instr::TailCall(n) => self.op_u32(67, n),
            Instr::CallMethod { name, args } => {
                self.op_symbol(68, name);
                self.u32(args);
            }
            Instr::CallMethodNamed { name, keys, args } => {
                self.op_symbol(69, name);
                self.u32(keys);
                self.u32(args);
            }
            Instr::CallSuper { name, args } => {
                self.op_symbol(70, name);
                self.u32(args);
            }
            Instr::CallWithSelf(n) => self.op_u32(71, n),
            Instr::LoadArgs => self.u8(72),
            Instr::JumpIfMacro(t) => self.op_u32(73, t),
            Instr::CallMacro(n) => self.op_u32(74, n),
            Instr::Return => self.u8(75),
            Instr::IterInit(s) => self.op_u32(76, s),
            Instr::IterNext { slot, exit } => {
                self.op_u32(77, slot);
                self.u32(exit);
            }
            Instr::IterNext2 { slot, exit } => {
                self.op_u32(78, slot);
                self.u32(exit);
            }
            Instr::Throw => self.u8(79),
            Instr::ImportModule => self.u8(80),
            Instr::ImportMember(name) => self.op_symbol(81, name),
            Instr::IsA => self.u8(82),
            Instr::CaseMatch => self.u8(83),
            Instr::Raise { kind, message } => {
                // ALL lists every kind, so the position always exists.
                let kind = ErrorKind::ALL.iter().position(|k| *k == kind);
                self.u8(84);
                self.u8(kind.unwrap_or(0) as u8);
                self.u32(message);
            }
            Instr::Match(i) => self.op_u32(85, i),
            Instr::MakeNamespace(name) => self.op_symbol(86, name),
            Instr::MakeClass(name) => self.op_symbol(87, name),
            Instr::RunBody(i) => self.op_u32(88, i),
            Instr::DefineMethod(name) => self.op_symbol(89, name),
            Instr::New(n) => self.op_u32(90, n),
            Instr::NewNamed { keys, args } => {
                self.op_u32(91, keys);
                self.u32(args);
            }
            Instr::MakeFuture { failed } => {
                self.u8(92);
                self.bool(failed);
            }
            Instr::Await(n) => self.op_u32(93, n),
            Instr::Eval => self.u8(94),
            Instr::CallerEval => self.u8(95),
            Instr::CallerLocation => self.u8(99),
            Instr::MakeEnum(name) => self.op_symbol(96, name),
            Instr::EnumAddMember { name, value } => {
                self.op_symbol(97, name);
                self.i64(value);
            }
            Instr::FloorDiv => self.u8(98),
        }
    }

    fn op_u32(&mut self, op: u8, operand: u32) {
        self.u8(op);
        self.u32(operand);
    }

    fn op_i32(&mut self, op: u8, operand: i32) {
        self.u8(op);
        self.i32(operand);
    }

    fn op_symbol(&mut self, op: u8, name: Symbol) {
        self.u8(op);
        self.symbol(name);
    }

    /// Writes `root` and the values inside it, parents before children.
    fn value(&mut self, root: Value) -> Result<()> {
        let mut pending = vec![(root, 0)];
        while let Some((v, depth)) = pending.pop() {
            if depth > MAX_DEPTH {
                return Err(ImageError::TooDeep);
            }
            let inner = self.value_head(v)?;
            pending.extend(inner.into_iter().rev().map(|v| (v, depth + 1)));
        }
        Ok(())
    }

    /// Writes the tag and header of `v`; returns the values that follow it.
    fn value_head(&mut self, v: Value) -> Result<Vec<Value>> {
        if let Some(f) = v.as_float() {
            self.u8(FLOAT);
            self.f64(f);
            return Ok(Vec::new());
        }
        if let Some(i) = v.as_small_int() {
            self.u8(INT);
            self.i64(i);
            return Ok(Vec::new());
        }
        if let Some(c) = v.as_char() {
            self.u8(CHAR);
            self.u32(c as u32);
            return Ok(Vec::new());
        }
        if let Some(s) = v.as_symbol() {
            self.u8(SYMBOL);
            self.symbol(s);
            return Ok(Vec::new());
        }
        let special = match v {
            Value::NIL => Some(NIL),
            Value::TRUE => Some(TRUE),
            Value::FALSE => Some(FALSE),
            Value::VOID => Some(VOID),
            Value::PLACEHOLDER => Some(PLACEHOLDER),
            _ => None,
        };
        if let Some(tag) = special {
            self.u8(tag);
            return Ok(Vec::new());
        }
        let Some(obj) = v.obj() else {
            return Err(ImageError::UnsupportedValue("unknown immediate"));
        };
        match obj {
            Obj::Int(i) => {
                self.u8(INT);
                self.i64(*i);
                Ok(Vec::new())
            }
            Obj::Str(s) => {
                self.u8(STR);
                self.str(s);
                Ok(Vec::new())
            }
            Obj::ComplexSymbol(parts) => {
                self.u8(COMPLEX_SYMBOL);
                self.count(parts.len());
                for p in parts.iter() {
                    self.symbol(*p);
                }
                Ok(Vec::new())
            }
            Obj::Array(items) => Ok(self.sequence(ARRAY, &items.borrow())),
            Obj::Set(items) => Ok(self.sequence(SET, &items.borrow())),
            Obj::Map(m) => {
                self.u8(MAP);
                let m = m.borrow();
                self.count(m.len());
                for k in m.keys() {
                    self.symbol(*k);
                }
                Ok(m.values().copied().collect())
            }
            Obj::Gene(g) => {
                self.u8(GENE);
                self.u32(g.line);
                let props = g.props.borrow();
                let children = g.children.borrow();
                self.count(props.len());
                for k in props.keys() {
                    self.symbol(*k);
                }
                self.count(children.len());
                let mut inner = vec![g.ty.get()];
                inner.extend(props.values().copied());
                inner.extend(children.iter().copied());
                Ok(inner)
            }
            Obj::Range(r) => {
                self.u8(RANGE);
                self.i64(r.start);
                self.i64(r.end);
                self.i64(r.step);
                Ok(Vec::new())
            }
            Obj::Quote(inner) => {
                self.u8(QUOTE);
                Ok(vec![*inner])
            }
            Obj::Unquote(inner, discard) => {
                self.u8(if *discard { UNQUOTE_DISCARD } else { UNQUOTE });
                Ok(vec![*inner])
            }
            Obj::Explode(_) => Err(ImageError::UnsupportedValue("spread marker")),
            Obj::Cell(_) => Err(ImageError::UnsupportedValue("cell")),
            Obj::Function(_) => Err(ImageError::UnsupportedValue("function")),
            Obj::Native(_) => Err(ImageError::UnsupportedValue("native function")),
            Obj::BoundMethod(_) => Err(ImageError::UnsupportedValue("bound method")),
            Obj::Class(_) => Err(ImageError::UnsupportedValue("class")),
            Obj::Instance(_) => Err(ImageError::UnsupportedValue("instance")),
            Obj::Namespace(_) => Err(ImageError::UnsupportedValue("namespace")),
            Obj::Future(_) => Err(ImageError::UnsupportedValue("future")),
            Obj::EnumType(_) => Err(ImageError::UnsupportedValue("enum")),
            Obj::EnumMember(_) => Err(ImageError::UnsupportedValue("enum member")),
            Obj::Custom(_) => Err(ImageError::UnsupportedValue("host object")),
            Obj::File(_) => Err(ImageError::UnsupportedValue("file")),
            Obj::Regex(r) => {
                self.u8(REGEX);
                self.str(&r.pattern);
                self.u8(r.flags);
                Ok(Vec::new())
            }
            Obj::Host(_) => Err(ImageError::UnsupportedValue("library value")),
        }
    }

    /// The header of an array or set; returns its items.
    fn sequence(&mut self, tag: u8, items: &[Value]) -> Vec<Value> {
        self.u8(tag);
        self.count(items.len());
        items.to_vec()
    }

    /// Writes `root` and its nested patterns, each before its items.
    fn pattern(&mut self, root: &Pattern) -> Result<()> {
        self.count(root.items.len());
        let mut open = vec![root.items.iter()];
        while let Some(items) = open.last_mut() {
            let Some(item) = items.next() else {
                open.pop();
                continue;
            };
            if let Some(inner) = self.pat_head(item)? {
                if open.len() > MAX_DEPTH {
                    return Err(ImageError::TooDeep);
                }
                open.push(inner.items.iter());
            }
        }
        Ok(())
    }

    /// Writes `item`, or the header of a nested pattern, which it returns
    /// for its items to follow.
    fn pat_head<'p>(&mut self, item: &'p PatItem) -> Result<Option<&'p Pattern>> {
        match item {
            PatItem::Bind {
                slot,
                default,
                cell,
            } => {
                self.u8(PAT_BIND);
                self.u32(*slot);
                self.bool(*default);
                self.bool(*cell);
            }
            PatItem::Rest { slot, cell } => {
                self.u8(PAT_REST);
                self.u32(*slot);
                self.bool(*cell);
            }
            PatItem::Nested(inner) => {
                self.u8(PAT_NESTED);
                self.count(inner.items.len());
                return Ok(Some(inner));
            }
            PatItem::Literal(v) => {
                self.u8(PAT_LITERAL);
                self.value(*v)?;
            }
            PatItem::Skip => self.u8(PAT_SKIP),
            PatItem::Named {
                key,
                slot,
                default,
                cell,
            } => {
                self.u8(PAT_NAMED);
                self.symbol(*key);
                self.u32(*slot);
                self.bool(*default);
                self.bool(*cell);
            }
            PatItem::NamedRest { slot, cell } => {
                self.u8(PAT_NAMED_REST);
                self.u32(*slot);
                self.bool(*cell);
            }
            PatItem::SelfProp(name) => {
                self.u8(PAT_SELF_PROP);
                self.symbol(*name);
            }
        }
        Ok(None)
    }
}

/// A container value being read: what it becomes and how many values it
/// still needs.
struct OpenValue {
    kind: OpenKind,
    needed: usize,
    items: Vec<Value>,
}

enum OpenKind {
    Array,
    Set,
    Map(Vec<Symbol>),
    /// Prop keys and source line; the items are the type, the prop values,
    /// the children.
    Gene(Vec<Symbol>, u32),
    Quote,
    Unquote {
        discard: bool,
    },
}

impl OpenValue {
    fn build(self) -> Value {
        match self.kind {
            OpenKind::Array => heap::array(self.items),
            OpenKind::Set => heap::alloc(Obj::Set(RefCell::new(self.items.into()))),
            OpenKind::Map(keys) => heap::map(keys.into_iter().zip(self.items).collect()),
            OpenKind::Gene(keys, line) => {
                let mut items = self.items.into_iter();
                let ty = items.next().unwrap_or(Value::NIL);
                let mut props = prop_map();
                props.extend(keys.into_iter().zip(items.by_ref()));
                quote::gene_at(ty, props, items.collect(), line)
            }
            OpenKind::Quote => heap::alloc(Obj::Quote(self.first())),
            OpenKind::Unquote { discard } => heap::alloc(Obj::Unquote(self.first(), discard)),
        }
    }

    fn first(&self) -> Value {
        self.items.first().copied().unwrap_or(Value::NIL)
    }
}

/// What a value's header says: a complete value, or a container whose
/// values follow.
enum ValueHead {
    Done(Value),
    Open(OpenValue),
}

/// What a pattern item's header says: a complete item, or a nested pattern
/// of that many items.
enum PatHead {
    Done(PatItem),
    Nested(usize),
}

/// Bounds-checked decoding; every failure is an [`ImageError`] naming the
/// offset.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    symbols: Vec<Symbol>,
    files: Vec<&'static str>,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            symbols: Vec::new(),
            files: Vec::new(),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn corrupt(&self, what: &'static str) -> ImageError {
        ImageError::Corrupt {
            offset: self.pos,
            what,
        }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(ImageError::Truncated { offset: self.pos }),
        }
    }

    fn u8(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(ImageError::Truncated { offset: self.pos })?;
        self.pos += 1;
        Ok(b)
    }

    fn bool(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(self.corrupt("bad boolean")),
        }
    }

    fn u32(&mut self) -> Result<u32> {
        let v = self.u64()?;
        u32::try_from(v).map_err(|_| self.corrupt("number out of range"))
    }

    fn u64(&mut self) -> Result<u64> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let bits = (b & 0x7F) as u64;
            if shift == 63 && bits > 1 {
                return Err(self.corrupt("number out of range"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.corrupt("number too long"))
    }

    fn i32(&mut self) -> Result<i32> {
        let v = self.i64()?;
        i32::try_from(v).map_err(|_| self.corrupt("number out of range"))
    }

    fn i64(&mut self) -> Result<i64> {
        let z = self.u64()?;
        Ok(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    fn f64(&mut self) -> Result<f64> {
        let mut bits = [0; 8];
        bits.copy_from_slice(self.bytes(8)?);
        Ok(f64::from_bits(u64::from_le_bytes(bits)))
    }

    /// A count of items that take at least one byte each, so it cannot
    /// exceed the bytes left.
    fn count(&mut self) -> Result<usize> {
        let n = self.u64()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(self.corrupt("count larger than the image")),
        }
    }

    fn str(&mut self) -> Result<&'a str> {
        let n = self.count()?;
        let bytes = self.bytes(n)?;
        std::str::from_utf8(bytes).map_err(|_| self.corrupt("string is not UTF-8"))
    }

    fn symbol(&mut self) -> Result<Symbol> {
        let id = self.u64()?;
        usize::try_from(id)
            .ok()
            .and_then(|i| self.symbols.get(i).copied())
            .ok_or_else(|| self.corrupt("symbol index out of range"))
    }

    fn symbol_table(&mut self) -> Result<()> {
        let n = self.count()?;
        for _ in 0..n {
            let name = self.str()?;
            self.symbols.push(Symbol::intern(name));
        }
        Ok(())
    }

    fn file_table(&mut self) -> Result<()> {
        let n = self.count()?;
        for _ in 0..n {
            let path = self.str()?;
            self.files.push(Box::leak(path.to_owned().into_boxed_str()));
        }
        Ok(())
    }

    fn file(&mut self) -> Result<&'static str> {
        let id = self.u64()?;
        usize::try_from(id)
            .ok()
            .and_then(|i| self.files.get(i).copied())
            .ok_or_else(|| self.corrupt("file index out of range"))
    }

    /// The Proto at pre-order `index` of `n`; its nested Protos are left
    /// as indices.
    fn proto(&mut self, index: usize, n: usize) -> Result<ProtoRecord> {
        let name = self.symbol()?;
        let kind = self.u8()?;
        let kind = *PROTO_KINDS
            .get(kind as usize)
            .ok_or_else(|| self.corrupt("unknown proto kind"))?;
        let file = self.file()?;
        let n_slots = self.u32()?;
        let is_async = self.bool()?;
        let uses_args = self.bool()?;
        let fast_arity = match self.u8()? {
            0 => None,
            1 => Some(self.u32()?),
            _ => return Err(self.corrupt("bad fast arity")),
        };
        let mut code = Vec::new();
        for _ in 0..self.count()? {
            code.push(self.instr()?);
        }
        let mut lines = Vec::new();
        for _ in 0..self.count()? {
            lines.push(self.u32()?);
        }
        let mut cols = Vec::new();
        for _ in 0..self.count()? {
            cols.push(self.u32()?);
        }
        let mut consts = Vec::new();
        for _ in 0..self.count()? {
            consts.push(self.value()?);
        }
        let mut key_lists = Vec::new();
        for _ in 0..self.count()? {
            let mut keys = Vec::new();
            for _ in 0..self.count()? {
                keys.push(self.symbol()?);
            }
            key_lists.push(keys.into_boxed_slice());
        }
        let mut nested = Vec::new();
        for _ in 0..self.count()? {
            let i = self.u64()?;
            match usize::try_from(i) {
                Ok(i) if i > index && i < n => nested.push(i),
                _ => return Err(self.corrupt("nested proto index out of range")),
            }
        }
        let params = self.pattern()?;
        let mut patterns = Vec::new();
        for _ in 0..self.count()? {
            patterns.push(self.pattern()?);
        }
        let mut captures = Vec::new();
        for _ in 0..self.count()? {
            captures.push(match self.u8()? {
                0 => Capture::Local(self.u32()?),
                1 => Capture::Upvalue(self.u32()?),
                _ => return Err(self.corrupt("unknown capture kind")),
            });
        }
        let mut upvalue_names = Vec::new();
        for _ in 0..self.count()? {
            upvalue_names.push(self.symbol()?);
        }
        let mut local_names = Vec::new();
        for _ in 0..self.count()? {
            local_names.push(LocalName {
                name: self.symbol()?,
                slot: self.u32()?,
                start: self.u32()?,
                end: self.u32()?,
            });
        }
        let mut handlers = Vec::new();
        for _ in 0..self.count()? {
            handlers.push(Handler {
                start: self.u32()?,
                end: self.u32()?,
                target: self.u32()?,
                depth: self.u32()?,
            });
        }
        // Caches take no bytes, so their count is checked against the code:
        // there is one per `LoadName` site.
        let n_caches = self.u64()?;
        let n_caches = match usize::try_from(n_caches) {
            Ok(c) if c <= code.len() => c,
            _ => return Err(self.corrupt("more name caches than instructions")),
        };
        let n_code = code.len();
        let proto = Proto {
            name,
            kind,
            file,
            code,
            lines,
            cols,
            consts,
            key_lists,
            protos: Vec::new(),
            params,
            patterns,
            n_slots,
            captures,
            upvalue_names,
            local_names,
            handlers,
            is_async,
            fast_arity,
            uses_args,
            name_caches: (0..n_caches)
                .map(|_| Cell::new(NameCache::default()))
                .collect(),
            prop_hints: gene_core::bytecode::prop_hints(n_code),
            native: Cell::new(None),
        };
        Ok(ProtoRecord { proto, nested })
    }

    fn instr(&mut self) -> Result<Instr> {
        Ok(match self.u8()? {
            0 => Instr::Nil,
            1 => Instr::True,
            2 => Instr::False,
            3 => Instr::Placeholder,
            4 => Instr::SelfValue,
            5 => Instr::Int(self.i32()?),
            6 => Instr::Const(self.u32()?),
            7 => Instr::Pop,
            8 => Instr::Dup,
            9 => Instr::PopN(self.u32()?),
            10 => Instr::Slide(self.u32()?),
            11 => Instr::LoadLocal(self.u32()?),
            12 => Instr::StoreLocal(self.u32()?),
            13 => Instr::DeclareLocal(self.u32()?),
            14 => Instr::LoadCell(self.u32()?),
            15 => Instr::StoreCell(self.u32()?),
            16 => Instr::DeclareCell(self.u32()?),
            17 => Instr::LoadUpvalue(self.u32()?),
            18 => Instr::StoreUpvalue(self.u32()?),
            19 => Instr::LoadOuter(self.u32()?),
            20 => Instr::StoreOuter(self.u32()?),
            21 => Instr::LoadOuterUpvalue(self.u32()?),
            22 => Instr::StoreOuterUpvalue(self.u32()?),
            23 => Instr::DefineEvalVar(self.symbol()?),
            24 => Instr::LoadName {
                name: self.symbol()?,
                cache: self.u32()?,
            },
            25 => Instr::StoreName(self.symbol()?),
            26 => Instr::DefineMember(self.symbol()?),
            27 => Instr::GetMember(self.symbol()?),
            28 => Instr::GetChild(self.i32()?),
            29 => Instr::Select,
            30 => Instr::SetMember(self.symbol()?),
            31 => Instr::SetChild(self.i32()?),
            32 => Instr::SetKey,
            33 => Instr::Add,
            34 => Instr::Sub,
            35 => Instr::Mul,
            36 => Instr::Div,
            37 => Instr::Mod,
            38 => Instr::Pow,
            39 => Instr::Eq,
            40 => Instr::Ne,
            41 => Instr::Lt,
            42 => Instr::Le,
            43 => Instr::Gt,
            44 => Instr::Ge,
            45 => Instr::Neg,
            46 => Instr::Not,
            47 => Instr::AddInt(self.i32()?),
            48 => Instr::SubInt(self.i32()?),
            49 => Instr::LtInt(self.i32()?),
            50 => Instr::Jump(self.u32()?),
            51 => Instr::JumpIfFalse(self.u32()?),
            52 => Instr::JumpIfTrue(self.u32()?),
            53 => Instr::JumpIfFalseKeep(self.u32()?),
            54 => Instr::JumpIfTrueKeep(self.u32()?),
            55 => Instr::JumpIfBound {
                slot: self.u32()?,
                target: self.u32()?,
            },
            56 => Instr::MakeArray(self.u32()?),
            57 => Instr::MakeSet(self.u32()?),
            58 => Instr::MakeMap { keys: self.u32()? },
            59 => Instr::MakeGene {
                keys: self.u32()?,
                children: self.u32()?,
            },
            60 => Instr::MakeRange,
            61 => Instr::Spread,
            62 => Instr::Concat(self.u32()?),
            63 => Instr::Render,
            64 => Instr::Closure(self.u32()?),
            65 => Instr::Call(self.u32()?),
            66 => Instr::CallNamed {
                keys: self.u32()?,
                args: self.u32()?,
            },
            67 => Instr::TailCall(self.u32()?),
            68 => Instr::CallMethod {
                name: self.symbol()?,
                args: self.u32()?,
            },
            69 => Instr::CallMethodNamed {
                name: self.symbol()?,
                keys: self.u32()?,
                args: self.u32()?,
            },
            70 => Instr::CallSuper {
                name: self.symbol()?,
                args: self.u32()?,
            },
            71 => Instr::CallWithSelf(self.u32()?),
            72 => Instr::LoadArgs,
            73 => Instr::JumpIfMacro(self.u32()?),
            74 => Instr::CallMacro(self.u32()?),
            75 => Instr::Return,
            76 => Instr::IterInit(self.u32()?),
            77 => Instr::IterNext {
                slot: self.u32()?,
                exit: self.u32()?,
            },
            78 => Instr::IterNext2 {
                slot: self.u32()?,
                exit: self.u32()?,
            },
            79 => Instr::Throw,
            80 => Instr::ImportModule,
            81 => Instr::ImportMember(self.symbol()?),
            82 => Instr::IsA,
            83 => Instr::CaseMatch,
            84 => {
                let kind = self.u8()?;
                let kind = *ErrorKind::ALL
                    .get(kind as usize)
                    .ok_or_else(|| self.corrupt("unknown error kind"))?;
                Instr::Raise {
                    kind,
                    message: self.u32()?,
                }
            }
            85 => Instr::Match(self.u32()?),
            86 => Instr::MakeNamespace(self.symbol()?),
            87 => Instr::MakeClass(self.symbol()?),
            88 => Instr::RunBody(self.u32()?),
            89 => Instr::DefineMethod(self.symbol()?),
            90 => Instr::New(self.u32()?),
            91 => Instr::NewNamed {
                keys: self.u32()?,
                args: self.u32()?,
            },
            92 => Instr::MakeFuture {
                failed: self.bool()?,
            },
            93 => Instr::Await(self.u32()?),
            94 => Instr::Eval,
            95 => Instr::CallerEval,
            99 => Instr::CallerLocation,
            96 => Instr::MakeEnum(self.symbol()?),
            97 => Instr::EnumAddMember {
                name: self.symbol()?,
                value: self.i64()?,
            },
            98 => Instr::FloorDiv,
            _ => return Err(self.corrupt("unknown opcode")),
        })
    }

    /// A value and the values inside it, built children first.
    fn value(&mut self) -> Result<Value> {
        let mut parents: Vec<OpenValue> = Vec::new();
        loop {
            let mut done = match self.value_head()? {
                ValueHead::Done(v) => v,
                ValueHead::Open(open) if open.needed == 0 => open.build(),
                ValueHead::Open(open) => {
                    if parents.len() >= MAX_DEPTH {
                        return Err(self.corrupt("data nested too deep"));
                    }
                    parents.push(open);
                    continue;
                }
            };
            loop {
                let Some(mut parent) = parents.pop() else {
                    return Ok(done);
                };
                parent.items.push(done);
                if parent.items.len() < parent.needed {
                    parents.push(parent);
                    break;
                }
                done = parent.build();
            }
        }
    }

    fn value_head(&mut self) -> Result<ValueHead> {
        let open = |kind, needed| {
            ValueHead::Open(OpenValue {
                kind,
                needed,
                items: Vec::new(),
            })
        };
        Ok(match self.u8()? {
            NIL => ValueHead::Done(Value::NIL),
            TRUE => ValueHead::Done(Value::TRUE),
            FALSE => ValueHead::Done(Value::FALSE),
            VOID => ValueHead::Done(Value::VOID),
            PLACEHOLDER => ValueHead::Done(Value::PLACEHOLDER),
            INT => ValueHead::Done(Value::int(self.i64()?)),
            FLOAT => ValueHead::Done(Value::float(self.f64()?)),
            CHAR => {
                let c = char::from_u32(self.u32()?).ok_or_else(|| self.corrupt("bad char"))?;
                ValueHead::Done(Value::char(c))
            }
            SYMBOL => ValueHead::Done(Value::symbol(self.symbol()?)),
            STR => ValueHead::Done(heap::string(self.str()?)),
            COMPLEX_SYMBOL => {
                let mut parts = Vec::new();
                for _ in 0..self.count()? {
                    parts.push(self.symbol()?);
                }
                ValueHead::Done(heap::alloc(Obj::ComplexSymbol(parts.into_boxed_slice())))
            }
            ARRAY => open(OpenKind::Array, self.count()?),
            SET => open(OpenKind::Set, self.count()?),
            MAP => {
                let keys = self.symbols_list()?;
                let n = keys.len();
                open(OpenKind::Map(keys), n)
            }
            GENE => {
                let line = self.u32()?;
                let keys = self.symbols_list()?;
                let needed = 1 + keys.len() + self.count()?;
                open(OpenKind::Gene(keys, line), needed)
            }
            RANGE => ValueHead::Done(quote::range(self.i64()?, self.i64()?, self.i64()?)),
            QUOTE => open(OpenKind::Quote, 1),
            UNQUOTE => open(OpenKind::Unquote { discard: false }, 1),
            UNQUOTE_DISCARD => open(OpenKind::Unquote { discard: true }, 1),
            REGEX => {
                let pattern = self.str()?;
                let flags = self.u8()?;
                ValueHead::Done(heap::alloc(Obj::Regex(Box::new(
                    gene_core::object::Regex::new(pattern, flags),
                ))))
            }
            _ => return Err(self.corrupt("unknown value tag")),
        })
    }

    fn symbols_list(&mut self) -> Result<Vec<Symbol>> {
        let mut list = Vec::new();
        for _ in 0..self.count()? {
            list.push(self.symbol()?);
        }
        Ok(list)
    }

    /// A pattern and the patterns nested in it, built innermost first.
    fn pattern(&mut self) -> Result<Pattern> {
        let mut parents: Vec<(Vec<PatItem>, usize)> = Vec::new();
        let mut items = Vec::new();
        let mut needed = self.count()?;
        loop {
            if items.len() == needed {
                let pattern = Pattern {
                    items: std::mem::take(&mut items),
                };
                let Some((parent_items, parent_needed)) = parents.pop() else {
                    return Ok(pattern);
                };
                items = parent_items;
                needed = parent_needed;
                items.push(PatItem::Nested(pattern));
                continue;
            }
            match self.pat_head()? {
                PatHead::Done(item) => items.push(item),
                PatHead::Nested(n) => {
                    if parents.len() >= MAX_DEPTH {
                        return Err(self.corrupt("pattern nested too deep"));
                    }
                    parents.push((std::mem::take(&mut items), needed));
                    needed = n;
                }
            }
        }
    }

    fn pat_head(&mut self) -> Result<PatHead> {
        Ok(PatHead::Done(match self.u8()? {
            PAT_BIND => PatItem::Bind {
                slot: self.u32()?,
                default: self.bool()?,
                cell: self.bool()?,
            },
            PAT_REST => PatItem::Rest {
                slot: self.u32()?,
                cell: self.bool()?,
            },
            PAT_NESTED => return Ok(PatHead::Nested(self.count()?)),
            PAT_LITERAL => PatItem::Literal(self.value()?),
            PAT_SKIP => PatItem::Skip,
            PAT_NAMED => PatItem::Named {
                key: self.symbol()?,
                slot: self.u32()?,
                default: self.bool()?,
                cell: self.bool()?,
            },
            PAT_NAMED_REST => PatItem::NamedRest {
                slot: self.u32()?,
                cell: self.bool()?,
            },
            PAT_SELF_PROP => PatItem::SelfProp(self.symbol()?),
            _ => return Err(self.corrupt("unknown pattern item")),
        }))
    }
}
