//! Instructions that pop a fixed number of operands and push one result
//! without touching frame state (see `gene_core::bytecode::step_pops`):
//! one implementation, used by the interpreter for its cold instructions
//! and by native code through the ABI's `gene_step`.

use crate::call::{new_array, splice, CallOutcome, CallSite};
use crate::errors::VmResult;
use crate::interp::new_future;
use crate::vm::{new_class, new_namespace, Vm};
use gene_core::bytecode::{Instr, Proto, ProtoKind};
use gene_core::heap::{self, Obj};
use gene_core::numeric::{self, equals};
use gene_core::object::{prop_map, EnumMember, EnumType, FutureState, PropMap};
use gene_core::print::{display, write_display};
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::RefCell;

impl Vm {
    /// The namespace code of `proto` runs in, for its closure and self.
    pub fn namespace_for(&self, proto: &Proto, closure: Value, self_val: Value) -> Value {
        match closure.obj() {
            Some(Obj::Function(f)) => f.ns,
            // A module's top-level code, run natively (`run_top_level`).
            Some(Obj::Namespace(_)) if proto.kind == ProtoKind::TopLevel => closure,
            _ if proto.kind == ProtoKind::Body => self_val,
            _ => self.global_ns,
        }
    }

    /// Runs a call to completion with a scratch callee slot.
    pub(crate) fn complete_call(
        &mut self,
        call: impl FnOnce(&mut Vm) -> VmResult<CallOutcome>,
    ) -> VmResult {
        let depth = self.stack.len();
        self.stack.push(Value::NIL);
        let r = match call(self) {
            Ok(CallOutcome::Frame) => self.execute_nested(),
            Ok(CallOutcome::Done(v)) => Ok(v),
            Err(e) => Err(e),
        };
        self.stack.truncate(depth);
        r
    }

    /// Executes `instr` of `proto` on `ops` (its operands, in push order).
    pub fn step_instr(
        &mut self,
        proto: &'static Proto,
        instr: Instr,
        closure: Value,
        self_val: Value,
        ops: &[Value],
    ) -> VmResult {
        let ns = self.namespace_for(proto, closure, self_val);
        let nth = |i: usize| ops.get(i).copied().unwrap_or(Value::NIL);
        let (a, b, c) = (nth(0), nth(1), nth(2));
        let keys_of = |k: u32| proto.key_lists[k as usize].clone();
        match instr {
            Instr::GetMember(name) => self.get_member(a, name),
            Instr::GetChild(i) => self.get_child(a, i as i64),
            Instr::Select => self.select(a, b, c),
            Instr::SetMember(name) => self.set_member(a, name, b).map(|_| b),
            Instr::SetChild(i) => self.set_child(a, i as i64, b).map(|_| b),
            Instr::SetKey => self.set_key(a, b, c).map(|_| c),
            Instr::StoreName(name) => self.store_name(ns, name, a).map(|_| a),
            Instr::DefineMember(name) => {
                self.define_member(ns, name, a);
                Ok(a)
            }
            Instr::Neg => numeric::negate(a).map_err(|e| self.raise(e)),
            Instr::MakeArray(_) => new_array(self, ops),
            Instr::MakeSet(_) => {
                let mut unique: Vec<Value> = Vec::with_capacity(ops.len());
                for v in splice(self, ops.to_vec())? {
                    if !unique.iter().any(|u| equals(*u, v)) {
                        unique.push(v);
                    }
                }
                Ok(heap::alloc(Obj::Set(RefCell::new(unique.into()))))
            }
            Instr::MakeMap { keys } => Ok(heap::map(
                keys_of(keys)
                    .iter()
                    .copied()
                    .zip(ops.iter().copied())
                    .collect(),
            )),
            Instr::MakeGene { keys, .. } => {
                let keys = keys_of(keys);
                let kids = ops.get(1 + keys.len()..).unwrap_or_default().to_vec();
                let kids = splice(self, kids)?;
                let props: PropMap = keys.iter().copied().zip(ops[1..].iter().copied()).collect();
                Ok(gene_frontend::quote::gene(a, props, kids))
            }
            Instr::MakeRange => self.make_range(a, b, c),
            Instr::Spread => Ok(heap::alloc(Obj::Explode(a))),
            Instr::Concat(_) => {
                let mut s = String::new();
                for p in ops {
                    write_display(&mut s, *p);
                }
                Ok(heap::string(s))
            }
            Instr::ImportModule => self.import_module(a, proto.file),
            Instr::ImportMember(name) => crate::names::namespace_of(a)
                .and_then(|t| t.get(name))
                .ok_or_else(|| {
                    self.error(
                        ErrorKind::ImportError,
                        format!("Symbol '{name}' not found in namespace"),
                    )
                }),
            Instr::IsA => {
                let (v, class) = (a, b);
                Ok(Value::bool(
                    matches!(class.obj(), Some(Obj::Class(_))) && self.is_instance_of(v, class),
                ))
            }
            Instr::CaseMatch => Ok(Value::bool(self.case_matches(a, b))),
            Instr::Raise { kind, message } => {
                Err(self.error(kind, display(proto.consts[message as usize])))
            }
            Instr::MakeNamespace(name) => Ok(new_namespace(name.name(), ns)),
            Instr::MakeClass(name) => {
                let parent = if a.is_nil() { self.classes.object } else { a };
                if !matches!(parent.obj(), Some(Obj::Class(_))) {
                    return Err(self.error(
                        ErrorKind::TypeError,
                        format!("cannot inherit from {}: not a class", display(parent)),
                    ));
                }
                Ok(new_class(name.name(), parent, ns, false))
            }
            Instr::DefineMethod(name) => {
                let (class, method) = (a, b);
                if let Some(Obj::Function(f)) = method.obj() {
                    f.owner.set(class);
                }
                if let Some(Obj::Class(c)) = class.obj() {
                    c.methods.borrow_mut().insert(name, method);
                    crate::access::methods_changed();
                    crate::access::program_defined_method(name);
                }
                Ok(class)
            }
            Instr::MakeFuture { failed } => {
                let state = if failed {
                    FutureState::Failure
                } else {
                    FutureState::Success
                };
                Ok(new_future(state, a))
            }
            Instr::Await(_) => {
                let mut values = Vec::with_capacity(ops.len());
                for f in ops {
                    values.push(self.await_future(*f)?);
                }
                Ok(if values.len() == 1 {
                    values[0]
                } else {
                    heap::array(values)
                })
            }
            Instr::MakeEnum(name) => Ok(heap::alloc(Obj::EnumType(Box::new(EnumType {
                name,
                members: RefCell::new(prop_map()),
            })))),
            Instr::EnumAddMember { name, value } => {
                let e = a;
                if let Some(Obj::EnumType(t)) = e.obj() {
                    let member = heap::alloc(Obj::EnumMember(EnumMember {
                        parent: e,
                        name,
                        value,
                    }));
                    t.members.borrow_mut().insert(name, member);
                }
                Ok(e)
            }
            // Calls, run to completion (native code has no frame to return to).
            Instr::CallMethod { name, .. } => {
                let args = ops.get(1..).unwrap_or_default().to_vec();
                self.complete_call(|vm| vm.invoke_method(a, name, args, None))
            }
            Instr::CallMethodNamed { name, keys, .. } => {
                let (args, props) = split_named(ops, &keys_of(keys));
                self.complete_call(|vm| vm.invoke_method(a, name, args, Some(props)))
            }
            Instr::CallNamed { keys, .. } => {
                let (args, props) = split_named(ops, &keys_of(keys));
                self.complete_call(|vm| vm.call_general(a, args, Some(props), CallSite::plain()))
            }
            Instr::New(_) => {
                let args = ops.get(1..).unwrap_or_default().to_vec();
                self.complete_call(|vm| vm.construct(a, args, None))
            }
            Instr::NewNamed { keys, .. } => {
                let (args, props) = split_named(ops, &keys_of(keys));
                self.complete_call(|vm| vm.construct(a, args, Some(props)))
            }
            Instr::CallSuper { name, .. } => {
                let args = ops.get(1..).unwrap_or_default().to_vec();
                let receiver = a;
                let parent = match closure.obj() {
                    Some(Obj::Function(f)) => match f.owner.get().obj() {
                        Some(Obj::Class(c)) => c.parent.get(),
                        _ => Value::NIL,
                    },
                    _ => Value::NIL,
                };
                let Some(method) = self.find_method(parent, name) else {
                    return Err(self.no_method(receiver, name));
                };
                self.complete_call(|vm| {
                    vm.call_general(method, args, None, CallSite::method(receiver))
                })
            }
            Instr::CallWithSelf(_) => {
                let args = ops.get(2..).unwrap_or_default().to_vec();
                let (receiver, f) = (a, b);
                let method = f.as_symbol().or_else(|| f.as_str().map(Symbol::intern));
                self.complete_call(|vm| match method {
                    Some(name) => vm.invoke_method(receiver, name, args, None),
                    None => vm.call_general(f, args, None, CallSite::method(receiver)),
                })
            }
            other => Err(self.error(
                ErrorKind::ControlFlowError,
                format!("internal error: {other:?} is not a step instruction"),
            )),
        }
    }
}

/// Splits `[head p1 .. pk a1 .. an]` into the args and the props map.
fn split_named(ops: &[Value], keys: &[Symbol]) -> (Vec<Value>, PropMap) {
    let args = ops.get(1 + keys.len()..).unwrap_or_default().to_vec();
    let props = keys
        .iter()
        .copied()
        .zip(ops.iter().skip(1).copied())
        .collect();
    (args, props)
}
