//! Native extensions end to end (spec 05 §5.7): the example extension in
//! `examples/ext/` is built with the system C compiler into a scratch
//! directory, and Gene programs importing it print exactly the same under
//! `gene run` and as executables built by `gene build`:
//! - `(import ... from "path" ^^native)` and `genex/<name>`;
//! - functions, named arguments, arrays, errors thrown by the extension;
//! - `Counter`, a host object whose finalizer frees its C memory and counts,
//!   with a collection at every safepoint (`GENE_GC_STRESS=1`);
//! - load failures (no such file, no init symbol, another ABI version, a
//!   failing init) are catchable `ImportError`s;
//! - a `--static` executable refuses to load with a clear error;
//! - `gene build --link-extension libNAME.a` links extensions into static
//!   (glibc `--static`, musl) executables, where they import by name, and
//!   its errors;
//! - `gene_ext.h` and the runtime's mirror of it list the same host API.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use support::{gene_command, repo_root, run_captured, Captured};

const TIMEOUT: Duration = Duration::from_secs(120);
const SUFFIX: &str = std::env::consts::DLL_SUFFIX;

fn scratch_dir(test_name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("extension")
        .join(test_name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("cannot clear {}: {e}", dir.display()));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn describe(what: &str, c: &Captured) -> String {
    format!(
        "{what} ended with {}\n--- stdout\n{}\n--- stderr\n{}",
        c.termination,
        c.stdout_text(),
        c.stderr_text()
    )
}

/// Compiles C `source` (with `examples/ext` on the include path) into the
/// shared library `out`.
fn compile_library(source: &Path, out: &Path) {
    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir).expect("create the library's directory");
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut command = Command::new(&cc);
    command
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-I"])
        .arg(repo_root().join("examples/ext"))
        .arg("-o")
        .arg(out)
        .arg(source);
    if cfg!(target_os = "macos") {
        command.args(["-undefined", "dynamic_lookup"]);
    }
    let built = run_captured(command, None, TIMEOUT).expect("start the C compiler");
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe(&format!("{cc} {}", source.display()), &built)
    );
}

fn write_c(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("write C source");
    path
}

/// `gene run FILE` from `dir`, with extra environment variables.
fn gene_run(dir: &Path, file: &str, env: &[(&str, &str)]) -> Captured {
    let mut command = gene_command(dir, &["run", file]);
    command.envs(env.iter().copied());
    run_captured(command, None, TIMEOUT).expect("start gene")
}

/// `gene build FILE -o EXE [extra]` from `dir`, asserting success.
fn gene_build(dir: &Path, file: &str, exe: &str, extra: &[&str]) -> PathBuf {
    let mut args = vec!["build", file, "-o", exe];
    args.extend_from_slice(extra);
    let built = run_captured(gene_command(dir, &args), None, TIMEOUT).expect("start gene");
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe(&format!("gene {}", args.join(" ")), &built)
    );
    dir.join(exe)
}

fn run_exe(dir: &Path, exe: &Path, env: &[(&str, &str)]) -> Captured {
    let mut command = Command::new(exe);
    command.current_dir(dir).envs(env.iter().copied());
    run_captured(command, None, TIMEOUT).expect("start the executable")
}

/// Runs `file` under `gene run` and as a built executable; both must exit
/// with 0 and print exactly `expected`.
fn assert_both_tiers_print(dir: &Path, file: &str, env: &[(&str, &str)], expected: &str) {
    let ran = gene_run(dir, file, env);
    assert_eq!(
        (ran.termination.code(), ran.stdout_text().as_str()),
        (Some(0), expected),
        "{}",
        describe(&format!("gene run {file}"), &ran)
    );
    let exe = gene_build(dir, file, "program", &[]);
    let ran = run_exe(dir, &exe, env);
    assert_eq!(
        (ran.termination.code(), ran.stdout_text().as_str()),
        (Some(0), expected),
        "{}",
        describe(&format!("built {file}"), &ran)
    );
}

/// The example extension, built as `dir/lib/libcounter.<suffix>`.
fn example_extension(dir: &Path) -> PathBuf {
    let lib = dir.join("lib").join(format!("libcounter{SUFFIX}"));
    compile_library(&repo_root().join("examples/ext/counter.c"), &lib);
    lib
}

#[test]
fn the_example_extension_in_both_tiers() {
    let dir = scratch_dir("example");
    example_extension(&dir);
    fs::write(
        dir.join("main.gene"),
        r#"(import add_ints fail describe range_array Counter from "lib/libcounter" ^^native)
(import add_ints:plus from "lib/libcounter" ^^native)
(println (add_ints 2 40) (plus 1 1))
(println (describe 1.5 ^label "x"))
(println (describe [1]))
(println (range_array 4))
(try (fail "boom") catch ArgumentError (println "caught:" $ex/message))
(try (add_ints 1) catch * (println "caught:" $ex/message))
(var c (new Counter 10))
(c .inc)
(println (c .inc 5))
(println (c .value))
(println (genex/counter/add_ints 3 4))
(println (genex/counter/range_array 2))
"#,
    )
    .unwrap();
    let lib_dir = dir.join("lib").to_string_lossy().into_owned();
    assert_both_tiers_print(
        &dir,
        "main.gene",
        &[("GENE_EXTENSION_PATH", &lib_dir)],
        "42 2\n\
         x: float\n\
         value: array\n\
         [0 1 2 3]\n\
         caught: fail: boom\n\
         caught: add_ints takes two ints\n\
         <Counter custom>\n\
         16\n\
         7\n\
         [0 1]\n",
    );
}

/// An executable and its extension shipped in one folder run from any
/// working directory: a relative `^^native` path and `genex/` resolve
/// beside the executable, and never in the working directory.
#[test]
fn an_executable_finds_its_extension_beside_itself() {
    let dir = scratch_dir("beside");
    let src = dir.join("src");
    fs::create_dir_all(&src).unwrap();
    example_extension(&src);
    fs::write(
        src.join("main.gene"),
        "(import add_ints from \"lib/libcounter\" ^^native)\n\
         (println (add_ints 20 22) (genex/counter/add_ints 1 2))\n",
    )
    .unwrap();
    let exe = gene_build(&src, "main.gene", "program", &[]);
    let ship = dir.join("ship");
    fs::create_dir_all(ship.join("lib")).unwrap();
    fs::copy(&exe, ship.join("program")).unwrap();
    let lib = format!("libcounter{SUFFIX}");
    fs::copy(src.join("lib").join(&lib), ship.join("lib").join(&lib)).unwrap();
    fs::copy(src.join("lib").join(&lib), ship.join(&lib)).unwrap();
    fs::remove_dir_all(&src).unwrap();
    let elsewhere = dir.join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    let ran = run_exe(&elsewhere, &ship.join("program"), &[]);
    assert_eq!(
        (ran.termination.code(), ran.stdout_text().as_str()),
        (Some(0), "42 3\n"),
        "{}",
        describe("the shipped executable", &ran)
    );
    // Without the libraries beside it, a copy in the working directory is
    // not used.
    fs::rename(ship.join("lib"), elsewhere.join("lib")).unwrap();
    let ran = run_exe(&elsewhere, &ship.join("program"), &[]);
    assert_eq!(
        ran.termination.code(),
        Some(1),
        "{}",
        describe("without lib/", &ran)
    );
    assert!(
        ran.stderr_text().contains(&format!(
            "Failed to load extension: lib/libcounter{SUFFIX}: no such file"
        )),
        "{}",
        describe("without lib/", &ran)
    );
}

#[test]
fn finalizers_free_host_objects_under_gc_stress() {
    let dir = scratch_dir("finalizers");
    example_extension(&dir);
    fs::write(
        dir.join("main.gene"),
        r#"(import Counter finalized from "lib/libcounter" ^^native)
(var kept (new Counter 1))
(var i 0)
(while (i < 500)
  ((new Counter i) .inc)
  (i += 1))
(println (kept .value))
(println ((finalized) > 400))
"#,
    )
    .unwrap();
    assert_both_tiers_print(&dir, "main.gene", &[("GENE_GC_STRESS", "1")], "1\ntrue\n");
}

#[test]
fn load_failures_are_import_errors() {
    let dir = scratch_dir("failures");
    let no_init = write_c(&dir, "no_init.c", "int not_the_init(void) { return 1; }\n");
    compile_library(&no_init, &dir.join(format!("no_init{SUFFIX}")));
    let other_version = write_c(
        &dir,
        "other_version.c",
        "#include \"gene_ext.h\"\n\
         int32_t gene_extension_init(const GeneHostApi *host, GeneExtension *out) {\n\
         \x20   (void)host;\n    out->abi_version = 999;\n    return 0;\n}\n",
    );
    compile_library(&other_version, &dir.join(format!("other_version{SUFFIX}")));
    let failing = write_c(
        &dir,
        "failing.c",
        "#include \"gene_ext.h\"\n\
         int32_t gene_extension_init(const GeneHostApi *host, GeneExtension *out) {\n\
         \x20   (void)host;\n    (void)out;\n    return 7;\n}\n",
    );
    compile_library(&failing, &dir.join(format!("failing{SUFFIX}")));
    fs::write(dir.join("not_a_library.txt"), "hello\n").unwrap();
    fs::write(
        dir.join("main.gene"),
        r#"(try (import f from "missing" ^^native) catch ImportError (println $ex/message))
(try (import f from "no_init" ^^native) catch ImportError (println $ex/message))
(try (import f from "other_version" ^^native) catch ImportError (println $ex/message))
(try (import f from "failing" ^^native) catch ImportError (println $ex/message))
(try (import f from "not_a_library.txt" ^^native) catch ImportError (println "bad library"))
(try genex/nothing_here catch ImportError (println $ex/message))
"#,
    )
    .unwrap();
    let expected = format!(
        "Failed to load extension: missing{SUFFIX}: no such file\n\
         gene_extension_init not found in extension: no_init{SUFFIX}\n\
         Extension ABI version mismatch: other_version{SUFFIX} was built for version 999, \
         this runtime provides version 1\n\
         Extension init failed: failing{SUFFIX} (returned 7)\n\
         bad library\n\
         Failed to load extension: libnothing_here{SUFFIX}: not found in \
         GENE_EXTENSION_PATH or the program's directory\n"
    );
    assert_both_tiers_print(&dir, "main.gene", &[], &expected);

    // Uncaught, it is reported like any error.
    fs::write(
        dir.join("uncaught.gene"),
        "(import f from \"missing\" ^^native)\n",
    )
    .unwrap();
    let ran = gene_run(&dir, "uncaught.gene", &[]);
    assert_eq!(
        ran.termination.code(),
        Some(1),
        "{}",
        describe("uncaught", &ran)
    );
    assert!(
        ran.stderr_text()
            .starts_with("Error: ImportError: Failed to load extension: missing"),
        "{}",
        describe("uncaught", &ran)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn static_executables_cannot_load_extensions() {
    let dir = scratch_dir("static");
    example_extension(&dir);
    fs::write(
        dir.join("main.gene"),
        "(import add_ints from \"lib/libcounter\" ^^native)\n(println (add_ints 1 2))\n",
    )
    .unwrap();
    let built = run_captured(
        gene_command(&dir, &["build", "main.gene", "-o", "program", "--static"]),
        None,
        TIMEOUT,
    )
    .expect("start gene");
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe("build", &built)
    );
    assert!(
        built
            .stderr_text()
            .contains("a static executable cannot load native extensions"),
        "{}",
        describe("build", &built)
    );
    let exe = dir.join("program");
    let ran = run_exe(&dir, &exe, &[]);
    assert_eq!(
        ran.termination.code(),
        Some(1),
        "{}",
        describe("static", &ran)
    );
    assert!(
        ran.stderr_text().contains(
            "ImportError: Failed to load extension: lib/libcounter.so: this executable is \
             statically linked"
        ),
        "{}",
        describe("static", &ran)
    );
}

/// The host API's function pointers, in order, as `gene_ext.h` declares
/// them and as the runtime's `#[repr(C)]` mirror does.
#[test]
fn the_header_and_the_runtime_agree_on_the_host_api() {
    let root = repo_root();
    let header = fs::read_to_string(root.join("examples/ext/gene_ext.h")).unwrap();
    let rust = fs::read_to_string(root.join("runtime/vm/src/extension.rs")).unwrap();
    let section = |text: &str, start: &str, end: &str| -> String {
        let from = text.find(start).unwrap_or_else(|| panic!("no {start}"));
        let to = from + text[from..].find(end).unwrap_or_else(|| panic!("no {end}"));
        text[from..to].to_string()
    };
    let c_fields: Vec<String> = section(&header, "typedef struct GeneHostApi {", "} GeneHostApi;")
        .split("(*")
        .skip(1)
        .map(|s| s.split(')').next().unwrap().trim().to_string())
        .collect();
    let rust_fields: Vec<String> = section(&rust, "pub struct GeneHostApi {", "\n}")
        .split("pub ")
        .skip(2)
        .filter(|field| field.contains("fn("))
        .map(|field| field.split(':').next().unwrap().trim().to_string())
        .collect();
    assert!(c_fields.len() >= 30, "{c_fields:?}");
    assert_eq!(c_fields, rust_fields);
    let version = |text: &str, key: &str| -> String {
        let at = text.find(key).unwrap() + key.len();
        text[at..]
            .trim_start_matches([' ', ':', 'u', '3', '2', '='])
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect()
    };
    assert_eq!(
        version(&header, "#define GENE_EXT_ABI_VERSION"),
        version(&rust, "pub const ABI_VERSION")
    );
}

/// Compiles `source` to an object and archives it as `out` (`libNAME.a`),
/// for `gene build --link-extension`.
fn compile_archive(source: &Path, out: &Path) {
    let dir = out.parent().expect("an archive path has a directory");
    fs::create_dir_all(dir).expect("create the archive's directory");
    let object = out.with_extension("o");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut command = Command::new(&cc);
    command
        .args(["-c", "-fPIC", "-O1", "-Wall", "-Werror", "-I"])
        .arg(repo_root().join("examples/ext"))
        .arg("-o")
        .arg(&object)
        .arg(source);
    let built = run_captured(command, None, TIMEOUT).expect("start the C compiler");
    assert_eq!(
        built.termination.code(),
        Some(0),
        "{}",
        describe(&format!("{cc} -c {}", source.display()), &built)
    );
    let mut command = Command::new("ar");
    command.arg("rcs").arg(out).arg(&object);
    let archived = run_captured(command, None, TIMEOUT).expect("start ar");
    assert_eq!(
        archived.termination.code(),
        Some(0),
        "{}",
        describe("ar rcs", &archived)
    );
}

/// Whether this gene embeds a runtime for `triple` (`gene targets`).
fn has_runtime(triple: &str) -> bool {
    let listed =
        run_captured(gene_command(&repo_root(), &["targets"]), None, TIMEOUT).expect("start gene");
    let required = std::env::var("GENE_RUNTIME_TARGETS").is_ok_and(|t| t.contains(triple));
    let embedded = listed
        .stdout_text()
        .lines()
        .any(|l| l.starts_with(triple) && l.contains("runtime: embedded"));
    assert!(
        embedded || !required,
        "GENE_RUNTIME_TARGETS names {triple} but gene does not embed it"
    );
    embedded
}

/// `--link-extension`: the example extension, archived twice under two
/// names (so both export `gene_extension_init`), linked into static
/// executables (glibc `--static` and musl), where `import ... ^^native`
/// and `genex/<name>` find them with no dynamic loader and no library
/// file beside the executable.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn linked_extensions_work_in_static_executables() {
    let dir = scratch_dir("linked");
    let source = repo_root().join("examples/ext/counter.c");
    compile_archive(&source, &dir.join("ext/libcounter.a"));
    compile_archive(&source, &dir.join("ext/libtally.a"));
    fs::write(
        dir.join("main.gene"),
        "(import add_ints Counter from \"libcounter\" ^^native)\n\
         (println (add_ints 1 2))\n\
         (var c (new Counter 10))\n\
         (println ((c .inc) .value))\n\
         (println (genex/counter/add_ints 3 4))\n\
         (println (genex/tally/add_ints 5 6))\n",
    )
    .unwrap();
    let expected = "3\n11\n7\n11\n";
    let mut variants: Vec<(&str, Vec<&str>)> = vec![("glibc-static", vec!["--static"])];
    if has_runtime("x86_64-unknown-linux-musl") {
        variants.push(("musl", vec!["--target", "x86_64-unknown-linux-musl"]));
    }
    for (name, options) in variants {
        let mut extra = options.clone();
        extra.extend([
            "--link-extension",
            "ext/libcounter.a",
            "--link-extension",
            "ext/libtally.a",
        ]);
        let exe = gene_build(&dir, "main.gene", name, &extra);
        // Run it from elsewhere: nothing beside it or in build/ to load.
        let elsewhere = dir.join("elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        let ran = run_exe(&elsewhere, &exe, &[("GENE_GC_STRESS", "1")]);
        assert_eq!(
            (ran.termination.code(), ran.stdout_text().as_str()),
            (Some(0), expected),
            "{}",
            describe(&format!("{name} with linked extensions"), &ran)
        );
        // Without the extension linked in, the same program cannot load it.
        let exe = gene_build(&dir, "main.gene", &format!("{name}-unlinked"), &options);
        let ran = run_exe(&elsewhere, &exe, &[]);
        assert_eq!(ran.termination.code(), Some(1), "{}", describe(name, &ran));
        assert!(
            ran.stderr_text().contains("--link-extension"),
            "{}",
            describe(name, &ran)
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn link_extension_errors_are_clear() {
    let dir = scratch_dir("linked_errors");
    fs::write(dir.join("main.gene"), "(println 1)\n").unwrap();
    let not_an_extension = write_c(&dir, "plain.c", "int plain(void) { return 1; }\n");
    compile_archive(&not_an_extension, &dir.join("libplain.a"));
    compile_archive(
        &repo_root().join("examples/ext/counter.c"),
        &dir.join("other/libcounter.a"),
    );
    fs::copy(dir.join("other/libcounter.a"), dir.join("libcounter.a")).unwrap();
    fs::write(dir.join("libcounter.so"), "not a library").unwrap();
    for (args, message) in [
        (
            vec!["--link-extension", "libnone.a"],
            "--link-extension libnone.a: no such file",
        ),
        (
            vec!["--link-extension", "libcounter.so"],
            "expected a static library named libNAME.a",
        ),
        (
            vec!["--link-extension", "libplain.a"],
            "the archive defines no gene_extension_init",
        ),
        (
            vec![
                "--link-extension",
                "libcounter.a",
                "--link-extension",
                "other/libcounter.a",
            ],
            "an extension named `counter` is already linked",
        ),
        (
            vec![
                "--target",
                "aarch64-apple-darwin",
                "--link-extension",
                "libcounter.a",
            ],
            "--link-extension is available for Linux targets",
        ),
    ] {
        let mut all = vec!["build", "main.gene", "-o", "out"];
        all.extend(args.iter().copied());
        let built = run_captured(gene_command(&dir, &all), None, TIMEOUT).expect("start gene");
        assert_eq!(
            built.termination.code(),
            Some(1),
            "{}",
            describe(&all.join(" "), &built)
        );
        assert!(
            built.stderr_text().contains(message),
            "expected {message:?}\n{}",
            describe(&all.join(" "), &built)
        );
        assert!(!dir.join("out").exists(), "a failed build left an output");
    }
}
