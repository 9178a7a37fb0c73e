//! The one table of special-form words. Both the special-form dispatch
//! (`Compiler::compile_special`, which declines every word not listed as a
//! form) and the "never read as infix" check of a gene's dispatch (spec 03
//! §3.2) derive from it; a test checks that the dispatch handles every
//! word listed as a form.

/// What a word at the head of a gene is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Role {
    /// A special form, compiled by `compile_special`.
    Form,
    /// Not a special form (a prefix operator, the spread marker, a reserved
    /// word), but a gene it heads is still never read as infix.
    NotInfix,
}

/// Every word that makes a gene a special form or keeps it from being read
/// as infix.
pub(super) const SPECIAL_WORDS: &[(&str, Role)] = &[
    ("do", Role::Form),
    ("void", Role::Form),
    ("if", Role::Form),
    ("case", Role::Form),
    ("loop", Role::Form),
    ("while", Role::Form),
    ("repeat", Role::Form),
    ("for", Role::Form),
    ("break", Role::Form),
    ("continue", Role::Form),
    ("return", Role::Form),
    ("try", Role::Form),
    ("throw", Role::Form),
    ("var", Role::Form),
    ("fn", Role::Form),
    ("macro", Role::Form),
    ("fnx", Role::Form),
    ("fnxx", Role::Form),
    ("->", Role::Form),
    ("ns", Role::Form),
    ("class", Role::Form),
    (".fn", Role::Form),
    (".ctor", Role::Form),
    (".macro", Role::Form),
    ("new", Role::Form),
    ("super", Role::Form),
    ("match", Role::Form),
    ("range", Role::Form),
    ("quote", Role::Form),
    ("#Str", Role::Form),
    ("$", Role::Form),
    ("$render", Role::Form),
    ("$caller_eval", Role::Form),
    ("$caller_location", Role::Form),
    ("eval", Role::Form),
    ("enum", Role::Form),
    ("@", Role::Form),
    ("$with", Role::Form),
    ("$tap", Role::Form),
    ("$set", Role::Form),
    ("$if_main", Role::Form),
    ("import", Role::Form),
    ("async", Role::Form),
    ("await", Role::Form),
    ("not", Role::NotInfix),
    ("...", Role::NotInfix),
    ("compile", Role::NotInfix),
    ("$parse", Role::NotInfix),
    ("$emit", Role::NotInfix),
];

fn role(word: &str) -> Option<Role> {
    SPECIAL_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|&(_, role)| role)
}

/// Whether `word` heads a special form.
pub(super) fn is_special_form(word: &str) -> bool {
    role(word) == Some(Role::Form)
}

/// Whether a gene headed by `word` is never read as infix.
pub(super) fn never_infix(word: &str) -> bool {
    role(word).is_some()
}

#[cfg(test)]
mod tests {
    use super::super::{Compiler, FnState};
    use super::*;
    use gene_core::bytecode::ProtoKind;
    use gene_core::Symbol;
    use gene_reader::Span;

    fn compiler() -> Compiler {
        Compiler {
            fns: vec![FnState::new(
                ProtoKind::TopLevel,
                Symbol::intern("<main>"),
                "test.gene",
            )],
            eval_scope: None,
        }
    }

    #[test]
    fn the_dispatch_handles_exactly_the_words_listed_as_forms() {
        for &(word, role) in SPECIAL_WORDS {
            // With no arguments most forms report a located error; either
            // way the dispatch took the word, which `Ok(false)` would deny.
            let handled = !matches!(
                compiler().compile_special(word, &[], &[], Span::default(), false),
                Ok(false)
            );
            assert_eq!(handled, role == Role::Form, "`{word}`");
        }
        for word in ["print", "foo", "+", "and", "=", ".m"] {
            let declined = matches!(
                compiler().compile_special(word, &[], &[], Span::default(), false),
                Ok(false)
            );
            assert!(declined, "`{word}` is no special form");
        }
    }

    #[test]
    fn the_table_lists_each_word_once() {
        for (i, (word, _)) in SPECIAL_WORDS.iter().enumerate() {
            assert!(
                SPECIAL_WORDS[i + 1..].iter().all(|(w, _)| w != word),
                "`{word}` is listed twice"
            );
        }
    }
}
