//! `gene compile FILE`: print the bytecode listing of a program.

use gene_cli::source::Source;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The file to compile (`-` for stdin)
    file: String,
}

pub fn run(args: Args) -> ExitCode {
    let source = match Source::load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match source.compile() {
        Ok(proto) => {
            print!("{}", gene_frontend::disasm::disassemble(proto));
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}
