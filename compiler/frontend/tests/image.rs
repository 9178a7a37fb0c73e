//! The bytecode image round-trips every compiled program exactly, and
//! reading a damaged image fails cleanly instead of panicking.

use gene_core::bytecode::{
    Capture, Flow, Handler, Instr, LocalName, NameCache, PatItem, Pattern, Proto, ProtoKind,
};
use gene_core::heap::{self, Obj};
use gene_core::object::prop_map;
use gene_core::{ErrorKind, Symbol, Value};
use gene_frontend::disasm::disassemble;
use gene_frontend::image::{protos_preorder, read_image, write_image, ImageError};
use gene_frontend::{compile_program, quote};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

/// Runs `f` on a thread with a large stack: the compiler recurses over
/// nested forms, as it does under the CLI.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("spawn test thread");
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

fn compile(src: &str, path: &str) -> Option<&'static Proto> {
    let forms = gene_reader::read_all(src).ok()?;
    compile_program(&forms, path).ok()
}

/// Two values are the same tree: immediates bit for bit (so -0.0 and NaN
/// are told apart from 0.0 and each other), objects kind by kind.
fn same_value(a: Value, b: Value) -> bool {
    if !a.is_ptr() || !b.is_ptr() {
        return a.bits() == b.bits();
    }
    let (Some(x), Some(y)) = (a.obj(), b.obj()) else {
        return false;
    };
    let all = |xs: &[Value], ys: &[Value]| {
        xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| same_value(*x, *y))
    };
    let maps = |xs: &gene_core::object::PropMap, ys: &gene_core::object::PropMap| {
        xs.len() == ys.len()
            && xs
                .iter()
                .zip(ys)
                .all(|((kx, vx), (ky, vy))| kx == ky && same_value(*vx, *vy))
    };
    match (x, y) {
        (Obj::Int(i), Obj::Int(j)) => i == j,
        (Obj::Str(s), Obj::Str(t)) => s == t,
        (Obj::ComplexSymbol(p), Obj::ComplexSymbol(q)) => p == q,
        (Obj::Array(p), Obj::Array(q)) | (Obj::Set(p), Obj::Set(q)) => {
            all(&p.borrow(), &q.borrow())
        }
        (Obj::Map(p), Obj::Map(q)) => maps(&p.borrow(), &q.borrow()),
        (Obj::Gene(g), Obj::Gene(h)) => {
            g.line == h.line
                && same_value(g.ty.get(), h.ty.get())
                && maps(&g.props.borrow(), &h.props.borrow())
                && all(&g.children.borrow(), &h.children.borrow())
        }
        (Obj::Range(r), Obj::Range(s)) => r == s,
        (Obj::Regex(r), Obj::Regex(s)) => r.pattern == s.pattern && r.flags == s.flags,
        (Obj::Quote(v), Obj::Quote(w)) => same_value(*v, *w),
        (Obj::Unquote(v, d), Obj::Unquote(w, e)) => d == e && same_value(*v, *w),
        _ => false,
    }
}

fn same_pattern(a: &Pattern, b: &Pattern) -> bool {
    a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| match (x, y) {
            (PatItem::Nested(p), PatItem::Nested(q)) => same_pattern(p, q),
            (PatItem::Literal(v), PatItem::Literal(w)) => same_value(*v, *w),
            _ => x == y,
        })
}

/// Writes and reads back `main`, checking that nothing was lost: the
/// disassembly, every field (through `Debug`), and constants bit for bit.
fn assert_round_trip(main: &'static Proto, what: &str) {
    let image = write_image(main).unwrap_or_else(|e| panic!("{what}: write_image: {e}"));
    let read = read_image(&image).unwrap_or_else(|e| panic!("{what}: read_image: {e}"));
    let original = protos_preorder(main);
    assert_eq!(read.len(), original.len(), "{what}: proto count");
    assert_eq!(
        disassemble(read[0]),
        disassemble(main),
        "{what}: disassembly"
    );
    assert_eq!(
        format!("{:?}", read[0]),
        format!("{main:?}"),
        "{what}: fields"
    );
    let walked = protos_preorder(read[0]);
    assert!(
        walked.iter().zip(&read).all(|(a, b)| std::ptr::eq(*a, *b)),
        "{what}: read_image's list is not the pre-order walk"
    );
    for (i, (a, b)) in original.iter().zip(&read).enumerate() {
        assert!(
            a.consts.len() == b.consts.len()
                && a.consts
                    .iter()
                    .zip(&b.consts)
                    .all(|(x, y)| same_value(*x, *y)),
            "{what}: constants of proto {i}"
        );
        assert!(
            same_pattern(&a.params, &b.params)
                && a.patterns.len() == b.patterns.len()
                && a.patterns
                    .iter()
                    .zip(&b.patterns)
                    .all(|(p, q)| same_pattern(p, q)),
            "{what}: patterns of proto {i}"
        );
        assert_eq!(a.name_caches.len(), b.name_caches.len(), "{what}: caches");
    }
    assert_eq!(
        write_image(read[0]).as_deref(),
        Ok(image.as_slice()),
        "{what}: rewriting the read image"
    );
}

#[test]
fn every_corpus_program_round_trips() {
    with_big_stack(|| {
        let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests");
        let files = corpus::corpus_programs(&tests);
        let mut compiled = 0;
        for path in &files {
            let Ok(src) = std::fs::read_to_string(path) else {
                continue;
            };
            let name = path.display().to_string();
            if let Some(main) = compile(&src, &name) {
                assert_round_trip(main, &name);
                compiled += 1;
            }
        }
        assert!(
            compiled >= 300,
            "only {compiled} of {} corpus programs compiled",
            files.len()
        );
    });
}

const UNUSUAL_CONSTANTS: &str = r#"
(var big 9223372036854775807)
(var small -9223372036854775807)
(var edge 562949953421312)
(var negzero -0.0)
(var tiny 5e-324)
(var chars ['a' '\n' '中' '\''])
(var q :(a :b %c %_d))
(var deep :(f [1 {^k :(g %x)}] ^p #[1 2] 'z'))
(var m {^a^b 1 ^c "s"})
(var qm :{^a^b 1 ^c #[1 2]})
(var qs :#[1 [2]])
(var cs :a/b/c)
(match [a [b c]] [1 [2 3]])
(fn f [x [y z] ^n = 4 rest...] (x + n))
(fn g [] ($args))
(class C (.fn m [/p] p))
(println "done")
"#;

#[test]
fn unusual_constants_round_trip() {
    with_big_stack(|| {
        let main = compile(UNUSUAL_CONSTANTS, "unusual.gene").expect("compiles");
        let listing = disassemble(main);
        let expected_constants = [
            "Const 9223372036854775807",
            "Const -0.0",
            "Const '中'",
            "Const (a :b %c %_d)",
            "Const {^a {^b 1} ^c #[1 2]}",
            "Const #[1 [2]]",
            "Const a/b/c",
        ];
        for expected in expected_constants {
            assert!(listing.contains(expected), "{expected} missing:\n{listing}");
        }
        assert_round_trip(main, "unusual constants");
    });
}

/// Every instruction variant with distinctive operands, to catch an opcode
/// that is read back as another.
fn every_instruction() -> Vec<Instr> {
    let s = Symbol::intern;
    let mut code = vec![
        Instr::Nil,
        Instr::True,
        Instr::False,
        Instr::Placeholder,
        Instr::SelfValue,
        Instr::Int(i32::MIN),
        Instr::Int(i32::MAX),
        Instr::Const(0),
        Instr::Pop,
        Instr::Dup,
        Instr::PopN(9),
        Instr::Slide(10),
        Instr::LoadLocal(11),
        Instr::StoreLocal(12),
        Instr::DeclareLocal(13),
        Instr::LoadCell(14),
        Instr::StoreCell(15),
        Instr::DeclareCell(16),
        Instr::LoadUpvalue(17),
        Instr::StoreUpvalue(18),
        Instr::LoadOuter(19),
        Instr::StoreOuter(20),
        Instr::LoadOuterUpvalue(21),
        Instr::StoreOuterUpvalue(22),
        Instr::DefineEvalVar(s("eval_var")),
        Instr::LoadName {
            name: s("load_name"),
            cache: 0,
        },
        Instr::StoreName(s("store_name")),
        Instr::DefineMember(s("define_member")),
        Instr::GetMember(s("get_member")),
        Instr::GetChild(-28),
        Instr::Select,
        Instr::SetMember(s("set_member")),
        Instr::SetChild(-31),
        Instr::SetKey,
        Instr::Add,
        Instr::Sub,
        Instr::Mul,
        Instr::Div,
        Instr::Mod,
        Instr::Pow,
        Instr::FloorDiv,
        Instr::Eq,
        Instr::Ne,
        Instr::Lt,
        Instr::Le,
        Instr::Gt,
        Instr::Ge,
        Instr::Neg,
        Instr::Not,
        Instr::AddInt(47),
        Instr::SubInt(-48),
        Instr::LtInt(49),
        Instr::Jump(u32::MAX),
        Instr::JumpIfFalse(51),
        Instr::JumpIfTrue(52),
        Instr::JumpIfFalseKeep(53),
        Instr::JumpIfTrueKeep(54),
        Instr::JumpIfBound {
            slot: 55,
            target: 5500,
        },
        Instr::MakeArray(56),
        Instr::MakeSet(57),
        Instr::MakeMap { keys: 0 },
        Instr::MakeGene {
            keys: 0,
            children: 59,
        },
        Instr::MakeRange,
        Instr::Spread,
        Instr::Concat(62),
        Instr::Render,
        Instr::Closure(0),
        Instr::Call(65),
        Instr::CallNamed { keys: 0, args: 66 },
        Instr::TailCall(67),
        Instr::CallMethod {
            name: s("call_method"),
            args: 68,
        },
        Instr::CallMethodNamed {
            name: s("call_method_named"),
            keys: 0,
            args: 69,
        },
        Instr::CallSuper {
            name: s("call_super"),
            args: 70,
        },
        Instr::CallWithSelf(71),
        Instr::LoadArgs,
        Instr::JumpIfMacro(73),
        Instr::CallMacro(74),
        Instr::Return,
        Instr::IterInit(76),
        Instr::IterNext {
            slot: 77,
            exit: 770,
        },
        Instr::IterNext2 {
            slot: 78,
            exit: 780,
        },
        Instr::Throw,
        Instr::ImportModule,
        Instr::ImportMember(s("import_member")),
        Instr::IsA,
        Instr::CaseMatch,
        Instr::Match(0),
        Instr::MakeNamespace(s("make_namespace")),
        Instr::MakeClass(s("make_class")),
        Instr::RunBody(1),
        Instr::DefineMethod(s("define_method")),
        Instr::New(90),
        Instr::NewNamed { keys: 0, args: 91 },
        Instr::MakeFuture { failed: false },
        Instr::MakeFuture { failed: true },
        Instr::Await(93),
        Instr::Eval,
        Instr::CallerEval,
        Instr::CallerLocation,
        Instr::MakeEnum(s("make_enum")),
        Instr::EnumAddMember {
            name: s("enum_member"),
            value: i64::MIN,
        },
    ];
    code.extend(ErrorKind::ALL.iter().map(|kind| Instr::Raise {
        kind: *kind,
        message: 0,
    }));
    code
}

/// The round-trip list above covers every instruction of the table.
#[test]
fn every_instruction_covers_the_table() {
    let listed: Vec<&str> = every_instruction().iter().map(Instr::name).collect();
    for name in Instr::NAMES {
        assert!(
            listed.contains(name),
            "{name} missing from every_instruction"
        );
    }
}

/// Retargeting a jump moves exactly the target its flow reports, and
/// leaves every other instruction as it was.
#[test]
fn jump_targets_follow_the_table() {
    for instr in every_instruction() {
        let moved = instr.with_jump_target(4242);
        match instr.flow() {
            Flow::Next | Flow::End => assert_eq!(moved, instr),
            Flow::Jump(_) => assert_eq!(moved.flow(), Flow::Jump(4242), "{instr:?}"),
            Flow::Branch { keep, .. } => {
                assert_eq!(
                    moved.flow(),
                    Flow::Branch { target: 4242, keep },
                    "{instr:?}"
                )
            }
        }
        assert_eq!(moved.name(), instr.name());
    }
}

/// A constant of every storable kind, including ones no source literal
/// produces (NaN, ranges, void, the placeholder).
fn every_value_kind() -> Vec<Value> {
    let mut props = prop_map();
    props.insert(Symbol::intern("k"), Value::VOID);
    let gene = quote::gene_at(
        Value::symbol(Symbol::intern("head")),
        props.clone(),
        vec![Value::PLACEHOLDER, heap::string("")],
        u32::MAX,
    );
    vec![
        Value::NIL,
        Value::TRUE,
        Value::FALSE,
        Value::VOID,
        Value::PLACEHOLDER,
        Value::int(0),
        Value::int(i64::MIN),
        Value::int(i64::MAX),
        Value::int(gene_core::value::SMALL_INT_MIN),
        Value::float(f64::NAN),
        Value::float(-0.0),
        Value::float(f64::INFINITY),
        Value::float(f64::MIN_POSITIVE / 2.0),
        Value::char('\u{10FFFF}'),
        Value::symbol(Symbol::intern("sym")),
        heap::string("héllo"),
        quote::complex_symbol(&["a".into(), "".into(), "c".into()]),
        heap::array(vec![heap::array(Vec::new()), gene]),
        heap::map(props),
        heap::alloc(Obj::Set(RefCell::new(heap::Items::from_elem(
            Value::int(1),
            1,
        )))),
        quote::range(i64::MIN, i64::MAX, -3),
        heap::alloc(Obj::Quote(heap::alloc(Obj::Unquote(
            heap::alloc(Obj::Unquote(Value::NIL, true)),
            false,
        )))),
    ]
}

fn proto(name: &str, kind: ProtoKind, protos: Vec<&'static Proto>) -> Proto {
    Proto {
        name: Symbol::intern(name),
        kind,
        file: "synthetic.gene",
        code: Vec::new(),
        lines: Vec::new(),
        cols: Vec::new(),
        consts: Vec::new(),
        key_lists: Vec::new(),
        protos,
        params: Pattern::default(),
        patterns: Vec::new(),
        n_slots: 0,
        captures: Vec::new(),
        upvalue_names: Vec::new(),
        local_names: Vec::new(),
        handlers: Vec::new(),
        is_async: false,
        fast_arity: None,
        uses_args: false,
        name_caches: Box::new([]),
        prop_hints: Box::new([]),
        native: Cell::new(None),
    }
}

fn leak(p: Proto) -> &'static Proto {
    Box::leak(Box::new(p))
}

/// A Proto tree using every instruction, value kind, pattern item, proto
/// kind and field, nested two levels deep with siblings.
fn synthetic_program() -> &'static Proto {
    let leaf = |name, kind| leak(proto(name, kind, Vec::new()));
    let method = leaf("method", ProtoKind::Method);
    let mut body = proto("body", ProtoKind::Body, vec![method]);
    body.file = "other.gene";
    let function = leak(proto(
        "function",
        ProtoKind::Function,
        vec![
            leaf("block", ProtoKind::Block),
            leaf("macro", ProtoKind::Macro),
        ],
    ));
    let mut main = proto("<main>", ProtoKind::TopLevel, vec![function, leak(body)]);
    main.code = every_instruction();
    main.lines = (0..main.code.len() as u32).map(|i| i * 1000).collect();
    main.prop_hints = gene_core::bytecode::prop_hints(main.code.len());
    main.consts = every_value_kind();
    main.key_lists = vec![
        Box::new([Symbol::intern("x"), Symbol::intern("y")]),
        Box::new([]),
    ];
    main.params = Pattern {
        items: vec![
            PatItem::Bind {
                slot: 0,
                default: true,
                cell: false,
            },
            PatItem::Nested(Pattern {
                items: vec![
                    PatItem::Skip,
                    PatItem::Nested(Pattern::default()),
                    PatItem::Literal(every_value_kind()[21]),
                    PatItem::Rest {
                        slot: 1,
                        cell: true,
                    },
                ],
            }),
            PatItem::Named {
                key: Symbol::intern("named"),
                slot: 2,
                default: false,
                cell: true,
            },
            PatItem::NamedRest {
                slot: 3,
                cell: false,
            },
            PatItem::SelfProp(Symbol::intern("prop")),
        ],
    };
    main.patterns = vec![Pattern::default(), main.params.clone()];
    main.n_slots = 12345;
    main.captures = vec![Capture::Local(7), Capture::Upvalue(8)];
    main.upvalue_names = vec![Symbol::intern("up1"), Symbol::intern("up2")];
    main.local_names = vec![LocalName {
        name: Symbol::intern("local"),
        slot: 3,
        start: 4,
        end: 5,
    }];
    main.handlers = vec![Handler {
        start: 1,
        end: 2,
        target: 3,
        depth: 4,
    }];
    main.is_async = true;
    main.fast_arity = Some(3);
    main.uses_args = true;
    main.name_caches = (0..3).map(|_| Cell::new(NameCache::default())).collect();
    leak(main)
}

#[test]
fn every_instruction_value_and_pattern_round_trips() {
    let main = synthetic_program();
    let names: Vec<&str> = protos_preorder(main)
        .iter()
        .map(|p| p.name.name())
        .collect();
    assert_eq!(
        names,
        ["<main>", "function", "block", "macro", "body", "method"]
    );
    assert_round_trip(main, "synthetic program");
    let read = read_image(&write_image(main).expect("writes")).expect("reads");
    assert_eq!(read[0].code, main.code);
    assert_eq!(read[4].file, "other.gene");
    assert!(read[0].consts[9].as_float().is_some_and(f64::is_nan));
    assert_eq!(
        read[0].consts[10].as_float().map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
}

#[test]
fn runtime_objects_are_refused_by_name() {
    let mut main = proto("<main>", ProtoKind::TopLevel, Vec::new());
    main.consts = vec![heap::array(vec![heap::alloc(Obj::Cell(Cell::new(
        Value::NIL,
    )))])];
    let err = write_image(leak(main)).expect_err("a cell is not data");
    assert_eq!(err, ImageError::UnsupportedValue("cell"));
    assert!(err.to_string().contains("cell"), "{err}");
}

#[test]
fn nesting_is_limited_in_both_directions() {
    let nest = |depth: usize| {
        let mut v = Value::NIL;
        for _ in 0..depth {
            v = heap::array(vec![v]);
        }
        let mut main = proto("<main>", ProtoKind::TopLevel, Vec::new());
        main.consts = vec![v];
        leak(main)
    };
    let limit = gene_frontend::image::MAX_DEPTH;
    // Reading and writing use no Rust stack per level, so this test's
    // default-sized thread is enough.
    let image = write_image(nest(limit)).expect("at the limit");
    read_image(&image).expect("reads at the limit");
    assert_eq!(write_image(nest(limit + 1)), Err(ImageError::TooDeep));
    // An image claiming one more level is refused on reading too: splice
    // one more one-element array tag in front of the constant.
    let marker = [11u8, 1];
    let at = image
        .windows(2)
        .position(|w| w == marker)
        .expect("an array header");
    let mut deeper = image[..at].to_vec();
    deeper.extend_from_slice(&marker);
    deeper.extend_from_slice(&image[at..]);
    assert!(matches!(
        read_image(&deeper),
        Err(ImageError::Corrupt { .. })
    ));
}

#[test]
fn bad_headers_are_reported() {
    assert_eq!(read_image(b"").err(), Some(ImageError::NotAnImage));
    assert_eq!(
        read_image(b"GENE-IMX\x01").err(),
        Some(ImageError::NotAnImage)
    );
    assert_eq!(
        read_image(b"GENE-IMG\x07").err(),
        Some(ImageError::Version(7))
    );
    let image = write_image(synthetic_program()).expect("writes");
    let mut trailing = image.clone();
    trailing.push(0);
    assert!(matches!(
        read_image(&trailing),
        Err(ImageError::Corrupt { .. })
    ));
}

/// A mid-size program: functions, closures, classes, patterns, exceptions,
/// loops, enums, quotes and async code.
const MID_SIZE_PROGRAM: &str = r#"
(fn make_adder [n] (fnx [x] (x + n)))
(var add5 (make_adder 5))
(fn f [first [a b] ^k = 3 rest...] [first a b k rest])
(class A (.fn calc [x] (x * 2)))
(class B < A
  (.ctor [/name /age])
  (.fn calc [x] ((super x) + 1)))
(var r (try
  (throw "x")
  1
catch *
  2
finally
  99))
(match [:if c :then t :else e] [:if 0 :then 1 :else 2])
(enum Level low = 10 high)
(macro plus [a b] (a + b))
(fn ^^async compute [x] (x * 3))
(var total 0)
(for i in (1 .. 10) (total += i))
(var m {^a 1 ^b [1 2.5 'c' "str"] ^q :(g %x %_y)})
(var s #[1 2 3])
(println (add5 1) (f 1 [2 3] 4 5) ((new B "ann" 30) .calc 10) r c t e
  Level/high/.value (plus 20 22) (await (compute 4)) total m s 9223372036854775807)
"#;

/// xorshift64: a fixed, dependency-free sequence of pseudo-random numbers.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn damaged_images_never_panic() {
    with_big_stack(|| {
        let main = compile(MID_SIZE_PROGRAM, "mid.gene").expect("compiles");
        let image = write_image(main).expect("writes");
        assert!(image.len() > 1000, "image of {} bytes", image.len());
        let mut failures = Vec::new();
        let mut try_read = |bytes: &[u8], case: String| {
            let result = catch_unwind(AssertUnwindSafe(|| match read_image(bytes) {
                Ok(protos) => {
                    let _ = disassemble(protos[0]);
                    let _ = write_image(protos[0]);
                    true
                }
                Err(_) => false,
            }));
            match result {
                Ok(ok) => Some(ok),
                Err(_) => {
                    failures.push(case);
                    None
                }
            }
        };
        for len in 0..image.len() {
            let ok = try_read(&image[..len], format!("truncated to {len} bytes"));
            assert_ne!(ok, Some(true), "image truncated to {len} bytes was read");
        }
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut accepted = 0;
        for i in 0..20_000 {
            let at = (rng.next() % image.len() as u64) as usize;
            let flip = (rng.next() % 255 + 1) as u8;
            let mut damaged = image.clone();
            damaged[at] ^= flip;
            let case = format!("mutation {i}: byte {at} ^= {flip:#04x}");
            if try_read(&damaged, case) == Some(true) {
                accepted += 1;
            }
        }
        assert!(
            failures.is_empty(),
            "read_image panicked in {} cases, first: {:?}",
            failures.len(),
            failures.iter().take(5).collect::<Vec<_>>()
        );
        // Most single-byte changes hit operands, which are not validated.
        assert!(accepted > 0, "no mutation was accepted");
    });
}

#[test]
fn whole_programs_keep_their_modules() {
    use gene_frontend::image::{module_key, program_protos, read_program, write_program, Module};
    with_big_stack(|| {
        let main = compile(
            "(import f from \"lib/util\")\n(println (f 1))",
            "app/main.gene",
        )
        .expect("main compiles");
        let util = compile("(fn f [x] (fnx [] x))", "app/lib/util.gene").expect("util compiles");
        let more = compile("(var v 1)", "app/more.gene").expect("more compiles");
        let modules = vec![
            Module {
                key: "app/lib/util.gene".into(),
                proto: util,
            },
            Module {
                key: "app/more.gene".into(),
                proto: more,
            },
            // The same module under a second key: one copy of its Protos.
            Module {
                key: "app/lib/../lib/util.gene".into(),
                proto: util,
            },
        ];
        let order = program_protos(main, &modules);
        // util: its main, f and the closure; more: its main.
        assert_eq!(order.len(), protos_preorder(main).len() + 3 + 1);
        let image = write_program(main, &modules).expect("writes");
        let program = read_program(&image).expect("reads");
        assert_eq!(program.protos.len(), order.len());
        let keys: Vec<&str> = program.modules.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "app/lib/util.gene",
                "app/more.gene",
                "app/lib/../lib/util.gene"
            ]
        );
        let first = program.modules[0].proto;
        assert!(std::ptr::eq(first, program.modules[2].proto));
        assert_eq!(first.file, "app/lib/util.gene");
        assert_eq!(first.protos.len(), 1);
        // Module Protos follow the main tree, in the writer's order.
        assert!(std::ptr::eq(
            program.protos[protos_preorder(main).len()],
            first
        ));
        assert_eq!(program.modules[1].proto.file, "app/more.gene");
        assert_eq!(read_image(&image).expect("reads").len(), order.len());
    });
    assert_eq!(module_key("lib/util", "app/main.gene"), "app/lib/util.gene");
    assert_eq!(module_key("./util.gene", "main.gene"), "util.gene");
    assert_eq!(module_key("../x", "a/b/c.gene"), "a/x.gene");
    assert_eq!(module_key("../../x", "a.gene"), "../../x.gene");
    assert_eq!(module_key("/abs/m", "a/b.gene"), "/abs/m.gene");
    assert_eq!(module_key("../m", "/top.gene"), "/m.gene");
}
