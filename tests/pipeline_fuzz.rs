//! Randomized end-to-end robustness test: mutated versions of every
//! conformance and spec program go through the whole pipeline (`gene run`:
//! reader, compiler, interpreter). Whatever a program does, `gene` must end
//! with status 0 or 1 (or still be running at the timeout, for mutations that
//! loop forever): never a Rust panic (status 101) or a crash (a signal).
//!
//! Deterministic (fixed seed). `GENE_FUZZ_CASES=N` changes the number of
//! programs (default 1500).

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use support::corpus::corpus_programs;
use support::{gene_command, repo_root, run_captured, Termination};

/// Tokens spliced into programs: operators, special forms and values that
/// stress unusual paths.
const POOL: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "nil",
    "0",
    "-1",
    "1.5",
    "\"s\"",
    "[]",
    "{}",
    "(break)",
    "(continue)",
    "(return)",
    "(throw)",
    "self",
    "_",
    "...",
    "xs...",
    "$ex",
    "%x",
    ":x",
    "(fn f [] (f))",
    "+",
    "/",
    "%",
    "**",
    "==",
    "<",
    "&&",
    "||",
    "=",
    "+=",
    "->",
    ".m",
    "./",
    "@k",
    "(@ 0)",
    "^k",
    "^^k",
    "(var x)",
    "(do)",
    "(if)",
    "(try)",
    "catch",
    "*",
    "finally",
    "(new)",
    "(class C)",
    "(ns n)",
    "(eval :(var q 1))",
    "($caller_eval 1)",
    "(macro m [a] a)",
    "(m (1 2))",
    "(match [a b] 1)",
    "(for x in 1)",
    "(repeat -1)",
    "(9223372036854775807 + 1)",
    "(0 .. 3)",
    "(range 0 1 0)",
    "#[1 1]",
    "'c'",
    "(import x from \"nowhere\")",
    "($set 1 @k 2)",
    "(await 1)",
    "(async (throw 1))",
];

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
}

/// Splits source into tokens: parentheses and brackets alone, the rest at
/// whitespace.
fn tokens(src: &str) -> Vec<String> {
    let spaced = src
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('[', " [ ")
        .replace(']', " ] ");
    spaced.split_whitespace().map(str::to_string).collect()
}

fn mutate(rng: &mut Rng, mut toks: Vec<String>) -> String {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(toks.len() + 1);
        match rng.below(5) {
            0 if at < toks.len() => {
                toks.remove(at);
            }
            1 if at < toks.len() => {
                let t = toks[at].clone();
                toks.insert(at, t);
            }
            2 if toks.len() > 1 => {
                let other = rng.below(toks.len());
                let at = at.min(toks.len() - 1);
                toks.swap(at, other);
            }
            _ => toks.insert(at, POOL[rng.below(POOL.len())].to_string()),
        }
    }
    toks.join(" ")
}

#[test]
fn mutated_programs_never_panic_or_crash() {
    let root = repo_root();
    let files = corpus_programs(&root.join("tests"));
    let sources: Vec<Vec<String>> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .map(|s| tokens(&s))
        .collect();
    assert!(!sources.is_empty(), "no programs found under tests/");
    let cases: usize = std::env::var("GENE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let programs: Vec<String> = (0..cases)
        .map(|_| {
            let base = sources[rng.below(sources.len())].clone();
            mutate(&mut rng, base)
        })
        .collect();

    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let scratch = std::env::temp_dir();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(program) = programs.get(i) else {
                    break;
                };
                let command = gene_command(&scratch, &["run", "-"]);
                let result =
                    match run_captured(command, Some(program.as_bytes()), Duration::from_secs(5)) {
                        Ok(r) => r,
                        Err(e) => panic!("cannot start gene: {e}"),
                    };
                let stderr = result.stderr_text();
                let bad = match result.termination {
                    Termination::Exited(0 | 1) | Termination::TimedOut(_) => {
                        stderr.contains("panicked")
                    }
                    _ => true,
                };
                if bad {
                    let head: String = stderr.lines().take(3).collect::<Vec<_>>().join(" | ");
                    if let Ok(mut f) = failures.lock() {
                        f.push(format!(
                            "{}: {head}\n    program: {program}",
                            result.termination
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {cases} mutated programs panicked or crashed:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
