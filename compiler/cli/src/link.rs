//! The linker driver of `gene build`: object + `libgene_runtime.a` →
//! executable (DESIGN.md §6).
//!
//! `--linker CMD` wins (split at whitespace, so `zig cc -target
//! aarch64-macos` works). Otherwise each target has its default:
//! - linux-gnu links with the C compiler the `cc` crate finds for the target
//!   (`cc` on the host, `aarch64-linux-gnu-gcc` for aarch64 from x86_64, or
//!   what `CC_<triple>`, `TARGET_CC` and `CC` name);
//! - linux-musl links with LLVM's `ld.lld` (Debian's `lld-19`), fully
//!   static, with musl's C runtime objects and `libc.a` that travel with
//!   the runtime (`runtime_lib::MUSL_SUPPORT_FILES`): no C compiler, no
//!   musl installation, no dynamic loader in the result;
//! - macOS links with `ld64.lld` against a libSystem stub written for the
//!   link (`macho_stub.rs`): no Apple SDK. lld ad-hoc signs arm64
//!   executables, as macOS requires.
//!
//! The libraries after the runtime are what `rustc --print
//! native-static-libs` reports for the runtime: for linux-gnu `-lgcc_s
//! -lutil -lrt -lpthread -lm -ldl -lc` (`--static` adds `-static`), for
//! macOS libSystem only (the runtime links no Apple frameworks). A C
//! compiler driver links libgcc statically instead of `-lgcc_s`
//! (`-static-libgcc`: one shared library fewer to load at start-up).
//!
//! Reproducibility: nothing here puts the scratch directory's (random) name
//! into the executable: the ELF linkers record no input paths, and
//! ld64.lld, which records object paths for debuggers (`N_OSO`), runs with
//! `-oso_prefix` of the scratch directory and `ZERO_AR_DATE=1` (no
//! modification times).

use crate::macho_stub;
use crate::runtime_lib::Runtime;
use crate::targets::{self, Libc, Os, Target};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to link.
pub struct Job<'a> {
    pub target: &'static Target,
    pub object: &'a Path,
    pub runtime: &'a Runtime,
    pub output: &'a Path,
    /// A directory for files of the link (the libSystem stub).
    pub scratch: &'a Path,
    /// Objects and archives to link after the program's object
    /// (`--link-extension`, see `link_ext.rs`).
    pub extras: &'a [PathBuf],
    /// `--static`: a fully static executable.
    pub static_link: bool,
    /// `--linker`: the command to link with, instead of the default.
    pub linker: Option<&'a str>,
}

/// Checks, before anything is compiled, that `target` can be linked at all.
pub fn check_supported(target: &Target, static_link: bool) -> Result<(), String> {
    if target.os == Os::MacOs && static_link {
        return Err(
            "--static is not available for macOS: executables there always link libSystem \
             dynamically"
                .to_string(),
        );
    }
    Ok(())
}

/// Links `job.output`; the error says what failed and how to fix it.
pub fn link(job: &Job) -> Result<(), String> {
    check_supported(job.target, job.static_link)?;
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
        None => match job.target.libc {
            Libc::Gnu => {
                let (mut command, name) = default_linker(job.target)?;
                use_lld(&mut command, job);
                (command, name, true)
            }
            Libc::Musl | Libc::System => {
                let names = lld_names(job.target);
                let program = find_program(names).ok_or_else(|| missing_lld(job.target))?;
                let name = program.display().to_string();
                (Command::new(program), name, false)
            }
        },
    };
    match (job.target.libc, driver) {
        (Libc::Musl, false) => musl_args(&mut command, job),
        (Libc::System, false) => macho_args(&mut command, job)?,
        (Libc::Musl, true) => {
            // A driver that targets musl brings its own C library and
            // start-up files; the runtime still needs the unwinder.
            command.arg(job.object).args(job.extras);
            command.arg(&job.runtime.archive);
            command.arg(job.runtime.support_dir.join("libunwind.a"));
            command.args(["-static", "-Wl,--gc-sections", "-o"]);
            command.arg(job.output);
        }
        (Libc::Gnu | Libc::System, _) => {
            command.arg(job.object).args(job.extras);
            command.arg(&job.runtime.archive);
            command.args(library_args(job.target, job.static_link, driver));
            command.arg("-o").arg(job.output);
        }
    }

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

/// A fully static musl executable with `ld.lld`: musl's start-up objects
/// around the program, the runtime, the unwinder and musl's libc.
fn musl_args(command: &mut Command, job: &Job) {
    let support = |name: &str| job.runtime.support_dir.join(name);
    command.args(["-static", "--gc-sections", "-o"]);
    command.arg(job.output);
    command.args([support("crt1.o"), support("crti.o"), support("crtbegin.o")]);
    command.arg(job.object).args(job.extras);
    command.arg(&job.runtime.archive);
    command.args([
        support("libunwind.a"),
        support("libc.a"),
        support("crtend.o"),
        support("crtn.o"),
    ]);
}

/// A Mach-O executable with `ld64.lld` against a libSystem stub written
/// into the scratch directory for exactly the symbols the link imports.
fn macho_args(command: &mut Command, job: &Job) -> Result<(), String> {
    let arch = macho_stub::arch_name(job.target);
    macho_stub::write_libsystem_stub(
        job.scratch,
        arch,
        &[job.object, job.runtime.archive.as_path()],
    )?;
    command.args(["-arch", arch, "-platform_version", "macos"]);
    command.args([macho_stub::MIN_MACOS, macho_stub::MIN_MACOS]);
    command.arg("-o").arg(job.output);
    command.arg(job.object).arg(&job.runtime.archive);
    command.arg("-L").arg(job.scratch).arg("-lSystem");
    command.arg("-dead_strip");
    command.arg("-oso_prefix").arg(job.scratch);
    command.env("ZERO_AR_DATE", "1");
    Ok(())
}

/// The names `ld.lld` / `ld64.lld` go by: unversioned, then Debian's
/// versioned names, then LLVM 19's own directory.
fn lld_names(target: &Target) -> &'static [&'static str] {
    match target.os {
        Os::MacOs => &["ld64.lld", "ld64.lld-19", "/usr/lib/llvm-19/bin/ld64.lld"],
        Os::Linux => &["ld.lld", "ld.lld-19", "/usr/lib/llvm-19/bin/ld.lld"],
    }
}

/// Makes the C compiler driving a glibc link use lld when it is installed
/// (as it is for the musl and macOS targets): lld merges the runtime's
/// read-only data better than the GNU linker, which makes hello world
/// about 45 KB (x86_64) to 70 KB (aarch64) smaller. GCC accepts only
/// `-fuse-ld=lld` with an `ld.lld` it finds through `-B`, so a link to the
/// lld we found goes into the scratch directory. Without lld, or when the
/// link cannot be made, the driver's own linker links, as before.
fn use_lld(command: &mut Command, job: &Job) {
    #[cfg(unix)]
    {
        let Some(lld) = find_program(lld_names(job.target)) else {
            return;
        };
        let dir = job.scratch.join("lld");
        if std::fs::create_dir_all(&dir).is_err()
            || std::os::unix::fs::symlink(&lld, dir.join("ld.lld")).is_err()
        {
            return;
        }
        let mut prefix = std::ffi::OsString::from("-B");
        prefix.push(dir.as_os_str());
        prefix.push("/");
        command.arg(prefix).arg("-fuse-ld=lld");
    }
    #[cfg(not(unix))]
    let _ = (command, job);
}

/// The first of `names` that is an executable file: an absolute name as
/// it is, another one on `PATH`.
pub fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        let name = Path::new(name);
        if name.is_absolute() {
            return name.is_file().then(|| name.to_path_buf());
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn missing_lld(target: &Target) -> String {
    let name = Path::new(lld_names(target)[0]);
    format!(
        "cannot find {}, which links for {}: install it with `apt-get install lld-19` (what \
         scripts/test and scripts/demo do), or name a linker with --linker",
        name.display(),
        target.triple
    )
}

/// What `gene targets` says a build for `target` links with.
pub fn default_linker_name(target: &Target) -> String {
    match target.libc {
        Libc::Gnu => match default_linker(target) {
            Ok((_, name)) => format!("links with {name}"),
            Err(_) => "no C compiler found to link with".to_string(),
        },
        Libc::Musl | Libc::System => match find_program(lld_names(target)) {
            Some(path) => format!("links with {}", path.display()),
            None => format!(
                "links with {}: not found, apt-get install lld-19",
                lld_names(target)[0]
            ),
        },
    }
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
    fn macos_cannot_be_static() {
        let target = targets::resolve("aarch64-apple-darwin").unwrap();
        assert!(check_supported(target, false).is_ok());
        let error = check_supported(target, true).unwrap_err();
        assert!(error.contains("--static"), "{error}");
    }
}
