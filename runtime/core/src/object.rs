//! The payloads of heap objects other than plain data.

use crate::bytecode::Proto;
use crate::symbol::Symbol;
use crate::value::Value;
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::cell::{Cell, RefCell};

/// Maps, gene props, instance props and namespace members: symbol keys in
/// insertion order.
pub type PropMap = IndexMap<Symbol, Value, FxBuildHasher>;

pub fn prop_map() -> PropMap {
    PropMap::default()
}

/// `(type ^k v ... child ...)` as data.
pub struct Gene {
    pub ty: Cell<Value>,
    pub props: RefCell<PropMap>,
    pub children: RefCell<Vec<Value>>,
}

/// `(a .. b)`: inclusive of `end`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Range {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Range {
    pub fn len(&self) -> i64 {
        if self.step == 0 {
            return 0;
        }
        let span = self.end as i128 - self.start as i128;
        if (span >= 0) != (self.step > 0) && span != 0 {
            return 0;
        }
        (span / self.step as i128 + 1).clamp(0, i64::MAX as i128) as i64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: i64) -> Option<i64> {
        if i >= 0 && i < self.len() {
            Some(self.start + i * self.step)
        } else {
            None
        }
    }

    pub fn contains(&self, x: i64) -> bool {
        let (lo, hi) = if self.step > 0 {
            (self.start, self.end)
        } else {
            (self.end, self.start)
        };
        x >= lo && x <= hi && (x - self.start) % self.step == 0
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FnKind {
    Function,
    Block,
    Macro,
}

/// A closure: a Proto plus the cells it captured.
pub struct Function {
    pub proto: &'static Proto,
    pub kind: FnKind,
    /// Cells of captured variables, in the order of `proto.captures`.
    pub upvalues: Box<[Value]>,
    /// The receiver a block shares with its defining context (nil otherwise).
    pub self_val: Value,
    /// The namespace the function was defined in.
    pub ns: Value,
    /// The class a method belongs to (for `super`), or nil.
    pub owner: Cell<Value>,
    pub is_async: bool,
}

/// A host function; the VM maps `id` to its implementation.
pub struct NativeFn {
    pub name: Symbol,
    pub id: u32,
}

pub struct BoundMethod {
    pub receiver: Value,
    pub method: Value,
}

/// A named member table with an optional parent namespace.
pub struct Namespace {
    pub name: Symbol,
    pub parent: Value,
    pub members: RefCell<PropMap>,
}

impl Namespace {
    pub fn new(name: Symbol, parent: Value) -> Namespace {
        Namespace {
            name,
            parent,
            members: RefCell::new(prop_map()),
        }
    }

    pub fn get(&self, key: Symbol) -> Option<Value> {
        self.members.borrow().get(&key).copied()
    }

    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        visit(self.parent);
        self.members.borrow().values().for_each(|v| visit(*v));
    }
}

pub struct Class {
    pub parent: Cell<Value>,
    pub methods: RefCell<PropMap>,
    /// Class members (`(var /x v)`, `fn` in the body); also its name.
    pub ns: Namespace,
    /// Built-in value classes cannot be instantiated with `new`.
    pub builtin: bool,
}

pub struct Instance {
    pub class: Value,
    pub props: RefCell<PropMap>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FutureState {
    Pending,
    Success,
    Failure,
}

pub struct Future {
    pub state: Cell<FutureState>,
    pub value: Cell<Value>,
    pub on_success: RefCell<Vec<Value>>,
    pub on_failure: RefCell<Vec<Value>>,
}

pub struct EnumType {
    pub name: Symbol,
    pub members: RefCell<PropMap>,
}

pub struct EnumMember {
    pub parent: Value,
    pub name: Symbol,
    pub value: i64,
}

/// A finalizer: called with the host data of an unreachable [`Custom`].
pub type Finalizer = unsafe extern "C" fn(*mut std::ffi::c_void);

/// An opaque host object owned by an extension (spec 02, `Custom`): its data
/// pointer, the function that releases it, and the class giving it methods
/// (or nil).
pub struct Custom {
    pub data: *mut std::ffi::c_void,
    pub finalizer: Cell<Option<Finalizer>>,
    pub class: Value,
}

impl Custom {
    /// Runs the finalizer, at most once.
    pub fn finalize(&self) {
        if let Some(f) = self.finalizer.take() {
            // Safety: the extension that made the object supplied `f` for
            // exactly this data.
            unsafe { f(self.data) }
        }
    }
}

/// A value of a kind the runtime's library defines (a DateTime, a regex
/// Match): core traces, prints, compares and frees it through this trait and
/// knows nothing of its payload, so the crates behind it (dates, regular
/// expressions) stay out of core.
pub trait HostValue: std::any::Any {
    /// The class giving the value its methods.
    fn class(&self) -> Value;
    /// The class name, for messages.
    fn type_name(&self) -> &'static str;
    /// Appends the display form (or the repr form when `repr`).
    fn write(&self, out: &mut String, repr: bool);
    /// Calls `visit` on every value held.
    fn trace(&self, _visit: &mut dyn FnMut(Value)) {}
    /// The order of two values of the same kind, if they have one (`<`,
    /// `==` ...).
    fn compare(&self, _other: &dyn HostValue) -> Option<std::cmp::Ordering> {
        None
    }
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A regular expression (spec 07 §7.6): its pattern (`\/` already read as
/// `/`), its flags, and the compiled matcher, built by the runtime on first
/// use (core does not link the regex engine; the reader has validated the
/// pattern).
pub struct Regex {
    pub pattern: Box<str>,
    /// [`Regex::FLAGS`] bits.
    pub flags: u8,
    pub compiled: std::cell::OnceCell<Box<dyn std::any::Any>>,
}

impl Regex {
    /// The flag letters in printing order, bit `i` for letter `i`.
    pub const FLAGS: &'static str = "imsx";

    pub fn new(pattern: impl Into<Box<str>>, flags: u8) -> Regex {
        Regex {
            pattern: pattern.into(),
            flags,
            compiled: std::cell::OnceCell::new(),
        }
    }

    /// The flag bits of `letters`, or the first letter that is not a flag.
    pub fn parse_flags(letters: &str) -> Result<u8, char> {
        let mut bits = 0;
        for c in letters.chars() {
            match Regex::FLAGS.find(c) {
                Some(i) => bits |= 1 << i,
                None => return Err(c),
            }
        }
        Ok(bits)
    }

    /// The flag letters, in the order `imsx`.
    pub fn flag_letters(&self) -> String {
        Regex::FLAGS
            .chars()
            .enumerate()
            .filter(|(i, _)| self.flags & (1 << i) != 0)
            .map(|(_, c)| c)
            .collect()
    }

    /// The literal: `#/pattern/flags`, `/` escaped as `\/`.
    pub fn literal(&self) -> String {
        let mut out = String::from("#/");
        let mut escaped = false;
        for c in self.pattern.chars() {
            if c == '/' && !escaped {
                out.push('\\');
            }
            escaped = c == '\\' && !escaped;
            out.push(c);
        }
        out.push('/');
        out.push_str(&self.flag_letters());
        out
    }
}
