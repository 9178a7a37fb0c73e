//! The libSystem stub that lets `ld64.lld` link macOS executables without
//! an Apple SDK.
//!
//! A Mach-O link needs to know which dylib defines each imported symbol; the
//! SDK says so with text stubs (`.tbd`). Every symbol a Gene executable
//! imports comes from `/usr/lib/libSystem.B.dylib` (the runtime links no
//! frameworks: ARCHITECTURE.md invariant 6; libSystem re-exports libc,
//! libm, libpthread, libdyld, libunwind and libdispatch, so two-level
//! lookups of these symbols succeed at load time). So for each link we
//! write a stub `libSystem.tbd` that exports exactly the symbols the object
//! and the runtime archive reference but do not define, read with the
//! `object` crate, plus `dyld_stub_binder` (lazy binding). The linker then
//! records libSystem as the one dylib to load.
//!
//! What this cannot check is that libSystem really has each symbol: a
//! runtime calling a function macOS lacks would link and fail at load time.
//! The runtime only uses what Rust's standard library and `libc` crate
//! bind on macOS 11 and later.

use crate::targets::Target;
use object::read::archive::ArchiveFile;
use object::{Object, ObjectSymbol};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

/// The macOS version executables are built for (`LC_BUILD_VERSION`); the
/// LLVM triples of `targets.rs` say the same.
pub const MIN_MACOS: &str = "11.0";

/// The install name every import binds to.
pub const LIBSYSTEM: &str = "/usr/lib/libSystem.B.dylib";

/// The Mach-O architecture name of `target` (`-arch`, tbd targets).
pub fn arch_name(target: &Target) -> &'static str {
    if target.triple.starts_with("aarch64") {
        "arm64"
    } else {
        "x86_64"
    }
}

/// Writes `dir/libSystem.tbd` exporting every symbol that `inputs` (object
/// files and archives) reference and none of them defines.
pub fn write_libsystem_stub(dir: &Path, arch: &str, inputs: &[&Path]) -> Result<(), String> {
    let mut undefined = BTreeSet::new();
    let mut defined = BTreeSet::new();
    for input in inputs {
        let bytes = fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
        collect(&bytes, &mut undefined, &mut defined)
            .map_err(|e| format!("cannot read the symbols of {}: {e}", input.display()))?;
    }
    let mut imports: Vec<&str> = undefined
        .iter()
        .filter(|name| !defined.contains(*name))
        .map(String::as_str)
        .collect();
    imports.push("dyld_stub_binder");
    let path = dir.join("libSystem.tbd");
    fs::write(&path, render_tbd(arch, &imports))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Adds the global undefined and the defined symbols of an object file, or
/// of every object in an archive.
fn collect(
    bytes: &[u8],
    undefined: &mut BTreeSet<String>,
    defined: &mut BTreeSet<String>,
) -> Result<(), object::Error> {
    if let Ok(archive) = ArchiveFile::parse(bytes) {
        for member in archive.members() {
            let data = member?.data(bytes)?;
            // Members that are not objects (a symbol table, say) have no
            // symbols to contribute.
            if let Ok(file) = object::File::parse(data) {
                collect_file(&file, undefined, defined);
            }
        }
        return Ok(());
    }
    let file = object::File::parse(bytes)?;
    collect_file(&file, undefined, defined);
    Ok(())
}

fn collect_file(
    file: &object::File,
    undefined: &mut BTreeSet<String>,
    defined: &mut BTreeSet<String>,
) {
    for symbol in file.symbols() {
        let Ok(name) = symbol.name() else { continue };
        if name.is_empty() {
            continue;
        }
        if symbol.is_undefined() {
            if symbol.is_global() {
                undefined.insert(name.to_string());
            }
        } else if symbol.is_definition() || symbol.is_common() {
            defined.insert(name.to_string());
        }
    }
}

/// A TAPI text stub, version 4, for libSystem on `arch`.
fn render_tbd(arch: &str, symbols: &[&str]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "--- !tapi-tbd");
    let _ = writeln!(text, "tbd-version:     4");
    let _ = writeln!(text, "targets:         [ {arch}-macos ]");
    let _ = writeln!(text, "install-name:    '{LIBSYSTEM}'");
    let _ = writeln!(text, "current-version: 1351");
    let _ = writeln!(text, "exports:");
    let _ = writeln!(text, "  - targets:     [ {arch}-macos ]");
    let _ = writeln!(text, "    symbols:     [");
    for (i, symbol) in symbols.iter().enumerate() {
        let comma = if i + 1 < symbols.len() { "," } else { "" };
        let _ = writeln!(text, "      '{}'{comma}", symbol.replace('\'', "''"));
    }
    let _ = writeln!(text, "    ]");
    let _ = writeln!(text, "...");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tbd_lists_the_symbols_for_the_arch() {
        let text = render_tbd("arm64", &["_malloc", "_realpath$DARWIN_EXTSN"]);
        assert!(
            text.starts_with("--- !tapi-tbd\ntbd-version:     4\n"),
            "{text}"
        );
        assert!(text.contains("targets:         [ arm64-macos ]"), "{text}");
        assert!(
            text.contains("install-name:    '/usr/lib/libSystem.B.dylib'"),
            "{text}"
        );
        assert!(
            text.contains("      '_malloc',\n      '_realpath$DARWIN_EXTSN'\n    ]"),
            "{text}"
        );
        assert!(text.ends_with("...\n"), "{text}");
    }
}
