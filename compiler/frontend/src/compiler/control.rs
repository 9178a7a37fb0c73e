//! Special forms that steer control: `do`, `if`, `case`, the loops,
//! `break`/`continue`/`return`, `try`/`throw` (spec 03 §3.4–3.7, §3.14).

use super::{CResult, CompileError, Compiler, FinallyCtx, LoopCtx};
use gene_core::bytecode::{Handler, Instr, ProtoKind};
use gene_core::{heap, ErrorKind};
use gene_reader::{Form, Span};

/// One `cond body...` branch of an `if`.
struct Branch<'a> {
    cond: &'a Form,
    negate: bool,
    body: &'a [Form],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LoopExit {
    Break,
    Continue,
}

fn is_keyword(form: &Form) -> bool {
    matches!(form.as_symbol(), Some("then" | "else" | "elif"))
}

/// Splits `forms` at the first form satisfying `stop`.
fn split_until(forms: &[Form], stop: impl Fn(&Form) -> bool) -> (&[Form], &[Form]) {
    let i = forms.iter().position(stop).unwrap_or(forms.len());
    forms.split_at(i)
}

impl Compiler {
    /// Compiles special form `head`; returns false when `head` is not one
    /// (not listed as a form in `special::SPECIAL_WORDS`).
    pub(super) fn compile_special(
        &mut self,
        head: &str,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
        tail: bool,
    ) -> CResult<bool> {
        if !super::special::is_special_form(head) {
            return Ok(false);
        }
        match head {
            "do" => self.compile_scoped_body(children, span, tail)?,
            "void" => {
                self.compile_scoped_body(children, span, false)?;
                self.emit(Instr::Pop, span);
                self.emit(Instr::Nil, span);
            }
            "if" => self.compile_if(children, span, tail)?,
            "case" => self.compile_case(children, span, tail)?,
            "loop" => self.compile_loop(children, span)?,
            "while" => self.compile_while(children, span)?,
            "repeat" => self.compile_repeat(props, children, span)?,
            "for" => self.compile_for(children, span)?,
            "break" => self.compile_loop_exit(LoopExit::Break, children.first(), span)?,
            "continue" => self.compile_loop_exit(LoopExit::Continue, children.first(), span)?,
            "return" => self.compile_return(children.first(), span)?,
            "try" => self.compile_try(children, span)?,
            "throw" => self.compile_throw(children, span)?,
            _ => return self.compile_definition(head, props, children, span),
        }
        Ok(true)
    }

    /// Emits code raising `kind` with `message`; it "pushes" one value for
    /// the static depth, as the expression it stands for would.
    pub(super) fn emit_raise(&mut self, kind: ErrorKind, message: &str, span: Span) {
        let message = self.constant(heap::string(message));
        self.emit(Instr::Raise { kind, message }, span);
    }

    fn parse_if<'a>(
        &self,
        children: &'a [Form],
        span: Span,
    ) -> CResult<(Vec<Branch<'a>>, Option<&'a [Form]>)> {
        if let [c, a, b] = children {
            if !c.is_symbol("not") && !is_keyword(a) && !is_keyword(b) {
                return Ok((
                    vec![Branch {
                        cond: c,
                        negate: false,
                        body: std::slice::from_ref(a),
                    }],
                    Some(std::slice::from_ref(b)),
                ));
            }
        }
        let mut branches = Vec::new();
        let mut rest = children;
        loop {
            let (negate, cond, after) = match rest {
                [not, cond, after @ ..] if not.is_symbol("not") => (true, cond, after),
                [cond, after @ ..] => (false, cond, after),
                [] => {
                    return Err(CompileError::new(
                        span,
                        "`if` needs a condition: (if cond then-expr else else-expr)",
                    ))
                }
            };
            let after = match after.first() {
                Some(f) if f.is_symbol("then") => &after[1..],
                _ => after,
            };
            let (body, next) = split_until(after, |f| f.is_symbol("elif") || f.is_symbol("else"));
            branches.push(Branch { cond, negate, body });
            match next.first() {
                None => return Ok((branches, None)),
                Some(k) if k.is_symbol("else") => return Ok((branches, Some(&next[1..]))),
                Some(_) => rest = &next[1..],
            }
        }
    }

    fn compile_if(&mut self, children: &[Form], span: Span, tail: bool) -> CResult<()> {
        let (branches, else_body) = self.parse_if(children, span)?;
        let start = self.depth();
        let mut ends = Vec::new();
        for branch in branches {
            self.compile_expr(branch.cond, false)?;
            let skip = if branch.negate {
                self.emit(Instr::JumpIfTrue(0), span)
            } else {
                self.emit(Instr::JumpIfFalse(0), span)
            };
            self.compile_scoped_body(branch.body, span, tail)?;
            ends.push(self.emit(Instr::Jump(0), span));
            self.patch_here(skip);
            self.set_depth(start);
        }
        self.compile_else_and_join(else_body, ends, span, tail)
    }

    /// The `else` body of a conditional (nil without one), after which the
    /// jumps that end every taken branch land.
    fn compile_else_and_join(
        &mut self,
        else_body: Option<&[Form]>,
        ends: Vec<usize>,
        span: Span,
        tail: bool,
    ) -> CResult<()> {
        match else_body {
            Some(body) => self.compile_scoped_body(body, span, tail)?,
            None => {
                self.emit(Instr::Nil, span);
            }
        }
        for j in ends {
            self.patch_here(j);
        }
        Ok(())
    }

    fn compile_case(&mut self, children: &[Form], span: Span, tail: bool) -> CResult<()> {
        let Some((subject, mut rest)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`case` needs a value: (case x when v ... else ...)",
            ));
        };
        let start = self.depth();
        let tmp = self.hidden_slot();
        self.compile_expr(subject, false)?;
        self.emit(Instr::StoreLocal(tmp), span);
        self.emit(Instr::Pop, span);
        let mut ends = Vec::new();
        let mut else_body = None;
        while let Some((kw, after)) = rest.split_first() {
            if kw.is_symbol("else") {
                else_body = Some(after);
                break;
            }
            let (Some("when"), Some((value, after))) = (kw.as_symbol(), after.split_first()) else {
                return Err(CompileError::new(
                    kw.span,
                    "expected `when value body...` or `else body...` in `case`",
                ));
            };
            let (body, next) = split_until(after, |f| f.is_symbol("when") || f.is_symbol("else"));
            self.emit(Instr::LoadLocal(tmp), value.span);
            self.compile_expr(value, false)?;
            self.emit(Instr::CaseMatch, value.span);
            let skip = self.emit(Instr::JumpIfFalse(0), value.span);
            self.compile_scoped_body(body, span, tail)?;
            ends.push(self.emit(Instr::Jump(0), span));
            self.patch_here(skip);
            self.set_depth(start);
            rest = next;
        }
        self.compile_else_and_join(else_body, ends, span, tail)?;
        self.release_hidden_slots(tmp, 1);
        Ok(())
    }

    fn begin_loop(&mut self) {
        let depth = self.depth();
        let finally_depth = self.fr().finallies.len();
        self.f().loops.push(LoopCtx {
            depth,
            break_jumps: Vec::new(),
            continue_jumps: Vec::new(),
            finally_depth,
        });
    }

    /// Closes the innermost loop: normal exit yields nil, `break` jumps land
    /// after it with their value.
    fn end_loop(&mut self, continue_target: usize, span: Span) {
        let ctx = self.f().loops.pop().expect("end_loop follows begin_loop");
        for j in ctx.continue_jumps {
            self.patch(j, continue_target as u32);
        }
        self.set_depth(ctx.depth);
        self.emit(Instr::Nil, span);
        for j in ctx.break_jumps {
            self.patch_here(j);
        }
        self.set_depth(ctx.depth + 1);
    }

    /// The loop body: a fresh scope, its value dropped.
    fn compile_loop_body(&mut self, body: &[Form], span: Span) -> CResult<()> {
        self.compile_body(body, span, false)?;
        self.emit(Instr::Pop, span);
        Ok(())
    }

    fn compile_loop(&mut self, body: &[Form], span: Span) -> CResult<()> {
        self.begin_loop();
        let top = self.pc();
        self.begin_scope();
        self.compile_loop_body(body, span)?;
        self.end_scope();
        self.emit(Instr::Jump(top as u32), span);
        self.end_loop(top, span);
        Ok(())
    }

    fn compile_while(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let (negate, cond, body) = match children {
            [not, cond, body @ ..] if not.is_symbol("not") => (true, cond, body),
            [cond, body @ ..] => (false, cond, body),
            [] => {
                return Err(CompileError::new(
                    span,
                    "`while` needs a condition: (while cond body...)",
                ))
            }
        };
        self.begin_loop();
        let top = self.pc();
        self.compile_expr(cond, false)?;
        let exit = if negate {
            self.emit(Instr::JumpIfTrue(0), span)
        } else {
            self.emit(Instr::JumpIfFalse(0), span)
        };
        self.begin_scope();
        self.compile_loop_body(body, span)?;
        self.end_scope();
        self.emit(Instr::Jump(top as u32), span);
        let depth = self.fr().loops.last().map_or(0, |l| l.depth);
        self.patch_here(exit);
        self.set_depth(depth);
        self.end_loop(top, span);
        Ok(())
    }

    fn compile_repeat(
        &mut self,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
    ) -> CResult<()> {
        let Some((count, body)) = children.split_first() else {
            return Err(CompileError::new(
                span,
                "`repeat` needs a count: (repeat n body...)",
            ));
        };
        let name_of = |key: &str| -> CResult<Option<&str>> {
            match props.iter().find(|(k, _)| k == key) {
                None => Ok(None),
                Some((_, f)) => f.as_symbol().map(Some).ok_or_else(|| {
                    CompileError::new(f.span, format!("`^{key}` of `repeat` must be a name"))
                }),
            }
        };
        let index_name = name_of("index")?;
        let total_name = name_of("total")?;
        let n = self.hidden_slot();
        let i = self.hidden_slot();
        self.compile_expr(count, false)?;
        self.emit(Instr::StoreLocal(n), span);
        self.emit(Instr::Pop, span);
        self.emit(Instr::Int(0), span);
        self.emit(Instr::StoreLocal(i), span);
        self.emit(Instr::Pop, span);
        self.begin_loop();
        let top = self.pc();
        self.emit(Instr::LoadLocal(i), span);
        self.emit(Instr::LoadLocal(n), span);
        self.emit(Instr::Lt, span);
        let exit = self.emit(Instr::JumpIfFalse(0), span);
        self.begin_scope();
        for (name, slot) in [(index_name, i), (total_name, n)] {
            if let Some(name) = name {
                self.emit(Instr::LoadLocal(slot), span);
                let b = self.declare(name);
                self.emit_local(Instr::DeclareLocal, b, span);
                self.emit(Instr::Pop, span);
            }
        }
        self.compile_loop_body(body, span)?;
        self.end_scope();
        let step = self.pc();
        self.emit(Instr::LoadLocal(i), span);
        self.emit(Instr::AddInt(1), span);
        self.emit(Instr::StoreLocal(i), span);
        self.emit(Instr::Pop, span);
        self.emit(Instr::Jump(top as u32), span);
        let depth = self.fr().loops.last().map_or(0, |l| l.depth);
        self.patch_here(exit);
        self.set_depth(depth);
        self.end_loop(step, span);
        self.release_hidden_slots(n, 2);
        Ok(())
    }

    fn compile_for(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let [target, in_kw, coll, body @ ..] = children else {
            return Err(CompileError::new(
                span,
                "`for` needs a name and a collection: (for x in coll body...)",
            ));
        };
        if !in_kw.is_symbol("in") {
            return Err(CompileError::new(
                in_kw.span,
                "expected `in` after the loop variable: (for x in coll body...)",
            ));
        }
        let names: Vec<&str> = match &target.kind {
            gene_reader::FormKind::Symbol(s) => vec![s.as_str()],
            gene_reader::FormKind::Array(items) if items.len() == 2 => {
                let mut names = Vec::new();
                for item in items {
                    names.push(item.as_symbol().ok_or_else(|| {
                        CompileError::new(item.span, "loop variables must be names")
                    })?);
                }
                names
            }
            _ => {
                return Err(CompileError::new(
                    target.span,
                    "the loop variable must be a name or [key value]",
                ))
            }
        };
        let state = self.hidden_slot();
        self.hidden_slot();
        self.compile_expr(coll, false)?;
        self.emit(Instr::IterInit(state), span);
        self.begin_loop();
        let top = self.pc();
        let next = if names.len() == 2 {
            self.emit(
                Instr::IterNext2 {
                    slot: state,
                    exit: 0,
                },
                span,
            )
        } else {
            self.emit(
                Instr::IterNext {
                    slot: state,
                    exit: 0,
                },
                span,
            )
        };
        self.begin_scope();
        for name in names.iter().rev() {
            if *name != "_" {
                let b = self.declare(name);
                self.emit_local(Instr::DeclareLocal, b, target.span);
            }
            self.emit(Instr::Pop, target.span);
        }
        self.compile_loop_body(body, span)?;
        self.end_scope();
        self.emit(Instr::Jump(top as u32), span);
        let depth = self.fr().loops.last().map_or(0, |l| l.depth);
        self.patch_here(next);
        self.set_depth(depth);
        self.end_loop(top, span);
        self.release_hidden_slots(state, 2);
        Ok(())
    }

    /// Runs the `finally` bodies between here and `down_to` (innermost first)
    /// on the way out of them.
    fn inline_finallies(&mut self, down_to: usize) -> CResult<()> {
        let pending: Vec<FinallyCtx> = self.f().finallies.drain(down_to..).collect();
        for ctx in pending.iter().rev() {
            self.f().in_finally += 1;
            let r = self.compile_scoped_body(&ctx.body, ctx.span, false);
            self.f().in_finally -= 1;
            r?;
            self.emit(Instr::Pop, ctx.span);
        }
        self.f().finallies.extend(pending);
        Ok(())
    }

    /// `(break v)` leaves the innermost loop of this function with v;
    /// `(continue x)` evaluates x and goes to the loop's next iteration. Both
    /// run the `finally` bodies they leave and drop what the loop's
    /// expression had pushed; inside a `finally` body they are ignored.
    fn compile_loop_exit(
        &mut self,
        exit: LoopExit,
        value: Option<&Form>,
        span: Span,
    ) -> CResult<()> {
        if exit == LoopExit::Continue {
            if let Some(v) = value {
                self.compile_expr(v, false)?;
                self.emit(Instr::Pop, span);
            }
        }
        if self.fr().in_finally > 0 {
            self.emit(Instr::Nil, span);
            return Ok(());
        }
        let Some(ctx) = self.fr().loops.last() else {
            let word = if exit == LoopExit::Break {
                "break"
            } else {
                "continue"
            };
            let message = format!("{word} used outside of a loop");
            self.emit_raise(ErrorKind::ControlFlowError, &message, span);
            return Ok(());
        };
        let (loop_depth, finally_depth) = (ctx.depth, ctx.finally_depth);
        let start = self.depth();
        if exit == LoopExit::Break {
            match value {
                Some(v) => self.compile_expr(v, false)?,
                None => {
                    self.emit(Instr::Nil, span);
                }
            }
        }
        self.inline_finallies(finally_depth)?;
        let extra = start - loop_depth;
        if extra > 0 {
            let drop = if exit == LoopExit::Break {
                Instr::Slide(extra)
            } else {
                Instr::PopN(extra)
            };
            self.emit(drop, span);
        }
        let j = self.emit(Instr::Jump(0), span);
        if let Some(ctx) = self.f().loops.last_mut() {
            match exit {
                LoopExit::Break => ctx.break_jumps.push(j),
                LoopExit::Continue => ctx.continue_jumps.push(j),
            }
        }
        self.set_depth(start + 1);
        Ok(())
    }

    fn compile_return(&mut self, value: Option<&Form>, span: Span) -> CResult<()> {
        if self.fr().in_finally > 0 {
            self.emit(Instr::Nil, span);
            return Ok(());
        }
        if matches!(self.fr().kind, ProtoKind::TopLevel | ProtoKind::Body) {
            self.emit_raise(ErrorKind::ControlFlowError, "Return from top level", span);
            return Ok(());
        }
        let start = self.depth();
        match value {
            Some(v) => self.compile_expr(v, false)?,
            None => {
                self.emit(Instr::Nil, span);
            }
        }
        self.inline_finallies(0)?;
        self.emit(Instr::Return, span);
        self.set_depth(start + 1);
        Ok(())
    }

    fn compile_throw(&mut self, children: &[Form], span: Span) -> CResult<()> {
        match children {
            [] => match self.fr().ex_slots.last() {
                Some(&slot) => {
                    self.emit(Instr::LoadLocal(slot), span);
                }
                None => {
                    self.emit(Instr::Nil, span);
                }
            },
            [v] => self.compile_expr(v, false)?,
            [class, message, ..] => {
                self.compile_expr(class, false)?;
                self.compile_expr(message, false)?;
                self.emit(Instr::New(1), span);
            }
        }
        // Statically the form still yields a value, as any expression does.
        let depth = self.depth();
        self.emit(Instr::Throw, span);
        self.set_depth(depth);
        Ok(())
    }

    fn compile_try(&mut self, children: &[Form], span: Span) -> CResult<()> {
        let is_clause = |f: &Form| f.is_symbol("catch") || f.is_symbol("finally");
        let (body, mut rest) = split_until(children, is_clause);
        let mut catches: Vec<(&Form, &[Form])> = Vec::new();
        let mut finally: Option<&[Form]> = None;
        while let Some((kw, after)) = rest.split_first() {
            if kw.is_symbol("finally") {
                let (f, next) = split_until(after, is_clause);
                finally = Some(f);
                rest = next;
            } else {
                let Some((pattern, after)) = after.split_first() else {
                    return Err(CompileError::new(
                        kw.span,
                        "`catch` needs a class or `*`: catch ErrorClass body...",
                    ));
                };
                let (handler, next) = split_until(after, is_clause);
                catches.push((pattern, handler));
                rest = next;
            }
        }
        if catches.is_empty() && finally.is_none() {
            return Err(CompileError::new(
                span,
                "`try` needs at least one `catch` or a `finally`",
            ));
        }
        let d0 = self.depth();
        if let Some(f) = finally {
            self.f().finallies.push(FinallyCtx {
                body: f.to_vec(),
                span,
            });
        }
        // the protected body
        self.f().try_depth += 1;
        let start = self.pc() as u32;
        self.compile_scoped_body(body, span, false)?;
        let end = self.pc() as u32;
        self.f().try_depth -= 1;
        let mut done = Vec::new();
        let body_exit = self.emit(Instr::Jump(0), span);
        // the catch clauses
        let target = self.pc() as u32;
        self.f().handlers.push(Handler {
            start,
            end,
            target,
            depth: d0,
        });
        self.set_depth(d0 + 1);
        let ex = self.hidden_slot();
        self.emit(Instr::StoreLocal(ex), span);
        self.emit(Instr::Pop, span);
        self.f().ex_slots.push(ex);
        self.f().try_depth += 1;
        let catch_start = self.pc() as u32;
        for (pattern, handler) in catches {
            if pattern.is_symbol("*") {
                self.compile_scoped_body(handler, span, false)?;
                done.push(self.emit(Instr::Jump(0), span));
                self.set_depth(d0);
                continue;
            }
            self.emit(Instr::LoadLocal(ex), pattern.span);
            self.compile_expr(pattern, false)?;
            self.emit(Instr::IsA, pattern.span);
            let next = self.emit(Instr::JumpIfFalse(0), pattern.span);
            self.compile_scoped_body(handler, span, false)?;
            done.push(self.emit(Instr::Jump(0), span));
            self.patch_here(next);
            self.set_depth(d0);
        }
        self.emit(Instr::LoadLocal(ex), span);
        self.emit(Instr::Throw, span);
        let catch_end = self.pc() as u32;
        self.f().try_depth -= 1;
        self.f().ex_slots.pop();
        for j in done {
            self.patch_here(j);
        }
        self.patch_here(body_exit);
        self.set_depth(d0 + 1);
        if let Some(f) = finally {
            self.f().finallies.pop();
            self.f().handlers.push(Handler {
                start: catch_start,
                end: catch_end,
                target: 0,
                depth: d0,
            });
            let handler_index = self.fr().handlers.len() - 1;
            self.f().in_finally += 1;
            self.compile_scoped_body(f, span, false)?;
            self.emit(Instr::Pop, span);
            let exit = self.emit(Instr::Jump(0), span);
            // an exception escaping a catch clause: run finally, rethrow
            let rethrow = self.pc() as u32;
            self.f().handlers[handler_index].target = rethrow;
            self.set_depth(d0 + 1);
            self.emit(Instr::StoreLocal(ex), span);
            self.emit(Instr::Pop, span);
            self.compile_scoped_body(f, span, false)?;
            self.emit(Instr::Pop, span);
            self.emit(Instr::LoadLocal(ex), span);
            self.emit(Instr::Throw, span);
            self.f().in_finally -= 1;
            self.patch_here(exit);
            self.set_depth(d0 + 1);
        }
        self.release_hidden_slots(ex, 1);
        Ok(())
    }
}
