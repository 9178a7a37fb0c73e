//! The corpus of Gene programs the whole-pipeline tests feed through each
//! stage: every `.gene` file below `tests/conformance` and `tests/spec`.
//!
//! Depends on `std` only, so the crates' own tests can include it by path.

use std::path::{Path, PathBuf};

/// Every `.gene` file of the corpus below `tests_dir` (the repository's
/// `tests/`), sorted by path. A missing directory contributes nothing.
pub fn corpus_programs(tests_dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    gene_files(&tests_dir.join("conformance"), &mut files);
    gene_files(&tests_dir.join("spec"), &mut files);
    files.sort();
    files
}

fn gene_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            gene_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "gene") {
            found.push(path);
        }
    }
}
