//! The targets `gene build` supports (DESIGN.md §6), and `gene targets`.
//!
//! A `--target` triple is parsed with target-lexicon and matched by
//! architecture, operating system and environment, so the spellings LLVM and
//! distributions use (`x86_64-pc-linux-gnu`, `aarch64-linux-gnu`,
//! `arm64-apple-macosx`) name the same target as Rust's. Each target is
//! known by its Rust triple (the name of its runtime library) and carries
//! the triple handed to LLVM: macOS triples get an explicit minimum version.

use crate::{link, runtime_lib};
use std::process::ExitCode;
use std::str::FromStr;
use target_lexicon::{Architecture, Environment, OperatingSystem, Triple};

/// The operating system family, which decides how to link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
}

/// The C library a Linux target links against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    /// glibc, linked dynamically by the target's C compiler.
    Gnu,
    /// musl, linked statically by `ld.lld` with the C runtime objects
    /// embedded beside the runtime: no dynamic loader at all.
    Musl,
    /// macOS's libSystem.
    System,
}

/// A supported target.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// The Rust triple: the runtime library's name (`$GENE_RUNTIME_DIR/<triple>/`).
    pub triple: &'static str,
    /// The triple LLVM compiles for.
    pub llvm_triple: &'static str,
    pub os: Os,
    pub libc: Libc,
    /// For Linux targets, the Debian package of the cross C compiler that
    /// links for this target from another host.
    pub cross_gcc_package: Option<&'static str>,
}

/// Every supported target, in the order `gene targets` lists them.
pub const TARGETS: &[Target] = &[
    Target {
        triple: "x86_64-unknown-linux-gnu",
        llvm_triple: "x86_64-unknown-linux-gnu",
        os: Os::Linux,
        libc: Libc::Gnu,
        cross_gcc_package: Some("gcc-x86-64-linux-gnu"),
    },
    Target {
        triple: "aarch64-unknown-linux-gnu",
        llvm_triple: "aarch64-unknown-linux-gnu",
        os: Os::Linux,
        libc: Libc::Gnu,
        cross_gcc_package: Some("gcc-aarch64-linux-gnu"),
    },
    Target {
        triple: "x86_64-unknown-linux-musl",
        llvm_triple: "x86_64-unknown-linux-musl",
        os: Os::Linux,
        libc: Libc::Musl,
        cross_gcc_package: None,
    },
    Target {
        triple: "aarch64-unknown-linux-musl",
        llvm_triple: "aarch64-unknown-linux-musl",
        os: Os::Linux,
        libc: Libc::Musl,
        cross_gcc_package: None,
    },
    Target {
        triple: "x86_64-apple-darwin",
        llvm_triple: "x86_64-apple-macosx11.0.0",
        os: Os::MacOs,
        libc: Libc::System,
        cross_gcc_package: None,
    },
    Target {
        triple: "aarch64-apple-darwin",
        llvm_triple: "arm64-apple-macosx11.0.0",
        os: Os::MacOs,
        libc: Libc::System,
        cross_gcc_package: None,
    },
];

/// The Rust triple `gene` itself was built for (set by build.rs).
pub const HOST_TRIPLE: &str = env!("GENE_HOST_TRIPLE");

/// The target `gene build` compiles for without `--target`.
pub fn host() -> Result<&'static Target, String> {
    resolve(HOST_TRIPLE).map_err(|_| {
        format!(
            "gene was built for {HOST_TRIPLE}, which `gene build` cannot target; \
             use --target with one of: {}",
            supported_list()
        )
    })
}

/// The supported target `spelling` names, or an error that lists them.
/// The target `--target` names, or the host without one.
pub fn requested(spelling: Option<&str>) -> Result<&'static Target, String> {
    match spelling {
        Some(spelling) => resolve(spelling),
        None => host(),
    }
}

pub fn resolve(spelling: &str) -> Result<&'static Target, String> {
    let unsupported = |why: String| format!("{why}; supported targets: {}", supported_list());
    let triple = Triple::from_str(spelling)
        .map_err(|e| unsupported(format!("invalid target triple `{spelling}` ({e})")))?;
    let arch = match triple.architecture {
        Architecture::X86_64 => "x86_64",
        Architecture::Aarch64(_) => "aarch64",
        _ => return Err(unsupported(format!("unsupported target `{spelling}`"))),
    };
    let libc = match triple.operating_system {
        OperatingSystem::Linux
            if matches!(triple.environment, Environment::Gnu | Environment::Unknown) =>
        {
            Libc::Gnu
        }
        OperatingSystem::Linux if triple.environment == Environment::Musl => Libc::Musl,
        OperatingSystem::Darwin(_) | OperatingSystem::MacOSX(_) => Libc::System,
        _ => return Err(unsupported(format!("unsupported target `{spelling}`"))),
    };
    TARGETS
        .iter()
        .find(|t| t.libc == libc && t.triple.starts_with(arch))
        .ok_or_else(|| unsupported(format!("unsupported target `{spelling}`")))
}

fn supported_list() -> String {
    TARGETS
        .iter()
        .map(|t| t.triple)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(clap::Args)]
pub struct Args {}

/// `gene targets`: each supported target, and where its runtime would come
/// from.
pub fn run(_args: Args) -> ExitCode {
    let host = host().ok();
    for target in TARGETS {
        let runtime = match runtime_lib::availability(target) {
            Some(source) => format!("runtime: {source}"),
            None => format!(
                "runtime: missing (`rustup target add {}`, then rebuild gene)",
                target.triple
            ),
        };
        let mut notes = Vec::new();
        if host.is_some_and(|h| h == target) {
            notes.push("host".to_string());
        }
        notes.push(link::default_linker_name(target));
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        println!("{:<27} {runtime}{notes}", target.triple);
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_resolve_to_targets() {
        for (spelling, triple) in [
            ("x86_64-unknown-linux-gnu", "x86_64-unknown-linux-gnu"),
            ("x86_64-pc-linux-gnu", "x86_64-unknown-linux-gnu"),
            ("aarch64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"),
            ("aarch64-linux-gnu", "aarch64-unknown-linux-gnu"),
            ("x86_64-unknown-linux-musl", "x86_64-unknown-linux-musl"),
            ("x86_64-linux-musl", "x86_64-unknown-linux-musl"),
            ("aarch64-unknown-linux-musl", "aarch64-unknown-linux-musl"),
            ("x86_64-apple-darwin", "x86_64-apple-darwin"),
            ("aarch64-apple-darwin", "aarch64-apple-darwin"),
            ("arm64-apple-macosx11.0", "aarch64-apple-darwin"),
        ] {
            assert_eq!(
                resolve(spelling).map(|t| t.triple),
                Ok(triple),
                "{spelling}"
            );
        }
    }

    #[test]
    fn unknown_targets_list_the_supported_ones() {
        for spelling in [
            "riscv64gc-unknown-linux-gnu",
            "x86_64-pc-windows-msvc",
            "nonsense",
        ] {
            let error = resolve(spelling).unwrap_err();
            assert!(error.contains(spelling), "{error}");
            assert!(error.contains("aarch64-apple-darwin"), "{error}");
        }
    }
}
