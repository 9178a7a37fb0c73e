//! A readable listing of Protos, for `gene compile` and golden tests.

use gene_core::bytecode::{Capture, Instr, Proto};
use gene_core::print::repr;
use std::fmt::Write;

/// The listing of `proto` and, after it, of every Proto nested in it.
pub fn disassemble(proto: &Proto) -> String {
    let mut out = String::new();
    write_proto(&mut out, proto, "");
    out
}

fn write_proto(out: &mut String, proto: &Proto, path: &str) {
    let path = if path.is_empty() {
        proto.name.name().to_string()
    } else {
        format!("{path}/{}", proto.name)
    };
    let _ = writeln!(
        out,
        "== {path} ({:?}, {} slots, params {:?})",
        proto.kind, proto.n_slots, proto.params.items
    );
    if !proto.captures.is_empty() {
        let caps: Vec<String> = proto
            .captures
            .iter()
            .map(|c| match c {
                Capture::Local(s) => format!("local {s}"),
                Capture::Upvalue(u) => format!("upvalue {u}"),
            })
            .collect();
        let _ = writeln!(out, "   captures: {}", caps.join(", "));
    }
    let mut last_line = 0;
    for (pc, instr) in proto.code.iter().enumerate() {
        let line = proto.line_at(pc);
        let line_col = if line != last_line && line != 0 {
            last_line = line;
            format!("{line:>4}")
        } else {
            "   |".to_string()
        };
        let _ = writeln!(out, "{line_col} {pc:>4}  {}", describe(proto, instr));
    }
    for h in &proto.handlers {
        let _ = writeln!(
            out,
            "   handler: pc {}..{} -> {} (depth {})",
            h.start, h.end, h.target, h.depth
        );
    }
    for nested in &proto.protos {
        out.push('\n');
        write_proto(out, nested, &path);
    }
}

/// One instruction, with constants and key lists shown by value.
fn describe(proto: &Proto, instr: &Instr) -> String {
    let keys = |i: u32| -> String {
        proto
            .key_lists
            .get(i as usize)
            .map(|ks| {
                ks.iter()
                    .map(|k| format!("^{k}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let constant = |i: u32| -> String {
        proto
            .consts
            .get(i as usize)
            .map(|v| repr(*v))
            .unwrap_or_else(|| "?".into())
    };
    match *instr {
        Instr::Const(i) => format!("Const {}", constant(i)),
        Instr::Raise { kind, message } => {
            format!("Raise {} {}", kind.class_name(), constant(message))
        }
        Instr::LoadName { name, .. } => format!("LoadName {name}"),
        Instr::MakeMap { keys: k } => format!("MakeMap {}", keys(k)),
        Instr::MakeGene { keys: k, children } => {
            format!("MakeGene [{}] children {children}", keys(k))
        }
        Instr::CallNamed { keys: k, args } => format!("CallNamed [{}] args {args}", keys(k)),
        Instr::NewNamed { keys: k, args } => format!("NewNamed [{}] args {args}", keys(k)),
        Instr::CallMethodNamed {
            name,
            keys: k,
            args,
        } => format!("CallMethodNamed .{name} [{}] args {args}", keys(k)),
        Instr::CallMethod { name, args } => format!("CallMethod .{name} args {args}"),
        Instr::Closure(i) => format!(
            "Closure {}",
            proto.protos.get(i as usize).map_or("?", |p| p.name.name())
        ),
        Instr::RunBody(i) => format!(
            "RunBody {}",
            proto.protos.get(i as usize).map_or("?", |p| p.name.name())
        ),
        other => format!("{other:?}"),
    }
}
