//! Reader tests, one group per section of spec/01-syntax.md. Forms are
//! compared through a compact S-expression rendering (`show`), errors as
//! `(line, col, message)`.

use super::*;
use crate::FormKind;

/// Renders a form compactly: strings and chars in Rust debug syntax, floats
/// always with a `.` or exponent, complex symbols as `<a/b>`.
fn show(form: &Form) -> String {
    match &form.kind {
        FormKind::Nil => "nil".into(),
        FormKind::Bool(b) => b.to_string(),
        FormKind::Int(i) => i.to_string(),
        FormKind::Float(f) => format!("{f:?}"),
        FormKind::Char(c) => format!("{c:?}"),
        FormKind::Str(s) => format!("{s:?}"),
        FormKind::Symbol(s) => s.clone(),
        FormKind::ComplexSymbol(parts) => format!("<{}>", parts.join("/")),
        FormKind::Array(items) => format!("[{}]", show_all(items)),
        FormKind::Set(items) => format!("#[{}]", show_all(items)),
        FormKind::Map(entries) => format!("{{{}}}", show_props(entries)),
        FormKind::Gene {
            head,
            props,
            children,
        } => {
            let mut parts = vec![show(head)];
            if !props.is_empty() {
                parts.push(show_props(props));
            }
            if !children.is_empty() {
                parts.push(show_all(children));
            }
            format!("({})", parts.join(" "))
        }
        FormKind::Quote(f) => format!(":{}", show(f)),
        FormKind::Unquote(f) => format!("%{}", show(f)),
        FormKind::UnquoteDiscard(f) => format!("%_{}", show(f)),
        FormKind::Regex { pattern, flags } => format!("#/{pattern}/{flags}"),
    }
}

fn show_all(forms: &[Form]) -> String {
    forms.iter().map(show).collect::<Vec<_>>().join(" ")
}

fn show_props(entries: &[(String, Form)]) -> String {
    entries
        .iter()
        .map(|(k, v)| format!("^{k} {}", show(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// All top-level forms of `src`, rendered and separated by spaces.
#[track_caller]
fn read(src: &str) -> String {
    match read_all(src) {
        Ok(forms) => show_all(&forms),
        Err(e) => panic!("unexpected error reading {src:?}: {e}"),
    }
}

/// The one form of `src`.
#[track_caller]
fn read_form(src: &str) -> Form {
    match read_all(src) {
        Ok(mut forms) if forms.len() == 1 => forms.remove(0),
        other => panic!("expected one form from {src:?}, got {other:?}"),
    }
}

/// The error reading `src`, as `(line, col, message)`.
#[track_caller]
fn err(src: &str) -> (u32, u32, String) {
    match read_all(src) {
        Ok(forms) => panic!(
            "expected an error reading {src:?}, got {}",
            show_all(&forms)
        ),
        Err(e) => (e.span.line, e.span.col, e.message),
    }
}

/// Asserts that reading `src` fails at `line:col` with a message containing `needle`.
#[track_caller]
fn assert_err(src: &str, line: u32, col: u32, needle: &str) {
    let (l, c, message) = err(src);
    assert!(
        message.contains(needle),
        "reading {src:?}: message {message:?} lacks {needle:?}"
    );
    assert_eq!(
        (l, c),
        (line, col),
        "reading {src:?}: wrong position for {message:?}"
    );
}

fn span(start: u32, end: u32, line: u32, col: u32) -> Span {
    Span {
        start,
        end,
        line,
        col,
    }
}

mod whitespace_and_comments {
    use super::*;

    #[test]
    fn comma_is_whitespace() {
        assert_eq!(read("[1, 2]"), "[1 2]");
        assert_eq!(read(",a,"), "a");
        assert_eq!(read("{^a 1,^b 2}"), "{^a 1 ^b 2}");
        assert_eq!(read("(f,x,,y)"), "(f x y)");
    }

    #[test]
    fn empty_and_blank_input_hold_no_forms() {
        assert_eq!(read_all("").unwrap(), vec![]);
        assert_eq!(read_all(" \t\r\n,").unwrap(), vec![]);
        assert_eq!(read_one("  # only a comment").unwrap(), None);
        assert_eq!(read_one("1 2").unwrap().map(|f| show(&f)), Some("1".into()));
    }

    #[test]
    fn crlf_cr_and_lf_each_count_one_line() {
        let forms = read_all("a\r\nb\rc\nd\r\n\r\ne").unwrap();
        let lines: Vec<u32> = forms.iter().map(|f| f.span.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6]);
        assert!(forms.iter().all(|f| f.span.col == 1));
    }

    #[test]
    fn columns_count_characters() {
        let forms = read_all("中文 x\n\té y").unwrap();
        assert_eq!(forms[1].span, span(7, 8, 1, 4));
        assert_eq!(forms[2].span, span(10, 12, 2, 2));
        assert_eq!(forms[3].span, span(13, 14, 2, 4));
    }

    #[test]
    fn line_comments() {
        assert_eq!(read("# x\n1"), "1");
        assert_eq!(read("#!/usr/bin/env gene\n1"), "1");
        assert_eq!(read("## x\n1"), "1");
        assert_eq!(read("1 #"), "1");
        assert_eq!(read("1 #\n2"), "1 2");
        assert_eq!(read("1 #\r2"), "1 2");
        assert_eq!(read("(a # comment )\n b)"), "(a b)");
        assert_eq!(read("(println 1) # trailing comment"), "(println 1)");
    }

    #[test]
    fn hash_without_space_is_not_a_comment() {
        assert_eq!(read("#comment"), "#comment");
        assert_eq!(read("#abc 1"), "#abc 1");
    }

    #[test]
    fn block_comments() {
        assert_eq!(
            read("#< outer #<< inner >># still comment ># 42     # reads as 42"),
            "42"
        );
        assert_eq!(
            read("#<\nmulti-line\n#>## trailing line comment starts at the second #\n7"),
            "7"
        );
        assert_eq!(read("(println #< inline ># 2)"), "(println 2)");
        assert_eq!(read("#< block\ncomment (println 99)\n#>#\n1"), "1");
        assert_eq!(read("1 #<># 2"), "1 2");
        assert_eq!(read("a#<x>#"), "a#<x>#");
    }

    #[test]
    fn unterminated_block_comment_runs_to_eof() {
        assert_eq!(read("1 #< never closed (a"), "1");
        assert_eq!(read("1 #< closed only by >># no"), "1");
    }

    #[test]
    fn block_comment_positions_are_tracked() {
        let forms = read_all("#< a\r\nb ># x").unwrap();
        assert_eq!(forms[0].span, span(11, 12, 2, 6));
    }
}

mod literals {
    use super::*;

    #[test]
    fn nil_true_false() {
        assert_eq!(read_form("nil").kind, FormKind::Nil);
        assert_eq!(read_form("true").kind, FormKind::Bool(true));
        assert_eq!(read_form("false").kind, FormKind::Bool(false));
        assert_eq!(read_form("nil?").kind, FormKind::Symbol("nil?".into()));
        assert_eq!(read_form("truex").kind, FormKind::Symbol("truex".into()));
    }

    #[test]
    fn escaped_words_are_symbols() {
        assert_eq!(read_form("\\nil").kind, FormKind::Symbol("nil".into()));
    }

    #[test]
    fn underscore_is_a_symbol() {
        assert_eq!(read_form("_").kind, FormKind::Symbol("_".into()));
    }

    #[test]
    fn nil_is_kept_as_an_element() {
        assert_eq!(read("[nil 1]"), "[nil 1]");
        assert_eq!(read("(println \"x\" nil)"), "(println \"x\" nil)");
        assert_eq!(read("nil nil"), "nil nil");
    }
}

mod numbers {
    use super::*;

    fn kind(src: &str) -> FormKind {
        read_form(src).kind
    }

    #[test]
    fn integers() {
        assert_eq!(kind("0"), FormKind::Int(0));
        assert_eq!(kind("42"), FormKind::Int(42));
        assert_eq!(kind("-7"), FormKind::Int(-7));
        assert_eq!(kind("+5"), FormKind::Int(5));
        assert_eq!(kind("007"), FormKind::Int(7));
        assert_eq!(read("(println 999999)"), "(println 999999)");
    }

    #[test]
    fn floats() {
        assert_eq!(kind("3.14"), FormKind::Float(314.0 / 100.0));
        assert_eq!(kind("-2.5"), FormKind::Float(-2.5));
        assert_eq!(kind("1."), FormKind::Float(1.0));
        assert_eq!(kind("-0.75"), FormKind::Float(-0.75));
    }

    #[test]
    fn any_exponent_makes_a_float() {
        assert_eq!(kind("1e3"), FormKind::Float(1000.0));
        assert_eq!(kind("10e10"), FormKind::Float(1e11));
        assert_eq!(kind("+5.0E5"), FormKind::Float(5.0e5));
        assert_eq!(kind("2.5e-1"), FormKind::Float(0.25));
        assert_eq!(kind("1.5e2"), FormKind::Float(150.0));
        assert_eq!(kind("1.e2"), FormKind::Float(100.0));
        assert_eq!(kind("1E+2"), FormKind::Float(100.0));
    }

    #[test]
    fn radix_literals() {
        assert_eq!(kind("0x1F"), FormKind::Int(31));
        assert_eq!(kind("0xff"), FormKind::Int(255));
        assert_eq!(kind("0b101"), FormKind::Int(5));
        assert_eq!(kind("0o17"), FormKind::Int(15));
        assert_eq!(kind("-0x10"), FormKind::Int(-16));
        assert_eq!(kind("+0b1"), FormKind::Int(1));
        assert_eq!(kind("0x7fffffffffffffff"), FormKind::Int(i64::MAX));
        assert_eq!(kind("-0x8000000000000000"), FormKind::Int(i64::MIN));
    }

    #[test]
    fn radix_literal_errors() {
        assert_err("0x", 1, 1, "hex literal `0x` needs at least one digit");
        assert_err("0b", 1, 1, "binary literal `0b` needs at least one digit");
        assert_err(" 0b102", 1, 2, "invalid digit `2` in binary literal");
        assert_err("0o8", 1, 1, "invalid digit `8` in octal literal");
        assert_err("0xfg", 1, 1, "invalid digit `g` in hex literal");
        assert_err("0x8000000000000000", 1, 1, "integer literal out of range");
        assert_err("0X1F", 1, 1, "number with unit not supported");
    }

    #[test]
    fn numbers_end_at_delimiters() {
        assert_eq!(read("(f 1)"), "(f 1)");
        assert_eq!(read("[1 2.5]"), "[1 2.5]");
        assert_eq!(read("{^a 1}"), "{^a 1}");
        assert_eq!(read("1\"s\""), "1 \"s\"");
        assert_eq!(read("1,2"), "1 2");
        assert_eq!(read("1%x"), "1 %x");
    }

    #[test]
    fn sign_without_digit_is_a_symbol() {
        assert_eq!(kind("+"), FormKind::Symbol("+".into()));
        assert_eq!(kind("-"), FormKind::Symbol("-".into()));
        assert_eq!(kind("-a"), FormKind::Symbol("-a".into()));
        assert_eq!(kind("-.5"), FormKind::Symbol("-.5".into()));
        assert_eq!(kind(".5"), FormKind::Symbol(".5".into()));
    }

    #[test]
    fn number_with_unit_is_an_error() {
        assert_err("10px", 1, 1, "number with unit not supported");
        assert_err("(x 1m30s)", 1, 4, "number with unit not supported");
        assert_err("1s500ms", 1, 1, "number with unit not supported");
        assert_err("2.5kg", 1, 1, "number with unit not supported");
        assert_err("1e", 1, 1, "number with unit not supported");
        assert_err("1中", 1, 1, "number with unit not supported");
    }

    #[test]
    fn date_time_and_ratio_literals_are_errors() {
        assert_err(
            "2020-12-02",
            1,
            1,
            "date, time and ratio literals are not supported",
        );
        assert_err(
            "\n  10:11:12",
            2,
            3,
            "date, time and ratio literals are not supported",
        );
        assert_err(
            "1/2",
            1,
            1,
            "date, time and ratio literals are not supported",
        );
    }

    #[test]
    fn data_literals_are_errors() {
        assert_err("0!1010", 1, 1, "binary, hex-byte and base64 literals");
        assert_err("0*ff", 1, 1, "binary, hex-byte and base64 literals");
        assert_err("0#AB", 1, 1, "binary, hex-byte and base64 literals");
    }

    #[test]
    fn other_characters_after_a_number_are_errors() {
        assert_err(
            "1.5.3",
            1,
            1,
            "unexpected character `.` after the number `1.5`",
        );
        assert_err("1..5", 1, 1, "unexpected character `.`");
        assert_err("1'", 1, 1, "unexpected character `'`");
        assert_err("1.5-2", 1, 1, "unexpected character `-`");
    }

    #[test]
    fn number_error_span_covers_the_whole_token() {
        let e = read_all("(a 10px)").unwrap_err();
        assert_eq!(e.span, span(3, 7, 1, 4));
    }

    #[test]
    fn integer_range_is_i64() {
        assert_eq!(kind("9223372036854775807"), FormKind::Int(i64::MAX));
        assert_eq!(kind("-9223372036854775808"), FormKind::Int(i64::MIN));
        assert_err("9223372036854775808", 1, 1, "integer literal out of range");
        assert_err(
            "[1\n -9223372036854775809]",
            2,
            2,
            "integer literal out of range",
        );
        assert_err(
            "99999999999999999999999999",
            1,
            1,
            "integer literal out of range",
        );
    }

    #[test]
    fn huge_float_exponents_read_as_infinity() {
        assert_eq!(kind("1e400"), FormKind::Float(f64::INFINITY));
        assert_eq!(kind("1e-400"), FormKind::Float(0.0));
    }
}

mod strings {
    use super::*;

    fn string(src: &str) -> String {
        match read_form(src).kind {
            FormKind::Str(s) => s,
            other => panic!("expected a string from {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn plain_strings() {
        assert_eq!(string("\"hello world\""), "hello world");
        assert_eq!(string("\"\""), "");
        assert_eq!(string("\"héllo 你好 👋\""), "héllo 你好 👋");
        assert_eq!(string("\"a,b\""), "a,b");
        assert_eq!(string("\"# not a comment\""), "# not a comment");
    }

    #[test]
    fn strings_span_lines_keeping_newlines() {
        assert_eq!(string("\"a\nb\r\nc\""), "a\nb\r\nc");
        let forms = read_all("\"a\nb\" x").unwrap();
        assert_eq!(forms[1].span, span(6, 7, 2, 4));
    }

    #[test]
    fn escapes() {
        assert_eq!(string(r#""\n\t\r\b\f""#), "\n\t\r\u{8}\u{c}");
        assert_eq!(string(r#""\\ \" \# \q \/""#), "\\ \" # q /");
        assert_eq!(string(r#""tab\there""#), "tab\there");
        assert_eq!(string(r#""quote \" inside""#), "quote \" inside");
    }

    #[test]
    fn form_feed_is_0x0c() {
        assert_eq!(string(r#""\f""#), "\u{0c}");
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(string(r#""\u0041\u00e9\u4E2D""#), "Aé中");
        assert_eq!(string(r#""\uD83D\uDC4B""#), "👋");
        assert_eq!(string(r#""x\u0000y""#), "x\0y");
    }

    #[test]
    fn bad_unicode_escapes() {
        assert_err(
            r#""ab\u12""#,
            1,
            4,
            "bad `\\u` escape: expected four hex digits",
        );
        assert_err(r#""\uZZZZ""#, 1, 2, "bad `\\u` escape");
        assert_err(r#""\uD83D""#, 1, 2, "lone surrogate `\\uD83D`");
        assert_err(r#""\uD83Dx""#, 1, 2, "lone surrogate");
        assert_err(r#""\uD83D\u0041""#, 1, 2, "lone surrogate");
        assert_err(r#""x\uDC4B""#, 1, 3, "lone surrogate `\\uDC4B`");
        assert_err(r#""\uD83D\u12""#, 1, 2, "expected four hex digits");
        assert_err("\n #\"\\u00\"", 2, 4, "bad `\\u` escape");
    }

    #[test]
    fn bad_escape_is_located_at_the_backslash() {
        let e = read_all("\"ab\\u12\"").unwrap_err();
        assert_eq!((e.span.start, e.span.line, e.span.col), (3, 1, 4));
    }

    #[test]
    fn unterminated_strings() {
        assert_err(
            "(println \"x",
            1,
            10,
            "EOF while reading string opened at line 1 col 10: missing `\"`",
        );
        assert_err("\"abc\\", 1, 1, "EOF while reading string");
        assert_err(
            "\n \"\"\"abc\"\"",
            2,
            2,
            "EOF while reading triple-quoted string opened at line 2 col 2",
        );
    }

    #[test]
    fn triple_quoted_strings() {
        assert_eq!(string("\"\"\"a\"b\"\"\""), "a\"b");
        assert_eq!(string("\"\"\"  \nx\"\"\""), "\nx");
        assert_eq!(string("\"\"\"x\n   \"\"\""), "x\n");
        assert_eq!(string("\"\"\"say \"hi\" now\"\"\""), "say \"hi\" now");
        assert_eq!(string("\"\"\"\"\"\""), "");
        assert_eq!(string("\"\"\"a\"\"b\"\"\""), "a\"\"b");
        assert_eq!(string(r#""""a\nb\"""""#), "a\nb\"");
    }

    #[test]
    fn triple_quote_trimming_details() {
        assert_eq!(string("\"\"\"\n  x\n  \"\"\""), "\n  x\n");
        assert_eq!(string("\"\"\" \t\r\nx\"\"\""), "\nx");
        assert_eq!(string("\"\"\"x\r\n\t \"\"\""), "x\n");
        assert_eq!(string("\"\"\"\n\nx\n\n\"\"\""), "\n\nx\n\n");
        assert_eq!(string("\"\"\"  x  \"\"\""), "  x  ");
        assert_eq!(string("\"\"\"  \n  \"\"\""), "\n");
    }

    #[test]
    fn string_followed_by_a_form() {
        assert_eq!(read("\"a\"b"), "\"a\" b");
        assert_eq!(read("\"\"\"a\"\"\"\"b\""), "\"a\" \"b\"");
    }
}

mod interpolation {
    use super::*;

    #[test]
    fn all_string_parts_give_a_string() {
        assert_eq!(read("#\"abc\""), "\"abc\"");
        assert_eq!(read("#\"a#bc\""), "\"a#bc\"");
        assert_eq!(read("#\"a\\#{b}c\""), "\"a#{b}c\"");
        assert_eq!(read("#\"\""), "\"\"");
        assert_eq!(read("#\"no placeholders\""), "\"no placeholders\"");
        assert_eq!(read("#\"a#\""), "\"a#\"");
        assert_eq!(read("#\"##\""), "\"##\"");
    }

    #[test]
    fn embedded_expressions() {
        assert_eq!(read("#\"x=#{x}!\""), "(#Str \"x=\" x \"!\")");
        assert_eq!(
            read("#\"n=#{n} sq=#{(n * n)}\""),
            "(#Str \"n=\" n \" sq=\" (n * n))"
        );
        assert_eq!(read("#\"Hello #{name}!\""), "(#Str \"Hello \" name \"!\")");
        assert_eq!(read("#\"#{x}\""), "(#Str x)");
        assert_eq!(read("#\"#{ x }#{y}\""), "(#Str x y)");
        assert_eq!(read("#\"#{#_ a b}\""), "(#Str b)");
    }

    #[test]
    fn embedded_map_literal() {
        assert_eq!(read("#\"m=#{^k v ^j 2}\""), "(#Str \"m=\" {^k v ^j 2})");
        assert_eq!(read("#\"#{ ^^f}\""), "(#Str {^f true})");
    }

    #[test]
    fn embedded_gene_and_array() {
        assert_eq!(
            read("#\"twice: #(twice 21)\""),
            "(#Str \"twice: \" (twice 21))"
        );
        assert_eq!(read("#\"a#[1 2]b\""), "(#Str \"a\" [1 2] \"b\")");
        assert_eq!(read("#\"#(f ^a 1 x)\""), "(#Str (f ^a 1 x))");
    }

    #[test]
    fn block_comments_are_dropped() {
        assert_eq!(read("#\"a#<x>#b\""), "\"ab\"");
        assert_eq!(read("#\"a#<x>##{y}\""), "(#Str \"a\" y)");
    }

    #[test]
    fn escapes_are_processed() {
        assert_eq!(read(r#"#"a\tb\"c\u0041""#), r#""a\tb\"cA""#);
    }

    #[test]
    fn adjacent_strings_merge() {
        assert_eq!(read("#\"a#{\"b\"}c\""), "\"abc\"");
        assert_eq!(read("#\"a#{\"b\"}#{x}c\""), "(#Str \"ab\" x \"c\")");
    }

    #[test]
    fn nested_interpolation() {
        assert_eq!(read("#\"a#{#\"b#{c}\"}\""), "(#Str \"a\" (#Str \"b\" c))");
    }

    #[test]
    fn triple_quoted_interpolation() {
        assert_eq!(
            read("#\"\"\"say \"#{x}\" \"\"\""),
            "(#Str \"say \\\"\" x \"\\\" \")"
        );
        assert_eq!(
            read("#\"\"\"  \nx=#{x}\n  \"\"\""),
            "(#Str \"\\nx=\" x \"\\n\")"
        );
        assert_eq!(read("#\"\"\"a\"b\"\"\""), "\"a\\\"b\"");
    }

    #[test]
    fn spans_of_parts() {
        let form = read_form("#\"ab#{x}c\"");
        assert_eq!(form.span, span(0, 10, 1, 1));
        let FormKind::Gene { head, children, .. } = form.kind else {
            panic!("not a gene")
        };
        assert_eq!(head.span, span(0, 2, 1, 1));
        let spans: Vec<Span> = children.iter().map(|c| c.span).collect();
        assert_eq!(
            spans,
            [span(2, 4, 1, 3), span(6, 7, 1, 7), span(8, 9, 1, 9)]
        );
    }

    #[test]
    fn interpolation_errors() {
        assert_err(
            "#\"abc",
            1,
            1,
            "EOF while reading interpolated string opened at line 1 col 1",
        );
        assert_err(
            "x #\"a#{b",
            1,
            6,
            "EOF while reading interpolation `#{...}`",
        );
        assert_err("#\"a#{}\"", 1, 4, "empty interpolation");
        assert_err("#\"a#{b c}\"", 1, 8, "holds one expression");
        assert_err(
            "#\"a#{b)\"",
            1,
            7,
            "mismatched closing delimiter `)`: expected `}`",
        );
        assert_err("#\"a#{)\"", 1, 6, "mismatched closing delimiter `)`");
        assert_err(
            "#\"a#(b",
            1,
            5,
            "EOF while reading gene opened at line 1 col 5",
        );
        assert_err("#\"a#(b\"", 1, 7, "EOF while reading string");
        assert_err("#\"a#{^a}\"", 1, 6, "property `^a` has no value");
    }
}

mod characters {
    use super::*;

    fn ch(src: &str) -> char {
        match read_form(src).kind {
            FormKind::Char(c) => c,
            other => panic!("expected a char from {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn plain_characters() {
        assert_eq!(ch("'a'"), 'a');
        assert_eq!(ch("' '"), ' ');
        assert_eq!(ch("'0'"), '0');
        assert_eq!(ch("'\"'"), '"');
        assert_eq!(ch("'('"), '(');
    }

    #[test]
    fn escapes() {
        assert_eq!(ch(r"'\n'"), '\n');
        assert_eq!(ch(r"'\t'"), '\t');
        assert_eq!(ch(r"'\r'"), '\r');
        assert_eq!(ch(r"'\b'"), '\u{8}');
        assert_eq!(ch(r"'\f'"), '\u{c}');
        assert_eq!(ch(r"'\\'"), '\\');
        assert_eq!(ch(r"'\''"), '\'');
        assert_eq!(ch(r#"'\"'"#), '"');
        assert_eq!(ch(r"'\q'"), 'q');
        assert_eq!(ch(r"'\u'"), 'u');
        assert_eq!(ch(r"'\u4E2D'"), '中');
    }

    #[test]
    fn any_unicode_scalar() {
        assert_eq!(ch("'中'"), '中');
        assert_eq!(ch("'👋'"), '👋');
        assert_eq!(ch("'é'"), 'é');
    }

    #[test]
    fn characters_in_collections() {
        assert_eq!(read("['a' 'b']"), "['a' 'b']");
        assert_eq!(read("(f 'a')"), "(f 'a')");
    }

    #[test]
    fn bad_character_literals() {
        assert_err("'ab'", 1, 1, "bad character literal");
        assert_err(
            "x 'a",
            1,
            3,
            "EOF while reading character literal opened at line 1 col 3: missing `'`",
        );
        assert_err("'", 1, 1, "EOF while reading character literal");
        assert_err("'\\", 1, 1, "EOF while reading character literal");
        assert_err("''", 1, 1, "empty character literal");
        assert_err("'a b'", 1, 1, "bad character literal");
        assert_err(r"'\u12'", 1, 2, "bad `\\u` escape");
    }
}

mod symbols {
    use super::*;

    fn sym(src: &str) -> String {
        match read_form(src).kind {
            FormKind::Symbol(s) => s,
            other => panic!("expected a symbol from {src:?}, got {other:?}"),
        }
    }

    fn parts(src: &str) -> Vec<String> {
        match read_form(src).kind {
            FormKind::ComplexSymbol(parts) => parts,
            other => panic!("expected a complex symbol from {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn plain_symbols() {
        for name in [
            "a",
            "A",
            "+",
            "->",
            "+foo+",
            "#a",
            "^a",
            "...",
            "x...",
            ".method",
            "@name",
            "$ns",
            "$caller_eval",
            "a#b",
            "a:b",
            "a'",
            "symbol-👋",
            "#Str",
            "=",
            "<=",
            "a!",
            "a;b",
            "^^x",
        ] {
            assert_eq!(sym(name), name);
        }
    }

    #[test]
    fn symbols_end_at_terminators() {
        assert_eq!(read("a\"s\""), "a \"s\"");
        assert_eq!(read("a%b"), "a %b");
        assert_eq!(read("a(b)"), "a (b)");
        assert_eq!(read("[a]{}"), "[a] {}");
        assert_eq!(read("a,b"), "a b");
    }

    #[test]
    fn backslash_escapes_the_next_character() {
        assert_eq!(sym("a\\ b"), "a b");
        assert_eq!(sym("a\\(b"), "a(b");
        assert_eq!(sym("\\1"), "1");
        assert_eq!(sym("a\\nb"), "anb");
        assert_eq!(sym("\\/"), "/");
        assert_err("ab\\", 1, 3, "EOF after `\\` in a symbol");
    }

    #[test]
    fn complex_symbols() {
        assert_eq!(parts("n/m/A"), ["n", "m", "A"]);
        assert_eq!(parts("/A"), ["", "A"]);
        assert_eq!(parts("a/"), ["a", ""]);
        assert_eq!(parts("x/0/.size"), ["x", "0", ".size"]);
        assert_eq!(parts("a/1"), ["a", "1"]);
        assert_eq!(parts("//"), ["", "", ""]);
        assert_eq!(parts("a\\/b/c"), ["a/b", "c"]);
        assert_eq!(sym("/"), "/");
        assert_eq!(sym("a\\/b"), "a/b");
    }

    #[test]
    fn complex_symbol_then_array() {
        assert_eq!(read("a/[1 2]"), "<a/> [1 2]");
        assert_eq!(read("(import n/[a b])"), "(import <n/> [a b])");
    }

    #[test]
    fn no_postfix_path_syntax() {
        assert_eq!(read("(expr)/x"), "(expr) </x>");
        assert_eq!(read("(println (new B)/tag)"), "(println (new B) </tag>)");
    }

    #[test]
    fn symbol_spans() {
        let forms = read_all("  ab\\ c d").unwrap();
        assert_eq!(forms[0].span, span(2, 7, 1, 3));
        assert_eq!(forms[1].span, span(8, 9, 1, 9));
    }

    #[test]
    fn unicode_symbols() {
        assert_eq!(sym("中文"), "中文");
        assert_eq!(sym("\u{a0}x"), "\u{a0}x");
        assert_eq!(sym("\u{0}"), "\u{0}");
    }
}

mod collections {
    use super::*;

    #[test]
    fn arrays() {
        assert_eq!(read("[1 2 3]"), "[1 2 3]");
        assert_eq!(read("[]"), "[]");
        assert_eq!(read("[[1] [] [2 [3]]]"), "[[1] [] [2 [3]]]");
        assert_eq!(read("[^a 1]"), "[^a 1]");
    }

    #[test]
    fn maps() {
        assert_eq!(read("{^a 1 ^b \"x\"}"), "{^a 1 ^b \"x\"}");
        assert_eq!(read("{}"), "{}");
        assert_eq!(read("{^z 1 ^a 2 ^m 3}"), "{^z 1 ^a 2 ^m 3}");
        assert_eq!(read("{^a {^b [1]}}"), "{^a {^b [1]}}");
        assert_eq!(read("{^a\\ b 1}"), "{^a b 1}");
        assert_eq!(read("{^a\\^b 1}"), "{^a^b 1}");
        assert_eq!(read("{^a\"s\"}"), "{^a \"s\"}");
    }

    #[test]
    fn sets() {
        assert_eq!(read("#[]"), "#[]");
        assert_eq!(read("#[1 2]"), "#[1 2]");
        assert_err(
            "#[1 2",
            1,
            1,
            "EOF while reading set opened at line 1 col 1: missing `]`",
        );
    }

    #[test]
    fn genes() {
        assert_eq!(read("(f 1 2)"), "(f 1 2)");
        assert_eq!(read("(f)"), "(f)");
        assert_eq!(
            read("(type ^k1 v1 ^k2 v2 child)"),
            "(type ^k1 v1 ^k2 v2 child)"
        );
        assert_eq!(read("((f) x)"), "((f) x)");
        assert_eq!(read("(1 2)"), "(1 2)");
        assert_eq!(read("(quote x)"), "(quote x)");
    }

    #[test]
    fn empty_gene_has_nil_type() {
        let form = read_form("()");
        assert_eq!(form.span, span(0, 2, 1, 1));
        let FormKind::Gene {
            head,
            props,
            children,
        } = form.kind
        else {
            panic!("not a gene")
        };
        assert_eq!(head.kind, FormKind::Nil);
        assert!(props.is_empty() && children.is_empty());
        assert_eq!(read("( )"), "(nil)");
    }

    #[test]
    fn the_first_element_is_always_the_type() {
        assert_eq!(read("(^a 1)"), "(^a 1)");
        assert_eq!(read("(#_ f g x)"), "(g x)");
    }

    #[test]
    fn property_group_anywhere() {
        assert_eq!(read("(f 1 ^a 2 3)"), "(f ^a 2 1 3)");
        assert_eq!(read("(f 1 2 ^a 3 ^b 4)"), "(f ^a 3 ^b 4 1 2)");
        assert_eq!(read("(f ^a 1 ^b 2 3 4)"), "(f ^a 1 ^b 2 3 4)");
        assert_eq!(read("(f ^a 1 #_ 2 ^b 3)"), "(f ^a 1 ^b 3)");
    }

    #[test]
    fn second_property_group_is_an_error() {
        assert_err("(f ^a 1 2 ^b 3)", 1, 11, "second property group in a gene");
        assert_err("(f ^^a 2 ^b 3)", 1, 10, "second property group");
    }

    #[test]
    fn flag_shorthands() {
        assert_eq!(read("{^^flag}"), "{^flag true}");
        assert_eq!(read("{^!flag}"), "{^flag nil}");
        assert_eq!(read("(f ^^a ^!b x)"), "(f ^a true ^b nil x)");
        assert_eq!(read("{^!a ^^b ^c 1}"), "{^a nil ^b true ^c 1}");
    }

    #[test]
    fn nested_shorthands() {
        assert_eq!(read("{^a^b 1}"), "{^a {^b 1}}");
        assert_eq!(read("{^a^^b}"), "{^a {^b true}}");
        assert_eq!(read("{^a^!b}"), "{^a {^b false}}");
        assert_eq!(read("{^a^b 1 ^a^c 2}"), "{^a {^b 1 ^c 2}}");
        assert_eq!(
            read("{^a^b^c 1 ^a^b^d 2 ^a^e 3}"),
            "{^a {^b {^c 1 ^d 2} ^e 3}}"
        );
        assert_eq!(read("(f ^a^b 1 ^a^^c x)"), "(f ^a {^b 1 ^c true} x)");
        assert_eq!(read("{^a! 1}"), "{^a! 1}");
    }

    #[test]
    fn duplicate_and_conflicting_keys() {
        assert_err("{^a^b 1 ^a 2}", 1, 9, "duplicate key `^a` in this map");
        assert_err("{^a 1 ^a^b 2}", 1, 7, "duplicate key `^a^b`");
        assert_err("{^a 1 ^a 2}", 1, 7, "duplicate key `^a`");
        assert_err("{^a^b 1 ^a^b 2}", 1, 9, "duplicate key `^a^b`");
        assert_err("(f ^a 1 ^^a)", 1, 9, "duplicate key `^^a` in this gene");
        assert_err("{^a {^b 1} ^a^c 2}", 1, 12, "duplicate key `^a^c`");
    }

    #[test]
    fn bad_keys() {
        assert_err("{^ 1}", 1, 2, "property name missing in `^`");
        assert_err("{^a^ 1}", 1, 2, "property name missing in `^a^`");
        assert_err("{^^ 1}", 1, 2, "property name missing");
        assert_err("{^^a^b 1}", 1, 2, "must end a nested key");
        assert_err("(f ^!a^^b)", 1, 4, "must end a nested key");
    }

    #[test]
    fn map_entry_without_key() {
        assert_err("{1 2}", 1, 2, "map entry without a key");
        assert_err("{^a 1 b 2}", 1, 7, "map entry without a key");
    }

    #[test]
    fn key_without_value() {
        assert_err("{^a}", 1, 2, "property `^a` has no value");
        assert_err("(f ^a)", 1, 4, "property `^a` has no value");
        assert_err("{^a ^b 1}", 1, 2, "property `^a` has no value");
        assert_err("{^a #_ 1}", 1, 2, "property `^a` has no value");
        assert_err("{^a ]", 1, 5, "mismatched closing delimiter `]`");
        assert_err("{^a", 1, 1, "EOF while reading map");
    }

    #[test]
    fn collection_spans() {
        let form = read_form(" [1\n (a)]");
        assert_eq!(form.span, span(1, 9, 1, 2));
        let FormKind::Array(items) = form.kind else {
            panic!("not an array")
        };
        assert_eq!(items[1].span, span(5, 8, 2, 2));
    }

    #[test]
    fn decorator_as_a_property_value() {
        assert_eq!(read("{^p #@f a}"), "{^p (f a)}");
    }
}

mod quoting_and_dispatch {
    use super::*;

    #[test]
    fn quote() {
        assert_eq!(read(":foo"), ":foo");
        assert_eq!(read(":(1 + 2)"), ":(1 + 2)");
        assert_eq!(read(":[a %b]"), ":[a %b]");
        assert_eq!(read("::x"), "::x");
        assert_eq!(read(": x"), ":x");
        assert_eq!(read(":symbol-👋"), ":symbol-👋");
        assert_eq!(read(":+foo+"), ":+foo+");
        assert_eq!(read(":a/b"), ":<a/b>");
        assert_eq!(read(":(f ^a 1 2)"), ":(f ^a 1 2)");
    }

    #[test]
    fn quote_span_covers_the_operand() {
        assert_eq!(read_form(" :(a b)").span, span(1, 7, 1, 2));
    }

    #[test]
    fn unquote_and_unquote_discard() {
        assert_eq!(read("%x"), "%x");
        assert_eq!(read("%_x"), "%_x");
        assert_eq!(read("%(f x)"), "%(f x)");
        assert_eq!(read("%_(f x)"), "%_(f x)");
        assert_eq!(read("%\\_"), "%_");
        assert_eq!(read(":(a %b %_(c))"), ":(a %b %_(c))");
    }

    #[test]
    fn slash_equals_is_the_compound_division_operator() {
        assert!(matches!(read_form("/=").kind, FormKind::Symbol(ref s) if s == "/="));
        assert!(matches!(read_form("/x").kind, FormKind::ComplexSymbol(_)));
    }

    #[test]
    fn percent_alone_is_the_modulo_operator() {
        assert_eq!(read("(x % 2)"), "(x % 2)");
        assert_eq!(read("[%]"), "[%]");
        assert_eq!(read("(x %= 2)"), "(x %= 2)");
        assert!(matches!(read_form("(x % 2)").kind, FormKind::Gene { .. }));
        assert_eq!(read("%=x"), "%=x");
    }

    #[test]
    fn prefix_without_operand() {
        assert_err(":", 1, 1, "EOF after `:`: expected a form to quote");
        assert_err(
            "(a :)",
            1,
            4,
            "`:` must be followed by a form to quote, but `)` follows it",
        );
        assert_err("%_", 1, 1, "EOF after `%_`");
    }

    #[test]
    fn decorators() {
        assert_eq!(read("#@f x"), "(f x)");
        assert_eq!(read("#@f #@g x"), "(f (g x))");
        assert_eq!(read("#@(memo 1) (fn f [] 1)"), "((memo 1) (fn f [] 1))");
        assert_err("#@f", 1, 1, "EOF after `#@`");
        assert_err(
            "(#@f)",
            1,
            2,
            "`#@` must be followed by a decorator and the form it decorates",
        );
    }

    #[test]
    fn discard() {
        assert_eq!(read("#_ 1 2"), "2");
        assert_eq!(read("#_(a b) c"), "c");
        assert_eq!(read("[1 #_2 3]"), "[1 3]");
        assert_eq!(read("#_ #_ a b c"), "c");
        assert_eq!(read("#_x"), "");
        assert_eq!(read("{^a 1 #_ ^b}"), "{^a 1}");
        assert_err("#_", 1, 1, "EOF after `#_`: expected a form to discard");
        assert_err("(a #_)", 1, 4, "`#_` must be followed by a form to discard");
    }

    #[test]
    fn regex_literals() {
        assert_eq!(read("(f #/ab+/i)"), "(f #/ab+/i)");
        assert_eq!(read(r"#/a\/b/"), "#/a/b/");
        assert_eq!(read(r"#/\d+\./"), r"#/\d+\./");
        assert_eq!(read(r"#/a\\/ b"), r"#/a\\/ b");
        assert_eq!(read("#/x/xsmi"), "#/x/imsx");
        assert_eq!(read("#//"), "#//");
        assert_err(
            "(f #/ab+/q)",
            1,
            10,
            "unknown regex flag `q`: the flags are i, m, s and x",
        );
        assert_err("#/abc", 1, 1, "unterminated regex literal");
    }

    #[test]
    fn hash_names_are_symbols() {
        assert_eq!(read("#Str"), "#Str");
        assert_eq!(read("(#File x)"), "(#File x)");
        assert_eq!(read("#(a)"), "# (a)");
        assert_eq!(read("#\t1"), "# 1");
        assert_eq!(read("#{^a 1}"), "# {^a 1}");
    }
}

mod delimiters_and_errors {
    use super::*;

    #[test]
    fn eof_inside_collections_points_at_the_opener() {
        assert_err(
            "(println \"x\"",
            1,
            1,
            "EOF while reading gene opened at line 1 col 1: missing `)`",
        );
        assert_err(
            "(a\n  [b\n",
            2,
            3,
            "EOF while reading array opened at line 2 col 3: missing `]`",
        );
        assert_err(
            "{^a 1",
            1,
            1,
            "EOF while reading map opened at line 1 col 1: missing `}`",
        );
        assert_err("(", 1, 1, "EOF while reading gene");
        assert_err("(f ^a 1", 1, 1, "EOF while reading gene");
    }

    #[test]
    fn unmatched_closing_delimiters() {
        assert_err(")", 1, 1, "unmatched closing delimiter `)`");
        assert_err("(a) ]", 1, 5, "unmatched closing delimiter `]`");
        assert_err("1\n  }", 2, 3, "unmatched closing delimiter `}`");
    }

    #[test]
    fn mismatched_closing_delimiters() {
        assert_err(
            "(a ]",
            1,
            4,
            "mismatched closing delimiter `]`: expected `)` to close the gene opened at line 1 col 1",
        );
        assert_err("[a)", 1, 3, "expected `]` to close the array");
        assert_err("{^a 1)", 1, 6, "expected `}` to close the map");
        assert_err("#[a}", 1, 4, "expected `]` to close the set");
        assert_err("(])", 1, 2, "mismatched closing delimiter `]`");
    }

    #[test]
    fn errors_render_with_file_line_and_caret() {
        let src = "(a)\n  (b c\n";
        let e = read_all(src).unwrap_err();
        assert_eq!(
            e.render("x.gene", src),
            "x.gene:2:3: error: EOF while reading gene opened at line 2 col 3: missing `)`\n    (b c\n    ^"
        );
        assert_eq!(
            e.to_string(),
            "2:3: EOF while reading gene opened at line 2 col 3: missing `)`"
        );
    }

    #[test]
    fn nesting_limit() {
        let ok = format!("{}x{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(read_all(&ok).is_ok());
        let deep = format!(
            "{}x{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_err(&deep, 1, MAX_NESTING as u32 + 1, "nesting too deep");
    }

    #[test]
    fn very_deep_input_of_every_nesting_kind_is_an_error_not_a_crash() {
        for unit in [
            "(", "[", "{^a ", "#[", ":", "%", "%_", "#@f ", "#_ ", "#\"#{", "#\"#(", "'",
        ] {
            let src = unit.repeat(100_000);
            let result = std::panic::catch_unwind(|| read_all(&src));
            assert!(matches!(result, Ok(Err(_))), "{unit:?} repeated");
        }
        let key = format!("{{{} 1}}", "^a".repeat(100_000));
        assert_err(&key, 1, 2, "nesting too deep");
    }
}

mod programs {
    use super::*;

    #[test]
    fn a_small_program() {
        let src = "\
#!/usr/bin/env gene
# Greets.
(fn greet [name]
  (println #\"Hello #{name}!\"))   # trailing
(var xs [1, 2.5, 'c', \"s\", nil, true])
(greet ^lang :gene \"you\")
";
        assert_eq!(
            read(src),
            "(fn greet [name] (println (#Str \"Hello \" name \"!\"))) \
             (var xs [1 2.5 'c' \"s\" nil true]) \
             (greet ^lang :gene \"you\")"
        );
        let forms = read_all(src).unwrap();
        let lines: Vec<u32> = forms.iter().map(|f| f.span.line).collect();
        assert_eq!(lines, [3, 5, 6]);
    }
}
