//! The heap: every object a [`Value`] can point to, and the one API through
//! which objects are allocated.
//!
//! Every allocation goes through [`alloc`], which registers the object with
//! the collector ([`crate::gc`]); every object kind can enumerate the values
//! it holds ([`Obj::trace`]).

use crate::object::{
    BoundMethod, Class, Custom, EnumMember, EnumType, Function, Future, Gene, HostValue, Instance,
    Namespace, NativeFn, PropMap, Range, Regex,
};
use crate::stream::FileObj;
use crate::symbol::Symbol;
use crate::value::Value;
use std::cell::{Cell, RefCell};

/// The text of a string: up to [`Text::INLINE`] bytes are kept in the
/// object itself, so short strings (keys, numbers, words) need no buffer.
pub enum Text {
    Inline { len: u8, bytes: [u8; Text::INLINE] },
    Heap(Box<str>),
}

impl Text {
    pub const INLINE: usize = 30;

    fn inline(s: &str) -> Option<Text> {
        let mut bytes = [0; Text::INLINE];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Text::Inline {
            len: s.len() as u8,
            bytes,
        })
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            // Safety: inline bytes are always copied from a whole `str`.
            Text::Inline { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(&bytes[..*len as usize])
            },
            Text::Heap(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        **self == **other
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::inline(s).unwrap_or_else(|| Text::Heap(s.into()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::inline(&s).unwrap_or_else(|| Text::Heap(s.into_boxed_str()))
    }
}

impl From<Box<str>> for Text {
    fn from(s: Box<str>) -> Text {
        Text::inline(&s).unwrap_or(Text::Heap(s))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(s: std::borrow::Cow<'_, str>) -> Text {
        match s {
            std::borrow::Cow::Borrowed(s) => Text::from(s),
            std::borrow::Cow::Owned(s) => Text::from(s),
        }
    }
}

/// The elements of an array or set: up to two are stored in the object itself,
/// so small arrays (pairs, tree nodes) need no separate buffer.
pub type Items = smallvec::SmallVec<[Value; 2]>;

/// A heap object with its collector header: one cell of the collector's
/// pages ([`crate::gc`]). `repr(C)` puts the state first, where the
/// collector reads it whether the cell holds an object or is free.
#[repr(C)]
pub struct GcBox {
    pub(crate) state: Cell<u8>,
    pub obj: Obj,
}

/// The heap object kinds.
pub enum Obj {
    /// An int outside the 50-bit immediate range.
    Int(i64),
    Str(Text),
    ComplexSymbol(Box<[Symbol]>),
    Array(RefCell<Items>),
    Map(Box<RefCell<PropMap>>),
    Set(RefCell<Items>),
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
    Function(Box<Function>),
    Native(NativeFn),
    BoundMethod(BoundMethod),
    Class(Box<Class>),
    Instance(Box<Instance>),
    Namespace(Box<Namespace>),
    Future(Box<Future>),
    EnumType(Box<EnumType>),
    EnumMember(EnumMember),
    /// A host object of an extension, finalized when unreachable.
    Custom(Box<Custom>),
    /// An open stream (spec 07 §7.3); dropping it closes the file.
    File(Box<FileObj>),
    /// A regular expression (spec 07 §7.6).
    Regex(Box<Regex>),
    /// A value of a library kind (DateTime, Match), freed with its cell.
    Host(Box<dyn HostValue>),
}

/// Allocates `obj` on the heap and returns a value pointing to it.
/// Inlined, so the object is built in its cell rather than copied there.
#[inline(always)]
pub fn alloc(obj: Obj) -> Value {
    let size = std::mem::size_of::<GcBox>() as u64 + obj.payload_size();
    let cell = crate::gc::allocate_cell(size);
    // Safety: `allocate_cell` hands out a free, writable cell of the size of
    // a `GcBox`, which the collector frees only once nothing reaches it.
    // The fields are written one by one: building the whole box in a
    // temporary first costs a store-forwarding stall on every allocation.
    unsafe {
        std::ptr::addr_of_mut!((*cell).obj).write(obj);
        std::ptr::addr_of_mut!((*cell).state).write(Cell::new(crate::gc::LIVE));
        Value::from_ptr(cell)
    }
}

pub fn string(s: impl Into<Text>) -> Value {
    alloc(Obj::Str(s.into()))
}

pub fn array(items: Vec<Value>) -> Value {
    array_of(Items::from_vec(items))
}

#[inline]
pub fn array_of(items: Items) -> Value {
    alloc(Obj::Array(RefCell::new(items)))
}

pub fn map(entries: PropMap) -> Value {
    alloc(Obj::Map(Box::new(RefCell::new(entries))))
}

/// A host object whose `finalizer` the collector calls with `data` once the
/// object is unreachable.
pub fn custom(custom: Custom) -> Value {
    let v = alloc(Obj::Custom(Box::new(custom)));
    crate::gc::register_finalizable(v);
    v
}

impl Obj {
    /// Bytes the object owns outside its cell (string text, element
    /// buffers, boxed payloads), as allocated.
    #[inline]
    pub fn payload_size(&self) -> u64 {
        // Arrays and plain values first, inline: they are most objects, and
        // allocation and marking ask for every object's size.
        match self {
            Obj::Array(items) | Obj::Set(items) => {
                let items = items.borrow();
                if items.spilled() {
                    items.capacity() as u64 * 8
                } else {
                    0
                }
            }
            Obj::Int(_) | Obj::Str(Text::Inline { .. }) | Obj::Cell(_) | Obj::Range(_) => 0,
            _ => self.boxed_payload_size(),
        }
    }

    /// `payload_size` of the kinds with boxed or variable-size payloads.
    #[inline(never)]
    fn boxed_payload_size(&self) -> u64 {
        use std::mem::size_of;
        // An entry of a symbol-keyed map: hash, key and value, plus its index.
        const ENTRY: usize = 32;
        (match self {
            Obj::Str(Text::Heap(s)) => s.len(),
            Obj::ComplexSymbol(parts) => parts.len() * size_of::<Symbol>(),
            Obj::Map(m) => size_of::<RefCell<PropMap>>() + m.borrow().capacity() * ENTRY,
            Obj::Function(f) => size_of::<Function>() + f.upvalues.len() * 8,
            Obj::Instance(i) => size_of::<Instance>() + i.props.borrow().capacity() * ENTRY,
            Obj::Gene(g) => {
                size_of::<Gene>()
                    + g.props.borrow().capacity() * ENTRY
                    + g.children.borrow().capacity() * 8
            }
            Obj::Class(_) => size_of::<Class>(),
            Obj::Namespace(_) => size_of::<Namespace>(),
            Obj::Future(_) => size_of::<Future>(),
            Obj::EnumType(_) => size_of::<EnumType>(),
            Obj::Custom(_) => size_of::<Custom>(),
            Obj::File(f) => size_of::<FileObj>() + f.name.len() + f.buffer_bytes,
            Obj::Regex(r) => size_of::<Regex>() + r.pattern.len(),
            Obj::Host(h) => std::mem::size_of_val(&**h),
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
            Obj::Custom(c) => visit(c.class),
            Obj::File(_) => {}
            Obj::Regex(_) => {}
            Obj::Host(h) => {
                visit(h.class());
                h.trace(visit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object pays for the largest variant: keep the common ones
    /// small and box the rare, large ones.
    #[test]
    fn short_strings_are_kept_inline() {
        let short = Text::from("exactly thirty bytes of text!!");
        assert!(matches!(short, Text::Inline { .. }));
        assert_eq!(&*short, "exactly thirty bytes of text!!");
        let long = Text::from(String::from("thirty-one bytes of text here!!"));
        assert!(matches!(long, Text::Heap(_)));
        assert_eq!(&*long, "thirty-one bytes of text here!!");
        assert_eq!(&*Text::from("é"), "é");
    }

    #[test]
    fn objects_stay_small() {
        let size = std::mem::size_of::<GcBox>();
        assert!(size <= 48, "GcBox is {size} bytes");
    }
}
