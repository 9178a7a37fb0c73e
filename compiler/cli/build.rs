//! Builds `libgene_runtime.a` (the `gene-runtime` crate, `runtime/staticlib`)
//! for the host and the cross targets, and embeds the archives, compressed,
//! in `gene-build` (DESIGN.md §6).
//!
//! The targets: without `GENE_RUNTIME_TARGETS`, every target `gene build`
//! supports (the list mirrors `src/targets.rs`) whose Rust standard library
//! is installed (`rustup target add TRIPLE`; `scripts/lib/ensure-deps.sh`
//! adds them all); with it, the host plus the comma-separated triples it
//! names (a named one whose standard library is missing is skipped with a
//! warning). A failed host build fails the build of `gene`.
//!
//! All runtimes are built by one nested `cargo build -p gene-runtime
//! --release --target T1 --target T2 ...` (cargo runs the targets in
//! parallel) in a target directory shared by every build of `gene`
//! (`<target dir>/gene-runtimes`), so the debug, test and clippy builds of
//! `gene` reuse one set of runtimes instead of building their own. It must
//! not be the outer build's directory: that would deadlock on its lock. The
//! release profile is overridden through `CARGO_PROFILE_RELEASE_*` (fat LTO,
//! one codegen unit, opt-level "s", panic=abort), and variables that
//! describe the outer build (`CARGO_TARGET_DIR`, rustflags, clippy's
//! wrapper) are removed so that they do not leak into the nested one.
//!
//! A musl runtime travels with the C runtime objects the static link needs
//! (`crt1.o`, `crti.o`, `crtbegin.o`, `crtend.o`, `crtn.o`, musl's `libc.a`
//! and `libunwind.a`), taken from the Rust standard library's
//! `self-contained` directory for that target.
//!
//! The result is `OUT_DIR/embedded_runtimes.rs`, included by
//! `src/runtime_lib.rs`: `pub static EMBEDDED_RUNTIMES: &[(&str,
//! &[EmbeddedFile])]`, (triple, [(file name, DEFLATE-compressed bytes)])
//! with the host first; compression keeps `gene-build` about 5 times smaller.
//! `GENE_HOST_TRIPLE` (the Rust triple `gene` is built for) is passed to the
//! crate as a compile-time environment variable.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sources the runtime is built from: a change to any of them rebuilds it.
/// (`gene-vm` depends on core, reader and frontend.)
const RUNTIME_INPUTS: &[&str] = &[
    "runtime/core/src",
    "runtime/core/Cargo.toml",
    "runtime/vm/src",
    "runtime/vm/Cargo.toml",
    "runtime/staticlib/src",
    "runtime/staticlib/Cargo.toml",
    "compiler/frontend/src",
    "compiler/frontend/Cargo.toml",
    "compiler/reader/src",
    "compiler/reader/Cargo.toml",
    "stdlib",
    "Cargo.toml",
    "Cargo.lock",
];

/// Environment variables of the outer build that must not reach the nested
/// cargo: they would redirect its output, change its flags (and so rebuild
/// everything each time), or run clippy on the runtime.
const CLEARED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_PATH",
];

const TARGETS_ENV: &str = "GENE_RUNTIME_TARGETS";

/// The Rust triples `gene build` supports (`src/targets.rs`, `TARGETS`).
const SUPPORTED_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

/// The C runtime files a static musl executable links, from the target's
/// `lib/rustlib/<triple>/lib/self-contained` directory.
const MUSL_FILES: &[&str] = &[
    "crt1.o",
    "crti.o",
    "crtbegin.o",
    "crtend.o",
    "crtn.o",
    "libc.a",
    "libunwind.a",
];

fn main() {
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("compiler/cli sits two levels below the workspace root")
        .to_path_buf();
    let host = env::var("TARGET").expect("cargo sets TARGET");

    for input in RUNTIME_INPUTS {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={TARGETS_ENV}");
    println!("cargo:rustc-env=GENE_HOST_TRIPLE={host}");

    let sysroot = sysroot();
    let mut triples = vec![host.clone()];
    match env::var(TARGETS_ENV) {
        Ok(list) => {
            for triple in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if triples.iter().any(|t| t == triple) {
                    continue;
                }
                if std_installed(&sysroot, triple) {
                    triples.push(triple.to_string());
                } else {
                    println!(
                        "cargo:warning={TARGETS_ENV}: skipping {triple}: its Rust standard \
                         library is not installed (rustup target add {triple})"
                    );
                }
            }
        }
        Err(_) => {
            for triple in SUPPORTED_TARGETS {
                if !triples.iter().any(|t| t == triple) && std_installed(&sysroot, triple) {
                    triples.push(triple.to_string());
                }
            }
        }
    }

    let target_dir = runtime_target_dir(&out_dir);
    let archives = build_all(&root, &target_dir, &triples, &host);

    let mut code = String::from(
        "/// The runtimes built into `gene-build`: (Rust target triple, [(file name,\n\
         /// DEFLATE-compressed contents)]), `libgene_runtime.a` first.\n\
         pub static EMBEDDED_RUNTIMES: &[(&str, &[EmbeddedFile])] = &[\n",
    );
    let packed_dir = out_dir.join("packed");
    for (triple, archive) in &archives {
        let mut files = vec![("libgene_runtime.a".to_string(), archive.clone())];
        if triple.ends_with("-musl") {
            let dir = self_contained_dir(&sysroot, triple);
            let found: Vec<PathBuf> = MUSL_FILES.iter().map(|f| dir.join(f)).collect();
            if let Some(missing) = found.iter().find(|f| !f.is_file()) {
                println!(
                    "cargo:warning=skipping {triple}: {} is missing from its Rust standard \
                     library",
                    missing.display()
                );
                continue;
            }
            for (name, path) in MUSL_FILES.iter().zip(found) {
                files.push((name.to_string(), path));
            }
        }
        let _ = write!(code, "    ({triple:?}, &[");
        for (name, path) in files {
            let packed = packed_dir.join(triple).join(format!("{name}.z"));
            compress(&path, &packed);
            let _ = write!(
                code,
                "({name:?}, include_bytes!({:?})), ",
                packed.display().to_string()
            );
        }
        code.push_str("]),\n");
    }
    code.push_str("];\n");
    let generated = out_dir.join("embedded_runtimes.rs");
    fs::write(&generated, code)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", generated.display()));
}

/// `<target dir>/gene-runtimes`: the directory that holds `CACHEDIR.TAG`
/// (cargo's target directory) above `OUT_DIR`, so that every profile and
/// every tool (build, test, clippy) shares the runtimes; `OUT_DIR/runtime`
/// if there is none.
fn runtime_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map_or_else(|| out_dir.join("runtime"), |dir| dir.join("gene-runtimes"))
}

/// Builds the runtime for every triple in one nested cargo; when that fails,
/// one by one, so that a failing cross target is skipped (with a warning)
/// rather than losing the others. Returns (triple, archive) in order.
fn build_all(
    root: &Path,
    target_dir: &Path,
    triples: &[String],
    host: &str,
) -> Vec<(String, PathBuf)> {
    if build_runtimes(root, target_dir, triples).is_ok() {
        let found: Vec<(String, PathBuf)> = triples
            .iter()
            .map(|t| (t.clone(), archive_path(target_dir, t)))
            .filter(|(_, a)| a.is_file())
            .collect();
        if found.len() == triples.len() {
            return found;
        }
    }
    let mut built = Vec::new();
    for triple in triples {
        match build_runtimes(root, target_dir, std::slice::from_ref(triple)) {
            Ok(()) if archive_path(target_dir, triple).is_file() => {
                built.push((triple.clone(), archive_path(target_dir, triple)));
            }
            result => {
                let message = result.err().unwrap_or_else(|| {
                    format!(
                        "the nested build succeeded but left no {}",
                        archive_path(target_dir, triple).display()
                    )
                });
                if triple == host {
                    panic!("cannot build libgene_runtime.a for {triple}:\n{message}");
                }
                let last = message.lines().last().unwrap_or("").to_string();
                println!(
                    "cargo:warning=skipping the runtime for {triple}: the build failed: {last}"
                );
            }
        }
    }
    built
}

fn archive_path(target_dir: &Path, triple: &str) -> PathBuf {
    target_dir
        .join(triple)
        .join("release")
        .join("libgene_runtime.a")
}

/// One nested cargo building the runtime for `triples`; the error is its
/// output.
fn build_runtimes(root: &Path, target_dir: &Path, triples: &[String]) -> Result<(), String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "gene-runtime", "--release"]);
    for triple in triples {
        command.args(["--target", triple]);
    }
    command
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(root)
        .env("CARGO_PROFILE_RELEASE_LTO", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "false");
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed ({}):\n{}",
            command,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Writes `from`, DEFLATE-compressed, to `to`, unless `to` is newer than
/// `from` already (the script reruns whenever a watched input is missing).
fn compress(from: &Path, to: &Path) {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    if let (Some(source), Some(packed)) = (modified(from), modified(to)) {
        if packed > source {
            return;
        }
    }
    let bytes = fs::read(from).unwrap_or_else(|e| panic!("cannot read {}: {e}", from.display()));
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let packed = miniz_oxide::deflate::compress_to_vec(&bytes, 8);
    fs::write(to, packed).unwrap_or_else(|e| panic!("cannot write {}: {e}", to.display()));
}

/// The sysroot of the rustc cargo uses.
fn sysroot() -> PathBuf {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).args(["--print", "sysroot"]).output();
    let text = output
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    PathBuf::from(text)
}

/// Whether the Rust standard library for `triple` is installed in the
/// sysroot (what `rustup target add` provides).
fn std_installed(sysroot: &Path, triple: &str) -> bool {
    sysroot
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
}

fn self_contained_dir(sysroot: &Path, triple: &str) -> PathBuf {
    sysroot
        .join("lib/rustlib")
        .join(triple)
        .join("lib/self-contained")
}
