//! `gene run FILE [ARGS]`: compile and interpret a program.

use gene_cli::source::Source;
use gene_vm::{Vm, VmOptions};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The program to run (`-` for stdin)
    file: String,
    /// Arguments for the program (`$cmd_args`)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: Args) -> ExitCode {
    let source = match Source::load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let proto = match source.compile() {
        Ok(p) => p,
        Err(code) => return code,
    };
    if args.file != "-" {
        // `genex/<name>` looks for `lib<name>` beside the script.
        let dir = std::path::Path::new(&args.file)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        gene_vm::extension::set_program_dir(dir);
    }
    gene_vm::stdio::install_process_hooks();
    let mut vm = Vm::new(VmOptions { args: args.args });
    let result = vm.run_main(proto);
    ExitCode::from(vm.finish(result) as u8)
}
