//! The linker driver of `gene build`: object + `libgene_runtime.a` →
//! executable (DESIGN.md §6).
//!
//! `--linker CMD` wins (split at whitespace, so `zig cc -target
//! aarch64-macos` works). Otherwise Linux targets link with the C compiler
//! the `cc` crate finds for the target (`cc` on the host,
//! `aarch64-linux-gnu-gcc` for aarch64 from x86_64, or what `CC_<triple>`,
//! `TARGET_CC` and `CC` name), and macOS targets need `--linker` for now.
//!
//! The libraries after the runtime are what `rustc --print
//! native-static-libs` reports for the runtime: for linux-gnu `-lgcc_s
//! -lutil -lrt -lpthread -lm -ldl -lc` (`--static` adds `-static`), for
//! macOS libSystem only (the runtime links no Apple frameworks). A C
//! compiler driver links libgcc statically instead of `-lgcc_s`
//! (`-static-libgcc`: one shared library fewer to load at start-up).

use crate::targets::{self, Os, Target};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::Path;
use std::process::Command;

/// What to link.
pub struct Job<'a> {
    pub target: &'static Target,
    pub object: &'a Path,
    pub runtime: &'a Path,
    pub output: &'a Path,
    /// `--static`: a fully static executable.
    pub static_link: bool,
    /// `--linker`: the command to link with, instead of the default.
    pub linker: Option<&'a str>,
}

/// Checks, before anything is compiled, that `target` can be linked at all.
pub fn check_supported(
    target: &Target,
    linker: Option<&str>,
    static_link: bool,
) -> Result<(), String> {
    if target.os == Os::MacOs && static_link {
        return Err(
            "--static is not available for macOS: executables there always link libSystem \
             dynamically"
                .to_string(),
        );
    }
    if target.os == Os::MacOs && linker.is_none() {
        return Err(format!(
            "linking for macOS ({}) needs --linker: gene cannot link Mach-O executables by \
             itself yet; pass a linker that can, e.g. --linker \"zig cc -target {}-macos\" or \
             --linker ld64.lld (with a libSystem stub), or use --emit obj",
            target.triple,
            target.triple.split('-').next().unwrap_or("x86_64"),
        ));
    }
    Ok(())
}

/// Links `job.output`; the error says what failed and how to fix it.
pub fn link(job: &Job) -> Result<(), String> {
    check_supported(job.target, job.linker, job.static_link)?;
    let (mut command, shown_name, driver) = match job.linker {
        Some(cmd) => {
            let mut words = cmd.split_whitespace();
            let program = words
                .next()
                .ok_or_else(|| "--linker names no command".to_string())?;
            let mut command = Command::new(program);
            command.args(words);
            (command, program.to_string(), is_driver(program))
        }
        None => {
            let (command, name) = default_linker(job.target)?;
            (command, name, true)
        }
    };
    command.arg(job.object).arg(job.runtime);
    command.args(library_args(job.target, job.static_link, driver));
    command.arg("-o").arg(job.output);

    let output = match command.output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(missing_linker(
                job.target,
                &shown_name,
                job.linker.is_some(),
            ))
        }
        Err(e) => return Err(format!("cannot run the linker `{shown_name}`: {e}")),
    };
    if output.status.success() {
        return Ok(());
    }
    let mut report = format!("linking failed ({}): {}", output.status, render(&command));
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        if !text.trim().is_empty() {
            report.push('\n');
            report.push_str(text.trim_end());
        }
    }
    Err(report)
}

/// The C compiler the `cc` crate picks for a Linux target, with the flags it
/// would pass for that target (`-m64`, or `--target=` for clang).
fn default_linker(target: &Target) -> Result<(Command, String), String> {
    let tool = cc::Build::new()
        .target(target.triple)
        .host(targets::HOST_TRIPLE)
        .opt_level(0)
        .debug(false)
        .cargo_metadata(false)
        .cargo_warnings(false)
        .warnings(false)
        .try_get_compiler()
        .map_err(|e| {
            format!(
                "cannot find a C compiler to link for {}: {e}",
                target.triple
            )
        })?;
    let name = tool.path().display().to_string();
    Ok((tool.to_command(), name))
}

/// Whether `program` is a compiler driver (`cc`, `clang`, `zig cc`), which
/// takes `-Wl,` options and adds the C startup files, rather than a bare
/// linker (`ld.lld`, `ld64.lld`).
fn is_driver(program: &str) -> bool {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    !(name.starts_with("ld") || name.starts_with("lld"))
}

/// The libraries and options after the object and the runtime.
fn library_args(target: &Target, static_link: bool, driver: bool) -> Vec<OsString> {
    let linker_flag = |flag: &str| -> OsString {
        if driver {
            format!("-Wl,{flag}").into()
        } else {
            flag.into()
        }
    };
    let mut args: Vec<OsString> = Vec::new();
    match target.os {
        Os::Linux => {
            // The runtime aborts on panic, so the unwinder is only needed
            // for backtraces: a C compiler driver links it statically
            // (`-static-libgcc`), which spares loading libgcc_s at start-up.
            if driver {
                args.push("-static-libgcc".into());
            } else if !static_link {
                args.push("-lgcc_s".into());
            }
            for lib in ["-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"] {
                args.push(lib.into());
            }
            args.push(linker_flag("--gc-sections"));
        }
        Os::MacOs => {
            for lib in ["-lSystem", "-lc", "-lm"] {
                args.push(lib.into());
            }
            args.push(linker_flag("-dead_strip"));
        }
    }
    if static_link {
        args.push("-static".into());
    }
    args
}

/// The error for a linker that is not installed: what to install.
fn missing_linker(target: &Target, program: &str, explicit: bool) -> String {
    if explicit {
        return format!("the linker `{program}` given with --linker was not found");
    }
    let is_host = targets::host().is_ok_and(|h| h == target);
    let install = match target.cross_gcc_package {
        Some(_) if is_host => "apt-get install gcc".to_string(),
        Some(package) => format!("apt-get install {package}"),
        None => "a C compiler for the target".to_string(),
    };
    format!(
        "the C compiler that links for {} (`{program}`) was not found: install it with \
         `{install}`, or name a linker with --linker",
        target.triple
    )
}

/// A command line for error messages.
fn render(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_link_line() {
        let target = targets::resolve("x86_64-unknown-linux-gnu").unwrap();
        let line = |static_link, driver| -> String {
            library_args(target, static_link, driver)
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            line(false, true),
            "-static-libgcc -lutil -lrt -lpthread -lm -ldl -lc -Wl,--gc-sections"
        );
        assert_eq!(
            line(false, false),
            "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc --gc-sections"
        );
        assert_eq!(
            line(true, true),
            "-static-libgcc -lutil -lrt -lpthread -lm -ldl -lc -Wl,--gc-sections -static"
        );
    }

    #[test]
    fn drivers_and_bare_linkers() {
        assert!(is_driver("cc"));
        assert!(is_driver("/usr/bin/aarch64-linux-gnu-gcc"));
        assert!(is_driver("zig"));
        assert!(!is_driver("ld64.lld"));
        assert!(!is_driver("/usr/bin/ld.lld"));
    }

    #[test]
    fn macos_needs_a_linker() {
        let target = targets::resolve("aarch64-apple-darwin").unwrap();
        let error = check_supported(target, None, false).unwrap_err();
        assert!(error.contains("--linker"), "{error}");
        assert!(check_supported(target, Some("zig cc"), false).is_ok());
        assert!(check_supported(target, Some("zig cc"), true).is_err());
    }
}
