//! Tier-parity fuzzing: a seeded, grammar-based generator writes Gene programs
//! (arithmetic with overflow, strings, arrays, maps, functions and closures,
//! classes and methods, bounded loops, throw and catch). Every program runs under
//! `gene run` and as a `gene build` executable; stdout, stderr and the exit code
//! must be byte-identical.
//!
//! Each program holds many independent cases, each wrapped in `try` and printing
//! its result or its error, so 500 cases cost a handful of builds.
//! `GENE_FUZZ_CASES=N` changes the number of cases (default 500),
//! `GENE_FUZZ_SEED=S` the seed. A mismatch prints the seed and the program.

mod support;

use std::fmt::Write as _;
use std::time::Duration;
use support::{gene_command, run_captured};

const CASES_PER_PROGRAM: usize = 100;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "7",
    "255",
    "9223372036854775807",
    "-9223372036854775808",
    "140737488355327",
    "4611686018427387904",
];
const OPS: &[&str] = &["+", "-", "*", "/", "%", "**", "<", "==", "!=", ">="];

/// An expression of depth at most `depth`.
fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return match rng.below(8) {
            0 => "1.5".into(),
            1 => "\"ab\"".into(),
            2 => "nil".into(),
            3 => "true".into(),
            4 => "[1 2]".into(),
            _ => rng.pick(INTS).into(),
        };
    }
    let d = depth - 1;
    match rng.below(14) {
        0..=3 => format!("({} {} {})", expr(rng, d), rng.pick(OPS), expr(rng, d)),
        4 => format!("[{} {}]", expr(rng, d), expr(rng, d)),
        5 => format!("{{^a {} ^b {}}}", expr(rng, d), expr(rng, d)),
        6 => format!("(f0 {} {})", expr(rng, d), expr(rng, d)),
        7 => format!("(c0 {})", expr(rng, d)),
        8 => format!("((new P {} {}) .sum)", expr(rng, d), expr(rng, d)),
        9 => format!(
            "(if {} {} else {})",
            expr(rng, d),
            expr(rng, d),
            expr(rng, d)
        ),
        10 => format!(
            "(do (var s 0) (for i in (0 .. {}) (s += {})) s)",
            rng.below(5),
            expr(rng, d)
        ),
        11 => format!("(try (throw {}) catch * (\"caught \" + $ex))", expr(rng, d)),
        12 => format!("(\"s\" + {})", expr(rng, d)),
        _ => format!("(do (var i 0) (while (i < {}) (i += 1)) i)", rng.below(6)),
    }
}

fn program(rng: &mut Rng, cases: usize) -> String {
    let mut p = String::from(
        "(fn f0 [a b] (a + b))\n(var c0 (fnx [x] (x * 2)))\n\
         (class P (.ctor [x y] (/x = x) (/y = y)) (.fn sum [] (/x + /y)))\n",
    );
    for n in 0..cases {
        let depth = 1 + rng.below(4);
        let e = expr(rng, depth);
        let _ = writeln!(p, "(try (println {n} {e}) catch * (println {n} \"E\" $ex))");
    }
    p
}

#[test]
fn generated_programs_agree_across_tiers() {
    let cases: usize = std::env::var("GENE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let seed: u64 = std::env::var("GENE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x2545_F491_4F6C_DD1D);
    let dir = std::env::temp_dir().join(format!("gene-tier-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let mut failures = Vec::new();
    let mut done = 0;
    let mut index = 0u64;
    while done < cases {
        let n = CASES_PER_PROGRAM.min(cases - done);
        let program_seed = seed.wrapping_add(index).max(1);
        let mut rng = Rng(program_seed);
        let src = program(&mut rng, n);
        let file = dir.join(format!("p{index}.gene"));
        std::fs::write(&file, &src).expect("write program");
        let file_arg = file.to_string_lossy().into_owned();
        let exe = dir.join(format!("p{index}"));
        let exe_arg = exe.to_string_lossy().into_owned();
        let run = run_captured(
            gene_command(&dir, &["run", &file_arg]),
            None,
            Duration::from_secs(60),
        )
        .expect("start gene run");
        let build = run_captured(
            gene_command(&dir, &["build", &file_arg, "-o", &exe_arg]),
            None,
            Duration::from_secs(300),
        )
        .expect("start gene build");
        let report =
            |what: &str| format!("GENE_FUZZ_SEED={program_seed} (program {index}): {what}\n{src}");
        if build.termination.code() != Some(0) {
            failures.push(report(&format!("build failed: {}", build.stderr_text())));
        } else {
            let exec = run_captured(
                std::process::Command::new(&exe),
                None,
                Duration::from_secs(60),
            )
            .expect("start executable");
            if exec.stdout != run.stdout
                || exec.stderr != run.stderr
                || exec.termination != run.termination
            {
                failures.push(report(&format!(
                    "tiers differ: run {} / build {}\n--- run stdout\n{}\n--- build stdout\n{}\n--- run stderr\n{}\n--- build stderr\n{}",
                    run.termination,
                    exec.termination,
                    run.stdout_text(),
                    exec.stdout_text(),
                    run.stderr_text(),
                    exec.stderr_text()
                )));
            }
        }
        // Every case prints one line: a short stdout means the program stopped early.
        if run.stdout_text().lines().count() < n {
            failures.push(report("gene run printed fewer lines than cases"));
        }
        if run.stderr_text().contains("panicked") || run.termination.code() != Some(0) {
            failures.push(report(&format!("gene run: {}", run.stderr_text())));
        }
        done += n;
        index += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
