//! `docs/stdlib.md`, the reference of the built-in library, checked against
//! the runtime so that it cannot drift:
//! * its entries (level-3 headings `### \`NAME ARGS\``) are exactly the
//!   members of the `gene` namespace tree and the methods of the built-in
//!   classes a real VM registers (`Vm::builtin_catalog`), and the API of
//!   the standard modules written in Gene (`Vm::std_catalog`,
//!   `std/test/assert_eq`): no function without an entry, no entry without
//!   a function, no entry twice;
//! * every entry has a description, one ```gene example with a `# =>`
//!   result, an `Errors:` line and a `Tests:` line naming spec test files
//!   (relative to `tests/spec/`) that exist.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

/// One `### ` entry of the reference.
struct Entry {
    heading: String,
    /// The line of the heading (1-based), for messages.
    line: usize,
    body: Vec<String>,
}

fn entries(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<Entry> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("### ") {
            entries.extend(current.take());
            current = Some(Entry {
                heading: rest.trim().to_string(),
                line: i + 1,
                body: Vec::new(),
            });
        } else if line.starts_with("## ") || line.starts_with("# ") {
            entries.extend(current.take());
        } else if let Some(entry) = current.as_mut() {
            entry.body.push(line.to_string());
        }
    }
    entries.extend(current);
    entries
}

/// The name an entry documents: the first word of its heading's code span.
fn name_of(heading: &str) -> Result<String, String> {
    let span = heading
        .strip_prefix('`')
        .and_then(|h| h.strip_suffix('`'))
        .filter(|s| !s.contains('`'))
        .ok_or("the heading must be one code span: ### `NAME ARGS`")?;
    span.split_whitespace()
        .next()
        .map(str::to_string)
        .ok_or_else(|| "the heading's code span is empty".to_string())
}

/// What is wrong with an entry's body, if anything.
fn check_body(entry: &Entry, spec_dir: &std::path::Path) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = entry.body.iter().map(|l| l.trim_end()).collect();
    let first = lines.iter().find(|l| !l.trim().is_empty());
    if first.is_none_or(|l| l.starts_with("```") || l.starts_with("Errors:")) {
        problems.push("no one-line description under the heading".to_string());
    }
    let opens: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim() == "```gene")
        .collect();
    match opens.as_slice() {
        [open] => {
            let close = (open + 1..lines.len()).find(|&i| lines[i].trim() == "```");
            match close {
                None => problems.push("the ```gene example is not closed".to_string()),
                Some(close) if !lines[open + 1..close].iter().any(|l| l.contains("# =>")) => {
                    problems.push("the example shows no result (`# =>`)".to_string())
                }
                Some(_) => {}
            }
        }
        [] => problems.push("no ```gene example".to_string()),
        _ => problems.push("more than one ```gene example".to_string()),
    }
    if !lines.iter().any(|l| l.starts_with("Errors: ")) {
        problems.push("no `Errors: ...` line".to_string());
    }
    let tests: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("Tests: "))
        .collect();
    match tests.as_slice() {
        [paths] => {
            for path in paths.split(',').map(str::trim) {
                if path.is_empty() {
                    problems.push("an empty path in `Tests:`".to_string());
                } else if !path.ends_with(".gene") || !spec_dir.join(path).is_file() {
                    problems.push(format!("`Tests:` names {path}, not a file of tests/spec/"));
                }
            }
        }
        [] => problems.push("no `Tests: path, ...` line".to_string()),
        _ => problems.push("more than one `Tests:` line".to_string()),
    }
    problems
}

#[test]
fn the_reference_lists_exactly_the_builtins_with_examples_and_tests() {
    let root = support::repo_root();
    let doc_path = root.join("docs/stdlib.md");
    let text = fs::read_to_string(&doc_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", doc_path.display()));
    let spec_dir = root.join("tests/spec");

    let mut problems = Vec::new();
    let mut documented: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries(&text) {
        let at = format!("docs/stdlib.md:{} ({})", entry.line, entry.heading);
        match name_of(&entry.heading) {
            Ok(name) => {
                if let Some(first) = documented.insert(name.clone(), entry.line) {
                    problems.push(format!(
                        "{at}: {name} is documented twice (also line {first})"
                    ));
                }
            }
            Err(e) => problems.push(format!("{at}: {e}")),
        }
        for p in check_body(&entry, &spec_dir) {
            problems.push(format!("{at}: {p}"));
        }
    }

    // As `gene` does at start: regex and DateTime are installed only once linked.
    gene_vm::builtins::link_libraries();
    let mut vm = gene_vm::Vm::new(gene_vm::VmOptions::default());
    let mut registered: BTreeSet<String> = vm.builtin_catalog().into_iter().collect();
    registered.extend(vm.std_catalog().unwrap_or_else(|e| panic!("{e}")));
    for name in &registered {
        if !documented.contains_key(name) {
            problems.push(format!(
                "{name} is registered by the runtime but has no entry in docs/stdlib.md"
            ));
        }
    }
    for (name, line) in &documented {
        if !registered.contains(name) {
            problems.push(format!(
                "docs/stdlib.md:{line}: {name} is documented but the runtime has no such \
                 function, value or method"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/stdlib.md is out of step with the runtime ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn entry_parsing_reads_names_and_finds_missing_parts() {
    assert_eq!(
        name_of("`gene/fs/read path`").as_deref(),
        Ok("gene/fs/read")
    );
    assert_eq!(name_of("`println x...`").as_deref(), Ok("println"));
    assert_eq!(name_of("`Int.floor`").as_deref(), Ok("Int.floor"));
    assert!(name_of("println x").is_err());
    assert!(name_of("`a` and `b`").is_err());

    let text = "## Core\n### `f x`\nDoes f.\n```gene\n(f 1)   # => 2\n```\nErrors: none\n\
                Tests: no/such_test.gene\n### `g`\n```gene\n(g)\n```\n";
    let found = entries(text);
    assert_eq!(found.len(), 2);
    let dir = support::repo_root().join("tests/spec");
    let f = check_body(&found[0], &dir);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].contains("no/such_test.gene"));
    let g = check_body(&found[1], &dir);
    assert_eq!(g.len(), 4, "{g:?}");
}
