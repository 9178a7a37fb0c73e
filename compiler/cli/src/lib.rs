//! What the two executables of the command line share: `gene` (run, eval,
//! repl, parse, compile) and `gene-build` (build, targets), which `gene`
//! runs for the commands that need LLVM, so that every other command starts
//! without loading it.

pub mod source;

/// Gene programs may recurse deeply through built-ins that call back into
/// Gene; the interpreter and the compiler run on a thread with a large
/// stack.
const WORKER_STACK: usize = 512 << 20;

/// Runs `command` on a thread with a large stack whose frames the
/// collector scans, prints the collector's statistics when asked to, and
/// returns its exit status.
pub fn run_on_worker(
    command: impl FnOnce() -> std::process::ExitCode + Send + 'static,
) -> std::process::ExitCode {
    let worker = std::thread::Builder::new()
        .name("gene".into())
        .stack_size(WORKER_STACK)
        .spawn(move || {
            gene_core::gc::mark_stack_top();
            let code = command();
            gene_core::gc::report_stats();
            code
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => {
            eprintln!("error: the interpreter thread failed");
            std::process::ExitCode::from(70)
        }
    }
}
