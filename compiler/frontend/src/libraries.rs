//! Which optional parts of the runtime library a program may use.
//!
//! Regular expressions and DateTime are built on large crates (`regex`,
//! `jiff` with its bundled time-zone data), process spawning
//! (`gene/os/run`, `gene/os/exec`) on std's process code; JSON
//! (`gene/json`, `.to_json`) and `format` (with `.pad_left`, `.pad_right`,
//! `.center`) and the numeric methods with `gene/math` (`numbers.rs`) are
//! sizeable natives few programs use. A built executable links them
//! only when its program may reach them (`gene_rt_use_libraries`), so that
//! hello world does not carry them. The test is conservative: any name,
//! member, method or constant with one of the words below, a regex
//! literal, or code evaluated at run time (`eval`, `$caller_eval`,
//! `$render`, which can name anything) counts as a use.

use gene_core::bytecode::Instr;
use gene_core::heap::Obj;
use gene_core::{Proto, Symbol, Value};

/// Names that reach regular expressions, DateTime values, processes, JSON,
/// `format` or the numeric methods.
const WORDS: &[&str] = &[
    "regex",
    "Regex",
    "datetime",
    "DateTime",
    "now",
    "today",
    "modified",
    "=~",
    "!~",
    "eval",
    "run",
    "exec",
    "json",
    "to_json",
    "format",
    "pad_left",
    "pad_right",
    "center",
    // Int and Float methods and `gene/math` (`numbers.rs`).
    "math",
    "abs",
    "floor",
    "ceil",
    "trunc",
    "round",
    "to_i",
    "to_f",
    "sqrt",
    "min",
    "max",
    "clamp",
    "sign",
    "is_nan",
    "is_finite",
    "to_fixed",
    "div",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bit_not",
    "shl",
    "shr",
    "pow_mod",
];

/// Whether any of `protos` may use regular expressions, DateTime, process
/// spawning, JSON, `format` or the numeric methods.
pub fn uses_libraries(protos: &[&Proto]) -> bool {
    protos.iter().any(|p| proto_uses(p))
}

fn proto_uses(proto: &Proto) -> bool {
    proto.code.iter().any(|instr| match instr {
        Instr::Eval | Instr::CallerEval | Instr::Render => true,
        Instr::LoadName { name, .. }
        | Instr::GetMember(name)
        | Instr::ImportMember(name)
        | Instr::CallMethod { name, .. }
        | Instr::CallMethodNamed { name, .. } => word(*name),
        _ => false,
    }) || proto.consts.iter().any(|v| value_uses(*v))
}

fn word(name: Symbol) -> bool {
    WORDS.contains(&name.name())
}

fn value_uses(v: Value) -> bool {
    if let Some(s) = v.as_symbol() {
        return word(s);
    }
    match v.obj() {
        Some(Obj::Regex(_)) => true,
        Some(Obj::ComplexSymbol(parts)) => parts.iter().any(|s| word(*s)),
        Some(Obj::Str(s)) => WORDS.iter().any(|w| s.contains(w)),
        Some(Obj::Array(items)) => items.borrow().iter().any(|v| value_uses(*v)),
        Some(Obj::Gene(g)) => {
            value_uses(g.ty.get())
                || g.props.borrow().values().any(|v| value_uses(*v))
                || g.children.borrow().iter().any(|v| value_uses(*v))
        }
        Some(Obj::Quote(v)) => value_uses(*v),
        _ => false,
    }
}
