//! Builds `libgene_runtime.a` (the `gene-runtime` crate, `runtime/staticlib`)
//! for the host and for every triple in `GENE_RUNTIME_TARGETS`, and embeds
//! the archives in `gene` (DESIGN.md §6).
//!
//! Each runtime is built by a nested `cargo rustc -p gene-runtime --release
//! --crate-type staticlib --target TRIPLE` with its own target directory
//! under `OUT_DIR`: sharing the outer build's directory would deadlock on its
//! lock. The release profile is overridden through `CARGO_PROFILE_RELEASE_*`
//! (fat LTO, one codegen unit, opt-level "s", panic=abort), and variables
//! that describe the outer build (`CARGO_TARGET_DIR`, rustflags, clippy's
//! wrapper) are removed so that they do not leak into the nested one.
//!
//! The result is `OUT_DIR/embedded_runtimes.rs`, included by
//! `src/runtime_lib.rs`:
//! `pub static EMBEDDED_RUNTIMES: &[(&str, &[u8])]`, (triple, archive bytes)
//! with the host first. `GENE_HOST_TRIPLE` (the Rust triple `gene` is built
//! for) is passed to the crate as a compile-time environment variable.
//!
//! `GENE_RUNTIME_TARGETS=aarch64-unknown-linux-gnu,...` adds targets; one
//! whose Rust standard library is not installed (`rustup target add TRIPLE`)
//! is skipped with a warning. A failed host build fails the build of `gene`.

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

    let mut triples = vec![host.clone()];
    if let Ok(list) = env::var(TARGETS_ENV) {
        for triple in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !triples.iter().any(|t| t == triple) {
                triples.push(triple.to_string());
            }
        }
    }

    let target_dir = out_dir.join("runtime");
    let mut built: Vec<(String, PathBuf)> = Vec::new();
    for triple in &triples {
        let is_host = *triple == host;
        if !is_host && !std_installed(triple) {
            println!(
                "cargo:warning={TARGETS_ENV}: skipping {triple}: its Rust standard library is \
                 not installed (rustup target add {triple})"
            );
            continue;
        }
        match build_runtime(&root, &target_dir, triple) {
            Ok(archive) => built.push((triple.clone(), archive)),
            Err(message) if is_host => {
                panic!("cannot build libgene_runtime.a for {triple}:\n{message}")
            }
            Err(message) => {
                let first = message.lines().last().unwrap_or("").to_string();
                println!(
                    "cargo:warning={TARGETS_ENV}: skipping {triple}: the build failed: {first}"
                );
            }
        }
    }

    let mut code = String::from(
        "/// The runtimes built into `gene`: (Rust target triple, `libgene_runtime.a`).\n\
         pub static EMBEDDED_RUNTIMES: &[(&str, &[u8])] = &[\n",
    );
    for (triple, archive) in &built {
        let _ = writeln!(
            code,
            "    ({triple:?}, include_bytes!({:?})),",
            archive.display().to_string()
        );
    }
    code.push_str("];\n");
    let generated = out_dir.join("embedded_runtimes.rs");
    fs::write(&generated, code)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", generated.display()));
}

/// Builds the runtime for `triple`; returns the archive's path, or the
/// nested cargo's output when it fails.
fn build_runtime(root: &Path, target_dir: &Path, triple: &str) -> Result<PathBuf, String> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("rustc")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args([
            "-p",
            "gene-runtime",
            "--release",
            "--crate-type",
            "staticlib",
        ])
        .args(["--target", triple])
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
    if !output.status.success() {
        return Err(format!(
            "{:?} failed ({}):\n{}",
            command,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let archive = target_dir
        .join(triple)
        .join("release")
        .join("libgene_runtime.a");
    if archive.is_file() {
        Ok(archive)
    } else {
        Err(format!(
            "the nested build succeeded but left no {}",
            archive.display()
        ))
    }
}

/// Whether the Rust standard library for `triple` is installed in the
/// sysroot of the rustc cargo uses (what `rustup target add` provides).
fn std_installed(triple: &str) -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(output) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
}
