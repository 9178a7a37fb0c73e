//! `gene eval CODE...`: evaluate an expression and print its repr.

use gene_cli::source::{report_uncaught, Source};
use gene_vm::{Vm, VmOptions};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The code to evaluate (several arguments are joined with spaces)
    #[arg(required = true, allow_hyphen_values = true)]
    code: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    let source = Source::inline("<eval>", args.code.join(" "));
    let proto = match source.compile() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut vm = Vm::new(VmOptions::default());
    match vm.run_main(proto) {
        Ok(v) => {
            vm.write_out(&format!("{}\n", gene_core::print::repr(v)));
            vm.flush();
            ExitCode::SUCCESS
        }
        Err(thrown) => report_uncaught(&vm, thrown),
    }
}
