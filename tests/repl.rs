//! `gene repl` driven through a real pseudo-terminal.

use rexpect::session::{spawn_command, PtySession};
use std::process::Command;

const TIMEOUT_MS: u64 = 10_000;

fn start(home: &std::path::Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gene"));
    cmd.arg("repl").env("HOME", home).env("TERM", "dumb");
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn gene repl");
    p.exp_string("gene> ").expect("first prompt");
    p
}

#[test]
fn ctrl_c_interrupts_a_loop_and_keeps_definitions() {
    let home = tempfile::tempdir().unwrap();
    let mut p = start(home.path());
    p.send_line("(var kept 41)").unwrap();
    p.exp_string("41").unwrap();
    p.exp_string("gene> ").unwrap();
    p.send_line("(loop (var x 1))").unwrap();
    // Give the loop time to start, then interrupt it.
    std::thread::sleep(std::time::Duration::from_millis(300));
    p.send_control('c').unwrap();
    p.exp_string("interrupted").unwrap();
    p.exp_string("gene> ").unwrap();
    p.send_line("(kept + 1)").unwrap();
    p.exp_string("42").unwrap();
    p.exp_string("gene> ").unwrap();
}

#[test]
fn history_survives_sigkill() {
    let home = tempfile::tempdir().unwrap();
    let mut p = start(home.path());
    p.send_line("(var remembered_entry 7)").unwrap();
    p.exp_string("7").unwrap();
    p.exp_string("gene> ").unwrap();
    p.process
        .signal(rexpect::process::signal::Signal::SIGKILL)
        .unwrap();
    let history = std::fs::read_to_string(home.path().join(".gene_history")).unwrap();
    assert!(
        history.contains("(var remembered_entry 7)"),
        "history: {history:?}"
    );
}
