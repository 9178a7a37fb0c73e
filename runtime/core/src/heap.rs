//! The heap: every object a [`Value`] can point to, and the one API through
//! which objects are allocated.
//!
//! Every allocation goes through [`alloc`], which registers the object with
//! the collector ([`crate::gc`]); every object kind can enumerate the values
//! it holds ([`Obj::trace`]).

use crate::object::{
    BoundMethod, Class, EnumMember, EnumType, Function, Future, Gene, Instance, Namespace,
    NativeFn, PropMap, Range,
};
use crate::symbol::Symbol;
use crate::value::Value;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};

/// A heap object with its collector header.
pub struct GcBox {
    pub marked: Cell<bool>,
    pub obj: Obj,
}

/// The heap object kinds.
pub enum Obj {
    /// An int outside the 50-bit immediate range.
    Int(i64),
    Str(Box<str>),
    ComplexSymbol(Box<[Symbol]>),
    Array(RefCell<Vec<Value>>),
    Map(RefCell<PropMap>),
    Set(RefCell<Vec<Value>>),
    Gene(Box<Gene>),
    Range(Range),
    /// A quote kept inside quoted data (spec 02 §2.9).
    Quote(Value),
    /// `%x` (false) or `%_x` (true) inside quoted data.
    Unquote(Value, bool),
    /// A transient spread marker consumed by the enclosing array or call.
    Explode(Value),
    /// A captured variable.
    Cell(Cell<Value>),
    Function(Function),
    Native(NativeFn),
    BoundMethod(BoundMethod),
    Class(Box<Class>),
    Instance(Instance),
    Namespace(Box<Namespace>),
    Future(Box<Future>),
    EnumType(Box<EnumType>),
    EnumMember(EnumMember),
}

static BYTES_ALLOCATED: AtomicU64 = AtomicU64::new(0);

/// Allocates `obj` on the heap and returns a value pointing to it.
pub fn alloc(obj: Obj) -> Value {
    let size = std::mem::size_of::<GcBox>() as u64 + obj.payload_size();
    BYTES_ALLOCATED.fetch_add(size, Ordering::Relaxed);
    let raw = Box::into_raw(Box::new(GcBox {
        marked: Cell::new(false),
        obj,
    }));
    crate::gc::register(raw, size);
    // Safety: the collector frees the box only once nothing reaches it.
    unsafe { Value::from_ptr(raw) }
}

/// Bytes handed out by [`alloc`] so far (object headers and inline payloads).
pub fn bytes_allocated() -> u64 {
    BYTES_ALLOCATED.load(Ordering::Relaxed)
}

pub fn string(s: impl Into<Box<str>>) -> Value {
    alloc(Obj::Str(s.into()))
}

pub fn array(items: Vec<Value>) -> Value {
    alloc(Obj::Array(RefCell::new(items)))
}

pub fn map(entries: PropMap) -> Value {
    alloc(Obj::Map(RefCell::new(entries)))
}

impl Obj {
    /// Bytes the object owns outside its box (string text, element
    /// buffers), as allocated.
    pub fn payload_size(&self) -> u64 {
        (match self {
            Obj::Str(s) => s.len(),
            Obj::Array(items) | Obj::Set(items) => items.borrow().capacity() * 8,
            Obj::Map(m) => m.borrow().capacity() * 24,
            Obj::Function(f) => f.upvalues.len() * 8,
            _ => 0,
        }) as u64
    }

    /// Calls `visit` on every value this object holds.
    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        match self {
            Obj::Int(_) | Obj::Str(_) | Obj::ComplexSymbol(_) | Obj::Range(_) | Obj::Native(_) => {}
            Obj::Array(items) | Obj::Set(items) => items.borrow().iter().for_each(|v| visit(*v)),
            Obj::Map(m) => m.borrow().values().for_each(|v| visit(*v)),
            Obj::Gene(g) => {
                visit(g.ty.get());
                g.props.borrow().values().for_each(|v| visit(*v));
                g.children.borrow().iter().for_each(|v| visit(*v));
            }
            Obj::Quote(v) | Obj::Unquote(v, _) | Obj::Explode(v) => visit(*v),
            Obj::Cell(c) => visit(c.get()),
            Obj::Function(f) => {
                f.upvalues.iter().for_each(|v| visit(*v));
                visit(f.self_val);
                visit(f.ns);
                visit(f.owner.get());
                f.proto.consts.iter().for_each(|v| visit(*v));
            }
            Obj::BoundMethod(b) => {
                visit(b.receiver);
                visit(b.method);
            }
            Obj::Class(c) => {
                visit(c.parent.get());
                c.methods.borrow().values().for_each(|v| visit(*v));
                c.ns.trace(visit);
            }
            Obj::Instance(i) => {
                visit(i.class);
                i.props.borrow().values().for_each(|v| visit(*v));
            }
            Obj::Namespace(n) => n.trace(visit),
            Obj::Future(f) => {
                visit(f.value.get());
                f.on_success.borrow().iter().for_each(|v| visit(*v));
                f.on_failure.borrow().iter().for_each(|v| visit(*v));
            }
            Obj::EnumType(e) => e.members.borrow().values().for_each(|v| visit(*v)),
            Obj::EnumMember(m) => visit(m.parent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object pays for the largest variant: keep the common ones
    /// small and box the rare, large ones.
    #[test]
    fn objects_stay_small() {
        let size = std::mem::size_of::<GcBox>();
        assert!(size <= 96, "GcBox is {size} bytes");
    }
}
