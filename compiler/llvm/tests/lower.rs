//! Every conformance and spec program lowers to a module that LLVM verifies
//! and compiles to an object file; reports how many Protos became native.

use gene_llvm::{compile, Emit, Options};
use std::path::Path;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

#[test]
fn every_corpus_program_compiles_to_a_verified_object() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
    let files = corpus::corpus_programs(&root);
    let options = Options {
        opt_level: 1,
        target: None,
        emit: Emit::Object,
    };
    let (mut native, mut total, mut programs) = (0, 0, 0);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for file in &files {
        let Ok(src) = std::fs::read_to_string(file) else {
            continue;
        };
        let Ok(forms) = gene_reader::read_all(&src) else {
            continue;
        };
        let Ok(main) = gene_frontend::compile_program(&forms, &file.display().to_string()) else {
            continue;
        };
        let image = gene_frontend::image::write_image(main).expect("image");
        let protos = gene_frontend::image::protos_preorder(main);
        let out = compile(&protos, &image, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!out.bytes.is_empty());
        programs += 1;
        for s in &out.stats {
            total += 1;
            match &s.fallback {
                None => native += 1,
                Some(r) => *reasons.entry(r.clone()).or_default() += 1,
            }
        }
    }
    assert!(programs > 300, "only {programs} programs compiled");
    eprintln!("{native} of {total} Protos native; fallbacks: {reasons:#?}");
    assert!(native * 2 > total, "fewer than half the Protos are native");
}
