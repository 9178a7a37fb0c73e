//! Deterministic randomized test of the reader's architecture invariant: any
//! text yields forms or a located error, never a panic.
//!
//! Three sources of input, from a fixed-seed xorshift generator: random bytes
//! (converted lossily to UTF-8), soups of tokens from Gene's own alphabet, and
//! byte-level mutations of valid programs. Every span the reader returns, in
//! forms and in errors, must lie within the input, start and end on character
//! boundaries, and carry the line and column of its start offset.

use std::panic;

use gene_reader::{read_all, Form, FormKind, Span};

const RANDOM_BYTES: usize = 50_000;
const TOKEN_SOUPS: usize = 150_000;
const MUTATIONS: usize = 150_000;

/// xorshift64* — small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const CORPUS: &[&str] = &[
    "(println \"hello world\")",
    "(var a [1, 2, 3])\n(println (a/1 + a/2))",
    "# a line comment\n(println 1) # trailing comment\n## double\n#< block\ncomment (println 99)\n#>#\n(println #< inline ># 2)",
    "#< outer #<< inner >># still comment ># 42",
    "#<\nmulti-line\n#>## trailing line comment\n7",
    "(println 2.5 -0.75 1.5e2 2.5e-1 +5.0E5 1. 0x1F 0b101 0o17 -9223372036854775808)",
    "(var s \"\"\"say \"hi\" now\"\"\")\n(println (s .length))",
    "\"\"\"  \nx\"\"\" \"\"\"x\n   \"\"\" \"\"\"a\"b\"\"\"",
    "\"tab\\there\" \"quote \\\" inside\" \"\\u0041\\uD83D\\uDC4B\\f\\b\\#\"",
    "(var name \"Gene\")\n(println #\"Hello #{name}!\")\n(println #\"n+1=#{(n + 1)}\")",
    "(fn twice [x] (x * 2))\n(println #\"twice: #(twice 21)\")",
    "#\"m=#{^k v ^j 2} a=#[1 2] c=#<x>#\\#{no}\" #\"\"\"  \nx=#{x}\n  \"\"\"",
    "['a' ' ' '0' '\\n' '\\t' '\\\\' '\\'' '中' '👋' '\\u4E2D']",
    "(var x :symbol-👋)\n(println x :+foo+ a#b a:b a' ... x... .method @name $ns)",
    "n/m/A /A a/ x/0/.size a\\/b (import n/[a b]) (println (new B)/tag)",
    "{^a 1 ^b \"x\"} {} #[] #[1 2] [] ()",
    "(f 1 ^a 2 3) (type ^k1 v1 ^k2 v2 child)",
    "{^^flag ^!other ^a^b 1 ^a^c 2 ^x^^y ^x^!z}",
    ":foo :(1 + 2) :[a %b] %_x :(a %b %_(c))",
    "#@f #@g x {^p #@memo a} #_ (ignored form) kept",
    "(class Point\n  (ctor [x y] (/x = x) (/y = y))\n  (method dist [] ((/x * /x) + (/y * /y))))",
    "(if (a > 1)\n  (println \"big\")\nelse\n  (println \"small\"))",
    "(for i in (range 0 10 2)\n  (println i))",
    "(try (throw \"x\") catch * (println $ex))",
    "(macro m [a] :(println %a))\n(m (1 + 2))",
    "(enum Color red green blue)\n(println Color/red)",
    "(var m {^a {^b [1 {^c #[x]}]}})\n(println m/a/b/1/c)",
    "(quote x) (fn f [a = 1 b...] (a + b))",
    "a\\ b \\1 \\( x\\/y",
    "#!/usr/bin/env gene\r\n(println 1)\r\n(println 2)\r",
    "(ns app\n  (fn main [] (println #\"#{$ns}: #{(1 + 2)}\")))",
    "(var f (x -> (x + 1)))\n((f 2) .to_s)",
    "($ \"a\" \"b\" 1) (println ($ \"x=\" 42 \", ok=\" true))",
    "(case x when 1 \"one\" when [2 3] \"few\" else \"many\")",
];

/// Pieces of Gene syntax, for soups that reach deep into the reader's states.
const ALPHABET: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\"\"\"",
    "'",
    "#",
    "#{",
    "#(",
    "#[",
    "#<",
    ">#",
    ">>#",
    "#_",
    "#@",
    "#\"",
    "#\"\"\"",
    "#/",
    "#!",
    "##",
    "# ",
    "^",
    "^^",
    "^!",
    ":",
    "%",
    "%_",
    "\\",
    "\\u",
    "\\uD83D",
    "\\uDC00",
    "\\u0041",
    "/",
    ".",
    ",",
    " ",
    " ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "0",
    "1",
    "9",
    "42",
    "-",
    "+",
    "0x",
    "0b",
    "0o",
    "e",
    "E",
    "1e",
    "1.",
    "1.5",
    "x",
    "a",
    "foo",
    "nil",
    "true",
    "false",
    "_",
    "中",
    "👋",
    "é",
    "!",
    "*",
    "@",
    "$",
    ";",
    "=",
    "\u{0}",
    "\u{feff}",
    "9223372036854775808",
    "'a'",
    "\"s\"",
    "{^a 1}",
    "(f x)",
];

/// `(line, col)` of every byte offset of `src`, counting CRLF, CR and LF as
/// one line break and columns in characters; offsets inside a character map
/// to `None`.
fn positions(src: &str) -> Vec<Option<(u32, u32)>> {
    let mut table = vec![None; src.len() + 1];
    let (mut line, mut col, mut after_cr) = (1, 1, false);
    for (offset, c) in src.char_indices() {
        table[offset] = Some((line, col));
        match c {
            '\r' => (line, col, after_cr) = (line + 1, 1, true),
            '\n' if after_cr => (col, after_cr) = (1, false),
            '\n' => (line, col) = (line + 1, 1),
            _ => (col, after_cr) = (col + 1, false),
        }
    }
    table[src.len()] = Some((line, col));
    table
}

/// Why `span` is not a valid span of `src`, if it is not.
fn span_problem(span: Span, table: &[Option<(u32, u32)>]) -> Option<String> {
    let (start, end) = (span.start as usize, span.end as usize);
    if span.line < 1 || span.col < 1 {
        return Some(format!("line/col below 1: {span:?}"));
    }
    if start > end || end >= table.len() {
        return Some(format!(
            "span outside the input of {} bytes: {span:?}",
            table.len() - 1
        ));
    }
    match (table[start], table[end]) {
        (Some(at), Some(_)) if at == (span.line, span.col) => None,
        (Some(at), Some(_)) => Some(format!("{span:?} starts at line/col {at:?}")),
        _ => Some(format!("span splits a character: {span:?}")),
    }
}

fn form_problem(form: &Form, table: &[Option<(u32, u32)>]) -> Option<String> {
    if let Some(problem) = span_problem(form.span, table) {
        return Some(problem);
    }
    let nested: Vec<&Form> = match &form.kind {
        FormKind::Array(items) | FormKind::Set(items) => items.iter().collect(),
        FormKind::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
        FormKind::Gene {
            head,
            props,
            children,
        } => std::iter::once(&**head)
            .chain(props.iter().map(|(_, v)| v))
            .chain(children)
            .collect(),
        FormKind::Quote(f) | FormKind::Unquote(f) | FormKind::UnquoteDiscard(f) => vec![&**f],
        _ => Vec::new(),
    };
    nested.into_iter().find_map(|f| form_problem(f, table))
}

/// Reads `src`; a description of what went wrong, if anything did.
fn check(src: &str) -> Option<String> {
    let result = match panic::catch_unwind(|| read_all(src)) {
        Ok(result) => result,
        Err(_) => return Some("the reader panicked".into()),
    };
    let table = positions(src);
    match result {
        Ok(forms) => forms.iter().find_map(|f| form_problem(f, &table)),
        Err(e) if e.message.is_empty() => Some("empty error message".into()),
        Err(e) => span_problem(e.span, &table).map(|p| format!("error {:?}: {p}", e.message)),
    }
}

/// Makes one input.
type Generator = fn(&mut Rng) -> String;

fn random_bytes(rng: &mut Rng) -> String {
    let len = rng.below(64);
    let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn token_soup(rng: &mut Rng) -> String {
    let len = rng.below(40);
    (0..len).map(|_| *rng.pick(ALPHABET)).collect()
}

/// Inserts, deletes, replaces or duplicates bytes of a corpus program, or truncates it.
fn mutation(rng: &mut Rng) -> String {
    let mut bytes = rng.pick(CORPUS).as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(6) {
            0 => bytes.insert(at, rng.next() as u8),
            1 => bytes
                .splice(at..at, rng.pick(ALPHABET).bytes())
                .for_each(drop),
            2 if at < bytes.len() => drop(bytes.remove(at)),
            3 if at < bytes.len() => bytes[at] = *rng.pick(b"()[]{}\"'#^:%\\/ ,\n0a"),
            4 => bytes.truncate(at),
            _ => {
                let end = (at + rng.below(16)).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk).for_each(drop);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn the_reader_never_panics_and_locates_every_span() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let generators: [(&str, usize, Generator); 3] = [
        ("random bytes", RANDOM_BYTES, random_bytes),
        ("token soup", TOKEN_SOUPS, token_soup),
        ("mutated program", MUTATIONS, mutation),
    ];
    let mut checked = 0;
    for &(source, count, generate) in &generators {
        for i in 0..count {
            let src = generate(&mut rng);
            if let Some(problem) = check(&src) {
                panic!("{source} #{i}: {problem}\ninput: {src:?}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, RANDOM_BYTES + TOKEN_SOUPS + MUTATIONS);
}

#[test]
fn every_corpus_program_reads() {
    for src in CORPUS {
        let forms = read_all(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        assert!(!forms.is_empty(), "{src:?} read as no forms");
        assert_eq!(check(src), None, "{src:?}");
    }
}

#[test]
fn every_prefix_of_every_corpus_program_reads_or_fails_cleanly() {
    for src in CORPUS {
        for (end, _) in src.char_indices() {
            let prefix = &src[..end];
            assert_eq!(check(prefix), None, "{prefix:?}");
        }
    }
}

#[test]
fn deep_and_long_inputs_fail_cleanly() {
    let inputs = [
        "(".repeat(50_000),
        "[".repeat(50_000) + &"]".repeat(50_000),
        "#\"#{".repeat(20_000),
        ":".repeat(50_000) + "x",
        "#_ ".repeat(50_000),
        "^a".repeat(50_000),
        format!("{{{} 1}}", "^a".repeat(50_000)),
        "\"".to_string() + &"\\u".repeat(10_000),
        "#<".repeat(50_000),
        "9".repeat(10_000),
    ];
    for src in &inputs {
        assert_eq!(check(src), None, "input starting {:?}", &src[..20]);
    }
}
