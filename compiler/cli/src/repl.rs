//! `gene repl`: an interactive session with line editing and history
//! (rustyline). Input continues over several lines until the form is
//! complete; variables persist from one input to the next.

use gene_cli::source::report_uncaught;
use gene_frontend::Session;
use gene_reader::render_diagnostic;
use gene_vm::{Vm, VmOptions};
use rustyline::error::ReadlineError;
use std::process::ExitCode;

/// Whether a parse error only means "the form is not finished yet".
fn is_incomplete(message: &str) -> bool {
    message.starts_with("EOF") || message.contains("end of input")
}

pub fn run() -> ExitCode {
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return ExitCode::from(1);
        }
    };
    let history = std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".gene_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    // Ctrl-C while an input runs (the terminal is not in raw mode then)
    // interrupts it at the VM's next safepoint; at the prompt rustyline
    // reads it as a key instead.
    let _ = ctrlc::set_handler(gene_vm::collect::request_interrupt);
    let mut vm = Vm::new(VmOptions::default());
    vm.session_slots = Some(Vec::new());
    let mut session = Session::new("<repl>");
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() {
            "gene> "
        } else {
            "  ... "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                pending.clear();
                continue;
            }
            Err(_) => break,
        };
        pending.push_str(&line);
        pending.push('\n');
        let forms = match gene_reader::read_all(&pending) {
            Ok(forms) => forms,
            Err(e) if is_incomplete(&e.message) => continue,
            Err(e) => {
                eprintln!(
                    "{}",
                    render_diagnostic("<repl>", &pending, e.span, &e.message)
                );
                pending.clear();
                continue;
            }
        };
        let _ = editor.add_history_entry(pending.trim_end());
        // Saved now, not at exit: a killed session keeps its history.
        if let Some(h) = &history {
            let _ = editor.save_history(h);
        }
        let text = std::mem::take(&mut pending);
        if forms.is_empty() {
            continue;
        }
        match session.compile(&forms) {
            Ok(proto) => {
                gene_vm::collect::clear_interrupt();
                let result = vm.run_session_unit(proto);
                match result {
                    Ok(v) => vm.write_out(&format!("{}\n", gene_core::print::repr(v))),
                    Err(thrown) => {
                        report_uncaught(&vm, thrown);
                    }
                }
            }
            Err(e) => eprintln!("{}", render_diagnostic("<repl>", &text, e.span, &e.message)),
        }
        vm.flush();
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    ExitCode::SUCCESS
}
