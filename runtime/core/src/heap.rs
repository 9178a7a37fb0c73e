//! The heap: every object a [`Value`] can point to, and the one API through
//! which objects are allocated.
//!
//! Every allocation goes through [`alloc`], and every object kind can
//! enumerate the values it holds ([`Obj::trace`]), so that the tracing
//! collector (its own issue) can be switched on behind this API without
//! touching callers. Until then objects are never freed.

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
    Gene(Gene),
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
    Class(Class),
    Instance(Instance),
    Namespace(Namespace),
    Future(Future),
    EnumType(EnumType),
    EnumMember(EnumMember),
}

static BYTES_ALLOCATED: AtomicU64 = AtomicU64::new(0);

/// Allocates `obj` on the heap and returns a value pointing to it.
pub fn alloc(obj: Obj) -> Value {
    BYTES_ALLOCATED.fetch_add(std::mem::size_of::<GcBox>() as u64, Ordering::Relaxed);
    let boxed = Box::new(GcBox {
        marked: Cell::new(false),
        obj,
    });
    // Safety: the box is leaked, so the pointer stays valid.
    unsafe { Value::from_ptr(Box::into_raw(boxed)) }
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
