//! Definitions and binding forms: `var`, `fn`/`fnx`/`fnxx`/`macro`/blocks,
//! parameter lists and `match` patterns, `new`, and the data forms
//! (`$render`, `eval`, interpolation); `classes.rs` holds `ns`, `class`,
//! methods, `super` and `enum`, `modules.rs` holds `import`.

use super::{CResult, CompileError, Compiler, FnState};
use crate::quote::form_to_value;
use gene_core::bytecode::{Instr, PatItem, Pattern, ProtoKind};
use gene_core::{Symbol, Value};
use gene_reader::{Form, FormKind, Span};

/// How a function-like form is compiled.
pub(super) struct FnSpec<'a> {
    pub kind: ProtoKind,
    pub name: Symbol,
    pub params: Option<&'a Form>,
    pub body: &'a [Form],
    pub self_name: Option<String>,
    pub is_async: bool,
    pub sees_outer: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FnFlavor {
    Function,
    Macro,
}

/// A parameter default still to be compiled: the binding and its expression.
type PendingDefault<'a> = (usize, &'a Form);

impl Compiler {
    pub(super) fn compile_definition(
        &mut self,
        head: &str,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
    ) -> CResult<bool> {
        match head {
            "var" => self.compile_var(children, span)?,
            "fn" => self.compile_fn(props, children, span, FnFlavor::Function)?,
            "macro" => self.compile_fn(props, children, span, FnFlavor::Macro)?,
            "fnx" => {
                let Some((params, body)) = children.split_first() else {
                    return Err(CompileError::new(
                        span,
                        "`fnx` needs a parameter list: (fnx [a b] body...)",
                    ));
                };
                self.compile_closure(
                    FnSpec {
                        kind: ProtoKind::Function,
                        name: Symbol::intern("<anonymous>"),
                        params: Some(params),
                        body,
                        self_name: None,
                        is_async: has_flag(props, "async"),
                        sees_outer: true,
                    },
                    span,
                )?;
            }
            "fnxx" => {
                self.compile_closure(
                    FnSpec {
                        kind: ProtoKind::Function,
                        name: Symbol::intern("<anonymous>"),
                        params: None,
                        body: children,
                        self_name: None,
                        is_async: false,
                        sees_outer: true,
                    },
                    span,
                )?;
            }
            "->" => self.compile_block(None, children, span)?,
            "ns" => self.compile_ns(children, span)?,
            "class" => self.compile_class(children, span)?,
            ".fn" | ".ctor" | ".macro" => self.compile_method_def(head, children, span)?,
            "new" => {
                let Some((class, args)) = children.split_first() else {
                    return Err(CompileError::new(
                        span,
                        "`new` needs a class: (new Class args...)",
                    ));
                };
                self.compile_expr(class, false)?;
                if props.is_empty() && !super::expr::has_spread(args) {
                    let n = self.compile_items(args)?;
                    self.emit(Instr::New(n), span);
                } else {
                    let keys = self.compile_props(props)?;
                    let n = self.compile_items(args)?;
                    self.emit(Instr::NewNamed { keys, args: n }, span);
                }
            }
            "super" => self.compile_super(children, span)?,
            "match" => {
                let [pattern, value] = children else {
                    return Err(CompileError::new(
                        span,
                        "`match` takes a pattern and a value: (match [a b] value)",
                    ));
                };
                self.compile_expr(value, false)?;
                self.compile_binding_pattern(pattern)?;
                self.emit(Instr::Nil, span);
            }
            "range" => {
                let (start, end, step) = match children {
                    [a, b] => (a, b, None),
                    [a, b, s] => (a, b, Some(s)),
                    _ => {
                        return Err(CompileError::new(
                            span,
                            "`range` takes a start, an end and an optional step",
                        ))
                    }
                };
                self.compile_expr(start, false)?;
                self.compile_expr(end, false)?;
                match step {
                    Some(s) => self.compile_expr(s, false)?,
                    None => {
                        self.emit(Instr::Int(1), span);
                    }
                }
                self.emit(Instr::MakeRange, span);
            }
            "quote" => {
                let [x] = children else {
                    return Err(CompileError::new(span, "`quote` takes one form"));
                };
                self.emit_const(form_to_value(x), span);
            }
            "#Str" | "$" => {
                let n = self.compile_items(children)?;
                self.emit(Instr::Concat(n), span);
            }
            "$render" => self.compile_unary_data(Instr::Render, children, span)?,
            "$caller_eval" => self.compile_unary_data(Instr::CallerEval, children, span)?,
            "$caller_location" => {
                if !children.is_empty() {
                    return Err(CompileError::new(
                        span,
                        "`$caller_location` takes no arguments",
                    ));
                }
                self.emit(Instr::CallerLocation, span);
            }
            "eval" => {
                if children.is_empty() {
                    self.emit(Instr::Nil, span);
                }
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        self.emit(Instr::Pop, span);
                    }
                    self.compile_expr(c, false)?;
                    self.emit(Instr::Eval, span);
                }
            }
            "enum" => self.compile_enum(props, children, span)?,
            "@" => {
                self.emit_const(Value::symbol(Symbol::intern("@")), span);
                let n = self.compile_items(children)?;
                let keys = self.key_list(Vec::new());
                self.emit(Instr::MakeGene { keys, children: n }, span);
            }
            "$with" => {
                let Some((target, body)) = children.split_first() else {
                    return Err(CompileError::new(
                        span,
                        "`$with` needs a value: ($with v body...)",
                    ));
                };
                self.compile_expr(target, false)?;
                self.compile_block(None, body, span)?;
                self.emit(Instr::CallWithSelf(0), span);
            }
            "$tap" => self.compile_tap(children, span)?,
            "$set" => self.compile_set(children, span)?,
            "$if_main" => {
                // Runs only in the program's entry file: its namespace is
                // `global`, a module's is its own.
                let cond = Form::new(
                    FormKind::Gene {
                        head: Box::new(Form::new(FormKind::Symbol("$ns".into()), span)),
                        props: Vec::new(),
                        children: vec![
                            Form::new(FormKind::Symbol("==".into()), span),
                            Form::new(FormKind::Symbol("global".into()), span),
                        ],
                    },
                    span,
                );
                self.compile_expr(&cond, false)?;
                let skip = self.emit(Instr::JumpIfFalse(0), span);
                self.compile_scoped_body(children, span, false)?;
                let done = self.emit(Instr::Jump(0), span);
                self.patch_here(skip);
                self.set_depth(self.depth() - 1);
                self.emit(Instr::Nil, span);
                self.patch_here(done);
            }
            "import" => self.compile_import(props, children, span)?,
            "async" => self.compile_async(children, span)?,
            "await" => {
                let n = self.compile_items(children)?;
                self.emit(Instr::Await(n), span);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn compile_unary_data(&mut self, instr: Instr, children: &[Form], span: Span) -> CResult<()> {
        let [x] = children else {
            return Err(CompileError::new(
                span,
                "this form takes exactly one argument",
            ));
        };
        self.compile_expr(x, false)?;
        self.emit(instr, span);
        Ok(())
    }

    fn compile_var(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let Some((target, rest)) = children.split_first() else {
            return Err(CompileError::new(span, "`var` needs a name: (var x value)"));
        };
        let value = rest.first();
        let compile_value = |c: &mut Compiler| match value {
            Some(v) => c.compile_expr(v, false),
            None => {
                c.emit(Instr::Nil, span);
                Ok(())
            }
        };
        match &target.kind {
            FormKind::Symbol(name) => {
                compile_value(self)?;
                if self.declares_into_caller() {
                    self.emit(Instr::DefineEvalVar(Symbol::intern(name)), target.span);
                } else {
                    let b = self.declare(name);
                    self.emit_local(Instr::DeclareLocal, b, target.span);
                }
            }
            FormKind::ComplexSymbol(parts) => {
                let last = self.compile_path_target(parts, span)?;
                compile_value(self)?;
                self.emit_set_path_member(last, span);
            }
            FormKind::Array(_) => {
                compile_value(self)?;
                self.emit(Instr::Dup, span);
                self.compile_binding_pattern(target)?;
            }
            _ => {
                return Err(CompileError::new(
                    target.span,
                    "`var` needs a name, a path or a [pattern]",
                ))
            }
        }
        Ok(())
    }

    /// Whether a `var` here declares into the scope that called `eval`: at
    /// the top level of an `eval` unit (not inside a nested scope or function).
    fn declares_into_caller(&self) -> bool {
        self.fns.len() == 1
            && self.fr().scopes.len() == 1
            && self
                .eval_scope
                .as_ref()
                .is_some_and(|s| s.declare_into_caller)
    }

    /// `[v] →`: binds a `match`/`var` pattern to the value on the stack,
    /// declaring its names in the current scope.
    fn compile_binding_pattern(&mut self, pattern: &Form) -> CResult<()> {
        if let Some(name) = pattern.as_symbol() {
            let b = self.declare(name);
            self.emit_local(Instr::DeclareLocal, b, pattern.span);
            self.emit(Instr::Pop, pattern.span);
            return Ok(());
        }
        let index = self.fr().patterns.len();
        self.f().patterns.push(Pattern::default());
        let mut defaults = Vec::new();
        let compiled = self.build_pattern(pattern, Some(index), &mut defaults, false)?;
        self.f().patterns[index] = compiled;
        self.emit(Instr::Match(index as u32), pattern.span);
        self.compile_defaults(&defaults)?;
        Ok(())
    }

    /// Emits the code that fills in defaults of parameters left unbound.
    fn compile_defaults(&mut self, defaults: &[PendingDefault]) -> CResult<()> {
        for &(b, expr) in defaults {
            let slot = self.slot_of(b);
            let skip = self.emit(Instr::JumpIfBound { slot, target: 0 }, expr.span);
            self.compile_expr(expr, false)?;
            self.emit_local(Instr::StoreLocal, b, expr.span);
            self.emit(Instr::Pop, expr.span);
            self.patch_here(skip);
        }
        Ok(())
    }

    /// Turns a parameter list or pattern form into a [`Pattern`], declaring
    /// its names. `pattern_index` is None for a function's parameters.
    fn build_pattern<'a>(
        &mut self,
        form: &'a Form,
        pattern_index: Option<usize>,
        defaults: &mut Vec<PendingDefault<'a>>,
        is_params: bool,
    ) -> CResult<Pattern> {
        let items: &[Form] = match &form.kind {
            FormKind::Symbol(s) if s == "_" && is_params => &[],
            FormKind::Symbol(_) => std::slice::from_ref(form),
            FormKind::Array(items) => items,
            FormKind::Gene { children, .. } => children,
            _ => {
                return Err(CompileError::new(
                    form.span,
                    "a parameter list must be a name, `_` or [names...]",
                ))
            }
        };
        let mut pattern = Pattern::default();
        let mut i = 0;
        let mut rests = 0;
        let mut last_was_literal = true;
        while i < items.len() {
            let item = &items[i];
            let default = match items.get(i + 1) {
                Some(eq) if eq.is_symbol("=") => {
                    let expr = items.get(i + 2).ok_or_else(|| {
                        CompileError::new(eq.span, "`=` in a parameter list needs a default value")
                    })?;
                    i += 2;
                    Some(expr)
                }
                _ => None,
            };
            i += 1;
            let mut bind = |c: &mut Compiler, name: &str| -> usize {
                let b = c.declare(name);
                c.f().pattern_refs.push((pattern_index, b));
                if let Some(expr) = default {
                    defaults.push((b, expr));
                }
                b
            };
            let pat_item = match &item.kind {
                FormKind::Symbol(s) if s == "_" => PatItem::Skip,
                FormKind::Symbol(s) if s.starts_with('^') && s.len() > 1 => {
                    let key = &s[1..];
                    if let Some(base) = key.strip_suffix("...") {
                        let b = bind(self, base);
                        PatItem::NamedRest {
                            slot: self.slot_of(b),
                            cell: false,
                        }
                    } else {
                        let b = bind(self, key);
                        PatItem::Named {
                            key: Symbol::intern(key),
                            slot: self.slot_of(b),
                            default: default.is_some(),
                            cell: false,
                        }
                    }
                }
                FormKind::Symbol(s) if s.len() > 3 && s.ends_with("...") => {
                    if rests > 0 && !last_was_literal {
                        return Err(CompileError::new(
                            item.span,
                            "two rest items in one pattern level need a quoted literal between them",
                        ));
                    }
                    rests += 1;
                    let b = bind(self, &s[..s.len() - 3]);
                    PatItem::Rest {
                        slot: self.slot_of(b),
                        cell: false,
                    }
                }
                FormKind::Symbol(s) => {
                    let b = bind(self, s);
                    PatItem::Bind {
                        slot: self.slot_of(b),
                        default: default.is_some(),
                        cell: false,
                    }
                }
                FormKind::ComplexSymbol(parts)
                    if parts.len() == 2 && parts[0].is_empty() && default.is_some() =>
                {
                    // `/name = d`: bind like a parameter with a default, then
                    // set the property (`compile_self_prop_defaults`).
                    let b = bind(self, &format!("/{}", parts[1]));
                    self.f()
                        .self_prop_defaults
                        .push((b, Symbol::intern(&parts[1])));
                    PatItem::Bind {
                        slot: self.slot_of(b),
                        default: true,
                        cell: false,
                    }
                }
                FormKind::ComplexSymbol(parts) if parts.len() == 2 && parts[0].is_empty() => {
                    PatItem::SelfProp(Symbol::intern(&parts[1]))
                }
                FormKind::Array(_) => {
                    PatItem::Nested(self.build_pattern(item, pattern_index, defaults, false)?)
                }
                FormKind::Quote(q) => PatItem::Literal(form_to_value(q)),
                FormKind::Int(_)
                | FormKind::Str(_)
                | FormKind::Float(_)
                | FormKind::Bool(_)
                | FormKind::Nil
                | FormKind::Char(_) => PatItem::Literal(form_to_value(item)),
                _ => {
                    return Err(CompileError::new(
                        item.span,
                        "unexpected item in a parameter list or pattern",
                    ))
                }
            };
            last_was_literal = matches!(pat_item, PatItem::Literal(_));
            pattern.items.push(pat_item);
        }
        Ok(pattern)
    }

    /// Compiles a function-like Proto and emits `Closure` for it.
    pub(super) fn compile_closure(&mut self, spec: FnSpec, span: Span) -> CResult<()> {
        let file = self.fr().file;
        let mut state = FnState::new(spec.kind, spec.name, file);
        state.self_name = spec.self_name.clone();
        state.is_async = spec.is_async;
        state.sees_outer = spec.sees_outer;
        self.fns.push(state);
        let result = self.compile_fn_body(&spec, span);
        let mut state = self.fns.pop().expect("pushed above");
        result?;
        let proto = state.finish_in_place();
        let f = self.f();
        f.protos.push(proto);
        let index = (f.protos.len() - 1) as u32;
        self.emit(Instr::Closure(index), span);
        Ok(())
    }

    fn compile_fn_body(&mut self, spec: &FnSpec, span: Span) -> CResult<()> {
        let mut defaults = Vec::new();
        if let Some(params) = spec.params {
            let pattern = self.build_pattern(params, None, &mut defaults, true)?;
            self.f().params = pattern;
        }
        self.compile_defaults(&defaults)?;
        for (b, key) in std::mem::take(&mut self.f().self_prop_defaults) {
            self.emit(Instr::SelfValue, span);
            self.emit_local(Instr::LoadLocal, b, span);
            self.emit(Instr::SetMember(key), span);
            self.emit(Instr::Pop, span);
        }
        self.compile_body(spec.body, span, true)?;
        self.emit(Instr::Return, span);
        Ok(())
    }

    /// `(fn name params body...)`, `(macro name params body...)`.
    fn compile_fn(
        &mut self,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
        flavor: FnFlavor,
    ) -> CResult<()> {
        let [name, params, body @ ..] = children else {
            return Err(CompileError::new(
                span,
                "expected (fn name [params] body...)",
            ));
        };
        let (display_name, path) = match &name.kind {
            FormKind::Symbol(s) => (s.clone(), None),
            FormKind::Str(s) => (s.clone(), None),
            FormKind::ComplexSymbol(parts) => {
                (parts.last().cloned().unwrap_or_default(), Some(parts))
            }
            _ => {
                return Err(CompileError::new(
                    name.span,
                    "a function name must be a name, a string or a path",
                ))
            }
        };
        let spec = FnSpec {
            kind: if flavor == FnFlavor::Macro {
                ProtoKind::Macro
            } else {
                ProtoKind::Function
            },
            name: Symbol::intern(&display_name),
            params: Some(params),
            body,
            self_name: Some(display_name.clone()),
            is_async: has_flag(props, "async"),
            sees_outer: true,
        };
        match path {
            None => {
                self.compile_closure(spec, span)?;
                self.emit(Instr::DefineMember(Symbol::intern(&display_name)), span);
            }
            Some(parts) => {
                let last = self.compile_path_target(parts, span)?.to_string();
                self.compile_closure(spec, span)?;
                self.emit_set_path_member(&last, span);
            }
        }
        Ok(())
    }

    /// `(-> body...)`, `(x -> body...)`, `([a b] -> body...)`.
    pub(super) fn compile_block(
        &mut self,
        params: Option<&Form>,
        body: &[Form],
        span: Span,
    ) -> CResult<()> {
        self.compile_closure(
            FnSpec {
                kind: ProtoKind::Block,
                name: Symbol::intern("<block>"),
                params,
                body,
                self_name: None,
                is_async: false,
                sees_outer: true,
            },
            span,
        )
    }

    /// Defines `[v]` under `name` (a plain name or a path) in the current
    /// namespace: `[v] → [v]`.
    pub(super) fn define_named(
        &mut self,
        name: &Form,
        span: Span,
        make: impl FnOnce(&mut Compiler, Symbol) -> CResult<()>,
    ) -> CResult<()> {
        match &name.kind {
            FormKind::Symbol(s) => {
                let sym = Symbol::intern(s);
                make(self, sym)?;
                self.emit(Instr::DefineMember(sym), span);
            }
            FormKind::ComplexSymbol(parts) => {
                let last = self.compile_path_target(parts, span)?.to_string();
                make(self, Symbol::intern(&last))?;
                self.emit_set_path_member(&last, span);
            }
            _ => return Err(CompileError::new(name.span, "expected a name or a path")),
        }
        Ok(())
    }

    /// Runs `body` as a namespace or class body: `[target] → [target]`.
    pub(super) fn compile_body_proto(
        &mut self,
        name: Symbol,
        body: &[Form],
        span: Span,
    ) -> CResult<()> {
        let file = self.fr().file;
        let mut state = FnState::new(ProtoKind::Body, name, file);
        state.sees_outer = false;
        self.fns.push(state);
        let result = self.compile_body(body, span, false).map(|_| {
            self.emit(Instr::Return, span);
        });
        let mut state = self.fns.pop().expect("pushed above");
        result?;
        let proto = state.finish_in_place();
        let f = self.f();
        f.protos.push(proto);
        let index = (f.protos.len() - 1) as u32;
        self.emit(Instr::RunBody(index), span);
        Ok(())
    }

    /// `($set target selector value)`: with a selector written in place
    /// (`@k`, `(@ a b)`) the path is compiled to direct access, so no selector
    /// value is built; otherwise the selector is applied at run time.
    fn compile_set(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let [target, selector, value] = children else {
            return Err(CompileError::new(
                span,
                "`$set` takes a target, a selector and a value: ($set m @k v)",
            ));
        };
        let keys: Option<Vec<Form>> = match &selector.kind {
            FormKind::Gene {
                head,
                props,
                children,
            } if head.is_symbol("@") && props.is_empty() && !children.is_empty() => {
                Some(children.clone())
            }
            FormKind::Symbol(s) if s.len() > 1 && s.starts_with('@') => {
                Some(vec![selector_key_form(&s[1..], selector.span)])
            }
            FormKind::ComplexSymbol(parts) if parts[0].len() > 1 && parts[0].starts_with('@') => {
                Some(
                    std::iter::once(&parts[0][1..])
                        .chain(parts[1..].iter().map(|p| p.as_str()))
                        .map(|k| selector_key_form(k, selector.span))
                        .collect(),
                )
            }
            _ => None,
        };
        let Some(keys) = keys else {
            self.emit_load_name("gene", span);
            self.emit(Instr::GetMember(Symbol::intern("set")), span);
            for f in children {
                self.compile_expr(f, false)?;
            }
            self.emit(Instr::Call(3), span);
            return Ok(());
        };
        let (last, path) = keys.split_last().expect("checked non-empty above");
        self.compile_expr(target, false)?;
        for key in path {
            self.compile_expr(key, false)?;
            self.emit(Instr::Nil, span);
            self.emit(Instr::Select, span);
        }
        self.compile_expr(last, false)?;
        self.compile_expr(value, false)?;
        self.emit(Instr::SetKey, span);
        Ok(())
    }

    /// `($tap v body...)`, `($tap v :name body...)`: runs the body with
    /// `self` (and `name`) bound to v; evaluates to v.
    fn compile_tap(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let Some((target, rest)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`$tap` needs a value: ($tap v body...)",
            ));
        };
        let (name, body) = match rest.split_first() {
            Some((
                Form {
                    kind: FormKind::Quote(q),
                    ..
                },
                body,
            )) if q.as_symbol().is_some() => (q.as_symbol(), body),
            _ => (None, rest),
        };
        self.begin_scope();
        self.compile_expr(target, false)?;
        if let Some(name) = name {
            let b = self.declare(name);
            self.emit_local(Instr::DeclareLocal, b, span);
        }
        self.emit(Instr::Dup, span);
        self.compile_block(None, body, span)?;
        self.emit(Instr::CallWithSelf(0), span);
        self.emit(Instr::Pop, span);
        self.end_scope();
        Ok(())
    }

    /// `(async expr)`: a future completed with the value, or failed with
    /// the exception the expression threw.
    fn compile_async(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let d0 = self.depth();
        self.f().try_depth += 1;
        let start = self.pc() as u32;
        self.compile_scoped_body(children, span, false)?;
        let end = self.pc() as u32;
        self.f().try_depth -= 1;
        self.emit(Instr::MakeFuture { failed: false }, span);
        let done = self.emit(Instr::Jump(0), span);
        let target = self.pc() as u32;
        self.f().handlers.push(gene_core::bytecode::Handler {
            start,
            end,
            target,
            depth: d0,
        });
        self.set_depth(d0 + 1);
        self.emit(Instr::MakeFuture { failed: true }, span);
        self.patch_here(done);
        Ok(())
    }
}

/// A selector key written in a token (`@0`, `@name`) as a literal form.
fn selector_key_form(text: &str, span: Span) -> Form {
    match text.parse::<i64>() {
        Ok(i) => Form::new(FormKind::Int(i), span),
        Err(_) => Form::new(FormKind::Str(text.to_string()), span),
    }
}

/// Splits `name:alias` off the last part of an import path.
pub(super) fn split_alias(mut path: Vec<String>) -> (Vec<String>, String) {
    let last = path.pop().unwrap_or_default();
    let (name, alias) = match last.split_once(':') {
        Some((name, alias)) if !alias.is_empty() => (name.to_string(), alias.to_string()),
        _ => (last.clone(), last),
    };
    path.push(name);
    (path, alias)
}

pub(super) fn has_flag(props: &[(String, Form)], key: &str) -> bool {
    props
        .iter()
        .any(|(k, v)| k == key && matches!(v.kind, FormKind::Bool(true)))
}

pub(super) fn name_symbol(name: &Form) -> Symbol {
    match &name.kind {
        FormKind::Symbol(s) | FormKind::Str(s) => Symbol::intern(s),
        FormKind::ComplexSymbol(parts) => Symbol::intern(parts.last().map_or("", |s| s.as_str())),
        _ => Symbol::intern("<anonymous>"),
    }
}
