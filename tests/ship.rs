//! Shipping programs (issue "whole-program builds"): `gene build` compiles
//! every module a program imports into the executable, so that the
//! executable alone runs anywhere; module search never falls back to the
//! working directory; `gene run` hands every argument after FILE to the
//! program; an interrupted build leaves no scratch directory behind.
//!
//! The multi-module programs of `examples/` are built, their sources
//! deleted, and the executable run alone from an empty directory: it must
//! print what `gene run` printed (and what is written here by hand).

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::{gene_command, repo_root, run_captured, Captured};

const TIMEOUT: Duration = Duration::from_secs(120);

/// A fresh, empty directory for one test.
fn scratch_dir(test_name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ship")
        .join(test_name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot clear {}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn gene(cwd: &Path, args: &[&str]) -> Captured {
    gene_env(cwd, args, &[])
}

fn gene_env(cwd: &Path, args: &[&str], env: &[(&str, &Path)]) -> Captured {
    let mut command = gene_command(cwd, args);
    command
        .env_remove("GENE_PATH")
        .env_remove("GENE_EXTENSION_PATH");
    for (k, v) in env {
        command.env(k, v);
    }
    run_captured(command, None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()))
}

fn run_exe(cwd: &Path, exe: &Path, args: &[&str]) -> Captured {
    let mut command = Command::new(exe);
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("GENE_PATH")
        .env_remove("GENE_EXTENSION_PATH");
    run_captured(command, None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()))
}

fn describe(what: &str, c: &Captured) -> String {
    format!(
        "{what} ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        c.termination,
        c.stdout_text(),
        c.stderr_text()
    )
}

/// `gene build FILE -o OUT EXTRA...` from `cwd`, which must succeed.
fn build_ok(cwd: &Path, file: &str, out: &Path, extra: &[&str]) -> Captured {
    let out_text = out.to_string_lossy().into_owned();
    let mut args = vec!["build", file, "-o", &out_text];
    args.extend_from_slice(extra);
    let built = gene(cwd, &args);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe(&format!("gene {}", args.join(" ")), &built)
    );
    built
}

/// Copies the directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("cannot create {}: {e}", to.display()));
    for entry in
        fs::read_dir(from).unwrap_or_else(|e| panic!("cannot list {}: {e}", from.display()))
    {
        let entry = entry.expect("directory entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", entry.path().display()));
        }
    }
}

/// The `.gene` files under `dir`.
fn gene_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "gene") {
                found.push(path);
            }
        }
    }
    found
}

/// One run of an example: its arguments, and the input files (name, text)
/// it reads, which are written beside the executable.
struct Case {
    args: &'static [&'static str],
    inputs: &'static [(&'static str, &'static str)],
    /// Exactly what it prints, written by hand.
    expected: &'static str,
    status: i32,
}

/// Builds `examples/NAME/main.gene` from a copy of `examples/`, deletes
/// every source, copies the executable alone to an empty directory and
/// runs each case there; each must print what `gene run` printed and the
/// expected text. The build must be at least 95% native.
fn assert_example_ships(name: &str, cases: &[Case]) {
    let dir = scratch_dir(&format!("example-{name}"));
    let sources = dir.join("src");
    copy_tree(&repo_root().join("examples"), &sources);
    let example_dir = sources.join(name);
    let inputs = dir.join("inputs");
    fs::create_dir_all(&inputs).expect("create the inputs directory");

    // gene run, from the inputs' directory (the sources are elsewhere).
    let main = example_dir.join("main.gene");
    let main_text = main.to_string_lossy().into_owned();
    let mut ran = Vec::new();
    for case in cases {
        for (file, text) in case.inputs {
            write(&inputs.join(file), text);
        }
        let mut args = vec!["run", main_text.as_str()];
        args.extend_from_slice(case.args);
        let r = gene(&inputs, &args);
        assert_eq!(
            (r.termination.code(), r.stdout_text().as_str()),
            (Some(case.status), case.expected),
            "{}",
            describe(&format!("gene run {name} {:?}", case.args), &r)
        );
        ran.push(r);
    }

    let exe = dir.join("build").join(name);
    fs::create_dir_all(exe.parent().expect("a parent")).expect("create the build directory");
    let built = build_ok(&example_dir, "main.gene", &exe, &["--stats"]);
    let stats = built.stdout_text();
    let summary = stats.lines().next().unwrap_or("");
    let percent: f64 = summary
        .rsplit_once('(')
        .and_then(|(_, p)| p.strip_suffix("%)"))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no percentage in {summary:?}"));
    assert!(percent >= 95.0, "{name}: only {summary}\n{stats}");
    let modules = gene_files(&example_dir).len();
    assert!(
        stats.lines().filter(|l| l.starts_with("module ")).count() >= 3,
        "{name}: --stats lists fewer than three modules ({modules} sources):\n{stats}"
    );

    // Nothing of the program is left but the executable.
    fs::remove_dir_all(&sources).expect("delete the sources");
    let alone = dir.join("alone");
    fs::create_dir_all(&alone).expect("create the empty directory");
    let shipped = alone.join(name);
    fs::copy(&exe, &shipped).expect("copy the executable");
    fs::remove_dir_all(dir.join("build")).expect("delete the build directory");
    for (case, expected) in cases.iter().zip(&ran) {
        for (file, text) in case.inputs {
            write(&alone.join(file), text);
        }
        let r = run_exe(&alone, &shipped, case.args);
        assert_eq!(
            (r.termination.code(), r.stdout_text()),
            (expected.termination.code(), expected.stdout_text()),
            "{}",
            describe(&format!("the shipped {name} {:?}", case.args), &r)
        );
        for (file, _) in case.inputs {
            let _ = fs::remove_file(alone.join(file));
        }
        assert!(
            gene_files(&alone).is_empty(),
            "a .gene file appeared beside the executable"
        );
    }
}

#[test]
fn wordfreq_ships_alone() {
    assert_example_ships(
        "wordfreq",
        &[
            Case {
                args: &["a.txt", "b.txt"],
                inputs: &[
                    ("a.txt", "The cat and the hat.\nThe END"),
                    ("b.txt", "a cat, a hat; a bat!"),
                ],
                expected: "a.txt                  7  words\n\
                           b.txt                  6  words\n\
                           ---------------- -------\n\
                           total                 13  words\n\
                           distinct               7  words\n\
                           ---------------- -------\n\
                           a                      3  23.1%\n\
                           the                    3  23.1%\n\
                           cat                    2  15.4%\n\
                           hat                    2  15.4%\n\
                           and                    1  7.7%\n\
                           bat                    1  7.7%\n\
                           end                    1  7.7%\n",
                status: 0,
            },
            Case {
                args: &[],
                inputs: &[],
                expected: "usage: wordfreq FILE...\n",
                status: 2,
            },
            Case {
                args: &["missing.txt"],
                inputs: &[],
                expected: "wordfreq: cannot read missing.txt\n",
                status: 1,
            },
        ],
    );
}

#[test]
fn report_ships_alone() {
    assert_example_ships(
        "report",
        &[
            Case {
                args: &["--text"],
                inputs: &[],
                expected: "region     orders    revenue  best product\n\
                           north           3      37.39  gadget\n\
                           south           2      29.99  gadget\n\
                           east            1       5.00  widget\n\
                           all             6      72.38  \n",
                status: 0,
            },
            Case {
                args: &["orders.json"],
                inputs: &[(
                    "orders.json",
                    r#"[{"region": "west", "product": "nut", "qty": 7, "price": 5},
                        {"region": "west", "product": "bolt", "qty": 1, "price": 120}]"#,
                )],
                expected: "{\"orders\":2,\"revenue\":\"1.55\",\"regions\":[{\"region\":\"west\",\
                           \"orders\":2,\"units\":8,\"revenue\":\"1.55\",\"best_product\":\"bolt\"}]}\n",
                status: 0,
            },
            Case {
                args: &["bad.json"],
                inputs: &[("bad.json", r#"[{"region": "x", "qty": 1}]"#)],
                expected: "report: bad.json: order 0 has no product\n",
                status: 1,
            },
        ],
    );
}

#[test]
fn forth_ships_alone() {
    assert_example_ships(
        "forth",
        &[
            Case {
                args: &[],
                inputs: &[],
                expected: "49 \n3628800 2432902008176640000 \n5 4 3 2 1 0 \n0 1 55 6765 \n\
                           stack: 4 item(s) 1 3 2 3\n",
                status: 0,
            },
            Case {
                args: &["p.fs"],
                inputs: &[(
                    "p.fs",
                    ": cube dup dup * * ; \\ comment\n3 cube . ( inline ) 2 cube .\n",
                )],
                expected: "27 8 stack: 0 item(s) \n",
                status: 0,
            },
            Case {
                args: &["q.fs"],
                inputs: &[("q.fs", "1 +")],
                expected: "\nforth: q.fs: stack underflow\n",
                status: 1,
            },
        ],
    );
}

/// A program of three modules that print as they run, imported through
/// several spellings of the same path.
fn module_program(dir: &Path) {
    write(
        &dir.join("app/main.gene"),
        "(println \"main starts\")\n\
         (import greet from \"lib/a\")\n\
         (import greet:again from \"./lib/../lib/a.gene\")\n\
         (import twice from \"lib/b\")\n\
         (println (greet \"x\") (again \"y\") (twice 4))\n",
    );
    write(
        &dir.join("app/lib/a.gene"),
        "(println \"a runs\")\n(import twice from \"b\")\n(fn greet [n] #\"hi #{n} #{(twice 1)}\")\n",
    );
    write(
        &dir.join("app/lib/b.gene"),
        "(println \"b runs\")\n(fn twice [x] (x * 2))\n",
    );
}

const MODULE_PROGRAM_OUTPUT: &str = "main starts\na runs\nb runs\nhi x 2 hi y 2 8\n";

#[test]
fn modules_run_once_in_order_and_edits_after_the_build_do_not_matter() {
    let dir = scratch_dir("order");
    module_program(&dir);
    let ran = gene(&dir, &["run", "app/main.gene"]);
    assert_eq!(
        ran.stdout_text(),
        MODULE_PROGRAM_OUTPUT,
        "{}",
        describe("gene run", &ran)
    );
    let exe = dir.join("app.exe");
    let built = build_ok(&dir, "app/main.gene", &exe, &["--stats"]);
    let stats = built.stdout_text();
    let lib = fs::canonicalize(dir.join("app/lib")).expect("canonical app/lib");
    for line in [
        "module app/main.gene: ".to_string(),
        format!("module {}/a.gene: ", lib.display()),
        format!("module {}/b.gene: ", lib.display()),
    ] {
        assert!(stats.contains(&line), "--stats lacks {line:?}:\n{stats}");
    }
    // Edited after the build: the executable keeps what it was built from.
    write(
        &dir.join("app/lib/b.gene"),
        "(println \"edited\")\n(fn twice [x] 0)\n",
    );
    let r = run_exe(&dir, &exe, &[]);
    assert_eq!(
        r.stdout_text(),
        MODULE_PROGRAM_OUTPUT,
        "{}",
        describe("built", &r)
    );
    // And without any source at all, from another directory.
    fs::remove_dir_all(dir.join("app")).expect("delete the sources");
    let elsewhere = scratch_dir("order-elsewhere");
    let r = run_exe(&elsewhere, &exe, &[]);
    assert_eq!(
        r.stdout_text(),
        MODULE_PROGRAM_OUTPUT,
        "{}",
        describe("built", &r)
    );
}

#[test]
fn import_graph_errors_are_located_build_errors() {
    let dir = scratch_dir("graph-errors");
    write(
        &dir.join("missing.gene"),
        "(println 1)\n  (import x from \"lib/nope\")\n",
    );
    write(&dir.join("cycle.gene"), "(import y from \"lib/c1\")\n");
    write(
        &dir.join("lib/c1.gene"),
        "(import y from \"c2\")\n(fn y [] 1)\n",
    );
    write(
        &dir.join("lib/c2.gene"),
        "(println 0)\n(import y from \"c1\")\n",
    );
    write(
        &dir.join("broken.gene"),
        "(fn later []\n   (import z from \"lib/broken\"))\n",
    );
    write(&dir.join("lib/broken.gene"), "(println (1 2\n");
    // Modules are named by their canonical path, as under `gene run`.
    let lib = fs::canonicalize(dir.join("lib")).expect("canonical lib/");
    let lib = lib.display();
    let cases = [
        (
            "missing.gene".to_string(),
            "missing.gene:2:3: error: cannot import \"lib/nope\": lib/nope.gene does not exist"
                .to_string(),
        ),
        (
            "cycle.gene".to_string(),
            format!(
                "{lib}/c2.gene:2:1: error: import cycle: {lib}/c1.gene -> {lib}/c2.gene -> \
                 {lib}/c1.gene"
            ),
        ),
        (
            "broken.gene".to_string(),
            format!(
                "broken.gene:2:4: error: cannot import \"lib/broken\": \
                 {lib}/broken.gene:1:10: ParseError:"
            ),
        ),
    ];
    for (file, expected) in &cases {
        let r = gene(&dir, &["build", file, "-o", "out"]);
        assert_eq!(r.termination.code(), Some(1), "{}", describe(file, &r));
        assert!(
            r.stderr_text().starts_with(expected),
            "{file}: expected a diagnostic starting with\n{expected}\n{}",
            describe(file, &r)
        );
        assert!(
            !dir.join("out").exists(),
            "{file}: an executable was written"
        );
    }
}

#[test]
fn an_import_path_computed_at_run_time_loads_beside_the_executable() {
    let dir = scratch_dir("computed");
    write(
        &dir.join("src/main.gene"),
        "(var name (\"plug\" .append \"in\"))\n\
         (eval ($parse #\"(import hello from \\\"#{name}\\\")\"))\n\
         (println (hello))\n",
    );
    write(
        &dir.join("src/plugin.gene"),
        "(fn hello [] \"from the source dir\")\n",
    );
    let ran = gene(&dir, &["run", "src/main.gene"]);
    assert_eq!(
        ran.stdout_text(),
        "from the source dir\n",
        "{}",
        describe("gene run", &ran)
    );
    let ship = dir.join("ship");
    fs::create_dir_all(&ship).expect("create ship/");
    let exe = ship.join("main");
    build_ok(&dir, "src/main.gene", &exe, &[]);
    write(
        &ship.join("plugin.gene"),
        "(fn hello [] \"beside the executable\")\n",
    );
    // Run from a directory holding a decoy: the working directory is never searched.
    let cwd = dir.join("cwd");
    write(&cwd.join("plugin.gene"), "(fn hello [] \"hijacked\")\n");
    let r = run_exe(&cwd, &exe, &[]);
    assert_eq!(
        r.stdout_text(),
        "beside the executable\n",
        "{}",
        describe("built", &r)
    );
    fs::remove_file(ship.join("plugin.gene")).expect("remove the plugin");
    let r = run_exe(&cwd, &exe, &[]);
    assert_eq!(r.termination.code(), Some(1), "{}", describe("built", &r));
    assert!(
        r.stderr_text()
            .contains("ImportError: Failed to read module 'plugin'"),
        "{}",
        describe("built without the plugin", &r)
    );
}

#[test]
fn module_search_never_uses_the_working_directory() {
    let dir = scratch_dir("no-cwd");
    write(
        &dir.join("prog/main.gene"),
        "(import f from \"lib/m\")\n(println (f))\n",
    );
    // Only the working directory has lib/m.gene.
    write(&dir.join("lib/m.gene"), "(fn f [] \"hijacked\")\n");
    let r = gene(&dir, &["run", "prog/main.gene"]);
    assert_eq!(
        r.termination.code(),
        Some(1),
        "{}",
        describe("gene run", &r)
    );
    assert!(
        r.stderr_text()
            .contains("ImportError: Failed to read module 'lib/m'"),
        "{}",
        describe("gene run", &r)
    );
    let r = gene(&dir, &["build", "prog/main.gene", "-o", "prog/app"]);
    assert_eq!(
        r.termination.code(),
        Some(1),
        "{}",
        describe("gene build", &r)
    );

    // GENE_PATH is searched, and the module is compiled in.
    let path_dir = dir.join("modules");
    write(
        &path_dir.join("lib/m.gene"),
        "(fn f [] \"from GENE_PATH\")\n",
    );
    let r = gene_env(
        &dir,
        &["run", "prog/main.gene"],
        &[("GENE_PATH", &path_dir)],
    );
    assert_eq!(
        r.stdout_text(),
        "from GENE_PATH\n",
        "{}",
        describe("gene run", &r)
    );
    let r = gene_env(
        &dir,
        &["build", "prog/main.gene", "-o", "prog/app"],
        &[("GENE_PATH", &path_dir)],
    );
    assert_eq!(
        r.termination.code(),
        Some(0),
        "{}",
        describe("gene build", &r)
    );
    fs::remove_dir_all(&path_dir).expect("remove the GENE_PATH directory");
    let r = run_exe(&dir, &dir.join("prog/app"), &[]);
    assert_eq!(
        r.stdout_text(),
        "from GENE_PATH\n",
        "{}",
        describe("built", &r)
    );
}

#[test]
fn extensions_are_not_loaded_from_the_working_directory() {
    let dir = scratch_dir("no-cwd-ext");
    let suffix = std::env::consts::DLL_SUFFIX;
    // Decoys in the working directory: not libraries at all, so loading
    // one would fail differently from not finding it.
    write(
        &dir.join(format!("build/libdecoy{suffix}")),
        "not a library",
    );
    write(&dir.join(format!("libplain{suffix}")), "not a library");
    write(
        &dir.join("prog/main.gene"),
        "(println (try genex/decoy/f catch ImportError $ex/message))\n\
         (println (try (import f from \"libplain\" ^^native) catch ImportError $ex/message))\n",
    );
    let expected = format!(
        "Failed to load extension: libdecoy{suffix}: not found in GENE_EXTENSION_PATH or the \
         program's directory\nFailed to load extension: libplain{suffix}: no such file\n"
    );
    let r = gene(&dir, &["run", "prog/main.gene"]);
    assert_eq!(r.stdout_text(), expected, "{}", describe("gene run", &r));
    let exe = dir.join("prog/app");
    build_ok(&dir, "prog/main.gene", &exe, &[]);
    let r = run_exe(&dir, &exe, &[]);
    assert_eq!(r.stdout_text(), expected, "{}", describe("built", &r));
}

#[test]
fn every_argument_after_the_file_reaches_the_program() {
    let dir = scratch_dir("args");
    write(
        &dir.join("args.gene"),
        "(println ($cmd_args .size) $cmd_args)\n",
    );
    let args = ["-h", "--help", "--", "x", "-o", "--version"];
    let expected = "6 [-h --help -- x -o --version]\n";
    let mut run_args = vec!["run", "args.gene"];
    run_args.extend_from_slice(&args);
    let r = gene(&dir, &run_args);
    assert_eq!(
        (r.termination.code(), r.stdout_text().as_str()),
        (Some(0), expected),
        "{}",
        describe("gene run", &r)
    );
    let exe = dir.join("args");
    build_ok(&dir, "args.gene", &exe, &[]);
    let r = run_exe(&dir, &exe, &args);
    assert_eq!(r.stdout_text(), expected, "{}", describe("built", &r));
    // Without a FILE, --help is gene's own.
    let r = gene(&dir, &["run", "--help"]);
    assert_eq!(
        r.termination.code(),
        Some(0),
        "{}",
        describe("gene run --help", &r)
    );
    assert!(
        r.stdout_text().contains("Usage: gene run"),
        "{}",
        describe("gene run --help", &r)
    );
}

#[test]
fn build_refuses_outputs_that_are_sources_or_directories() {
    let dir = scratch_dir("outputs");
    module_program(&dir);
    let main_before = fs::read_to_string(dir.join("app/main.gene")).expect("read main");
    let module_before = fs::read_to_string(dir.join("app/lib/b.gene")).expect("read b");
    for (out, says) in [
        (
            "app/main.gene",
            "would overwrite the program's source app/main.gene",
        ),
        (
            "app/lib/b.gene",
            // Modules are named by their canonical path.
            "/app/lib/b.gene; name another output",
        ),
        (
            "app/lib/../lib/b.gene",
            "/app/lib/b.gene; name another output",
        ),
        ("app/lib", "is a directory"),
    ] {
        let r = gene(&dir, &["build", "app/main.gene", "-o", out]);
        assert_eq!(r.termination.code(), Some(2), "{}", describe(out, &r));
        assert!(
            r.stderr_text().contains(says),
            "-o {out}: {}",
            describe(out, &r)
        );
    }
    assert_eq!(
        fs::read_to_string(dir.join("app/main.gene")).ok(),
        Some(main_before)
    );
    assert_eq!(
        fs::read_to_string(dir.join("app/lib/b.gene")).ok(),
        Some(module_before)
    );
    for command in ["build", "run"] {
        let r = gene(&dir, &[command, "app"]);
        assert_eq!(r.termination.code(), Some(1), "{}", describe(command, &r));
        assert!(
            r.stderr_text()
                .contains("app is a directory, not a Gene program"),
            "{}",
            describe(command, &r)
        );
        let r = gene(&dir, &[command, "nothing.gene"]);
        assert_eq!(r.termination.code(), Some(1), "{}", describe(command, &r));
        assert!(
            r.stderr_text().contains("cannot read nothing.gene")
                && r.stderr_text().contains("check the path"),
            "{}",
            describe(command, &r)
        );
    }
}

/// Sends SIGINT (what Ctrl-C sends) to the build while its linker runs (a
/// script that waits); the scratch directory of the build must be gone
/// afterwards. Signals go to single, positive process ids only.
#[cfg(unix)]
#[test]
fn an_interrupted_build_leaves_no_scratch_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch_dir("interrupt");
    let tmp = dir.join("tmp");
    fs::create_dir_all(&tmp).expect("create tmp/");
    write(&dir.join("hello.gene"), "(println 1)\n");
    let marker = dir.join("linker.pid");
    let linker = dir.join("slow-linker");
    // The marker holds the pid of the waiting `sleep` once it is written.
    write(
        &linker,
        &format!(
            "#!/bin/sh\necho $$ > '{0}.tmp' && mv '{0}.tmp' '{0}'\nexec sleep 30\n",
            marker.display()
        ),
    );
    fs::set_permissions(&linker, fs::Permissions::from_mode(0o755)).expect("chmod the linker");
    let linker_text = linker.to_string_lossy().into_owned();
    let mut command = gene_command(
        &dir,
        &[
            "build",
            "hello.gene",
            "-o",
            "hello",
            "--linker",
            &linker_text,
        ],
    );
    command.env("TMPDIR", &tmp);
    let mut child = command.spawn().expect("start gene build");
    let deadline = Instant::now() + TIMEOUT;
    while !marker.exists() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the linker never ran");
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("gene build ended before linking: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let linker_pid: u32 = fs::read_to_string(&marker)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .expect("the linker's pid");
    let scratch = fs::read_dir(&tmp).expect("list tmp/").flatten().count();
    assert_eq!(
        scratch, 1,
        "the build has one scratch directory while it links"
    );
    let signal = |name: &str, pid: u32| {
        assert!(pid > 1, "refusing to signal pid {pid}");
        Command::new("kill")
            .args(["-s", name, &pid.to_string()])
            .status()
            .expect("run kill")
    };
    assert!(signal("INT", child.id()).success());
    let status = child.wait().expect("wait for gene build");
    let _ = signal("TERM", linker_pid);
    assert_eq!(
        status.code(),
        Some(130),
        "an interrupted build exits with 130"
    );
    let left: Vec<_> = fs::read_dir(&tmp)
        .expect("list tmp/")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!dir.join("hello").exists());
}

#[test]
fn static_builds_warn_about_extensions_in_any_module() {
    let dir = scratch_dir("static-warning");
    write(
        &dir.join("main.gene"),
        "(import f from \"lib/m\")\n(println 1)\n",
    );
    write(&dir.join("lib/m.gene"), "(fn f [] genex/x/y)\n");
    let built = build_ok(&dir, "main.gene", &dir.join("app"), &["--static"]);
    assert!(
        built
            .stderr_text()
            .contains("/lib/m.gene: a static executable cannot load native extensions"),
        "{}",
        describe("gene build --static", &built)
    );
    let r = run_exe(&dir, &dir.join("app"), &[]);
    assert_eq!(
        r.stdout_text(),
        "1\n",
        "{}",
        describe("the static executable", &r)
    );
}

#[test]
fn stats_to_a_closed_pipe_do_not_stop_the_build() {
    let dir = scratch_dir("closed-pipe");
    module_program(&dir);
    let mut command = gene_command(
        &dir,
        &["build", "app/main.gene", "-o", "app.exe", "--stats"],
    );
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("start gene build");
    // The reader goes away before anything is printed, as `| head -0` does.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait for gene build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let r = run_exe(&dir, &dir.join("app.exe"), &[]);
    assert_eq!(
        r.stdout_text(),
        MODULE_PROGRAM_OUTPUT,
        "{}",
        describe("built", &r)
    );
}
