//! Finding `libgene_runtime.a` for a target (DESIGN.md §6).
//!
//! Lookup order: `--runtime PATH` (the archive, or a directory holding
//! it), then `$GENE_RUNTIME_DIR/<triple>/libgene_runtime.a`, then the copy
//! embedded in `gene-build` by build.rs (one per target whose Rust standard
//! library was installed when `gene` was built), which is inflated into the
//! build's scratch directory for the linker. No runtime is an error that
//! says how to get one.
//!
//! A musl target also needs the C runtime objects and musl's `libc.a`
//! ([`SUPPORT_FILES`]): they are taken from beside the archive when all are
//! there, else from the embedded copies.
//!
//! Also the hidden `gene runtime-lib` command, which writes the library a
//! build would link to a file (the test of the ABI table reads it).

use crate::targets::{self, Libc, Target};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An embedded file: its name and its DEFLATE-compressed contents.
type EmbeddedFile = (&'static str, &'static [u8]);

include!(concat!(env!("OUT_DIR"), "/embedded_runtimes.rs"));

/// The file name of the runtime library.
pub const LIB_NAME: &str = "libgene_runtime.a";
/// The directory of prebuilt runtimes, one subdirectory per triple.
pub const DIR_ENV: &str = "GENE_RUNTIME_DIR";

/// The C runtime files a static musl link needs besides the runtime.
pub const MUSL_SUPPORT_FILES: &[&str] = &[
    "crt1.o",
    "crti.o",
    "crtbegin.o",
    "crtend.o",
    "crtn.o",
    "libc.a",
    "libunwind.a",
];

/// The support files `target` links besides the runtime.
pub fn support_files(target: &Target) -> &'static [&'static str] {
    match target.libc {
        Libc::Musl => MUSL_SUPPORT_FILES,
        Libc::Gnu | Libc::System => &[],
    }
}

/// The runtime library to link, and the directory of its support files.
pub struct Runtime {
    pub archive: PathBuf,
    /// Holds every file of [`support_files`] for the target.
    pub support_dir: PathBuf,
}

/// The embedded files for `target` (compressed), if `gene-build` has them.
fn embedded_files(target: &Target) -> Option<&'static [EmbeddedFile]> {
    EMBEDDED_RUNTIMES
        .iter()
        .find(|(triple, _)| *triple == target.triple)
        .map(|(_, files)| *files)
}

/// The embedded runtime library for `target` (compressed), if any.
fn embedded(target: &Target) -> Option<&'static [u8]> {
    embedded_files(target)?
        .iter()
        .find(|(name, _)| *name == LIB_NAME)
        .map(|(_, bytes)| *bytes)
}

/// Inflates the embedded file `name` of `target` into `dir`.
fn unpack(target: &Target, name: &str, dir: &Path) -> Result<PathBuf, String> {
    let packed = embedded_files(target)
        .and_then(|files| files.iter().find(|(n, _)| *n == name))
        .map(|(_, bytes)| *bytes)
        .ok_or_else(|| missing_message(target))?;
    let bytes = miniz_oxide::inflate::decompress_to_vec(packed).map_err(|e| {
        format!(
            "the embedded {name} for {} is corrupt: {e:?}",
            target.triple
        )
    })?;
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
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
        embedded(target).map(|bytes| format!("embedded ({} KiB compressed)", bytes.len() / 1024))
    }
}

/// The runtime library to link for `target`, with its support files.
/// `explicit` is `--runtime`; embedded copies are inflated into `scratch`.
pub fn locate(target: &Target, explicit: Option<&Path>, scratch: &Path) -> Result<Runtime, String> {
    let archive = locate_archive(target, explicit, scratch)?;
    let beside = archive.parent().unwrap_or(Path::new(".")).to_path_buf();
    let support = support_files(target);
    if support.iter().all(|name| beside.join(name).is_file()) {
        return Ok(Runtime {
            archive,
            support_dir: beside,
        });
    }
    for name in support {
        unpack(target, name, scratch).map_err(|_| {
            format!(
                "no {name} for {}: put the C runtime files ({}) beside {}, or use a gene \
                 built with the runtime for {} embedded",
                target.triple,
                support.join(", "),
                archive.display(),
                target.triple
            )
        })?;
    }
    Ok(Runtime {
        archive,
        support_dir: scratch.to_path_buf(),
    })
}

fn locate_archive(
    target: &Target,
    explicit: Option<&Path>,
    scratch: &Path,
) -> Result<PathBuf, String> {
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
    unpack(target, LIB_NAME, scratch)
}

/// How to get a runtime for a target `gene` has none for.
fn missing_message(target: &Target) -> String {
    let triple = target.triple;
    format!(
        "no runtime library for {triple}: this gene was built without one. Run \
         `rustup target add {triple}` and rebuild gene (scripts/test and scripts/demo do both), \
         put one at ${DIR_ENV}/{triple}/{LIB_NAME}, or pass --runtime PATH"
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
        let runtime = locate(target, args.runtime.as_deref(), scratch.path())?;
        fs::copy(&runtime.archive, &args.output)
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
