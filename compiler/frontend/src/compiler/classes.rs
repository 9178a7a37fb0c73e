//! Classes and namespaces: `ns`, `class`, methods (`.fn`, `.ctor`,
//! `.macro`), `super` and `enum`.

use super::define::{name_symbol, FnFlavor, FnSpec};
use super::{CResult, CompileError, Compiler};
use gene_core::bytecode::{Instr, ProtoKind};
use gene_core::Symbol;
use gene_reader::{Form, FormKind, Span};

impl Compiler {
    pub(super) fn compile_ns(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let Some((name, body)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`ns` needs a name: (ns name body...)",
            ));
        };
        self.define_named(name, span, |c, sym| {
            c.emit(Instr::MakeNamespace(sym), span);
            Ok(())
        })?;
        let sym = name_symbol(name);
        self.compile_body_proto(sym, body, span)
    }

    pub(super) fn compile_class(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let Some((name, rest)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`class` needs a name: (class Name body...)",
            ));
        };
        let (parent, body) = match rest {
            [lt, parent, body @ ..] if lt.is_symbol("<") => (Some(parent), body),
            body => (None, body),
        };
        self.define_named(name, span, |c, sym| {
            match parent {
                Some(p) => c.compile_expr(p, false)?,
                None => {
                    c.emit(Instr::Nil, span);
                }
            }
            c.emit(Instr::MakeClass(sym), span);
            Ok(())
        })?;
        let sym = name_symbol(name);
        self.compile_body_proto(sym, body, span)
    }

    /// `(.fn name params body...)`, `(.ctor params body...)`, `(.macro ...)`
    /// inside a class body (self is the class).
    pub(super) fn compile_method_def(
        &mut self,
        head: &str,
        children: &[Form],
        span: Span,
    ) -> CResult<()> {
        let (name, params, body) = if head == ".ctor" {
            let Some((params, body)) = children.split_first() else {
                return Err(CompileError::new(span, "expected (.ctor [params] body...)"));
            };
            ("ctor".to_string(), params, body)
        } else {
            let [name, params, body @ ..] = children else {
                return Err(CompileError::new(
                    span,
                    format!("expected ({head} name [params] body...)"),
                ));
            };
            let name = match &name.kind {
                FormKind::Symbol(s) | FormKind::Str(s) => s.clone(),
                _ => return Err(CompileError::new(name.span, "a method name must be a name")),
            };
            (name, params, body)
        };
        let sym = Symbol::intern(&name);
        self.emit(Instr::SelfValue, span);
        let flavor = if head == ".macro" {
            FnFlavor::Macro
        } else {
            FnFlavor::Function
        };
        self.compile_closure(
            FnSpec {
                kind: if flavor == FnFlavor::Macro {
                    ProtoKind::Macro
                } else {
                    ProtoKind::Method
                },
                name: sym,
                params: Some(params),
                body,
                self_name: None,
                is_async: false,
                sees_outer: true,
            },
            span,
        )?;
        self.emit(Instr::DefineMethod(sym), span);
        Ok(())
    }

    pub(super) fn compile_super(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let (name, args) = match children.split_first() {
            Some((first, rest))
                if first
                    .as_symbol()
                    .is_some_and(|s| s.starts_with('.') && s.len() > 1) =>
            {
                let s = first.as_symbol().unwrap_or_default();
                (Symbol::intern(&s[1..]), rest)
            }
            _ => {
                let current = self
                    .fns
                    .iter()
                    .rev()
                    .find(|f| f.kind == ProtoKind::Method)
                    .map(|f| f.name);
                match current {
                    Some(name) => (name, children),
                    None => {
                        return Err(CompileError::new(
                            span,
                            "`super` is only meaningful inside a method",
                        ))
                    }
                }
            }
        };
        self.emit(Instr::SelfValue, span);
        let n = self.compile_items(args)?;
        self.emit(Instr::CallSuper { name, args: n }, span);
        Ok(())
    }

    pub(super) fn compile_enum(
        &mut self,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
    ) -> CResult<()> {
        let Some((name, members)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`enum` needs a name: (enum Color red green)",
            ));
        };
        let listed;
        let members: &[Form] = match props.iter().find(|(k, _)| k == "values") {
            Some((
                _,
                Form {
                    kind: FormKind::Array(items),
                    ..
                },
            )) => {
                listed = items.clone();
                &listed
            }
            _ => members,
        };
        self.define_named(name, span, |c, sym| {
            c.emit(Instr::MakeEnum(sym), span);
            let mut next = 0i64;
            let mut i = 0;
            while i < members.len() {
                let m = &members[i];
                let Some(member) = m.as_symbol() else {
                    return Err(CompileError::new(m.span, "enum members must be names"));
                };
                if members.get(i + 1).is_some_and(|f| f.is_symbol("=")) {
                    match members.get(i + 2).map(|f| &f.kind) {
                        Some(FormKind::Int(v)) => next = *v,
                        _ => {
                            return Err(CompileError::new(
                                m.span,
                                "explicit enum values must be int literals",
                            ))
                        }
                    }
                    i += 2;
                }
                c.emit(
                    Instr::EnumAddMember {
                        name: Symbol::intern(member),
                        value: next,
                    },
                    m.span,
                );
                next += 1;
                i += 1;
            }
            Ok(())
        })
    }
}
