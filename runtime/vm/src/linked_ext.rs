//! Extensions linked into the executable (`gene build --link-extension
//! libfoo.a`): the table that lets a static executable, which has no
//! dynamic loader, import them.
//!
//! `gene build` renames each archive's `gene_extension_init` to
//! `gene_extension_init__<name>` (so that several can be linked at once)
//! and links a small object whose constructor (`.init_array`, run before
//! `main`) calls [`gene_register_linked_extension`] once per extension. A
//! load by name (`(import ... from "foo" ^^native)`, `genex/foo`) looks here
//! before it looks for a shared library, so a linked extension is used in
//! every executable it is linked into, static or not; the C ABI is the one
//! of `gene_ext.h`, unchanged.

use crate::extension::InitFn;
use std::ffi::{c_char, CStr};
use std::path::Path;
use std::sync::Mutex;

/// (name, init) of every linked extension, in registration order.
static LINKED: Mutex<Vec<(String, InitFn)>> = Mutex::new(Vec::new());

/// Registers the linked extension `name` (`lib<name>.a`) with its renamed
/// init function. Called by the constructor `gene build` links in.
///
/// # Safety
/// `name` is a NUL-terminated string; `init` follows `gene_ext.h`.
#[no_mangle]
pub unsafe extern "C" fn gene_register_linked_extension(name: *const c_char, init: InitFn) {
    if name.is_null() {
        return;
    }
    // Safety: the caller passes a NUL-terminated string.
    let name = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    if let Ok(mut linked) = LINKED.lock() {
        linked.push((name, init));
    }
}

/// The init function of the linked extension `name`, if there is one.
pub fn find(name: &str) -> Option<InitFn> {
    let linked = LINKED.lock().ok()?;
    linked
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, init)| *init)
}

/// The extension name an import path names: its file name without the
/// `lib` prefix and the library suffix (`build/libfoo.so` → `foo`).
pub fn name_of(path: &str) -> String {
    let file = Path::new(path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = file.strip_prefix("lib").unwrap_or(&file);
    let file = [".so", ".dylib", ".a"]
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .unwrap_or(file);
    file.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_import_paths() {
        for (path, name) in [
            ("libcounter", "counter"),
            ("libcounter.so", "counter"),
            ("build/libcounter.so", "counter"),
            ("/abs/libcounter.dylib", "counter"),
            ("counter", "counter"),
            ("libcounter.a", "counter"),
        ] {
            assert_eq!(name_of(path), name, "{path}");
        }
    }

    unsafe extern "C" fn dummy_init(
        _: *const crate::extension::GeneHostApi,
        _: *mut crate::extension::GeneExtension,
    ) -> i32 {
        7
    }

    #[test]
    fn registered_extensions_are_found_by_name() {
        assert!(find("linked_test_ext").is_none());
        // Safety: a NUL-terminated literal and a function of the right type.
        unsafe { gene_register_linked_extension(c"linked_test_ext".as_ptr(), dummy_init) };
        assert!(find("linked_test_ext").is_some());
    }
}
