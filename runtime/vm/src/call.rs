//! The calling convention: how a call sets up a frame or runs a native,
//! and how arguments are bound to parameters and patterns (spec 03 §3.8,
//! §3.10).
//!
//! Layout: the callee (or receiver) sits in the stack slot just below the
//! new frame's slot 0; the call's result replaces it. Positional arguments
//! are pushed above it, so on the fast path they already are slots 0..n.

use crate::errors::VmResult;
use crate::vm::{Frame, Vm};
use gene_core::bytecode::{PatItem, Pattern};
use gene_core::heap::{self, Obj};
use gene_core::numeric::equals;
use gene_core::object::{prop_map, FnKind, Function, PropMap};
use gene_core::print::{repr, type_name};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::Cell;

/// What a call resolved to.
pub enum CallOutcome {
    /// A frame was pushed; the interpreter continues in it.
    Frame,
    /// The call finished with this value (natives).
    Done(Value),
}

/// How a callee is invoked beyond its arguments.
#[derive(Clone, Copy)]
pub struct CallSite {
    pub self_val: Value,
    pub returns_self: bool,
    pub macro_caller: Option<usize>,
}

impl CallSite {
    pub fn plain() -> CallSite {
        CallSite {
            self_val: Value::NIL,
            returns_self: false,
            macro_caller: None,
        }
    }

    pub fn method(receiver: Value) -> CallSite {
        CallSite {
            self_val: receiver,
            ..CallSite::plain()
        }
    }
}

/// Splices spread markers: `[1 xs... 4]`.
pub fn splice(vm: &Vm, items: Vec<Value>) -> VmResult<Vec<Value>> {
    if !items.iter().any(|v| is_spread(*v)) {
        return Ok(items);
    }
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        match v.obj() {
            Some(Obj::Explode(inner)) => match inner.obj() {
                Some(Obj::Array(a)) => out.extend(a.borrow().iter().copied()),
                Some(Obj::Gene(g)) => out.extend(g.children.borrow().iter().copied()),
                _ => {
                    return Err(vm.error(ErrorKind::TypeError, "... can only spread arrays"));
                }
            },
            _ => out.push(v),
        }
    }
    Ok(out)
}

fn is_spread(v: Value) -> bool {
    matches!(v.obj(), Some(Obj::Explode(_)))
}

/// A new array of `items`, with spread markers expanded.
pub fn new_array(vm: &Vm, items: &[Value]) -> VmResult {
    if items.iter().any(|v| is_spread(*v)) {
        return Ok(heap::array(splice(vm, items.to_vec())?));
    }
    // Filled in place: building the elements first and moving them into the
    // new object costs a store-forwarding stall.
    let array = heap::array_of(heap::Items::new());
    if let Some(Obj::Array(a)) = array.obj() {
        a.borrow_mut().extend(items.iter().copied());
    }
    Ok(array)
}

/// A method call site's cache: the receiver class it last saw, the method
/// found for it, and the method epoch of that lookup.
pub type MethodCache = [u64; 3];

impl Vm {
    /// `(receiver .name args...)` run to completion, finding the method
    /// through the site's `cache` (`name` is asked for only when it misses);
    /// a plain native method is called directly.
    pub(crate) fn call_method_cached(
        &mut self,
        receiver: Value,
        name: impl FnOnce() -> Symbol,
        args: &[Value],
        cache: &mut MethodCache,
    ) -> VmResult {
        let class = self.class_of(receiver);
        let epoch = Vm::method_epoch();
        let method = if cache[0] == class.bits() && cache[2] == epoch {
            // Safety: the cache holds a method value found in this epoch;
            // a collection clears the cache.
            unsafe { Value::from_bits(cache[1]) }
        } else {
            let name = name();
            let Some(method) = self.find_method(class, name) else {
                return Err(self.no_method(receiver, name));
            };
            *cache = [class.bits(), method.bits(), epoch];
            method
        };
        if !args.iter().any(|a| is_spread(*a)) {
            match method.obj() {
                Some(Obj::Function(f)) if f.kind == FnKind::Function && !f.proto.is_async => {
                    if let Some(code) = f.proto.native.get() {
                        return self.call_native(code, method, receiver, args, Value::NIL);
                    }
                }
                Some(Obj::Native(n)) => return self.run_host_fn(n.id, receiver, args, None),
                _ => {}
            }
        }
        let args = args.to_vec();
        self.complete_call(|vm| vm.call_general(method, args, None, CallSite::method(receiver)))
    }

    /// Runs host function `id` (a built-in, or an extension's when it has
    /// `EXT_NATIVE_BIT`) on `args`.
    pub(crate) fn run_host_fn(
        &mut self,
        id: u32,
        self_val: Value,
        args: &[Value],
        props: Option<&PropMap>,
    ) -> VmResult {
        self.native_depth += 1;
        let r = if id & crate::extension::EXT_NATIVE_BIT != 0 {
            crate::extension::call(self, id, self_val, args, props)
        } else {
            (self.natives[id as usize].func)(self, self_val, args, props)
        };
        self.native_depth -= 1;
        r
    }

    #[inline(always)]
    fn push_frame(&mut self, frame: Frame) -> VmResult<()> {
        if self.frames_exhausted() {
            return Err(self.depth_overflow());
        }
        self.frames.push(frame);
        Ok(())
    }

    /// The fast path: `callee` is a function with plain positional
    /// parameters and `argc` arguments are on the stack above it; a method
    /// runs with `receiver` as `self`.
    #[inline]
    pub fn call_fast(
        &mut self,
        callee: Value,
        f: &'static Function,
        arity: u32,
        argc: usize,
        receiver: Option<Value>,
    ) -> VmResult<()> {
        let base = self.stack.len() - argc;
        let proto = f.proto;
        self.stack.truncate(base + (arity as usize).min(argc));
        self.stack.resize(base + proto.n_slots as usize, Value::NIL);
        let self_val = match (receiver, f.kind) {
            (Some(receiver), _) => receiver,
            (None, FnKind::Block) => f.self_val,
            (None, _) => Value::NIL,
        };
        self.push_frame(Frame::new(proto, callee, base, self_val, f.ns))
    }

    /// The general path: the callee is in stack slot `base - 1`; `args` and
    /// `props` were already taken off the stack above it.
    pub fn call_general(
        &mut self,
        callee: Value,
        args: Vec<Value>,
        props: Option<PropMap>,
        site: CallSite,
    ) -> VmResult<CallOutcome> {
        let args = splice(self, args)?;
        match callee.obj() {
            Some(Obj::Function(f)) if f.proto.native.get().is_some() => self
                .call_native_function(callee, f, args, props, site)
                .map(CallOutcome::Done),
            Some(Obj::Function(f)) => {
                let base = self.stack.len();
                let proto = f.proto;
                self.stack.resize(base + proto.n_slots as usize, Value::NIL);
                let self_val = match f.kind {
                    FnKind::Block if site.self_val.is_nil() => f.self_val,
                    _ => site.self_val,
                };
                let props = props.unwrap_or_default();
                self.bind_pattern(&proto.params, base, &args, &props, self_val)?;
                let kept_args = if proto.uses_args {
                    gene_frontend::quote::gene(Value::PLACEHOLDER, props, args)
                } else {
                    Value::NIL
                };
                self.push_frame(Frame {
                    returns_self: site.returns_self,
                    macro_caller: site.macro_caller,
                    args: kept_args,
                    ..Frame::new(proto, callee, base, self_val, f.ns)
                })?;
                Ok(CallOutcome::Frame)
            }
            Some(Obj::Native(n)) => self
                .run_host_fn(n.id, site.self_val, &args, props.as_ref())
                .map(CallOutcome::Done),
            Some(Obj::BoundMethod(b)) => {
                let site = CallSite::method(b.receiver);
                self.call_general(b.method, args, props, site)
            }
            Some(Obj::Gene(g)) if crate::selector::is_selector(g) => {
                let keys = g.children.borrow().clone();
                let target = args.first().copied().unwrap_or(Value::NIL);
                Ok(CallOutcome::Done(self.apply_selector(target, &keys)?))
            }
            Some(Obj::Instance(_)) => {
                let call = self.find_method(self.class_of(callee), Symbol::intern("call"));
                match call {
                    Some(m) => self.call_general(m, args, props, CallSite::method(callee)),
                    None => Err(self.not_callable(callee)),
                }
            }
            _ => Err(self.not_callable(callee)),
        }
    }

    /// Calls a function whose Proto was lowered to native code. An async
    /// function's result or exception becomes a future, as in the VM.
    fn call_native_function(
        &mut self,
        callee: Value,
        f: &'static Function,
        args: Vec<Value>,
        props: Option<PropMap>,
        site: CallSite,
    ) -> VmResult {
        let Some(code) = f.proto.native.get() else {
            return Err(self.not_callable(callee));
        };
        let self_val = match f.kind {
            FnKind::Block if site.self_val.is_nil() => f.self_val,
            _ => site.self_val,
        };
        let props = props.map_or(Value::NIL, heap::map);
        let result = self.call_native(code, callee, self_val, &args, props);
        if f.proto.is_async {
            let state = match result {
                Ok(_) => gene_core::object::FutureState::Success,
                Err(_) => gene_core::object::FutureState::Failure,
            };
            return Ok(crate::interp::new_future(
                state,
                result.unwrap_or_else(|e| e),
            ));
        }
        let result = result?;
        Ok(if site.returns_self { self_val } else { result })
    }

    pub fn not_callable(&self, v: Value) -> Value {
        self.error(
            ErrorKind::NotCallable,
            format!("{} is not callable", type_name(v)),
        )
    }

    /// Calls `callee` from Rust (built-ins calling back into Gene) and runs
    /// it to completion.
    pub fn call_value(&mut self, callee: Value, args: &[Value]) -> VmResult {
        if let Some(Obj::Function(f)) = callee.obj() {
            if f.kind != FnKind::Macro
                && !f.proto.is_async
                && self.native_depth < crate::vm::MAX_NATIVE_DEPTH
                && !args.iter().any(|a| is_spread(*a))
            {
                // A plain function or block with native code runs on the
                // arguments in place, with no frame (as
                // `call_native_function` would run it).
                if let Some(code) = f.proto.native.get() {
                    let self_val = match f.kind {
                        FnKind::Block => f.self_val,
                        _ => Value::NIL,
                    };
                    return self.call_native(code, callee, self_val, args, Value::NIL);
                }
                // One with plain parameters gets a frame over the arguments
                // pushed as they are (as `call_with` would, without binding
                // a pattern).
                if let Some(arity) = f.proto.fast_arity {
                    let depth = self.stack.len();
                    self.stack.push(callee);
                    self.stack.extend_from_slice(args);
                    let r = match self.call_fast(callee, f, arity, args.len(), None) {
                        Ok(()) => self.execute_nested(),
                        Err(e) => Err(e),
                    };
                    self.stack.truncate(depth);
                    return r;
                }
            }
        }
        self.call_with(callee, args.to_vec(), None, CallSite::plain())
    }

    pub fn call_with(
        &mut self,
        callee: Value,
        args: Vec<Value>,
        props: Option<PropMap>,
        site: CallSite,
    ) -> VmResult {
        if self.native_depth >= crate::vm::MAX_NATIVE_DEPTH {
            return Err(self.error(
                ErrorKind::StackOverflow,
                "Stack overflow: built-ins calling back into Gene nested too deeply",
            ));
        }
        let depth = self.stack.len();
        self.stack.push(callee);
        match self.call_general(callee, args, props, site) {
            Ok(CallOutcome::Frame) => {
                let r = self.execute_nested();
                self.stack.truncate(depth);
                r
            }
            Ok(CallOutcome::Done(v)) => {
                self.stack.truncate(depth);
                Ok(v)
            }
            Err(e) => {
                self.stack.truncate(depth);
                Err(e)
            }
        }
    }

    /// Calls method `name` of `receiver` from Rust.
    pub fn call_method(&mut self, receiver: Value, name: Symbol, args: &[Value]) -> VmResult {
        let method = self.method_of(receiver, name)?;
        self.call_with(method, args.to_vec(), None, CallSite::method(receiver))
    }

    pub fn no_method(&self, receiver: Value, name: Symbol) -> Value {
        self.error(
            ErrorKind::NoMethodError,
            format!("Method {name} not found on {}", type_name(receiver)),
        )
    }

    /// Binds `pattern` to positional `args` and `props`, writing the frame
    /// slots at `base`. A missing value of an item with a default is left
    /// as the "missing" marker (void) for the default code to replace.
    pub fn bind_pattern(
        &mut self,
        pattern: &Pattern,
        base: usize,
        args: &[Value],
        props: &PropMap,
        self_val: Value,
    ) -> VmResult<()> {
        let items = &pattern.items;
        let positional_after = |from: usize| {
            items[from..]
                .iter()
                .filter(|i| {
                    matches!(
                        i,
                        PatItem::Bind { .. }
                            | PatItem::Nested(_)
                            | PatItem::Literal(_)
                            | PatItem::Skip
                            | PatItem::SelfProp(_)
                    )
                })
                .count()
        };
        let mut pos = 0;
        for (k, item) in items.iter().enumerate() {
            match item {
                PatItem::Bind {
                    slot,
                    default,
                    cell,
                } => {
                    let v = match args.get(pos) {
                        Some(&v) if !(*default && v == Value::PLACEHOLDER) => v,
                        _ if *default => Value::VOID,
                        _ => Value::NIL,
                    };
                    pos += 1;
                    self.store_slot(base, *slot, v, *cell);
                }
                PatItem::Rest { slot, cell } => {
                    let rest = &args[pos.min(args.len())..];
                    let take = match items[k + 1..].iter().find_map(|i| match i {
                        PatItem::Literal(l) => Some(*l),
                        _ => None,
                    }) {
                        Some(stop) => rest
                            .iter()
                            .position(|v| equals(*v, stop))
                            .unwrap_or(rest.len()),
                        None => rest.len().saturating_sub(positional_after(k + 1)),
                    };
                    let collected = heap::array(rest[..take].to_vec());
                    pos += take;
                    self.store_slot(base, *slot, collected, *cell);
                }
                PatItem::Nested(inner) => {
                    let v = args.get(pos).copied().unwrap_or(Value::NIL);
                    pos += 1;
                    let (elems, inner_props) = destructure(v);
                    self.bind_pattern(inner, base, &elems, &inner_props, self_val)?;
                }
                PatItem::Literal(expected) => {
                    let v = args.get(pos).copied().unwrap_or(Value::NIL);
                    pos += 1;
                    if !equals(v, *expected) {
                        return Err(self.error(
                            ErrorKind::MatchError,
                            format!("expected {} but got {}", repr(*expected), repr(v)),
                        ));
                    }
                }
                PatItem::Skip => pos += 1,
                PatItem::Named {
                    key,
                    slot,
                    default,
                    cell,
                } => {
                    let v = match props.get(key) {
                        Some(&v) => v,
                        None if *default => Value::VOID,
                        None => Value::NIL,
                    };
                    self.store_slot(base, *slot, v, *cell);
                }
                PatItem::NamedRest { slot, cell } => {
                    let named: Vec<Symbol> = items
                        .iter()
                        .filter_map(|i| match i {
                            PatItem::Named { key, .. } => Some(*key),
                            _ => None,
                        })
                        .collect();
                    let mut rest = prop_map();
                    for (k, v) in props {
                        if !named.contains(k) {
                            rest.insert(*k, *v);
                        }
                    }
                    self.store_slot(base, *slot, heap::map(rest), *cell);
                }
                PatItem::SelfProp(key) => {
                    let v = args.get(pos).copied().unwrap_or(Value::NIL);
                    pos += 1;
                    self.set_member(self_val, *key, v)?;
                }
            }
        }
        Ok(())
    }

    fn store_slot(&mut self, base: usize, slot: u32, v: Value, cell: bool) {
        let v = if cell {
            heap::alloc(Obj::Cell(Cell::new(v)))
        } else {
            v
        };
        self.stack[base + slot as usize] = v;
    }
}

/// The positional elements and properties a pattern sees in a value.
pub fn destructure(v: Value) -> (Vec<Value>, PropMap) {
    match v.obj() {
        Some(Obj::Array(a)) => (a.borrow().to_vec(), prop_map()),
        Some(Obj::Gene(g)) => (g.children.borrow().clone(), g.props.borrow().clone()),
        Some(Obj::Map(m)) => (Vec::new(), m.borrow().clone()),
        _ => (vec![v], prop_map()),
    }
}
