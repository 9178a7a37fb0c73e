//! Member and index access (spec 02 §2.7, 03 §3.15), classes of values and
//! method lookup.

use crate::errors::VmResult;
use crate::names::namespace_of;
use crate::vm::Vm;
use gene_core::heap::{self, Obj};
use gene_core::object::PropMap;
use gene_core::print::{repr, type_name};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Resolves a possibly negative index against a length.
pub fn resolve_index(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if i < 0 { i + len } else { i };
    (0..len).contains(&i).then_some(i as usize)
}

/// Bumped whenever a class gains or replaces a method: a cached method
/// lookup is valid only in the epoch it was made in.
static METHOD_EPOCH: AtomicU64 = AtomicU64::new(1);

/// Records that some class's methods changed.
pub(crate) fn methods_changed() {
    METHOD_EPOCH.fetch_add(1, Ordering::Relaxed);
}

/// 1 while the Int methods native code inlines
/// (`numeric::INLINED_INT_METHODS`) can only be the built-in ones; native
/// code reads this symbol. Defining a method of one of those names on any
/// class (which might be Int or an ancestor) sets it to 0 for the rest of
/// the run, and native code then calls them as any method.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_int_methods_builtin: AtomicU64 = AtomicU64::new(1);

/// Records that a program defined method `name` on some class.
pub(crate) fn program_defined_method(name: Symbol) {
    if gene_core::numeric::INLINED_INT_METHODS.contains(&name.name()) {
        gene_int_methods_builtin.store(0, Ordering::Relaxed);
    }
}

/// Where in an instance's properties a member site last found its member
/// (an index; a miss just looks the member up and remembers the new
/// place). The interpreter keeps one per pc (`Proto::prop_hints`), native
/// code one per site.
pub struct PropHint<'a>(pub &'a Cell<u64>);

impl PropHint<'_> {
    /// The property `name`, or nil.
    #[inline]
    pub fn get(&self, props: &PropMap, name: Symbol) -> Value {
        if let Some((k, v)) = props.get_index(self.0.get() as usize) {
            if *k == name {
                return *v;
            }
        }
        match props.get_full(&name) {
            Some((at, _, v)) => {
                self.0.set(at as u64);
                *v
            }
            None => Value::NIL,
        }
    }

    /// Sets the property `name` to `v`.
    #[inline]
    pub fn set(&self, props: &mut PropMap, name: Symbol, v: Value) {
        match props.get_index_mut(self.0.get() as usize) {
            Some((k, slot)) if *k == name => *slot = v,
            _ => self.0.set(props.insert_full(name, v).0 as u64),
        }
    }
}

impl Vm {
    /// The class of any value.
    pub fn class_of(&self, v: Value) -> Value {
        let c = &self.classes;
        // Heap objects first: instances are the receivers of most method
        // calls.
        if let Some(obj) = v.obj() {
            return match obj {
                Obj::Int(_) => c.int,
                Obj::Str(_) => c.string,
                Obj::ComplexSymbol(_) => c.complex_symbol,
                Obj::Array(_) => c.array,
                Obj::Map(_) => c.map,
                Obj::Set(_) => c.set,
                Obj::Gene(_) => c.gene,
                Obj::Range(_) => c.range,
                Obj::Function(f) if f.kind == gene_core::object::FnKind::Block => c.block,
                Obj::Function(_) | Obj::Native(_) | Obj::BoundMethod(_) => c.function,
                Obj::Class(_) => c.class,
                Obj::Instance(i) => i.class,
                Obj::Namespace(_) => c.namespace,
                Obj::Future(_) => c.future,
                Obj::File(_) => c.file,
                Obj::EnumType(_) => c.enum_type,
                Obj::EnumMember(_) => c.enum_member,
                Obj::Custom(x) if x.class.obj().is_some() => x.class,
                Obj::Host(h) => h.class(),
                Obj::Regex(_) => crate::builtins::regex_class().unwrap_or(c.object),
                _ => c.object,
            };
        }
        if v.is_float() {
            c.float
        } else if v.is_small_int() {
            c.int
        } else if v.as_char().is_some() {
            c.char
        } else if v.as_symbol().is_some() {
            c.symbol
        } else if v == Value::NIL {
            c.nil
        } else if v == Value::TRUE || v == Value::FALSE {
            c.bool
        } else {
            c.object
        }
    }

    /// Whether `v`'s class is `class` or inherits from it.
    pub fn is_instance_of(&self, v: Value, class: Value) -> bool {
        let mut c = self.class_of(v);
        for _ in 0..10_000 {
            if c == class {
                return true;
            }
            match c.obj() {
                Some(Obj::Class(k)) => c = k.parent.get(),
                _ => return false,
            }
        }
        false
    }

    /// The method `name` of `class` or its ancestors.
    /// The current method epoch (see [`methods_changed`]).
    pub fn method_epoch() -> u64 {
        METHOD_EPOCH.load(Ordering::Relaxed)
    }

    /// The method `name` of `receiver`'s class, or the NoMethodError.
    pub fn method_of(&self, receiver: Value, name: Symbol) -> VmResult<Value> {
        self.find_method(self.class_of(receiver), name)
            .ok_or_else(|| self.no_method(receiver, name))
    }

    pub fn find_method(&self, class: Value, name: Symbol) -> Option<Value> {
        let mut c = class;
        for _ in 0..10_000 {
            let Some(Obj::Class(k)) = c.obj() else {
                return None;
            };
            if let Some(m) = k.methods.borrow().get(&name) {
                return Some(*m);
            }
            c = k.parent.get();
        }
        None
    }

    /// `obj/name` at a site with a property hint. (Out of line, like the
    /// other helpers of the interpreter loop: inlined, they slow every
    /// instruction down.)
    #[inline(never)]
    pub fn get_member_hinted(&self, obj: Value, name: Symbol, hint: PropHint) -> VmResult {
        match obj.obj() {
            Some(Obj::Instance(i)) => match i.props.try_borrow() {
                Ok(props) => Ok(hint.get(&props, name)),
                Err(_) => self.get_member(obj, name),
            },
            _ => self.get_member(obj, name),
        }
    }

    /// `(obj/name = v)` at a site with a property hint.
    #[inline(never)]
    pub fn set_member_hinted(
        &mut self,
        obj: Value,
        name: Symbol,
        v: Value,
        hint: PropHint,
    ) -> VmResult<()> {
        if let Some(Obj::Instance(i)) = obj.obj() {
            if let Ok(mut props) = i.props.try_borrow_mut() {
                gene_core::gc::write_barrier(obj, v);
                hint.set(&mut props, name, v);
                return Ok(());
            }
        }
        self.set_member(obj, name, v)
    }

    /// `obj/name`.
    pub fn get_member(&self, obj: Value, name: Symbol) -> VmResult {
        if obj.is_nil() {
            return Err(self.error(
                ErrorKind::TypeError,
                format!("Cannot access member '{name}' on nil value"),
            ));
        }
        Ok(match obj.obj() {
            Some(Obj::Map(m)) => m.borrow().get(&name).copied().unwrap_or(Value::NIL),
            Some(Obj::Gene(g)) => g.props.borrow().get(&name).copied().unwrap_or(Value::NIL),
            Some(Obj::Instance(i)) => i.props.borrow().get(&name).copied().unwrap_or(Value::NIL),
            Some(Obj::Namespace(_)) | Some(Obj::Class(_)) => {
                match namespace_of(obj).and_then(|ns| ns.get(name)) {
                    Some(v) => v,
                    // `genex/<name>`: an extension loaded on first access.
                    None if obj.bits() == self.genex_ns.bits() => self.load_genex(name)?,
                    None => Value::NIL,
                }
            }
            Some(Obj::EnumType(e)) => match e.members.borrow().get(&name) {
                Some(v) => *v,
                None => {
                    return Err(self.error(
                        ErrorKind::TypeError,
                        format!("enum {} has no member {name}", e.name),
                    ))
                }
            },
            _ => Value::NIL,
        })
    }

    /// `coll/i`: arrays, gene children, ranges, string characters.
    pub fn get_child(&self, coll: Value, i: i64) -> VmResult {
        if coll.is_nil() {
            return Err(self.error(
                ErrorKind::TypeError,
                format!("Cannot access member '{i}' on nil value"),
            ));
        }
        Ok(match coll.obj() {
            Some(Obj::Array(a)) => {
                let a = a.borrow();
                resolve_index(i, a.len()).map_or(Value::NIL, |i| a[i])
            }
            Some(Obj::Gene(g)) => {
                let c = g.children.borrow();
                resolve_index(i, c.len()).map_or(Value::NIL, |i| c[i])
            }
            Some(Obj::Range(r)) => resolve_index(i, r.len().max(0) as usize)
                .and_then(|i| r.get(i as i64))
                .map_or(Value::NIL, Value::int),
            Some(Obj::Str(s)) => {
                let n = s.chars().count();
                resolve_index(i, n)
                    .and_then(|i| s.chars().nth(i))
                    .map_or(Value::NIL, Value::char)
            }
            Some(Obj::Map(_)) | Some(Obj::Instance(_)) | Some(Obj::Namespace(_)) => {
                self.get_member(coll, Symbol::intern(&i.to_string()))?
            }
            _ => Value::NIL,
        })
    }

    /// `(obj/name = v)`.
    pub fn set_member(&mut self, obj: Value, name: Symbol, v: Value) -> VmResult<()> {
        gene_core::gc::write_barrier(obj, v);
        // A path index too large for the instruction's 32 bits (`a/4294967296`)
        // arrives as a member name; for an array or a gene's children it is
        // still an index, and out of bounds.
        if matches!(obj.obj(), Some(Obj::Array(_) | Obj::Gene(_))) && is_index_text(name.name()) {
            return Err(self.error(ErrorKind::IndexError, format!("Index {name} out of bounds")));
        }
        match obj.obj() {
            Some(Obj::Map(m)) => {
                m.borrow_mut().insert(name, v);
            }
            Some(Obj::Gene(g)) => {
                g.props.borrow_mut().insert(name, v);
            }
            Some(Obj::Instance(i)) => {
                i.props.borrow_mut().insert(name, v);
            }
            Some(Obj::Namespace(_)) | Some(Obj::Class(_)) => self.define_member(obj, name, v),
            _ => {
                return Err(self.error(
                    ErrorKind::TypeError,
                    format!(
                        "Cannot set member '{name}' on {} {}",
                        type_name(obj),
                        repr(obj)
                    ),
                ))
            }
        }
        Ok(())
    }

    /// `(coll/i = v)`: out-of-range writes raise `IndexError`.
    pub fn set_child(&mut self, coll: Value, i: i64, v: Value) -> VmResult<()> {
        gene_core::gc::write_barrier(coll, v);
        let out_of_bounds = || format!("Index {i} out of bounds");
        match coll.obj() {
            Some(Obj::Array(a)) => {
                let mut a = a.borrow_mut();
                match resolve_index(i, a.len()) {
                    Some(i) => a[i] = v,
                    None => {
                        drop(a);
                        return Err(self.error(ErrorKind::IndexError, out_of_bounds()));
                    }
                }
            }
            Some(Obj::Gene(g)) => {
                let mut c = g.children.borrow_mut();
                match resolve_index(i, c.len()) {
                    Some(i) => c[i] = v,
                    None => {
                        drop(c);
                        return Err(self.error(ErrorKind::IndexError, out_of_bounds()));
                    }
                }
            }
            _ => return self.set_member(coll, Symbol::intern(&i.to_string()), v),
        }
        Ok(())
    }

    /// Converts a selector or dynamic key to what it addresses.
    fn key_of(key: Value) -> Option<Result<i64, Symbol>> {
        if let Some(i) = key.as_int() {
            return Some(Ok(i));
        }
        if let Some(s) = key.as_symbol() {
            return Some(Err(s));
        }
        key.as_str().map(|s| Err(Symbol::intern(s)))
    }

    /// `(./ obj key default)`: nil-safe access with a default.
    pub fn select(&self, obj: Value, key: Value, default: Value) -> VmResult {
        // A string naming no symbol names no entry of any target: answer
        // without interning it (lookups of absent keys would otherwise
        // grow the symbol table).
        if key.as_str().is_some_and(|s| Symbol::lookup(s).is_none()) {
            return Ok(default);
        }
        let found = match (Self::key_of(key), obj.obj()) {
            (_, None) => Value::NIL,
            (Some(Ok(i)), Some(_)) => self.get_child(obj, i)?,
            (Some(Err(name)), Some(Obj::EnumType(e))) => {
                e.members.borrow().get(&name).copied().unwrap_or(Value::NIL)
            }
            (Some(Err(name)), Some(_)) => self.get_member(obj, name)?,
            (None, _) => Value::NIL,
        };
        Ok(if found.is_nil() { default } else { found })
    }

    /// `(obj ./ key = v)` and `$set`: assigns through a dynamic key.
    pub fn set_key(&mut self, obj: Value, key: Value, v: Value) -> VmResult<()> {
        match Self::key_of(key) {
            Some(Ok(i)) => self.set_child(obj, i, v),
            Some(Err(name)) => self.set_member(obj, name, v),
            None => Err(self.error(ErrorKind::TypeError, format!("Invalid key {}", repr(key)))),
        }
    }

    /// A new string value.
    pub fn string(&self, s: impl Into<heap::Text>) -> Value {
        heap::string(s)
    }
}

/// Whether a path segment is an integer (`4294967296`, `-5`).
fn is_index_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}
