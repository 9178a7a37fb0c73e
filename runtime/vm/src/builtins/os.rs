//! The process and its environment (spec 07 §7.4): `gene/os/...`, and the
//! global `exit`, `$env` and `$set_env`, which are the same functions as
//! `gene/os/exit`, `gene/os/env` and `gene/os/set_env`.
//!
//! Before a command runs (`run`, `exec`) and before the process exits,
//! everything the program wrote is flushed (every open File, then stdout),
//! so the command's output and the program's keep their order.
//!
//! Decisions beyond the spec: `exit` takes an Int from 0 to 255 (nil or no
//! argument: 0); any other value, a Float included, and an Int outside that
//! range (which the system would silently cut to its low byte, `256` ⇒ 0)
//! raise `ArgumentError`. If the flush at `exit` fails, the process reports
//! the `IOError` and exits with status 1. `run` gives the command an empty
//! stdin unless `^stdin` is given, and the status of a command killed by a
//! signal is 128 + the signal's number, as in the shell; `^env` values and
//! `set_env` values are written in their display form; an unknown option
//! of `run` is an `ArgumentError`.

use super::arg;
use crate::errors::VmResult;
use crate::stdio::os_reason;
use crate::vm::Vm;
use gene_core::heap;
use gene_core::object::{prop_map, PropMap};
use gene_core::print::display;
use gene_core::{ErrorKind, Symbol, Value};
use std::io::Write;
use std::process::{Command, Stdio};

pub fn install(vm: &mut Vm) {
    let os = vm.builtin_namespace("os");
    let functions: [(&str, super::NativeFn); 9] = [
        ("args", args),
        ("env", env),
        ("set_env", set_env),
        ("env_all", env_all),
        ("exit", exit),
        ("platform", platform),
        ("arch", arch),
        ("pid", pid),
        ("chdir", chdir),
    ];
    for (name, f) in functions {
        vm.def_fn_in(os, name, f);
    }
    // The global names (spec 04 §4.1, §4.2) are the same function values.
    for name in ["env", "set_env", "exit"] {
        let symbol = Symbol::intern(name);
        if let Some(f) = crate::names::namespace_of(os).and_then(|ns| ns.get(symbol)) {
            vm.define_builtin(name, f);
        }
    }
}

/// `gene/os/run` and `gene/os/exec`, which spawn processes (std's process
/// code): installed through `link_libraries`, like regular expressions, so
/// that an executable whose program never names them does not carry it.
pub fn install_process(vm: &mut Vm) {
    let os = vm.builtin_namespace("os");
    vm.def_fn_in(os, "run", run);
    vm.def_fn_in(os, "exec", exec);
}

/// Positional argument `i` as a String, else an `ArgumentError` naming
/// `who` and `what` it should be.
fn string_arg(vm: &Vm, args: &[Value], i: usize, who: &str, what: &str) -> VmResult<String> {
    let v = arg(args, i);
    match v.as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(vm.bad_argument(&format!("{who}: expected {what}"), v)),
    }
}

/// A variable name: a String or a Symbol.
fn name_arg(vm: &Vm, args: &[Value], who: &str) -> VmResult<String> {
    let v = arg(args, 0);
    if let Some(s) = v.as_symbol() {
        return Ok(s.name().to_string());
    }
    string_arg(vm, args, 0, who, "a String variable name")
}

/// `gene/os/args`: the same array as `$cmd_args`.
fn args(vm: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let args =
        crate::names::namespace_of(vm.gene_ns).and_then(|ns| ns.get(Symbol::intern("cmd_args")));
    Ok(args.unwrap_or_else(|| heap::array(Vec::new())))
}

/// `env name [default]`: the variable's value, else `default` (nil).
fn env(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    let name = name_arg(vm, args, "gene/os/env")?;
    Ok(match std::env::var(&name) {
        Ok(v) => heap::string(v),
        Err(_) => arg(args, 1),
    })
}

/// `set_env name value`: sets a variable of this process, which the
/// commands it runs inherit.
fn set_env(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/os/set_env";
    let name = name_arg(vm, args, WHO)?;
    let value = display(arg(args, 1));
    // `set_var` panics on these; report them as Gene errors instead.
    if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
        return Err(vm.error(
            ErrorKind::ArgumentError,
            format!("{WHO}: invalid variable name or value {name:?}"),
        ));
    }
    std::env::set_var(name, value);
    Ok(Value::NIL)
}

fn env_all(_: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    vars.sort();
    let mut map = prop_map();
    for (k, v) in vars {
        map.insert(Symbol::intern(&k), heap::string(v));
    }
    Ok(heap::map(map))
}

/// `exit [code]`: flushes what the program wrote and ends the process.
fn exit(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/os/exit";
    let v = arg(args, 0);
    let code = if v.is_nil() {
        0
    } else {
        match v.as_int() {
            Some(code) if (0..=255).contains(&code) => code as i32,
            Some(code) => {
                return Err(vm.error(
                    ErrorKind::ArgumentError,
                    format!("{WHO}: the status must be from 0 to 255, got {code}"),
                ))
            }
            None => return Err(vm.bad_argument(&format!("{WHO}: expected an Int status"), v)),
        }
    };
    if let Err(message) = vm.flush_everything() {
        vm.write_err(&format!("Error: IOError: {message}\n"));
        std::process::exit(1);
    }
    std::process::exit(code);
}

fn platform(_: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(if cfg!(target_os = "macos") {
        "macos"
    } else {
        std::env::consts::OS
    }))
}

fn arch(_: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(heap::string(std::env::consts::ARCH))
}

fn pid(_: &mut Vm, _: Value, _: &[Value], _: Option<&PropMap>) -> VmResult {
    Ok(Value::int(i64::from(std::process::id())))
}

fn chdir(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/os/chdir";
    let path = super::fs::path_arg(vm, args, 0, WHO)?;
    std::env::set_current_dir(&path)
        .map_err(|e| super::fs::fs_error(vm, WHO, "change directory to", &path, &e))?;
    Ok(Value::NIL)
}

/// Flushes everything the program wrote before a command runs.
fn flush_before_command(vm: &Vm, who: &str) -> VmResult<()> {
    vm.flush_everything()
        .map_err(|message| vm.error(ErrorKind::IOError, format!("{who}: {message}")))
}

/// A finished command's status: its exit code, or 128 + the signal that
/// killed it.
fn status_code(status: std::process::ExitStatus) -> i64 {
    use std::os::unix::process::ExitStatusExt;
    match status.code() {
        Some(code) => i64::from(code),
        None => 128 + i64::from(status.signal().unwrap_or(0)),
    }
}

/// Runs `command`, feeding it `input` (empty when `None`), and collects its
/// status and output.
fn run_command(
    mut command: Command,
    input: Option<String>,
) -> std::io::Result<std::process::Output> {
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let feeder = match (input, child.stdin.take()) {
        // On a thread: a command that writes much before it reads would
        // otherwise block us both.
        (Some(text), Some(mut pipe)) => Some(std::thread::spawn(move || {
            // A command that exits without reading all of it closes the
            // pipe; that is its business.
            let _ = pipe.write_all(text.as_bytes());
        })),
        _ => None,
    };
    let output = child.wait_with_output();
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    output
}

/// `run cmd arg... [^cwd dir] [^env map] [^stdin string]`.
fn run(vm: &mut Vm, _: Value, args: &[Value], props: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/os/run";
    let program = string_arg(vm, args, 0, WHO, "a String command")?;
    let mut command = Command::new(&program);
    for i in 1..args.len() {
        command.arg(string_arg(vm, args, i, WHO, "String arguments")?);
    }
    let mut input = None;
    for (key, value) in props.into_iter().flatten() {
        match key.name() {
            "cwd" => {
                let Some(dir) = value.as_str() else {
                    return Err(vm.bad_argument(&format!("{WHO}: ^cwd expects a String"), *value));
                };
                command.current_dir(dir);
            }
            "env" => match value.obj() {
                Some(gene_core::heap::Obj::Map(m)) => {
                    for (k, v) in m.borrow().iter() {
                        command.env(k.name(), display(*v));
                    }
                }
                _ => return Err(vm.bad_argument(&format!("{WHO}: ^env expects a Map"), *value)),
            },
            "stdin" => match value.as_str() {
                Some(text) => input = Some(text.to_string()),
                None => {
                    return Err(vm.bad_argument(&format!("{WHO}: ^stdin expects a String"), *value))
                }
            },
            other => {
                return Err(vm.error(
                    ErrorKind::ArgumentError,
                    format!(
                        "{WHO}: unknown option ^{other} (the options are ^cwd, ^env and ^stdin)"
                    ),
                ))
            }
        }
    }
    flush_before_command(vm, WHO)?;
    let output = run_command(command, input).map_err(|e| {
        vm.error(
            ErrorKind::IOError,
            format!("{WHO}: Failed to run '{program}': {}", os_reason(&e)),
        )
    })?;
    let mut result = prop_map();
    result.insert(
        Symbol::intern("status"),
        Value::int(status_code(output.status)),
    );
    result.insert(
        Symbol::intern("stdout"),
        heap::string(String::from_utf8_lossy(&output.stdout)),
    );
    result.insert(
        Symbol::intern("stderr"),
        heap::string(String::from_utf8_lossy(&output.stderr)),
    );
    Ok(heap::map(result))
}

/// `exec cmdline`: runs it with `/bin/sh -c`; returns its stdout, or raises
/// `IOError` with the status and stderr when the status is not 0.
fn exec(vm: &mut Vm, _: Value, args: &[Value], _: Option<&PropMap>) -> VmResult {
    const WHO: &str = "gene/os/exec";
    let cmdline = string_arg(vm, args, 0, WHO, "a String command line")?;
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(&cmdline);
    flush_before_command(vm, WHO)?;
    let output = run_command(command, None).map_err(|e| {
        vm.error(
            ErrorKind::IOError,
            format!("{WHO}: Failed to run '{cmdline}': {}", os_reason(&e)),
        )
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut message = format!(
            "{WHO}: Command '{cmdline}' failed with status {}",
            status_code(output.status)
        );
        if !stderr.trim_end().is_empty() {
            message.push_str(": ");
            message.push_str(stderr.trim_end());
        }
        return Err(vm.error(ErrorKind::IOError, message));
    }
    Ok(heap::string(String::from_utf8_lossy(&output.stdout)))
}
