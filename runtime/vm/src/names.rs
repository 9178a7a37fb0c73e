//! Namespaces: name resolution along the namespace chain (spec 03 §3.3),
//! member definition, and the inline caches of `LoadName`.

use crate::errors::VmResult;
use crate::vm::Vm;
use gene_core::bytecode::NameCache;
use gene_core::heap::Obj;
use gene_core::object::Namespace;
use gene_core::{ErrorKind, Symbol, Value};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped on every namespace write; inline caches (the interpreter's and
/// those of native code, which reads this symbol) are valid while it is
/// unchanged.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_name_epoch: AtomicU64 = AtomicU64::new(1);

/// The current namespace epoch.
#[inline]
pub fn epoch() -> u64 {
    gene_name_epoch.load(Ordering::Relaxed)
}

/// Invalidates every inline cache of a namespace lookup.
pub fn bump_epoch() {
    gene_name_epoch.fetch_add(1, Ordering::Relaxed);
}

/// The member table of a namespace or class value.
pub fn namespace_of(v: Value) -> Option<&'static Namespace> {
    match v.obj() {
        Some(Obj::Namespace(ns)) => Some(ns),
        Some(Obj::Class(c)) => Some(&c.ns),
        _ => None,
    }
}

impl Vm {
    /// Looks `name` up from namespace `ns`: its chain, then `global`,
    /// `gene`, `genex`.
    pub fn lookup_name(&self, ns: Value, name: Symbol) -> Option<Value> {
        let mut current = ns;
        let mut hops = 0;
        while let Some(table) = namespace_of(current) {
            if let Some(v) = table.get(name) {
                return Some(v);
            }
            current = table.parent;
            hops += 1;
            if hops > 10_000 {
                break;
            }
        }
        [self.global_ns, self.gene_ns, self.genex_ns]
            .into_iter()
            .find_map(|n| namespace_of(n).and_then(|t| t.get(name)))
    }

    /// `LoadName`: special names, then the cached or looked-up member.
    #[inline]
    pub fn load_name(&mut self, ns: Value, name: Symbol, cache: &Cell<NameCache>) -> VmResult {
        let c = cache.get();
        if c.epoch == epoch() && c.ns == ns.bits() {
            // Safety: the cached bits were a value of this namespace chain at
            // this epoch, and no namespace write happened since.
            return Ok(unsafe { Value::from_bits(c.value) });
        }
        self.load_name_slow(ns, name, cache)
    }

    #[cold]
    fn load_name_slow(&mut self, ns: Value, name: Symbol, cache: &Cell<NameCache>) -> VmResult {
        match name.name() {
            "$ns" => return Ok(ns),
            "global" => return Ok(self.global_ns),
            "gene" => return Ok(self.gene_ns),
            "genex" => return Ok(self.genex_ns),
            "$ex" => return Ok(self.current_exception),
            _ => {}
        }
        match self.lookup_name(ns, name) {
            Some(v) => {
                cache.set(NameCache {
                    epoch: epoch(),
                    ns: ns.bits(),
                    value: v.bits(),
                });
                Ok(v)
            }
            None => Err(self.error(ErrorKind::UndefinedSymbol, format!("{name} is not defined"))),
        }
    }

    /// Defines or replaces member `name` of namespace (or class) `ns`.
    pub fn define_member(&mut self, ns: Value, name: Symbol, v: Value) {
        if let Some(table) = namespace_of(ns) {
            table.members.borrow_mut().insert(name, v);
        }
        bump_epoch();
    }

    /// Assigns an existing member of the namespace chain (`(x = v)` for a
    /// name that is not a local).
    pub fn store_name(&mut self, ns: Value, name: Symbol, v: Value) -> VmResult<()> {
        let mut current = ns;
        let chain = std::iter::from_fn(|| {
            let table = namespace_of(current)?;
            current = table.parent;
            Some(table)
        });
        let fallbacks = [self.global_ns, self.gene_ns, self.genex_ns]
            .into_iter()
            .filter_map(namespace_of);
        for table in chain.take(10_000).chain(fallbacks) {
            let mut members = table.members.borrow_mut();
            if let Some(slot) = members.get_mut(&name) {
                *slot = v;
                drop(members);
                bump_epoch();
                return Ok(());
            }
        }
        Err(self.error(ErrorKind::UndefinedSymbol, format!("{name} is not defined")))
    }
}
