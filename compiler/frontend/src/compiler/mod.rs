//! The bytecode compiler: located forms to [`Proto`]s (spec 03, DESIGN §4).
//!
//! One [`FnState`] per Proto being compiled, stacked as functions nest.
//! Local variables are resolved here to frame slots; a variable that an
//! inner function captures is rewritten, once its function is finished, to
//! live in a heap cell (the `*Cell` instructions), so that closures share it
//! by reference. The operand-stack depth is tracked at every instruction so
//! that `break`, `continue` and exception handlers know how much to drop.
//!
//! Submodules: [`expr`] (dispatch of a gene form, operators, calls, paths),
//! [`control`] (conditionals, loops, exceptions), [`define`] (functions,
//! patterns, namespaces, classes).

mod classes;
mod control;
mod define;
mod expr;
mod modules;
mod special;

use gene_core::bytecode::{
    key_count, stack_effect, Capture, Handler, Instr, LocalName, NameCache, Pattern, Proto,
    ProtoKind,
};
use gene_core::{Symbol, Value};
use gene_reader::{Form, Span};
use std::cell::Cell;

/// A compile-time error, located in the source.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub message: String,
    pub span: Span,
}

impl CompileError {
    pub fn new(span: Span, message: impl Into<String>) -> CompileError {
        CompileError {
            message: message.into(),
            span,
        }
    }
}

pub type CResult<T> = Result<T, CompileError>;

/// Compiles a whole program (or module) to its top-level Proto.
pub fn compile_program(forms: &[Form], file: &str) -> CResult<&'static Proto> {
    let mut session = Session::new(file);
    session.compile(forms)
}

/// A sequence of compilations sharing one top-level scope: the REPL compiles
/// each input in the same session so that variables declared by earlier
/// inputs stay visible. The VM keeps the matching slots alive.
pub struct Session {
    file: &'static str,
    top: Option<FnState>,
}

impl Session {
    pub fn new(file: &str) -> Session {
        Session {
            file: Box::leak(file.to_string().into_boxed_str()),
            top: None,
        }
    }

    /// Compiles `forms` as the next unit of this session. The resulting
    /// Proto's value is the last form's value (nil when empty).
    pub fn compile(&mut self, forms: &[Form]) -> CResult<&'static Proto> {
        let mut top = self.top.take().unwrap_or_else(|| {
            FnState::new(ProtoKind::TopLevel, Symbol::intern("<main>"), self.file)
        });
        top.reset_code();
        let mut c = Compiler {
            fns: vec![top],
            eval_scope: None,
        };
        let result = c.compile_body(forms, Span::default(), false).map(|_| {
            c.emit(Instr::Return, Span::default());
        });
        let mut top = c.fns.pop().expect("the top-level state stays on the stack");
        match result {
            Ok(()) => {
                let proto = top.finish_in_place();
                self.top = Some(top);
                Ok(proto)
            }
            Err(e) => {
                top.scopes.truncate(1);
                self.top = Some(top);
                Err(e)
            }
        }
    }

    /// The number of slots the session's top-level frame needs.
    pub fn slot_count(&self) -> u32 {
        self.top.as_ref().map_or(0, |t| t.n_slots)
    }
}

/// A lexical binding of a local variable.
#[derive(Clone, Debug)]
struct Binding {
    name: String,
    slot: u32,
    captured: bool,
    /// The pcs where the binding is in scope (`end` set when its scope ends).
    start: u32,
    end: Option<u32>,
}

/// Where a name visible to `eval` lives in the frame `eval` runs for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outer {
    Slot(u32),
    Upvalue(u32),
}

/// The locals an `eval` unit may use, and whether its top-level `var`s
/// declare variables in the calling scope (`eval`, `$caller_eval`) or stay
/// local to the unit (`$render`'s unquotes).
#[derive(Clone, Debug, Default)]
pub struct EvalScope {
    pub names: Vec<(String, Outer)>,
    pub declare_into_caller: bool,
}

/// Compiles data evaluated by `eval` as a unit that can use the locals of the
/// frame it runs for.
pub fn compile_eval(forms: &[Form], file: &str, scope: EvalScope) -> CResult<&'static Proto> {
    let file: &'static str = Box::leak(file.to_string().into_boxed_str());
    let top = FnState::new(ProtoKind::TopLevel, Symbol::intern("<eval>"), file);
    let mut c = Compiler {
        fns: vec![top],
        eval_scope: Some(scope),
    };
    c.compile_body(forms, Span::default(), false)?;
    c.emit(Instr::Return, Span::default());
    let mut top = c.fns.pop().expect("the top-level state stays on the stack");
    Ok(top.finish_in_place())
}

#[derive(Default)]
struct Scope {
    /// Indices into `FnState::bindings`, in declaration order.
    bindings: Vec<usize>,
    /// The first slot this scope allocated (slots are reused after it ends).
    first_slot: u32,
}

/// Where `break` and `continue` go for the innermost loop.
struct LoopCtx {
    /// Operand-stack depth when the loop started.
    depth: u32,
    break_jumps: Vec<usize>,
    continue_jumps: Vec<usize>,
    /// How many enclosing `finally` bodies belong to code inside this loop.
    finally_depth: usize,
}

/// A `finally` body that `return`, `break` and `continue` must run on the
/// way out of its `try`.
struct FinallyCtx {
    body: Vec<Form>,
    span: Span,
}

/// The state of one Proto under compilation.
struct FnState {
    kind: ProtoKind,
    name: Symbol,
    file: &'static str,
    code: Vec<Instr>,
    lines: Vec<u32>,
    cols: Vec<u32>,
    consts: Vec<Value>,
    key_lists: Vec<Box<[Symbol]>>,
    protos: Vec<&'static Proto>,
    params: Pattern,
    patterns: Vec<Pattern>,
    bindings: Vec<Binding>,
    scopes: Vec<Scope>,
    /// (pc, binding) of every instruction addressing a local, so captured
    /// locals can be rewritten to cells when the function is finished.
    local_refs: Vec<(usize, usize)>,
    /// Where each pattern item binding lives: (pattern index or None for
    /// params, binding) to set the `cell` flags.
    pattern_refs: Vec<(Option<usize>, usize)>,
    next_slot: u32,
    n_slots: u32,
    captures: Vec<Capture>,
    /// For each capture, the (depth-independent) identity of what it
    /// captures: the binding in the parent, or the parent's upvalue.
    capture_keys: Vec<(bool, usize)>,
    capture_names: Vec<String>,
    depth: u32,
    /// The last pc a jump lands on (no instruction fusion across it).
    label: usize,
    loops: Vec<LoopCtx>,
    finallies: Vec<FinallyCtx>,
    /// Slot holding the exception of each enclosing `catch` (for `$ex`).
    ex_slots: Vec<u32>,
    /// `/name = default` parameters: the hidden binding the argument (or
    /// the default) lands in, and the property of self it then sets.
    self_prop_defaults: Vec<(usize, Symbol)>,
    handlers: Vec<Handler>,
    /// How many `try` bodies enclose the code being compiled (no tail
    /// calls from inside one).
    try_depth: u32,
    /// How many `finally` bodies enclose the code being compiled (`return`,
    /// `break` and `continue` are ignored there).
    in_finally: u32,
    name_caches: u32,
    is_async: bool,
    /// Whether the body reads `$args` (the VM then keeps the arguments).
    uses_args: bool,
    /// The name of the function being compiled, for self tail calls.
    self_name: Option<String>,
    /// Whether enclosing functions' locals are visible (false for namespace
    /// and class bodies, which run in a fresh scope).
    sees_outer: bool,
}

impl FnState {
    fn new(kind: ProtoKind, name: Symbol, file: &'static str) -> FnState {
        FnState {
            kind,
            name,
            file,
            code: Vec::new(),
            lines: Vec::new(),
            cols: Vec::new(),
            consts: Vec::new(),
            key_lists: Vec::new(),
            protos: Vec::new(),
            params: Pattern::default(),
            patterns: Vec::new(),
            bindings: Vec::new(),
            scopes: vec![Scope::default()],
            local_refs: Vec::new(),
            pattern_refs: Vec::new(),
            next_slot: 0,
            n_slots: 0,
            captures: Vec::new(),
            capture_keys: Vec::new(),
            capture_names: Vec::new(),
            depth: 0,
            label: 0,
            loops: Vec::new(),
            finallies: Vec::new(),
            ex_slots: Vec::new(),
            self_prop_defaults: Vec::new(),
            handlers: Vec::new(),
            try_depth: 0,
            in_finally: 0,
            name_caches: 0,
            is_async: false,
            uses_args: false,
            self_name: None,
            sees_outer: true,
        }
    }

    /// Clears the code of a session's previous unit, keeping its bindings.
    fn reset_code(&mut self) {
        self.code.clear();
        self.lines.clear();
        self.cols.clear();
        self.consts.clear();
        self.key_lists.clear();
        self.protos.clear();
        self.patterns.clear();
        self.local_refs.clear();
        self.pattern_refs.clear();
        self.handlers.clear();
        for b in &mut self.bindings {
            b.start = 0;
        }
        self.name_caches = 0;
        self.depth = 0;
        self.label = 0;
    }

    /// Rewrites captured locals to cells and builds the Proto, leaving the
    /// bindings in place (for sessions).
    fn finish_in_place(&mut self) -> &'static Proto {
        for &(pc, b) in &self.local_refs {
            if !self.bindings[b].captured {
                continue;
            }
            self.code[pc] = match self.code[pc] {
                Instr::LoadLocal(s) => Instr::LoadCell(s),
                Instr::StoreLocal(s) => Instr::StoreCell(s),
                Instr::DeclareLocal(s) => Instr::DeclareCell(s),
                other => other,
            };
        }
        for &(pattern, b) in &self.pattern_refs {
            if !self.bindings[b].captured {
                continue;
            }
            let slot = self.bindings[b].slot;
            let target = match pattern {
                None => &mut self.params,
                Some(i) => &mut self.patterns[i],
            };
            mark_cell(target, slot);
        }
        let end = self.code.len() as u32;
        let local_names = self
            .bindings
            .iter()
            .map(|b| LocalName {
                name: Symbol::intern(&b.name),
                slot: b.slot,
                start: b.start,
                end: b.end.unwrap_or(end),
            })
            .collect();
        let proto = Proto {
            name: self.name,
            kind: self.kind,
            file: self.file,
            code: std::mem::take(&mut self.code),
            lines: std::mem::take(&mut self.lines),
            cols: std::mem::take(&mut self.cols),
            consts: std::mem::take(&mut self.consts),
            key_lists: std::mem::take(&mut self.key_lists),
            protos: std::mem::take(&mut self.protos),
            params: self.params.clone(),
            patterns: std::mem::take(&mut self.patterns),
            n_slots: self.n_slots,
            captures: self.captures.clone(),
            upvalue_names: self
                .capture_names
                .iter()
                .map(|n| Symbol::intern(n))
                .collect(),
            local_names,
            handlers: std::mem::take(&mut self.handlers),
            is_async: self.is_async,
            fast_arity: fast_arity(&self.params).filter(|_| !self.uses_args),
            uses_args: self.uses_args,
            name_caches: (0..self.name_caches)
                .map(|_| Cell::new(NameCache::default()))
                .collect(),
            prop_hints: gene_core::bytecode::prop_hints(end as usize),
            native: Cell::new(None),
        };
        proto.leak()
    }
}

/// `Some(n)` when the parameters are n plain positional names, none
/// captured and none with a default: the VM's fast calling path.
fn fast_arity(params: &Pattern) -> Option<u32> {
    use gene_core::bytecode::PatItem;
    let plain = params.items.iter().all(|item| {
        matches!(
            item,
            PatItem::Bind {
                default: false,
                cell: false,
                ..
            }
        )
    });
    plain.then_some(params.items.len() as u32)
}

fn mark_cell(pattern: &mut Pattern, target: u32) {
    use gene_core::bytecode::PatItem;
    for item in &mut pattern.items {
        match item {
            PatItem::Bind { slot, cell, .. }
            | PatItem::Rest { slot, cell }
            | PatItem::Named { slot, cell, .. }
            | PatItem::NamedRest { slot, cell } => {
                if *slot == target {
                    *cell = true;
                }
            }
            PatItem::Nested(p) => mark_cell(p, target),
            PatItem::Literal(_) | PatItem::Skip | PatItem::SelfProp(_) => {}
        }
    }
}

/// How a name resolves at compile time.
enum Resolved {
    Local(usize),
    Upvalue(u32),
    /// A local of the frame an `eval` unit runs for.
    Outer(Outer),
    Global,
}

pub(crate) struct Compiler {
    fns: Vec<FnState>,
    /// Set when compiling code for `eval`.
    eval_scope: Option<EvalScope>,
}

impl Compiler {
    fn f(&mut self) -> &mut FnState {
        self.fns
            .last_mut()
            .expect("a function is always being compiled")
    }

    fn fr(&self) -> &FnState {
        self.fns
            .last()
            .expect("a function is always being compiled")
    }

    /// Appends `instr`, tracking the operand-stack depth; returns its pc.
    /// An int literal followed by `+`, `-` or `<` fuses into one
    /// instruction, unless a jump lands between them.
    fn emit(&mut self, instr: Instr, span: Span) -> usize {
        let f = self.f();
        if let (Some(&Instr::Int(k)), true) = (f.code.last(), f.code.len() > f.label) {
            let fused = match instr {
                Instr::Add => Some(Instr::AddInt(k)),
                Instr::Sub => Some(Instr::SubInt(k)),
                Instr::Lt => Some(Instr::LtInt(k)),
                _ => None,
            };
            if let Some(fused) = fused {
                let pc = f.code.len() - 1;
                f.code[pc] = fused;
                f.depth = f.depth.saturating_sub(1);
                return pc;
            }
        }
        let (pops, pushes) = stack_effect(&instr, &|k| key_count(&f.key_lists, k));
        f.depth = f.depth.saturating_sub(pops) + pushes;
        f.code.push(instr);
        f.lines.push(span.line);
        f.cols.push(span.col);
        f.code.len() - 1
    }

    fn pc(&self) -> usize {
        self.fr().code.len()
    }

    fn depth(&self) -> u32 {
        self.fr().depth
    }

    fn set_depth(&mut self, depth: u32) {
        self.f().depth = depth;
    }

    /// Points the jump at `at` to the current pc.
    fn patch_here(&mut self, at: usize) {
        let here = self.pc() as u32;
        self.f().label = here as usize;
        self.patch(at, here);
    }

    fn patch(&mut self, at: usize, target: u32) {
        let f = self.f();
        f.code[at] = f.code[at].with_jump_target(target);
    }

    fn constant(&mut self, v: Value) -> u32 {
        let f = self.f();
        f.consts.push(v);
        (f.consts.len() - 1) as u32
    }

    fn key_list(&mut self, keys: Vec<Symbol>) -> u32 {
        let f = self.f();
        f.key_lists.push(keys.into_boxed_slice());
        (f.key_lists.len() - 1) as u32
    }

    fn emit_const(&mut self, v: Value, span: Span) {
        let i = self.constant(v);
        self.emit(Instr::Const(i), span);
    }

    // ----- scopes and slots -----

    fn begin_scope(&mut self) {
        let f = self.f();
        let first_slot = f.next_slot;
        f.scopes.push(Scope {
            bindings: Vec::new(),
            first_slot,
        });
    }

    fn end_scope(&mut self) {
        let f = self.f();
        if let Some(scope) = f.scopes.pop() {
            let end = f.code.len() as u32;
            for &b in &scope.bindings {
                f.bindings[b].end = Some(end);
            }
            // A captured slot may still be referenced by a closure's cell, but
            // the cell itself is what the closure holds, so the slot is free.
            f.next_slot = scope.first_slot;
        }
    }

    /// A fresh slot not bound to any name (loop state, `$ex`).
    fn hidden_slot(&mut self) -> u32 {
        let f = self.f();
        let s = f.next_slot;
        f.next_slot += 1;
        f.n_slots = f.n_slots.max(f.next_slot);
        s
    }

    /// Gives back the `count` hidden slots from `first` once the construct
    /// that took them is compiled, unless a binding was declared above
    /// them meanwhile. Without this every `case`, loop, chained comparison
    /// and `try` kept a slot for the rest of its function, and a long top
    /// level had thousands of slots (and native code quadratic in them).
    fn release_hidden_slots(&mut self, first: u32, count: u32) {
        let f = self.f();
        if f.next_slot == first + count {
            f.next_slot = first;
        }
    }

    /// Declares `name` in the innermost scope; returns the binding index.
    fn declare(&mut self, name: &str) -> usize {
        let slot = self.hidden_slot();
        let f = self.f();
        let start = f.code.len() as u32;
        f.bindings.push(Binding {
            name: name.to_string(),
            slot,
            captured: false,
            start,
            end: None,
        });
        let b = f.bindings.len() - 1;
        if let Some(scope) = f.scopes.last_mut() {
            scope.bindings.push(b);
        }
        b
    }

    fn slot_of(&self, b: usize) -> u32 {
        self.fr().bindings[b].slot
    }

    /// Emits an instruction addressing local binding `b`.
    fn emit_local(&mut self, make: fn(u32) -> Instr, b: usize, span: Span) {
        let slot = self.slot_of(b);
        let pc = self.emit(make(slot), span);
        self.f().local_refs.push((pc, b));
    }

    fn find_local(f: &FnState, name: &str) -> Option<usize> {
        for scope in f.scopes.iter().rev() {
            for &b in scope.bindings.iter().rev() {
                if f.bindings[b].name == name {
                    return Some(b);
                }
            }
        }
        None
    }

    fn resolve(&mut self, name: &str) -> Resolved {
        let top = self.fns.len() - 1;
        if let Some(b) = Self::find_local(&self.fns[top], name) {
            return Resolved::Local(b);
        }
        if let Some(i) = self.resolve_upvalue(top, name) {
            return Resolved::Upvalue(i);
        }
        if top == 0 {
            if let Some(scope) = &self.eval_scope {
                if let Some((_, outer)) = scope.names.iter().rev().find(|(n, _)| n == name) {
                    return Resolved::Outer(*outer);
                }
            }
        }
        Resolved::Global
    }

    /// Finds `name` in the functions enclosing `fn_index`, threading the
    /// capture through every function in between.
    fn resolve_upvalue(&mut self, fn_index: usize, name: &str) -> Option<u32> {
        if fn_index == 0 || !self.fns[fn_index].sees_outer {
            return None;
        }
        let parent = fn_index - 1;
        let key = if let Some(b) = Self::find_local(&self.fns[parent], name) {
            self.fns[parent].bindings[b].captured = true;
            (true, b)
        } else {
            let up = self.resolve_upvalue(parent, name)?;
            (false, up as usize)
        };
        let f = &mut self.fns[fn_index];
        if let Some(i) = f.capture_keys.iter().position(|k| *k == key) {
            return Some(i as u32);
        }
        let capture = if key.0 {
            Capture::Local(self.fns[parent].bindings[key.1].slot)
        } else {
            Capture::Upvalue(key.1 as u32)
        };
        let f = &mut self.fns[fn_index];
        f.captures.push(capture);
        f.capture_keys.push(key);
        f.capture_names.push(name.to_string());
        Some((f.captures.len() - 1) as u32)
    }

    fn name_cache(&mut self) -> u32 {
        let f = self.f();
        f.name_caches += 1;
        f.name_caches - 1
    }

    /// Compiles a body: a sequence of forms in its own scope whose value is
    /// the last form's value (nil when empty).
    fn compile_scoped_body(&mut self, forms: &[Form], span: Span, tail: bool) -> CResult<()> {
        self.begin_scope();
        let r = self.compile_body(forms, span, tail);
        self.end_scope();
        r
    }

    /// Compiles a sequence in the current scope; leaves one value.
    fn compile_body(&mut self, forms: &[Form], span: Span, tail: bool) -> CResult<()> {
        if forms.is_empty() {
            self.emit(Instr::Nil, span);
            return Ok(());
        }
        for (i, form) in forms.iter().enumerate() {
            let last = i + 1 == forms.len();
            self.compile_expr(form, tail && last)?;
            if !last {
                self.emit(Instr::Pop, form.span);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(src: &str) -> &'static Proto {
        let forms = gene_reader::read_all(src).expect("test source reads");
        compile_program(&forms, "test.gene").expect("test source compiles")
    }

    fn compile_err(src: &str) -> CompileError {
        let forms = gene_reader::read_all(src).expect("test source reads");
        compile_program(&forms, "test.gene").expect_err("test source must not compile")
    }

    #[test]
    fn captured_locals_live_in_cells_and_others_in_slots() {
        let main = compile("(var a 1) (var b 2) (fnx [] a) b");
        assert!(
            main.code.contains(&Instr::DeclareCell(0)),
            "{:?}",
            main.code
        );
        assert!(
            main.code.contains(&Instr::DeclareLocal(1)),
            "{:?}",
            main.code
        );
        assert!(main.code.contains(&Instr::LoadLocal(1)));
        let inner = main.protos[0];
        assert_eq!(inner.captures, vec![Capture::Local(0)]);
        assert!(inner.code.contains(&Instr::LoadUpvalue(0)));
    }

    #[test]
    fn captures_thread_through_intermediate_functions() {
        let main = compile("(var x 1) (fnx [] (fnx [] x))");
        let middle = main.protos[0];
        let inner = middle.protos[0];
        assert_eq!(middle.captures, vec![Capture::Local(0)]);
        assert_eq!(inner.captures, vec![Capture::Upvalue(0)]);
    }

    #[test]
    fn infix_chains_follow_precedence() {
        let main = compile("(var a 1) (var b 2) (var c 3) (a + b * c)");
        let ops: Vec<Instr> = main
            .code
            .iter()
            .copied()
            .filter(|i| matches!(i, Instr::Add | Instr::Mul))
            .collect();
        assert_eq!(ops, vec![Instr::Mul, Instr::Add]);
    }

    #[test]
    fn self_calls_in_tail_position_reuse_the_frame() {
        let main = compile("(fn f [n] (if (n == 0) 0 else (f (n - 1))))");
        assert!(main.protos[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::TailCall(1))));
        let guarded = compile("(fn g [n] (try (g n) catch * 0))");
        assert!(!guarded.protos[0]
            .code
            .iter()
            .any(|i| matches!(i, Instr::TailCall(_))));
    }

    #[test]
    fn int_literals_fuse_with_add_and_compare_but_not_across_jumps() {
        let main = compile("(var n 1) (n + 1) (n < 2)");
        assert!(main.code.contains(&Instr::AddInt(1)));
        assert!(main.code.contains(&Instr::LtInt(2)));
        let branchy = compile("(var n 1) (n < (if n 1 else 2))");
        assert!(branchy.code.contains(&Instr::Lt), "{:?}", branchy.code);
    }

    #[test]
    fn every_statement_leaves_the_stack_balanced() {
        let src = "(var xs [1 2 3]) (for x in xs (if (x > 1) (break x))) \
                   (try (throw 1) catch * 2 finally 3) (while false 1) (xs/0 += 1)";
        let forms = gene_reader::read_all(src).expect("reads");
        let mut c = Compiler {
            fns: vec![FnState::new(ProtoKind::TopLevel, Symbol::intern("t"), "t")],
            eval_scope: None,
        };
        for form in &forms {
            c.compile_expr(form, false).expect("compiles");
            assert_eq!(c.depth(), 1, "after {form:?}");
            c.emit(Instr::Pop, form.span);
        }
    }

    #[test]
    fn compile_errors_are_located_and_say_what_to_write() {
        let e = compile_err("\n  (if)");
        assert_eq!((e.span.line, e.span.col), (2, 3));
        assert!(e.message.contains("condition"), "{}", e.message);
        let e = compile_err("(var x 1)\n(x = )");
        assert_eq!(e.span.line, 2);
        let e = compile_err("(1 + 2 3)");
        assert!(e.message.contains("infix"), "{}", e.message);
    }

    #[test]
    fn session_units_share_top_level_slots() {
        let mut session = Session::new("<repl>");
        let read = |s: &str| gene_reader::read_all(s).expect("reads");
        session.compile(&read("(var a 1)")).expect("compiles");
        let second = session.compile(&read("a")).expect("compiles");
        assert_eq!(second.code[0], Instr::LoadLocal(0));
        assert_eq!(session.slot_count(), 1);
    }
}
