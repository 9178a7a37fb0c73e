//! `gene`: the command line. One module per subcommand; [`source`] loads
//! programs and renders their diagnostics. `gene build` is [`build`] with
//! its pieces: [`targets`] (supported triples, `gene targets`),
//! [`runtime_lib`] (finding `libgene_runtime.a`) and [`link`] (the linker
//! driver).

mod build;
mod compile;
mod eval;
mod link;
mod parse;
mod repl;
mod run;
mod runtime_lib;
mod source;
mod targets;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
    Build(build::Args),
    /// List the targets `gene build` supports and their runtimes
    Targets(targets::Args),
    /// Write the runtime library `gene build` links (for tests)
    #[command(hide = true)]
    RuntimeLib(runtime_lib::Args),
}

/// Gene programs may recurse deeply through built-ins that call back into
/// Gene; the interpreter runs on a thread with a large stack.
const INTERPRETER_STACK: usize = 512 << 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .name("gene".into())
        .stack_size(INTERPRETER_STACK)
        .spawn(move || {
            gene_core::gc::mark_stack_top();
            let code = match cli.command {
                Command::Run(args) => run::run(args),
                Command::Eval(args) => eval::run(args),
                Command::Repl => repl::run(),
                Command::Parse(args) => parse::run(args),
                Command::Compile(args) => compile::run(args),
                Command::Build(args) => build::run(args),
                Command::Targets(args) => targets::run(args),
                Command::RuntimeLib(args) => runtime_lib::run(args),
            };
            gene_core::gc::report_stats();
            code
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: the interpreter thread failed");
            ExitCode::from(70)
        }
    }
}
