//! Finding `libgene_runtime.a` for a target (DESIGN.md §6).
//!
//! Lookup order: `--runtime PATH` (the archive, or a directory holding
//! it), then `$GENE_RUNTIME_DIR/<triple>/libgene_runtime.a`, then the copy
//! embedded in `gene` by build.rs (the host's, plus one per triple of
//! `GENE_RUNTIME_TARGETS` at the time `gene` was built), which is written to
//! the build's scratch directory for the linker. No runtime is an error
//! that says how to get one.
//!
//! Also the hidden `gene runtime-lib` command, which writes the library a
//! build would link to a file (the test of the ABI table reads it).

use crate::targets::{self, Target};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

include!(concat!(env!("OUT_DIR"), "/embedded_runtimes.rs"));

/// The file name of the runtime library.
pub const LIB_NAME: &str = "libgene_runtime.a";
/// The directory of prebuilt runtimes, one subdirectory per triple.
pub const DIR_ENV: &str = "GENE_RUNTIME_DIR";
/// The build-time variable naming extra triples to embed (see build.rs).
pub const TARGETS_ENV: &str = "GENE_RUNTIME_TARGETS";

/// The embedded runtime for `target`, if `gene` was built with one.
pub fn embedded(target: &Target) -> Option<&'static [u8]> {
    EMBEDDED_RUNTIMES
        .iter()
        .find(|(triple, _)| *triple == target.triple)
        .map(|(_, bytes)| *bytes)
}

/// `$GENE_RUNTIME_DIR/<triple>/libgene_runtime.a`, if that file exists.
fn from_runtime_dir(target: &Target) -> Option<PathBuf> {
    let dir = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty())?;
    let path = Path::new(&dir).join(target.triple).join(LIB_NAME);
    path.is_file().then_some(path)
}

/// Where a build for `target` without `--runtime` would take its runtime
/// from, for `gene targets`; `None` when there is none.
pub fn availability(target: &Target) -> Option<String> {
    if let Some(path) = from_runtime_dir(target) {
        Some(format!("{} ({DIR_ENV})", path.display()))
    } else {
        embedded(target).map(|bytes| format!("embedded ({} KiB)", bytes.len() / 1024))
    }
}

/// The runtime library to link for `target`. `explicit` is `--runtime`;
/// an embedded copy is written into `scratch`.
pub fn locate(target: &Target, explicit: Option<&Path>, scratch: &Path) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        let file = if path.is_dir() {
            path.join(LIB_NAME)
        } else {
            path.to_path_buf()
        };
        return if file.is_file() {
            Ok(file)
        } else {
            Err(format!(
                "runtime library not found: {} (from --runtime {}); pass the path of a {LIB_NAME} \
                 or of a directory holding one",
                file.display(),
                path.display()
            ))
        };
    }
    if let Some(path) = from_runtime_dir(target) {
        return Ok(path);
    }
    match embedded(target) {
        Some(bytes) => {
            let path = scratch.join(LIB_NAME);
            fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(path)
        }
        None => Err(missing_message(target)),
    }
}

/// How to get a runtime for a target `gene` has none for.
fn missing_message(target: &Target) -> String {
    let triple = target.triple;
    format!(
        "no runtime library for {triple}: this gene was built without one. Rebuild gene with \
         {TARGETS_ENV}={triple} (after `rustup target add {triple}`), put one at \
         ${DIR_ENV}/{triple}/{LIB_NAME}, or pass --runtime PATH"
    )
}

/// `gene runtime-lib OUT`: writes the runtime library a build would link.
#[derive(clap::Args)]
pub struct Args {
    /// Where to write the library
    output: PathBuf,
    /// The target triple (default: the host)
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// A libgene_runtime.a, or a directory holding one
    #[arg(long, value_name = "PATH")]
    runtime: Option<PathBuf>,
}

pub fn run(args: Args) -> ExitCode {
    let target = match targets::requested(args.target.as_deref()) {
        Ok(t) => t,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let result = crate::scratch::Scratch::new().and_then(|scratch| {
        let path = locate(target, args.runtime.as_deref(), scratch.path())?;
        fs::copy(&path, &args.output)
            .map(|_| ())
            .map_err(|e| format!("cannot write {}: {e}", args.output.display()))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
