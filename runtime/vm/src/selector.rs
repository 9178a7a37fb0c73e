//! `@` selectors (spec 03 §3.15): `(@ "k")`, `@k`, `@0/k` build a selector,
//! which is represented as the gene `(@ key...)`; calling it on a value
//! reads the path of keys, and `$set` assigns through it.

use crate::builtins::arg;
use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::heap::Obj;
use gene_core::object::{Gene, PropMap};
use gene_core::{ErrorKind, Symbol, Value};

/// Whether a gene is a selector `(@ key...)`.
pub fn is_selector(g: &Gene) -> bool {
    g.ty.get().as_symbol() == Some(Symbol::intern("@"))
}

/// The keys of a selector value; a plain key stands for itself.
fn selector_keys(selector: Value) -> Vec<Value> {
    match selector.obj() {
        Some(Obj::Gene(g)) if is_selector(g) => g.children.borrow().clone(),
        _ => vec![selector],
    }
}

impl Vm {
    /// Follows `keys` from `target`; a missing step gives nil.
    pub fn apply_selector(&self, target: Value, keys: &[Value]) -> VmResult {
        let mut v = target;
        for key in keys {
            v = self.select(v, *key, Value::NIL)?;
        }
        Ok(v)
    }
}

pub fn install(vm: &mut Vm) {
    vm.def_fn("set", set);
}

/// `($set target selector value)`: assigns through the selector's path and
/// returns the value.
fn set(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let (target, value) = (arg(args, 0), arg(args, 2));
    let keys = selector_keys(arg(args, 1));
    let Some((last, path)) = keys.split_last() else {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            "$set needs a selector with at least one key",
        ));
    };
    let container = vm.apply_selector(target, path)?;
    vm.set_key(container, *last, value)?;
    Ok(value)
}
