//! `gene build` end to end (DESIGN.md §5–§7): the examples build into
//! executables that print what `gene run` prints, `--emit` and `--stats`
//! produce what they promise, missing runtimes, unknown targets and
//! `--static` for macOS are clear errors, the executables need no libLLVM and
//! survive `strip`, and the ABI agreement test: every runtime function the
//! LLVM backend may call (`gene_llvm::runtime_fns::RUNTIME_FNS`) is defined
//! in the `libgene_runtime.a` that `gene build` links.
//!
//! The conformance suite in build mode (tests/conformance.rs) covers what
//! built programs print; this file checks the command itself.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use object::read::archive::ArchiveFile;
use object::{Object, ObjectSection, ObjectSymbol};
use support::{gene_command, repo_root, run_captured, Captured};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A fresh, empty directory for one test.
fn scratch_dir(test_name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("build")
        .join(test_name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot clear {}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Runs `gene ARGS` from `cwd`.
fn gene(cwd: &Path, args: &[&str]) -> Captured {
    run_captured(gene_command(cwd, args), None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", support::gene_binary().display()))
}

/// Runs a built executable from `cwd`.
fn run_exe(cwd: &Path, exe: &Path) -> Captured {
    let mut command = Command::new(exe);
    command.current_dir(cwd);
    run_captured(command, None, TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()))
}

fn describe(what: &str, captured: &Captured) -> String {
    format!(
        "{what} ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        captured.termination,
        captured.stdout_text(),
        captured.stderr_text()
    )
}

fn example(name: &str) -> String {
    repo_root()
        .join("examples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Builds `source` into `dir/exe_name`, asserting success; returns the path.
fn build_ok(dir: &Path, source: &str, exe_name: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["build", source, "-o", exe_name];
    args.extend_from_slice(extra);
    let built = gene(dir, &args);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe(&format!("gene {}", args.join(" ")), &built)
    );
    let exe = dir.join(exe_name);
    assert!(exe.is_file(), "gene build left no {}", exe.display());
    exe
}

fn assert_prints(dir: &Path, exe: &Path, expected: &str) {
    let ran = run_exe(dir, exe);
    assert_eq!(
        (ran.termination.code(), ran.stdout_text().as_str()),
        (Some(0), expected),
        "{}",
        describe(&exe.display().to_string(), &ran)
    );
}

#[test]
fn examples_build_and_run() {
    let dir = scratch_dir("examples");
    let hello = build_ok(&dir, &example("hello.gene"), "hello", &[]);
    assert_prints(&dir, &hello, "Hello, Gene!\n");
    let fib = build_ok(&dir, &example("fib.gene"), "fib", &[]);
    assert_prints(&dir, &fib, "75025\n");
}

#[test]
fn default_output_is_the_stem_in_the_current_directory() {
    let dir = scratch_dir("default_output");
    let built = gene(&dir, &["build", &example("hello.gene")]);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("gene build", &built)
    );
    assert_prints(&dir, &dir.join("hello"), "Hello, Gene!\n");
}

#[test]
fn every_optimisation_level_and_static_linking() {
    let dir = scratch_dir("opt_levels");
    for level in ["-O0", "-O1", "-O2", "-O3"] {
        let exe = build_ok(&dir, &example("fib.gene"), &format!("fib{level}"), &[level]);
        assert_prints(&dir, &exe, "75025\n");
    }
    let exe = build_ok(&dir, &example("hello.gene"), "hello-static", &["--static"]);
    assert_prints(&dir, &exe, "Hello, Gene!\n");
    let ldd = Command::new("ldd").arg(&exe).output();
    if let Ok(ldd) = ldd {
        let text = String::from_utf8_lossy(&ldd.stdout).into_owned()
            + &String::from_utf8_lossy(&ldd.stderr);
        assert!(
            text.contains("not a dynamic executable") || text.contains("statically linked"),
            "--static made a dynamic executable:\n{text}"
        );
    }
}

#[test]
fn emit_llvm_ir_asm_and_obj() {
    let dir = scratch_dir("emit");
    let built = gene(
        &dir,
        &[
            "build",
            &example("fib.gene"),
            "--emit",
            "llvm-ir",
            "-o",
            "fib.ll",
        ],
    );
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("--emit llvm-ir", &built)
    );
    let ir = fs::read_to_string(dir.join("fib.ll")).expect("--emit llvm-ir wrote fib.ll");
    assert!(
        ir.contains("define") && ir.contains("@main"),
        "not LLVM IR:\n{ir}"
    );

    // Without -o: the stem plus the kind's extension.
    let built = gene(&dir, &["build", &example("fib.gene"), "--emit", "asm"]);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("--emit asm", &built)
    );
    let asm = fs::read_to_string(dir.join("fib.s")).expect("--emit asm wrote fib.s");
    assert!(asm.contains("main"), "no main in the assembly:\n{asm}");

    let built = gene(&dir, &["build", &example("fib.gene"), "--emit", "obj"]);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("--emit obj", &built)
    );
    let bytes = fs::read(dir.join("fib.o")).expect("--emit obj wrote fib.o");
    let file = object::File::parse(&*bytes).expect("--emit obj wrote an object file");
    assert!(
        file.symbols()
            .any(|s| s.name() == Ok("main") && s.is_definition()),
        "the object defines no main"
    );
}

#[test]
fn stats_report_native_and_fallback_protos() {
    let dir = scratch_dir("stats");
    let program = dir.join("prog.gene");
    fs::write(
        &program,
        "(fn add [a b] (a + b))\n(fn twice [f x] (f (f x)))\n(println (twice (fnx [x] (add x 1)) 1))\n\
         (fn e [] (eval :(1 + 2)))\n(println (e))\n",
    )
    .expect("write prog.gene");
    let built = gene(&dir, &["build", "prog.gene", "--stats", "-o", "prog"]);
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("--stats", &built)
    );
    let stdout = built.stdout_text();
    let mut lines = stdout.lines();
    let summary = lines.next().unwrap_or("");
    // `N of M Protos native (P%)`
    let words: Vec<&str> = summary.split(' ').collect();
    assert!(
        words.len() == 6
            && words[0].parse::<usize>().is_ok()
            && words[1] == "of"
            && words[2] == "5"
            && words[3] == "Protos"
            && words[4] == "native"
            && words[5].starts_with('(')
            && words[5].ends_with("%)"),
        "bad --stats summary: {summary:?}"
    );
    let native: usize = words[0].parse().unwrap_or(0);
    // `K with an int body`: `add` computes with ints only.
    assert_eq!(lines.next(), Some("1 with an int body"), "{stdout}");
    let fallback_lines: Vec<&str> = lines.collect();
    assert_eq!(
        fallback_lines.len(),
        5 - native,
        "one line per fallback Proto expected:\n{stdout}"
    );
    for line in fallback_lines {
        // `name (file): reason`
        let well_formed = line
            .split_once(" (")
            .and_then(|(_, rest)| rest.split_once("): "))
            .is_some_and(|(file, reason)| file.ends_with("prog.gene") && !reason.is_empty());
        assert!(well_formed, "bad fallback line: {line:?}");
    }
    assert_prints(&dir, &dir.join("prog"), "3\n3\n");
}

#[test]
fn missing_runtime_is_a_clear_error() {
    let dir = scratch_dir("missing_runtime");
    let built = gene(
        &dir,
        &["build", &example("hello.gene"), "--runtime", "/nonexistent"],
    );
    let stderr = built.stderr_text();
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("gene build", &built)
    );
    assert!(
        stderr.contains("runtime library not found") && stderr.contains("/nonexistent"),
        "{stderr}"
    );
    assert!(!dir.join("hello").exists(), "a failed build left an output");
}

#[test]
fn runtime_dir_and_explicit_runtime_are_used() {
    let dir = scratch_dir("runtime_dir");
    let lib_dir = dir.join("rt").join("x86_64-unknown-linux-gnu");
    fs::create_dir_all(&lib_dir).expect("create the runtime dir");
    let got = gene(
        &dir,
        &[
            "runtime-lib",
            "rt/x86_64-unknown-linux-gnu/libgene_runtime.a",
        ],
    );
    assert_eq!(
        got.termination.code(),
        Some(0),
        "{}",
        describe("gene runtime-lib", &got)
    );
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return;
    }
    // --runtime with a directory.
    let exe = build_ok(
        &dir,
        &example("hello.gene"),
        "hello",
        &["--runtime", &lib_dir.to_string_lossy()],
    );
    assert_prints(&dir, &exe, "Hello, Gene!\n");
    // $GENE_RUNTIME_DIR: a broken library there must be the one used.
    let bad_dir = dir.join("bad");
    fs::create_dir_all(bad_dir.join("x86_64-unknown-linux-gnu")).expect("create bad dir");
    fs::write(
        bad_dir.join("x86_64-unknown-linux-gnu/libgene_runtime.a"),
        "not an archive",
    )
    .expect("write a broken runtime");
    // (`bad` is the runtime directory: the executable gets another name.)
    let mut command = gene_command(&dir, &["build", &example("hello.gene"), "-o", "bad-exe"]);
    command.env("GENE_RUNTIME_DIR", &bad_dir);
    let built = run_captured(command, None, TIMEOUT).expect("start gene");
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("gene build with a broken GENE_RUNTIME_DIR", &built)
    );
    assert!(
        built.stderr_text().contains("linking failed"),
        "{}",
        built.stderr_text()
    );
}

#[test]
fn unsupported_targets_and_static_macos() {
    let dir = scratch_dir("targets");
    let built = gene(
        &dir,
        &[
            "build",
            &example("hello.gene"),
            "--target",
            "riscv64gc-unknown-linux-gnu",
        ],
    );
    assert_eq!(
        built.termination.code(),
        Some(2),
        "{}",
        describe("--target riscv", &built)
    );
    let stderr = built.stderr_text();
    assert!(
        stderr.contains("riscv64gc-unknown-linux-gnu")
            && stderr.contains("x86_64-unknown-linux-gnu")
            && stderr.contains("aarch64-apple-darwin"),
        "{stderr}"
    );

    let built = gene(
        &dir,
        &[
            "build",
            &example("hello.gene"),
            "--target",
            "aarch64-apple-darwin",
            "--static",
        ],
    );
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("--target macOS --static", &built)
    );
    assert!(
        built
            .stderr_text()
            .contains("--static is not available for macOS"),
        "{}",
        built.stderr_text()
    );

    // Code generation for another target works without its runtime.
    let built = gene(
        &dir,
        &[
            "build",
            &example("fib.gene"),
            "--target",
            "aarch64-apple-darwin",
            "--emit",
            "obj",
            "-o",
            "fib-macos.o",
        ],
    );
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("macOS obj", &built)
    );
    let bytes = fs::read(dir.join("fib-macos.o")).expect("read fib-macos.o");
    let file = object::File::parse(&*bytes).expect("an object file");
    assert_eq!(file.format(), object::BinaryFormat::MachO);

    let listed = gene(&dir, &["targets"]);
    assert_eq!(listed.termination.code(), Some(0));
    for triple in [
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ] {
        assert!(
            listed.stdout_text().contains(triple),
            "{}",
            listed.stdout_text()
        );
    }
}

#[test]
fn cross_linux_target_without_runtime_or_linker_says_what_to_do() {
    let dir = scratch_dir("cross");
    let triple = "aarch64-unknown-linux-gnu";
    let built = gene(&dir, &["build", &example("hello.gene"), "--target", triple]);
    if built.termination.code() != Some(0) {
        // This gene embeds no aarch64 runtime (it has, when the target's
        // Rust standard library was installed when gene was built) or the
        // cross linker is missing.
        assert_eq!(
            built.termination.code(),
            Some(1),
            "{}",
            describe("aarch64", &built)
        );
        let stderr = built.stderr_text();
        assert!(
            stderr.contains(&format!("rustup target add {triple}"))
                || stderr.contains("apt-get install gcc-aarch64-linux-gnu"),
            "{stderr}"
        );
    }

    // With a runtime (any archive will do: the linker is never found) and no
    // cross C compiler on PATH, the error names the package to install.
    let got = gene(&dir, &["runtime-lib", "rt.a"]);
    assert_eq!(
        got.termination.code(),
        Some(0),
        "{}",
        describe("gene runtime-lib", &got)
    );
    let empty_path = dir.join("empty-path");
    fs::create_dir_all(&empty_path).expect("create an empty PATH dir");
    let mut command = gene_command(
        &dir,
        &[
            "build",
            &example("hello.gene"),
            "--target",
            triple,
            "--runtime",
            "rt.a",
        ],
    );
    command.env("PATH", &empty_path);
    for var in [
        "CC",
        "TARGET_CC",
        "CC_aarch64_unknown_linux_gnu",
        "CC_aarch64-unknown-linux-gnu",
    ] {
        command.env_remove(var);
    }
    let built = run_captured(command, None, TIMEOUT).expect("start gene");
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("no cross linker", &built)
    );
    assert!(
        built
            .stderr_text()
            .contains("apt-get install gcc-aarch64-linux-gnu"),
        "{}",
        built.stderr_text()
    );
}

#[test]
fn executables_need_no_libllvm_and_survive_strip() {
    let dir = scratch_dir("standalone");
    let exe = build_ok(&dir, &example("fib.gene"), "fib", &[]);
    let ldd = Command::new("ldd").arg(&exe).output().expect("run ldd");
    let libs = String::from_utf8_lossy(&ldd.stdout);
    assert!(
        !libs.contains("libLLVM"),
        "the executable links libLLVM:\n{libs}"
    );

    let stripped = dir.join("fib-stripped");
    fs::copy(&exe, &stripped).expect("copy the executable");
    let status = Command::new("strip")
        .arg(&stripped)
        .status()
        .expect("run strip");
    assert!(status.success(), "strip failed");
    assert!(
        fs::metadata(&stripped).map(|m| m.len()).unwrap_or(0)
            <= fs::metadata(&exe).map(|m| m.len()).unwrap_or(0)
    );
    assert_prints(&dir, &stripped, "75025\n");
}

#[test]
fn build_errors_are_reported_like_run() {
    let dir = scratch_dir("errors");
    fs::write(dir.join("bad.gene"), "(println \"unclosed\"\n").expect("write bad.gene");
    let built = gene(&dir, &["build", "bad.gene", "-o", "bad"]);
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("parse error", &built)
    );
    assert!(
        built.stderr_text().contains("bad.gene:"),
        "{}",
        built.stderr_text()
    );
    assert!(!dir.join("bad").exists());

    let built = gene(&dir, &["build", "missing.gene"]);
    assert_eq!(
        built.termination.code(),
        Some(1),
        "{}",
        describe("missing file", &built)
    );

    let built = gene(&dir, &["build", "bad.gene", "-O7"]);
    assert_eq!(
        built.termination.code(),
        Some(2),
        "{}",
        describe("-O7", &built)
    );
}

/// Invariant 2 (ARCHITECTURE.md): the backend's table of runtime functions
/// agrees with what the runtime library defines.
#[test]
fn runtime_library_defines_every_runtime_fn() {
    let dir = scratch_dir("abi");
    let got = gene(&dir, &["runtime-lib", "libgene_runtime.a"]);
    assert_eq!(
        got.termination.code(),
        Some(0),
        "{}",
        describe("gene runtime-lib", &got)
    );
    let bytes = fs::read(dir.join("libgene_runtime.a")).expect("read libgene_runtime.a");
    let archive = ArchiveFile::parse(&*bytes).expect("libgene_runtime.a is an archive");
    let mut defined = BTreeSet::new();
    for member in archive.members() {
        let member = member.expect("a readable archive member");
        let Ok(data) = member.data(&*bytes) else {
            continue;
        };
        let Ok(file) = object::File::parse(data) else {
            continue;
        };
        for symbol in file.symbols() {
            if symbol.is_definition() && symbol.is_global() {
                if let Ok(name) = symbol.name() {
                    defined.insert(name.to_string());
                }
            }
        }
    }
    let missing: Vec<&str> = gene_llvm::runtime_fns::RUNTIME_FNS
        .iter()
        .map(|f| f.name)
        .filter(|name| !defined.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "runtime functions the backend may call but libgene_runtime.a does not define: {missing:?}"
    );
    assert!(!gene_llvm::runtime_fns::RUNTIME_FNS.is_empty());
}

/// The backend's runtime table and `runtime/vm/src/abi.rs` agree on every
/// signature: each `extern "C"` function of the ABI source, its parameter
/// and return types mapped to the table's (`u64`/`i64` → I64, `u32`/`i32` → I32,
/// pointers → Ptr, no result → Void), equals the table's entry, and the
/// table has no entry the source lacks.
#[test]
fn runtime_table_signatures_match_the_abi_source() {
    use gene_llvm::runtime_fns::{Ty, RUNTIME_FNS};
    let source = fs::read_to_string(repo_root().join("runtime/vm/src/abi.rs"))
        .expect("read runtime/vm/src/abi.rs");
    let ty_of = |t: &str| -> Ty {
        let t = t.trim();
        match t {
            "u64" | "i64" => Ty::I64,
            "u32" | "i32" => Ty::I32,
            "" => Ty::Void,
            _ if t.starts_with('*') => Ty::Ptr,
            other => panic!("unexpected ABI type {other:?}"),
        }
    };
    let mut found = std::collections::BTreeMap::new();
    for (at, _) in source.match_indices("extern \"C\" fn ") {
        let rest = &source[at + "extern \"C\" fn ".len()..];
        let name_end = rest.find('(').expect("a parameter list");
        let name = &rest[..name_end];
        let close = rest.find(')').expect("a closed parameter list");
        let params: Vec<Ty> = rest[name_end + 1..close]
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| ty_of(p.split_once(':').expect("name: type").1))
            .collect();
        let after = &rest[close + 1..rest.find('{').expect("a body")];
        let ret = ty_of(after.trim().trim_start_matches("->"));
        found.insert(name.to_string(), (params, ret));
    }
    for f in RUNTIME_FNS {
        let Some((params, ret)) = found.get(f.name) else {
            panic!("{} is in the backend's table but not in abi.rs", f.name);
        };
        assert_eq!(
            (params.as_slice(), *ret),
            (f.params, f.ret),
            "signature of {} differs between abi.rs and runtime_fns.rs",
            f.name
        );
    }
}

/// The names of the functions an executable defines.
fn defined_symbols(exe: &Path) -> Vec<String> {
    let bytes = fs::read(exe).unwrap_or_else(|e| panic!("read {}: {e}", exe.display()));
    let file = object::File::parse(&*bytes).expect("parse the executable");
    file.symbols()
        .filter(|s| s.is_definition())
        .filter_map(|s| s.name().ok().map(str::to_string))
        .collect()
}

/// Regular expressions, DateTime, process spawning, JSON, `format` and the
/// numeric methods are linked only into executables whose program may use them (gene-frontend's
/// `libraries`): hello world carries neither the `regex` nor the `jiff`
/// crate nor `gene/os/run`'s process code nor the JSON, `format` and
/// numeric natives, a program using each carries them and works.
#[test]
fn unused_regex_and_datetime_are_not_linked() {
    let dir = scratch_dir("libraries");
    let hello = build_ok(&dir, &example("hello.gene"), "hello", &[]);
    let carries = |exe: &Path, krate: &str| defined_symbols(exe).iter().any(|s| s.contains(krate));
    assert!(
        !carries(&hello, "regex_automata"),
        "hello world links regex"
    );
    assert!(!carries(&hello, "jiff"), "hello world links jiff");
    assert!(
        !carries(&hello, "run_command"),
        "hello world links process spawning"
    );
    assert!(!carries(&hello, "builtins4json"), "hello world links JSON");
    assert!(
        !carries(&hello, "builtins6format"),
        "hello world links format"
    );
    assert!(
        !carries(&hello, "builtins7numbers"),
        "hello world links the numeric methods"
    );

    let src = dir.join("uses.gene");
    fs::write(
        &src,
        "(println (\"a1b22\" .split #/\\d+/))\n\
         (println (gene/datetime/from_timestamp 0 \"Asia/Tokyo\"))\n\
         (print (gene/os/exec \"echo spawned\"))\n\
         (println ([1 \"a\"] .to_json) (format \"{}-{}\" 1 2) (\"x\" .pad_left 3))\n\
         (println (-3 .abs) (gene/math/sqrt 16.0) (7 .div 2))\n",
    )
    .expect("write the program");
    let uses = build_ok(&dir, "uses.gene", "uses", &[]);
    assert!(
        carries(&uses, "regex_automata"),
        "the regex program lacks regex"
    );
    assert!(carries(&uses, "jiff"), "the DateTime program lacks jiff");
    assert!(
        carries(&uses, "run_command"),
        "the exec program lacks process spawning"
    );
    assert!(carries(&uses, "builtins4json"), "the program lacks JSON");
    assert!(
        carries(&uses, "builtins6format"),
        "the program lacks format"
    );
    assert!(
        carries(&uses, "builtins7numbers"),
        "the program lacks the numeric methods"
    );
    assert_prints(
        &dir,
        &uses,
        "[a b ]\n1970-01-01T09:00:00+09:00\nspawned\n[1,\"a\"] 1-2   x\n3 4.0 3\n",
    );
}

/// `gene/datetime/now` is in the zone `TZ` names, in both tiers; with no
/// system time-zone database (`TZDIR` pointing nowhere) the bundled copy
/// still resolves IANA names (spec 07 §7.11).
#[test]
fn local_zone_follows_tz_and_bundled_zones_are_a_fallback() {
    let dir = scratch_dir("timezones");
    let src = dir.join("zones.gene");
    fs::write(
        &src,
        "(println (((gene/datetime/now) .to_s) .ends_with \"+09:00\"))\n\
         (println ((gene/datetime/from_timestamp 1700000000) .in_tz \"America/New_York\"))\n",
    )
    .expect("write the program");
    let expected = "true\n2023-11-14T17:13:20-05:00\n";
    let exe = build_ok(&dir, "zones.gene", "zones", &[]);
    let run = gene_command(&dir, &["run", "zones.gene"]);
    let mut built = Command::new(&exe);
    built.current_dir(&dir);
    for (what, mut command) in [("gene run", run), ("the executable", built)] {
        command
            .env("TZ", "Asia/Tokyo")
            .env("TZDIR", dir.join("no-such-dir"));
        let ran = run_captured(command, None, TIMEOUT).expect("start the program");
        assert_eq!(
            (ran.termination.code(), ran.stdout_text().as_str()),
            (Some(0), expected),
            "{}",
            describe(what, &ran)
        );
    }
}

/// A glibc executable is linked by lld through the C compiler when lld is
/// installed (`link.rs`, `use_lld`): it merges the runtime's read-only data
/// better than the GNU linker. lld names itself in the `.comment` section.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn glibc_links_use_lld_when_installed() {
    let dir = scratch_dir("gnu-lld");
    let targets = gene(&dir, &["targets"]).stdout_text();
    let lld_installed = targets
        .lines()
        .any(|l| l.contains("linux-musl") && l.contains("links with") && !l.contains("not found"));
    if !lld_installed {
        eprintln!("skipped: lld is not installed");
        return;
    }
    let hello = build_ok(&dir, &example("hello.gene"), "hello", &[]);
    assert_prints(&dir, &hello, "Hello, Gene!\n");
    let bytes = fs::read(&hello).expect("read hello");
    let file = object::File::parse(&*bytes).expect("parse the executable");
    let comment = file
        .section_by_name(".comment")
        .and_then(|s| s.data().ok().map(<[u8]>::to_vec))
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&comment).contains("LLD"),
        "hello was not linked by lld: {:?}",
        String::from_utf8_lossy(&comment)
    );
}
