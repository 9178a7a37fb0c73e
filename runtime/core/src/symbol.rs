//! Symbol interning: equal names are the same [`Symbol`].

use rustc_hash::FxHashMap;
use std::sync::Mutex;

/// An interned name. Symbols are never freed; their names live for the
/// whole process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(pub u32);

struct Interner {
    ids: FxHashMap<&'static str, Symbol>,
    names: Vec<&'static str>,
}

static INTERNER: Mutex<Option<Interner>> = Mutex::new(None);

fn with_interner<R>(f: impl FnOnce(&mut Interner) -> R) -> R {
    let mut guard = INTERNER.lock().unwrap_or_else(|e| e.into_inner());
    let interner = guard.get_or_insert_with(|| Interner {
        ids: FxHashMap::default(),
        names: Vec::new(),
    });
    f(interner)
}

impl Symbol {
    pub fn intern(name: &str) -> Symbol {
        with_interner(|i| {
            if let Some(&s) = i.ids.get(name) {
                return s;
            }
            let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
            let s = Symbol(i.names.len() as u32);
            i.names.push(leaked);
            i.ids.insert(leaked, s);
            s
        })
    }

    /// The symbol named `name` if one was interned: what a lookup by a
    /// string key needs (a name never interned is in no table).
    pub fn lookup(name: &str) -> Option<Symbol> {
        with_interner(|i| i.ids.get(name).copied())
    }

    pub fn name(self) -> &'static str {
        with_interner(|i| i.names.get(self.0 as usize).copied().unwrap_or("?"))
    }
}

impl std::fmt::Debug for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_intern_to_one_symbol() {
        let a = Symbol::intern("alpha");
        assert_eq!(a, Symbol::intern("alpha"));
        assert_ne!(a, Symbol::intern("beta"));
        assert_eq!(a.name(), "alpha");
        assert_eq!(Symbol::lookup("alpha"), Some(a));
        assert_eq!(Symbol::lookup("never interned anywhere"), None);
    }
}
