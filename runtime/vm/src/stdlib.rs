//! The standard library modules written in Gene (spec 07 §7.10): the
//! sources of the repository's `stdlib/` folder, embedded in the runtime so
//! that `(import ... from "std/NAME")` works in `gene run` and in built
//! executables alike, wherever they run.
//!
//! `std/NAME` is `stdlib/NAME.gene`. The sources are compiled when first
//! imported, like any module; this file only holds their text.

/// (import path, source) of every embedded module, sorted by path.
const MODULES: &[(&str, &str)] = &[("std/test", include_str!("../../../stdlib/test.gene"))];

/// The source of the standard module `path` (`"std/test"`, with or
/// without `.gene`), or `None` when there is no such module.
pub fn source(path: &str) -> Option<&'static str> {
    let path = path.strip_suffix(".gene").unwrap_or(path);
    MODULES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, text)| *text)
}

/// The import paths of all standard modules (`"std/test"`, ...), sorted.
pub fn names() -> impl Iterator<Item = &'static str> {
    MODULES.iter().map(|(name, _)| *name)
}

/// Whether an import path names the standard library (`std/...`) rather
/// than a file.
pub fn is_std_path(path: &str) -> bool {
    path.starts_with("std/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_modules_with_or_without_extension() {
        assert!(source("std/test").is_some());
        assert_eq!(source("std/test"), source("std/test.gene"));
        assert!(source("std/nope").is_none());
        assert!(source("test").is_none());
    }

    #[test]
    fn names_are_sorted_and_all_under_std() {
        let names: Vec<_> = names().collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| is_std_path(n)));
    }
}
