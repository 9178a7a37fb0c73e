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

impl Args {
    /// `gene run FILE ARGS...` read without clap: every argument after FILE
    /// belongs to the program, even `-h`, `--help` and `--`. `None` when
    /// the arguments do not start with a FILE (an option, or nothing),
    /// which clap then handles (`gene run --help`).
    pub fn direct(argv: &[std::ffi::OsString]) -> Option<Args> {
        let (command, rest) = argv.split_first()?;
        if command != "run" {
            return None;
        }
        let (file, args) = rest.split_first()?;
        let file = file.to_str()?;
        if file.starts_with('-') && file != "-" {
            return None;
        }
        Some(Args {
            file: file.to_string(),
            args: args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        })
    }
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
