//! `gene build FILE`: compile a program to a native executable.
//!
//! The pipeline (ARCHITECTURE.md): read and compile the program to Protos
//! (as `gene run` does), follow its static imports and compile every module
//! it reaches ([`crate::graph`]), serialise them all into one bytecode
//! image (with the module table), lower them
//! with `gene-llvm` (Protos it cannot lower stay bytecode in the image),
//! then link the object with `libgene_runtime.a` ([`crate::link`],
//! [`crate::runtime_lib`]). `--emit obj|llvm-ir|asm` stops after code
//! generation and writes that instead. Exit status: 1 for a failure (a Gene
//! compile error, code generation, a missing runtime or linker), 2 for a
//! usage error (including an unsupported `--target`).

use crate::graph;
use crate::link;
use crate::link_ext;
use crate::runtime_lib;
use crate::targets::{self, Libc, Target};
use gene_cli::source::Source;
use gene_frontend::image;
use gene_llvm::ProtoStat;
use gene_reader::{Form, FormKind};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitKind {
    /// An object file (not linked)
    Obj,
    /// Textual LLVM IR
    LlvmIr,
    /// Assembly
    Asm,
}

impl EmitKind {
    fn backend(self) -> gene_llvm::Emit {
        match self {
            EmitKind::Obj => gene_llvm::Emit::Object,
            EmitKind::LlvmIr => gene_llvm::Emit::LlvmIr,
            EmitKind::Asm => gene_llvm::Emit::Asm,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            EmitKind::Obj => "o",
            EmitKind::LlvmIr => "ll",
            EmitKind::Asm => "s",
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// The program to build (`-` for stdin)
    file: String,
    /// The output file (default: the program's name without `.gene`, in the
    /// current directory; with --emit, plus `.o`, `.ll` or `.s`)
    #[arg(short = 'o', value_name = "OUT")]
    output: Option<PathBuf>,
    /// Optimisation level, -O0 to -O3
    #[arg(
        short = 'O',
        value_name = "LEVEL",
        default_value_t = 2,
        value_parser = clap::value_parser!(u8).range(0..=3)
    )]
    opt_level: u8,
    /// Stop after code generation and write this instead of an executable
    #[arg(long, value_enum, value_name = "KIND")]
    emit: Option<EmitKind>,
    /// Print how many Protos were compiled to native code, how many of
    /// them also got an int body, and why the others stay bytecode
    #[arg(long)]
    stats: bool,
    /// The target triple (default: the host; see `gene targets`)
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// Link a fully static executable
    #[arg(long = "static")]
    static_link: bool,
    /// The runtime library to link: a libgene_runtime.a, or a directory
    /// holding one
    #[arg(long, value_name = "PATH")]
    runtime: Option<PathBuf>,
    /// Link this native extension (a static library `libNAME.a`) into the
    /// executable, so that it imports as `NAME` without a dynamic loader
    /// (for musl targets and --static; Linux only; repeatable)
    #[arg(long = "link-extension", value_name = "LIBNAME.a")]
    link_extensions: Vec<PathBuf>,
    /// The command that links, instead of the target's default (e.g.
    /// `zig cc -target aarch64-macos`)
    #[arg(long, value_name = "CMD")]
    linker: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    let target = match targets::requested(args.target.as_deref()) {
        Ok(t) => t,
        Err(message) => return fail(2, &message),
    };
    if args.emit.is_none() {
        if let Err(message) = link::check_supported(target, args.static_link) {
            return fail(1, &message);
        }
    }
    if args.file != "-" && Path::new(&args.file).is_dir() {
        // Reported by Source::load, before an output name is derived from it.
        return match Source::load(&args.file) {
            Ok(_) => ExitCode::FAILURE,
            Err(code) => code,
        };
    }
    let output = match output_path(&args) {
        Ok(path) => path,
        Err(message) => return fail(2, &message),
    };

    let source = match Source::load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let main = match source.compile() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let graph = match graph::build(main, &source.name, &source.text) {
        Ok(g) => g,
        Err(diagnostic) => {
            eprintln!("{diagnostic}");
            return ExitCode::from(1);
        }
    };
    let modules = graph.modules();
    if (args.static_link || target.libc == Libc::Musl) && args.link_extensions.is_empty() {
        for (name, text) in graph.sources() {
            let uses =
                gene_reader::read_all(text).is_ok_and(|forms| forms.iter().any(uses_extensions));
            if uses {
                eprintln!(
                    "warning: {name}: a static executable cannot load native extensions from \
                     shared libraries; importing one will raise ImportError (link it in with \
                     --link-extension libNAME.a)"
                );
            }
        }
    }
    if let Err(message) = check_output_is_not_a_source(&output, &source.name, &modules) {
        return fail(2, &message);
    }
    let image = match image::write_program(main, &modules) {
        Ok(bytes) => bytes,
        Err(e) => {
            return fail(
                1,
                &format!("{}: cannot embed the program: {e}", source.name),
            )
        }
    };
    let protos = image::program_protos(main, &modules);
    let options = gene_llvm::Options {
        opt_level: args.opt_level,
        target: Some(target.llvm_triple.to_string()),
        emit: args.emit.map_or(gene_llvm::Emit::Object, EmitKind::backend),
    };
    let compiled = match gene_llvm::compile(&protos, &image, &options) {
        Ok(out) => out,
        Err(e) => return fail(1, &format!("{}: code generation failed: {e}", source.name)),
    };
    if args.stats {
        let mut text = render_stats(&compiled.stats);
        if !modules.is_empty() {
            text.push_str(&render_module_stats(&compiled.stats));
        }
        // A reader that went away (`| head`) does not stop the build.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    }

    let result = if args.emit.is_some() {
        fs::write(&output, &compiled.bytes)
            .map_err(|e| format!("cannot write {}: {e}", output.display()))
    } else {
        link_executable(&args, target, &compiled.bytes, &output)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(1, &message),
    }
}

/// Writes the object to a scratch directory and links it with the runtime.
fn link_executable(
    args: &Args,
    target: &'static Target,
    object: &[u8],
    output: &Path,
) -> Result<(), String> {
    let scratch = crate::scratch::Scratch::new()?;
    let object_path = scratch.path().join("program.o");
    fs::write(&object_path, object)
        .map_err(|e| format!("cannot write {}: {e}", object_path.display()))?;
    let runtime = runtime_lib::locate(target, args.runtime.as_deref(), scratch.path())?;
    let extras = link_ext::prepare(target, &args.link_extensions, scratch.path())?;
    link::link(&link::Job {
        target,
        object: &object_path,
        runtime: &runtime,
        output,
        scratch: scratch.path(),
        extras: &extras,
        static_link: args.static_link,
        linker: args.linker.as_deref(),
    })
}

/// `-o`, or the program's stem in the current directory (plus the
/// extension of what `--emit` writes).
fn output_path(args: &Args) -> Result<PathBuf, String> {
    if let Some(path) = &args.output {
        return Ok(path.clone());
    }
    let stem = if args.file == "-" {
        "a.out".to_string()
    } else {
        Path::new(&args.file)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("cannot derive an output name from `{}`; use -o", args.file))?
    };
    let name = match args.emit {
        Some(kind) => format!("{stem}.{}", kind.extension()),
        None => stem,
    };
    let path = PathBuf::from(name);
    let same_as_source = fs::canonicalize(&path)
        .ok()
        .zip(fs::canonicalize(&args.file).ok())
        .is_some_and(|(a, b)| a == b);
    if same_as_source {
        return Err(format!(
            "the default output `{}` is the program itself; name another with -o",
            path.display()
        ));
    }
    Ok(path)
}

/// Refuses an output that would overwrite the program or one of its
/// modules, or that is a directory.
fn check_output_is_not_a_source(
    output: &Path,
    main: &str,
    modules: &[image::Module],
) -> Result<(), String> {
    if output.is_dir() {
        return Err(format!(
            "-o {} is a directory; name the executable to write (e.g. -o {}/app)",
            output.display(),
            output.display()
        ));
    }
    let Some(out) = canonical_target(output) else {
        return Ok(());
    };
    let sources = std::iter::once(main).chain(modules.iter().map(|m| m.proto.file));
    for source in sources {
        if fs::canonicalize(source).is_ok_and(|s| s == out) {
            return Err(format!(
                "-o {} would overwrite the program's source {source}; name another output",
                output.display()
            ));
        }
    }
    Ok(())
}

/// The canonical path `path` names or would name once written.
fn canonical_target(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::canonicalize(dir).ok().map(|d| d.join(name))
}

/// `module FILE: N of M Protos native`, per module in the image's order
/// (the main program first).
fn render_module_stats(stats: &[ProtoStat]) -> String {
    let mut files: Vec<(&str, usize, usize)> = Vec::new();
    for stat in stats {
        let index = match files.iter().position(|(f, _, _)| *f == stat.file) {
            Some(i) => i,
            None => {
                files.push((&stat.file, 0, 0));
                files.len() - 1
            }
        };
        files[index].2 += 1;
        if stat.fallback.is_none() {
            files[index].1 += 1;
        }
    }
    files
        .iter()
        .map(|(file, native, total)| format!("module {file}: {native} of {total} Protos native\n"))
        .collect()
}

/// `N of M Protos native (P%)`, `K with an int body`, then
/// `name (file): reason` per fallback.
fn render_stats(stats: &[ProtoStat]) -> String {
    let total = stats.len();
    let native = stats.iter().filter(|s| s.fallback.is_none()).count();
    let percent = if total == 0 {
        100.0
    } else {
        native as f64 * 100.0 / total as f64
    };
    let int_bodies = stats.iter().filter(|s| s.int_body).count();
    let mut text = format!(
        "{native} of {total} Protos native ({percent:.1}%)\n{int_bodies} with an int body\n"
    );
    for stat in stats {
        if let Some(reason) = &stat.fallback {
            text.push_str(&format!("{} ({}): {reason}\n", stat.name, stat.file));
        }
    }
    text
}

/// Whether `form` contains an `(import ... ^^native)` or a `genex/...`
/// access: what a `--static` executable cannot do (it has no dynamic
/// loader).
fn uses_extensions(form: &Form) -> bool {
    match &form.kind {
        FormKind::ComplexSymbol(parts) => parts.first().is_some_and(|p| p == "genex"),
        FormKind::Gene {
            head,
            props,
            children,
        } => {
            let native_import = head.is_symbol("import")
                && props
                    .iter()
                    .any(|(k, v)| k == "native" && matches!(v.kind, FormKind::Bool(true)));
            native_import
                || uses_extensions(head)
                || props.iter().any(|(_, v)| uses_extensions(v))
                || children.iter().any(uses_extensions)
        }
        FormKind::Array(items) | FormKind::Set(items) => items.iter().any(uses_extensions),
        FormKind::Map(entries) => entries.iter().any(|(_, v)| uses_extensions(v)),
        _ => false,
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_format() {
        let stat = |name: &str, fallback: Option<&str>, int_body| ProtoStat {
            name: name.into(),
            file: "a.gene".into(),
            fallback: fallback.map(Into::into),
            int_body,
        };
        let text = render_stats(&[
            stat("<main>", None, false),
            stat("f", Some("uses eval"), false),
            stat("g", None, true),
        ]);
        assert_eq!(
            text,
            "2 of 3 Protos native (66.7%)\n1 with an int body\nf (a.gene): uses eval\n"
        );
    }
}
