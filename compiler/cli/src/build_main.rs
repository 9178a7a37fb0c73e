//! `gene-build`: the commands of `gene` that need LLVM or the embedded
//! runtimes, `gene build` ([`build`], with [`link`], the linker driver, and
//! [`runtime_lib`], finding `libgene_runtime.a`) and `gene targets`
//! ([`targets`]). `gene` runs this executable for them with the same
//! arguments, so it parses them under the name `gene`.

mod build;
mod link;
mod runtime_lib;
mod targets;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gene",
    bin_name = "gene",
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
    /// Compile a program to a native executable
    Build(build::Args),
    /// List the targets `gene build` supports and their runtimes
    Targets(targets::Args),
    /// Write the runtime library `gene build` links (for tests)
    #[command(hide = true)]
    RuntimeLib(runtime_lib::Args),
}

fn main() -> ExitCode {
    // Regular expressions and DateTime (see `link_libraries`).
    gene_vm::builtins::link_libraries();
    let cli = Cli::parse();
    gene_cli::run_on_worker(move || match cli.command {
        Command::Build(args) => build::run(args),
        Command::Targets(args) => targets::run(args),
        Command::RuntimeLib(args) => runtime_lib::run(args),
    })
}
