//! `gene`: the command line. One module per subcommand; `gene_cli::source`
//! loads programs and renders their diagnostics. `gene build` and
//! `gene targets` need LLVM: they are the `gene-build` executable
//! (`build_main.rs`), installed beside this one, which `gene` runs for them
//! so that every other command starts without loading LLVM.

mod compile;
mod eval;
mod parse;
mod repl;
mod run;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::process::{Command as Process, ExitCode};

#[derive(Parser)]
#[command(
    name = "gene",
    version,
    about = "Gene: a homoiconic Lisp compiled to native code",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Gene program (FILE `-` reads the program from stdin)
    Run(run::Args),
    /// Evaluate an expression and print its value
    Eval(eval::Args),
    /// Start an interactive session
    Repl,
    /// Print the forms the reader reads from a file
    Parse(parse::Args),
    /// Print the bytecode a file compiles to
    Compile(compile::Args),
    /// Compile a program to a native executable
    #[command(disable_help_flag = true)]
    Build(Delegated),
    /// List the targets `gene build` supports and their runtimes
    #[command(disable_help_flag = true)]
    Targets(Delegated),
    /// Write the runtime library `gene build` links (for tests)
    #[command(hide = true, disable_help_flag = true)]
    RuntimeLib(Delegated),
}

/// The arguments of a command `gene-build` carries out, passed on as they
/// are (it parses them, and answers `--help`).
#[derive(clap::Args)]
struct Delegated {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

fn main() -> ExitCode {
    // Regular expressions and DateTime (see `link_libraries`).
    gene_vm::builtins::link_libraries();
    let cli = Cli::parse();
    let delegated = match cli.command {
        Command::Build(d) => ("build", d),
        Command::Targets(d) => ("targets", d),
        Command::RuntimeLib(d) => ("runtime-lib", d),
        command => {
            return gene_cli::run_on_worker(move || match command {
                Command::Run(args) => run::run(args),
                Command::Eval(args) => eval::run(args),
                Command::Repl => repl::run(),
                Command::Parse(args) => parse::run(args),
                Command::Compile(args) => compile::run(args),
                Command::Build(_) | Command::Targets(_) | Command::RuntimeLib(_) => {
                    ExitCode::SUCCESS
                }
            })
        }
    };
    run_gene_build(delegated.0, delegated.1.args)
}

/// Carries out `gene SUBCOMMAND ARGS...` by running `gene-build`, found
/// beside this executable, with the same arguments.
fn run_gene_build(subcommand: &str, args: Vec<OsString>) -> ExitCode {
    let name = format!("gene-build{}", std::env::consts::EXE_SUFFIX);
    let Some(exe) = std::env::current_exe()
        .ok()
        .map(|gene| gene.with_file_name(&name))
        .filter(|exe| exe.is_file())
    else {
        eprintln!(
            "error: `gene {subcommand}` needs the `{name}` executable beside `gene`; \
             build both with `cargo build --release -p gene`"
        );
        return ExitCode::FAILURE;
    };
    let mut process = Process::new(&exe);
    process.arg(subcommand).args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let error = process.exec();
        eprintln!("error: cannot run {}: {error}", exe.display());
        ExitCode::FAILURE
    }
    #[cfg(not(unix))]
    match process.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c as u8)),
        Err(error) => {
            eprintln!("error: cannot run {}: {error}", exe.display());
            ExitCode::FAILURE
        }
    }
}
