//! `gene parse FILE`: print each form read, one per line, in repr form.

use gene_cli::source::Source;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The file to read (`-` for stdin)
    file: String,
}

pub fn run(args: Args) -> ExitCode {
    let source = match Source::load(&args.file) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let forms = match source.read() {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut out = String::new();
    for form in &forms {
        let value = gene_frontend::quote::form_to_value(form);
        out.push_str(&gene_core::print::repr(value));
        out.push('\n');
    }
    print!("{out}");
    ExitCode::SUCCESS
}
