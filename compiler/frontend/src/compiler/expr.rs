//! Expressions: literals, names, paths, collections, the dispatch of a gene
//! form (spec 03 §3.2), operators and calls.

use super::{CResult, CompileError, Compiler, Outer, Resolved};
use crate::quote::{form_to_value, literal_value, LITERAL_HEAD};
use gene_core::bytecode::Instr;
use gene_core::{heap, ErrorKind, Symbol, Value};
use gene_reader::{Form, FormKind, Span};

const ASSIGN_OPS: &[&str] = &["=", "+=", "-=", "*=", "/=", "%=", "**=", "&&=", "||="];

/// Binary operators usable in infix position, with their precedence.
fn infix_precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "<" | "<=" | ">" | ">=" | "==" | "!=" | "=~" | "!~" => 3,
        "+" | "-" => 4,
        "*" | "/" | "%" | "//" => 5,
        "**" => 6,
        _ => return None,
    })
}

fn binary_instr(op: &str) -> Option<Instr> {
    Some(match op {
        "+" => Instr::Add,
        "-" => Instr::Sub,
        "*" => Instr::Mul,
        "/" => Instr::Div,
        "%" => Instr::Mod,
        "//" => Instr::FloorDiv,
        "**" => Instr::Pow,
        "<" => Instr::Lt,
        "<=" => Instr::Le,
        ">" => Instr::Gt,
        ">=" => Instr::Ge,
        "==" => Instr::Eq,
        "!=" => Instr::Ne,
        _ => return None,
    })
}

/// An infix chain parsed by precedence.
enum Infix<'a> {
    Leaf(&'a Form),
    Binary(&'a str, Box<Infix<'a>>, Box<Infix<'a>>, Span),
    /// `a < b <= c`: the conjunction, each operand evaluated once.
    Comparisons(Vec<&'a str>, Vec<Infix<'a>>, Span),
}

struct InfixParser<'a> {
    items: &'a [&'a Form],
    pos: usize,
}

impl<'a> InfixParser<'a> {
    fn op(&self) -> Option<(&'a str, Span)> {
        self.items
            .get(self.pos)
            .and_then(|f| f.as_symbol().map(|s| (s, f.span)))
    }

    fn operand(&mut self) -> CResult<Infix<'a>> {
        match self.items.get(self.pos) {
            Some(f) => {
                self.pos += 1;
                Ok(Infix::Leaf(f))
            }
            None => {
                let span = self.items.last().map(|f| f.span).unwrap_or_default();
                Err(CompileError::new(
                    span,
                    "operator is missing its right operand",
                ))
            }
        }
    }

    fn parse(&mut self, level: u8) -> CResult<Infix<'a>> {
        if level > 6 {
            return self.operand();
        }
        if level == 6 {
            let lhs = self.operand()?;
            if let Some(("**", span)) = self.op() {
                self.pos += 1;
                let rhs = self.parse(6)?;
                return Ok(Infix::Binary("**", Box::new(lhs), Box::new(rhs), span));
            }
            return Ok(lhs);
        }
        let mut lhs = self.parse(level + 1)?;
        if level == 3 {
            let mut ops = Vec::new();
            let mut operands = vec![lhs];
            let mut first_span = Span::default();
            while let Some((op, span)) = self.op() {
                if infix_precedence(op) != Some(3) {
                    break;
                }
                if ops.is_empty() {
                    first_span = span;
                }
                self.pos += 1;
                ops.push(op);
                operands.push(self.parse(4)?);
            }
            return Ok(match ops.len() {
                0 => operands.remove(0),
                1 => {
                    let rhs = operands.pop().expect("two operands");
                    let lhs = operands.pop().expect("two operands");
                    Infix::Binary(ops[0], Box::new(lhs), Box::new(rhs), first_span)
                }
                _ if ops.iter().any(|op| matches!(*op, "=~" | "!~")) => {
                    return Err(CompileError::new(
                        first_span,
                        "`=~` and `!~` do not chain with comparisons: parenthesize, as in ((s =~ re) == nil)",
                    ))
                }
                _ => Infix::Comparisons(ops, operands, first_span),
            });
        }
        while let Some((op, span)) = self.op() {
            if infix_precedence(op) != Some(level) {
                break;
            }
            self.pos += 1;
            let rhs = self.parse(level + 1)?;
            lhs = Infix::Binary(op, Box::new(lhs), Box::new(rhs), span);
        }
        Ok(lhs)
    }
}

/// Whether any argument is spread (`xs...` or `(... xs)`): such calls take
/// the general calling path, which splices.
pub(super) fn has_spread(args: &[Form]) -> bool {
    args.iter().any(|a| {
        is_spread_symbol(a).is_some()
            || matches!(&a.kind, FormKind::Gene { head, .. } if head.is_symbol("..."))
    })
}

pub(super) fn is_spread_symbol(form: &Form) -> Option<&str> {
    match form.as_symbol() {
        Some(s) if s.len() > 3 && s.ends_with("...") => Some(&s[..s.len() - 3]),
        _ => None,
    }
}

/// The selector operator: `./` alone (`Some(None)`) or with its key in the
/// same token, `./a` (`Some(Some("a"))`). The reader splits `./a` on `/`.
fn selector_op(form: &Form) -> Option<Option<&str>> {
    match &form.kind {
        FormKind::Symbol(s) if s == "./" => Some(None),
        FormKind::ComplexSymbol(parts) if parts.len() == 2 && parts[0] == "." => {
            Some((!parts[1].is_empty()).then_some(parts[1].as_str()))
        }
        _ => None,
    }
}

/// A selector key written in a token: an int when it reads as one.
fn selector_key(text: &str) -> Value {
    match text.parse::<i64>() {
        Ok(i) => Value::int(i),
        Err(_) => heap::string(text),
    }
}

/// The selector `(@ key...)` as a value.
fn selector_value(keys: &[&str]) -> Value {
    let keys = keys.iter().map(|k| selector_key(k)).collect();
    crate::quote::gene(
        Value::symbol(Symbol::intern("@")),
        gene_core::object::prop_map(),
        keys,
    )
}

fn is_method_symbol(form: &Form) -> Option<&str> {
    match form.as_symbol() {
        Some(s) if s.len() > 1 && s.starts_with('.') && !s.starts_with("..") => {
            if s.starts_with("./") {
                None
            } else {
                Some(&s[1..])
            }
        }
        _ => None,
    }
}

impl Compiler {
    /// Compiles `form` to code that leaves its value on the stack.
    pub(crate) fn compile_expr(&mut self, form: &Form, tail: bool) -> CResult<()> {
        let span = form.span;
        match &form.kind {
            FormKind::Nil => {
                self.emit(Instr::Nil, span);
            }
            FormKind::Bool(true) => {
                self.emit(Instr::True, span);
            }
            FormKind::Bool(false) => {
                self.emit(Instr::False, span);
            }
            FormKind::Int(i) => match i32::try_from(*i) {
                Ok(small) => {
                    self.emit(Instr::Int(small), span);
                }
                Err(_) => self.emit_const(Value::int(*i), span),
            },
            FormKind::Float(f) => self.emit_const(Value::float(*f), span),
            FormKind::Char(c) => self.emit_const(Value::char(*c), span),
            FormKind::Str(s) => self.emit_const(heap::string(s.as_str()), span),
            FormKind::Regex { .. } => self.emit_const(form_to_value(form), span),
            FormKind::Symbol(name) => self.compile_symbol(name, span)?,
            FormKind::ComplexSymbol(parts) => self.compile_path(parts, span)?,
            FormKind::Array(items) => {
                let n = self.compile_items(items)?;
                self.emit(Instr::MakeArray(n), span);
            }
            FormKind::Set(items) => {
                let n = self.compile_items(items)?;
                self.emit(Instr::MakeSet(n), span);
            }
            FormKind::Map(entries) => self.compile_map(entries, span)?,
            FormKind::Quote(inner) => self.emit_const(form_to_value(inner), span),
            FormKind::Unquote(_) | FormKind::UnquoteDiscard(_) => {
                return Err(CompileError::new(
                    span,
                    "unquote outside a template: `%x` is only meaningful inside a quoted form",
                ))
            }
            FormKind::Gene {
                head,
                props,
                children,
            } => self.compile_gene(head, props, children, span, tail)?,
        }
        Ok(())
    }

    fn compile_map(&mut self, entries: &[(String, Form)], span: Span) -> CResult<()> {
        let mut keys = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            keys.push(Symbol::intern(k));
            self.compile_expr(v, false)?;
        }
        let keys = self.key_list(keys);
        self.emit(Instr::MakeMap { keys }, span);
        Ok(())
    }

    /// Compiles array elements or call arguments, turning `x...` and
    /// `(... x)` into spread markers. Returns how many values were pushed.
    pub(super) fn compile_items(&mut self, items: &[Form]) -> CResult<u32> {
        for item in items {
            if let Some(base) = is_spread_symbol(item) {
                self.compile_symbol(base, item.span)?;
                self.emit(Instr::Spread, item.span);
            } else if let FormKind::Gene { head, children, .. } = &item.kind {
                if head.is_symbol("...") {
                    self.compile_body(children, item.span, false)?;
                    self.emit(Instr::Spread, item.span);
                } else {
                    self.compile_expr(item, false)?;
                }
            } else {
                self.compile_expr(item, false)?;
            }
        }
        Ok(items.len() as u32)
    }

    pub(super) fn compile_symbol(&mut self, name: &str, span: Span) -> CResult<()> {
        match name {
            "_" => {
                self.emit(Instr::Placeholder, span);
                return Ok(());
            }
            "self" => {
                self.emit(Instr::SelfValue, span);
                return Ok(());
            }
            "$args" => {
                self.f().uses_args = true;
                self.emit(Instr::LoadArgs, span);
                return Ok(());
            }
            "$ex" => {
                if let Some(&slot) = self.fr().ex_slots.last() {
                    self.emit(Instr::LoadLocal(slot), span);
                    return Ok(());
                }
            }
            _ => {}
        }
        if let Some(base) = is_spread_symbol(&Form::new(FormKind::Symbol(name.into()), span)) {
            self.compile_symbol(base, span)?;
            self.emit(Instr::Spread, span);
            return Ok(());
        }
        if let Some(key) = name.strip_prefix('@').filter(|k| !k.is_empty()) {
            self.emit_const(selector_value(&[key]), span);
            return Ok(());
        }
        if let Some(member) = name.strip_prefix('$') {
            if !member.is_empty() && name != "$ns" && name != "$ex" {
                self.emit_load_name("gene", span);
                self.emit(Instr::GetMember(Symbol::intern(member)), span);
                return Ok(());
            }
        }
        match self.resolve(name) {
            Resolved::Local(b) => self.emit_local(Instr::LoadLocal, b, span),
            Resolved::Upvalue(i) => {
                self.emit(Instr::LoadUpvalue(i), span);
            }
            Resolved::Outer(Outer::Slot(s)) => {
                self.emit(Instr::LoadOuter(s), span);
            }
            Resolved::Outer(Outer::Upvalue(i)) => {
                self.emit(Instr::LoadOuterUpvalue(i), span);
            }
            Resolved::Global => self.emit_load_name(name, span),
        }
        Ok(())
    }

    pub(super) fn emit_load_name(&mut self, name: &str, span: Span) {
        let cache = self.name_cache();
        self.emit(
            Instr::LoadName {
                name: Symbol::intern(name),
                cache,
            },
            span,
        );
    }

    /// The object a path's first part names.
    fn compile_path_root(&mut self, root: &str, span: Span) -> CResult<()> {
        match root {
            "" => {
                self.emit(Instr::SelfValue, span);
                Ok(())
            }
            "$ns" => {
                self.emit_load_name("$ns", span);
                Ok(())
            }
            _ => self.compile_symbol(root, span),
        }
    }

    /// One step along a path: index, no-argument method call, or member.
    fn compile_path_step(&mut self, part: &str, span: Span) {
        if let Ok(i) = part.parse::<i32>() {
            self.emit(Instr::GetChild(i), span);
        } else if let Some(m) = part.strip_prefix('.').filter(|m| !m.is_empty()) {
            self.emit(
                Instr::CallMethod {
                    name: Symbol::intern(m),
                    args: 0,
                },
                span,
            );
        } else if !part.is_empty() {
            self.emit(Instr::GetMember(Symbol::intern(part)), span);
        }
    }

    pub(super) fn compile_path(&mut self, parts: &[String], span: Span) -> CResult<()> {
        let Some((root, rest)) = parts.split_first() else {
            self.emit(Instr::Nil, span);
            return Ok(());
        };
        if root == "gene" && rest.len() == 1 && rest[0] == "ex" {
            return self.compile_symbol("$ex", span);
        }
        if let Some(key) = root.strip_prefix('@').filter(|k| !k.is_empty()) {
            let mut keys = vec![key];
            keys.extend(rest.iter().map(|p| p.as_str()));
            self.emit_const(selector_value(&keys), span);
            return Ok(());
        }
        self.compile_path_root(root, span)?;
        for part in rest {
            self.compile_path_step(part, span);
        }
        Ok(())
    }

    /// Compiles everything but the last part of a path (the object an
    /// assignment sets a member of) and returns the last part.
    pub(super) fn compile_path_target<'p>(
        &mut self,
        parts: &'p [String],
        span: Span,
    ) -> CResult<&'p str> {
        let Some((last, init)) = parts.split_last() else {
            return Err(CompileError::new(span, "empty path"));
        };
        match init.split_first() {
            None => self.compile_path_root("", span)?,
            Some((root, rest)) => {
                self.compile_path_root(root, span)?;
                for part in rest {
                    self.compile_path_step(part, span);
                }
            }
        }
        Ok(last)
    }

    /// Stores the top of the stack into member `last` of the object below
    /// it: `[obj v] → [v]`.
    pub(super) fn emit_set_path_member(&mut self, last: &str, span: Span) {
        match last.parse::<i32>() {
            Ok(i) => self.emit(Instr::SetChild(i), span),
            Err(_) => self.emit(Instr::SetMember(Symbol::intern(last)), span),
        };
    }

    /// `[obj] → [obj member]` reading member `last` (for compound assignment).
    pub(super) fn emit_get_path_member(&mut self, last: &str, span: Span) {
        match last.parse::<i32>() {
            Ok(i) => self.emit(Instr::GetChild(i), span),
            Err(_) => self.emit(Instr::GetMember(Symbol::intern(last)), span),
        };
    }

    fn compile_gene(
        &mut self,
        head: &Form,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
        tail: bool,
    ) -> CResult<()> {
        let head_sym = head.as_symbol();
        let first = children.first();
        let first_sym = first.and_then(|f| f.as_symbol());

        // 1. the selector operator
        if selector_op(head) == Some(None) {
            return self.compile_select(children, span);
        }
        match first.and_then(selector_op) {
            Some(None) if children.len() >= 2 => {
                let mut operands = vec![head.clone()];
                operands.extend_from_slice(&children[1..]);
                return self.compile_select(&operands, span);
            }
            Some(Some(key)) => {
                self.compile_expr(head, false)?;
                self.emit_const(selector_key(key), span);
                match children.get(1) {
                    Some(default) => self.compile_expr(default, false)?,
                    None => {
                        self.emit(Instr::Nil, span);
                    }
                }
                self.emit(Instr::Select, span);
                return Ok(());
            }
            _ => {}
        }
        // 2. a range `(a .. b)`
        if first_sym == Some("..") && children.len() == 2 && props.is_empty() {
            self.compile_expr(head, false)?;
            self.compile_expr(&children[1], false)?;
            self.emit(Instr::Int(1), span);
            self.emit(Instr::MakeRange, span);
            return Ok(());
        }
        // 3. a number alone
        if children.is_empty()
            && props.is_empty()
            && matches!(head.kind, FormKind::Int(_) | FormKind::Float(_))
        {
            return self.compile_expr(head, false);
        }
        if head_sym == Some(LITERAL_HEAD) {
            if let Some(FormKind::Int(id)) = first.map(|f| &f.kind) {
                if let Some(v) = literal_value(*id) {
                    self.emit_const(v, span);
                    return Ok(());
                }
            }
        }
        // 4. data genes (a quoted type, unless a method call on it, or `_`)
        let quoted_head = matches!(head.kind, FormKind::Quote(_));
        if (quoted_head && first.and_then(is_method_symbol).is_none()) || head_sym == Some("_") {
            return self.compile_data_gene(head, props, children, span);
        }
        let special = head_sym.is_some_and(super::special::never_infix);
        if let Some(op) = first_sym {
            // 5. infix
            if !special && (infix_precedence(op).is_some() || op == "./") {
                return self.compile_infix(head, children, span);
            }
            // 7. assignment and blocks
            if ASSIGN_OPS.contains(&op) && !special {
                return self.compile_assignment(head, op, &children[1..], span);
            }
            if op == "->" && !special {
                return self.compile_block(Some(head), &children[1..], span);
            }
        }
        // `(obj . f args...)`: f called with self = obj; a string or symbol
        // names a method.
        if !special && first_sym == Some(".") && children.len() >= 2 {
            self.compile_expr(head, false)?;
            self.compile_expr(&children[1], false)?;
            let n = self.compile_items(&children[2..])?;
            self.emit(Instr::CallWithSelf(n), span);
            return Ok(());
        }
        // 8. a method call `(obj .m args...)`
        if !special {
            if let Some(method) = first.and_then(is_method_symbol) {
                self.compile_expr(head, false)?;
                return self.compile_method_call(method, props, &children[1..], span);
            }
        }
        if let Some(h) = head_sym {
            // 6. prefix operators
            if let Some(done) = self.compile_prefix_op(h, children, span)? {
                return Ok(done);
            }
            // 9. special forms
            if self.compile_special(h, props, children, span, tail)? {
                return Ok(());
            }
            // 10. a method call on self `(.m args...)`
            if let Some(method) = is_method_symbol(head) {
                self.emit(Instr::SelfValue, span);
                return self.compile_method_call(method, props, children, span);
            }
        }
        // 11. a call
        self.compile_call(head, props, children, span, tail)
    }

    fn compile_select(&mut self, children: &[Form], span: Span) -> CResult<()> {
        match children {
            [target, key] | [target, key, _] => {
                self.compile_expr(target, false)?;
                self.compile_expr(key, false)?;
                match children.get(2) {
                    Some(default) => self.compile_expr(default, false)?,
                    None => {
                        self.emit(Instr::Nil, span);
                    }
                }
                self.emit(Instr::Select, span);
                Ok(())
            }
            _ => Err(CompileError::new(
                span,
                "`./` takes a target, a key and an optional default: (./ target key [default])",
            )),
        }
    }

    fn compile_data_gene(
        &mut self,
        head: &Form,
        props: &[(String, Form)],
        children: &[Form],
        span: Span,
    ) -> CResult<()> {
        if head.is_symbol("_") {
            self.emit(Instr::Placeholder, span);
        } else {
            self.compile_expr(head, false)?;
        }
        let mut keys = Vec::new();
        for (k, v) in props {
            keys.push(Symbol::intern(k));
            self.compile_expr(v, false)?;
        }
        let n_children = self.compile_items(children)?;
        let keys = self.key_list(keys);
        self.emit(
            Instr::MakeGene {
                keys,
                children: n_children,
            },
            span,
        );
        Ok(())
    }

    fn compile_infix(&mut self, head: &Form, children: &[Form], span: Span) -> CResult<()> {
        let mut items: Vec<&Form> = Vec::with_capacity(children.len() + 1);
        items.push(head);
        items.extend(children.iter());
        for (i, item) in items.iter().enumerate() {
            let is_op = item
                .as_symbol()
                .is_some_and(|s| infix_precedence(s).is_some() || s == "./");
            if i % 2 == 1 && !is_op {
                return Err(CompileError::new(
                    item.span,
                    "expected an infix operator here: an infix form alternates operands and operators, as in (a + b * c)",
                ));
            }
        }
        if items.len() >= 3 && items[1].is_symbol("./") {
            self.compile_expr(items[0], false)?;
            self.compile_expr(items[2], false)?;
            match items.get(3) {
                Some(default) => self.compile_expr(default, false)?,
                None => {
                    self.emit(Instr::Nil, span);
                }
            }
            self.emit(Instr::Select, span);
            return Ok(());
        }
        let mut parser = InfixParser {
            items: &items,
            pos: 0,
        };
        let tree = parser.parse(1)?;
        if parser.pos != items.len() {
            return Err(CompileError::new(span, "malformed infix expression"));
        }
        self.compile_infix_tree(&tree)
    }

    fn compile_infix_tree(&mut self, tree: &Infix) -> CResult<()> {
        match tree {
            Infix::Leaf(form) => self.compile_expr(form, false),
            Infix::Binary(op, lhs, rhs, span) => {
                self.compile_infix_tree(lhs)?;
                match *op {
                    "&&" | "||" => {
                        let jump = if *op == "&&" {
                            Instr::JumpIfFalseKeep(0)
                        } else {
                            Instr::JumpIfTrueKeep(0)
                        };
                        let j = self.emit(jump, *span);
                        self.compile_infix_tree(rhs)?;
                        self.patch_here(j);
                    }
                    // `(s =~ re)` is the method `=~` of `re` called with
                    // `s`, `s` evaluated first (spec 07 §7.6); `!~`
                    // negates it.
                    "=~" | "!~" => {
                        let tmp = self.hidden_slot();
                        self.emit(Instr::StoreLocal(tmp), *span);
                        self.emit(Instr::Pop, *span);
                        self.compile_infix_tree(rhs)?;
                        self.emit(Instr::LoadLocal(tmp), *span);
                        self.emit(
                            Instr::CallMethod {
                                name: Symbol::intern("=~"),
                                args: 1,
                            },
                            *span,
                        );
                        if *op == "!~" {
                            self.emit(Instr::Not, *span);
                        }
                    }
                    _ => {
                        self.compile_infix_tree(rhs)?;
                        self.emit_binary(op, *span);
                    }
                }
                Ok(())
            }
            Infix::Comparisons(ops, operands, span) => {
                let tmp = self.hidden_slot();
                let mut exits = Vec::new();
                self.compile_infix_tree(&operands[0])?;
                for (i, op) in ops.iter().enumerate() {
                    if i > 0 {
                        exits.push(self.emit(Instr::JumpIfFalseKeep(0), *span));
                        self.emit(Instr::LoadLocal(tmp), *span);
                    }
                    self.compile_infix_tree(&operands[i + 1])?;
                    if i + 1 < ops.len() {
                        self.emit(Instr::StoreLocal(tmp), *span);
                    }
                    self.emit_binary(op, *span);
                }
                for j in exits {
                    self.patch_here(j);
                }
                self.release_hidden_slots(tmp, 1);
                Ok(())
            }
        }
    }

    fn emit_binary(&mut self, op: &str, span: Span) {
        if let Some(instr) = binary_instr(op) {
            self.emit(instr, span);
        }
    }

    /// Prefix operators (`(+ a b c)`, `(- x)`, `(not x)`, ...). Returns
    /// `Some(())` when `head` was one.
    fn compile_prefix_op(
        &mut self,
        head: &str,
        children: &[Form],
        span: Span,
    ) -> CResult<Option<()>> {
        match head {
            "+" | "*" => {
                let (identity, op) = if head == "+" { (0, "+") } else { (1, "*") };
                match children.split_first() {
                    None => {
                        self.emit(Instr::Int(identity), span);
                    }
                    Some((first, rest)) => {
                        self.compile_expr(first, false)?;
                        for c in rest {
                            self.compile_expr(c, false)?;
                            self.emit_binary(op, span);
                        }
                    }
                }
            }
            "-" => match children {
                [] => self.emit_raise(
                    ErrorKind::ArgumentError,
                    "- requires at least 1 argument",
                    span,
                ),
                [x] => {
                    self.compile_expr(x, false)?;
                    self.emit(Instr::Neg, span);
                }
                [first, rest @ ..] => {
                    self.compile_expr(first, false)?;
                    for c in rest {
                        self.compile_expr(c, false)?;
                        self.emit(Instr::Sub, span);
                    }
                }
            },
            "/" => match children {
                [] => self.emit_raise(
                    ErrorKind::ArgumentError,
                    "/ requires at least 1 argument",
                    span,
                ),
                [x] => {
                    self.emit(Instr::Int(1), span);
                    self.compile_expr(x, false)?;
                    self.emit(Instr::Div, span);
                }
                [first, rest @ ..] => {
                    self.compile_expr(first, false)?;
                    for c in rest {
                        self.compile_expr(c, false)?;
                        self.emit(Instr::Div, span);
                    }
                }
            },
            "<" | "<=" | ">" | ">=" | "==" | "!=" | "%" | "//" | "**" => {
                let [a, b] = children else {
                    let message = format!("{head} requires exactly 2 arguments");
                    self.emit_raise(ErrorKind::ArgumentError, &message, span);
                    return Ok(Some(()));
                };
                self.compile_expr(a, false)?;
                self.compile_expr(b, false)?;
                self.emit_binary(head, span);
            }
            "not" | "!" | "!!" => {
                let [x] = children else {
                    return Err(CompileError::new(
                        span,
                        format!("{head} takes exactly one operand"),
                    ));
                };
                self.compile_expr(x, false)?;
                self.emit(Instr::Not, span);
                if head == "!!" {
                    self.emit(Instr::Not, span);
                }
            }
            "&&" | "||" => match children.split_first() {
                None => {
                    self.emit(
                        if head == "&&" {
                            Instr::True
                        } else {
                            Instr::False
                        },
                        span,
                    );
                }
                Some((first, rest)) => {
                    self.compile_expr(first, false)?;
                    let mut exits = Vec::new();
                    for c in rest {
                        let jump = if head == "&&" {
                            Instr::JumpIfFalseKeep(0)
                        } else {
                            Instr::JumpIfTrueKeep(0)
                        };
                        exits.push(self.emit(jump, span));
                        self.compile_expr(c, false)?;
                    }
                    for j in exits {
                        self.patch_here(j);
                    }
                }
            },
            _ => return Ok(None),
        }
        Ok(Some(()))
    }

    /// `(target = v)`, `(target += v)`, ... `(a = b = 2)`.
    fn compile_assignment(
        &mut self,
        target: &Form,
        op: &str,
        rest: &[Form],
        span: Span,
    ) -> CResult<()> {
        let value_form;
        let value: &Form = match rest {
            [] => {
                return Err(CompileError::new(
                    span,
                    format!("`{op}` needs a value: (x {op} value)"),
                ))
            }
            [v] => v,
            [head, tail @ ..] => {
                value_form = Form::new(
                    FormKind::Gene {
                        head: Box::new(head.clone()),
                        props: Vec::new(),
                        children: tail.to_vec(),
                    },
                    span,
                );
                &value_form
            }
        };
        let binop = op.strip_suffix('=').filter(|o| !o.is_empty());
        match &target.kind {
            FormKind::Symbol(name) => {
                if let Some(bop) = binop {
                    self.compile_symbol(name, target.span)?;
                    self.compile_compound_rhs(bop, value, span, 0, |c| {
                        c.emit_store_name(name, span)
                    })?;
                } else {
                    self.compile_expr(value, false)?;
                    self.emit_store_name(name, span)?;
                }
                Ok(())
            }
            FormKind::ComplexSymbol(parts) => {
                let last = self.compile_path_target(parts, span)?;
                if let Some(bop) = binop {
                    self.emit(Instr::Dup, span);
                    self.emit_get_path_member(last, span);
                    let last = last.to_string();
                    self.compile_compound_rhs(bop, value, span, 1, |c| {
                        c.emit_set_path_member(&last, span);
                        Ok(())
                    })?;
                } else {
                    self.compile_expr(value, false)?;
                    self.emit_set_path_member(last, span);
                }
                Ok(())
            }
            _ => Err(CompileError::new(
                target.span,
                "cannot assign to this: the target of `=` must be a name or a path like a/b",
            )),
        }
    }

    /// With the current value on the stack, computes `current op value` and
    /// stores it with `store`, which also consumes the `below` values under
    /// the current value (a path's object). `&&`/`||` short-circuit: no
    /// store when the current value decides.
    fn compile_compound_rhs(
        &mut self,
        op: &str,
        value: &Form,
        span: Span,
        below: u32,
        store: impl FnOnce(&mut Compiler) -> CResult<()>,
    ) -> CResult<()> {
        match op {
            "&&" | "||" => {
                let start_depth = self.depth();
                let jump = if op == "&&" {
                    Instr::JumpIfFalseKeep(0)
                } else {
                    Instr::JumpIfTrueKeep(0)
                };
                let decided = self.emit(jump, span);
                self.compile_expr(value, false)?;
                store(self)?;
                let done = self.emit(Instr::Jump(0), span);
                self.patch_here(decided);
                self.set_depth(start_depth);
                if below > 0 {
                    self.emit(Instr::Slide(below), span);
                }
                self.patch_here(done);
                Ok(())
            }
            _ => {
                self.compile_expr(value, false)?;
                self.emit_binary(op, span);
                store(self)
            }
        }
    }

    pub(super) fn emit_store_name(&mut self, name: &str, span: Span) -> CResult<()> {
        match self.resolve(name) {
            Resolved::Local(b) => self.emit_local(Instr::StoreLocal, b, span),
            Resolved::Upvalue(i) => {
                self.emit(Instr::StoreUpvalue(i), span);
            }
            Resolved::Outer(Outer::Slot(s)) => {
                self.emit(Instr::StoreOuter(s), span);
            }
            Resolved::Outer(Outer::Upvalue(i)) => {
                self.emit(Instr::StoreOuterUpvalue(i), span);
            }
            Resolved::Global => {
                self.emit(Instr::StoreName(Symbol::intern(name)), span);
            }
        }
        Ok(())
    }

    /// `(obj .m args...)` with obj already on the stack.
    pub(super) fn compile_method_call(
        &mut self,
        method: &str,
        props: &[(String, Form)],
        args: &[Form],
        span: Span,
    ) -> CResult<()> {
        let name = Symbol::intern(method);
        if props.is_empty() && !has_spread(args) {
            let n = self.compile_items(args)?;
            self.emit(Instr::CallMethod { name, args: n }, span);
        } else {
            let keys = self.compile_props(props)?;
            let n = self.compile_items(args)?;
            self.emit(
                Instr::CallMethodNamed {
                    name,
                    keys,
                    args: n,
                },
                span,
            );
        }
        Ok(())
    }

    /// Pushes property values; returns their key list.
    pub(super) fn compile_props(&mut self, props: &[(String, Form)]) -> CResult<u32> {
        let mut keys = Vec::with_capacity(props.len());
        for (k, v) in props {
            keys.push(Symbol::intern(k));
            self.compile_expr(v, false)?;
        }
        Ok(self.key_list(keys))
    }

    fn compile_call(
        &mut self,
        head: &Form,
        props: &[(String, Form)],
        args: &[Form],
        span: Span,
        tail: bool,
    ) -> CResult<()> {
        let self_call = tail
            && props.is_empty()
            && self.fr().finallies.is_empty()
            && self.fr().try_depth == 0
            && head.as_symbol().is_some_and(|h| {
                self.fr().self_name.as_deref() == Some(h)
                    && matches!(self.resolve(h), Resolved::Global)
            })
            && !has_spread(args);
        self.compile_expr(head, false)?;
        let callee_depth = self.depth();
        let macro_jump = self.emit(Instr::JumpIfMacro(0), span);
        if props.is_empty() && !has_spread(args) {
            let n = self.compile_items(args)?;
            let instr = if self_call {
                Instr::TailCall(n)
            } else {
                Instr::Call(n)
            };
            self.emit(instr, span);
        } else {
            let keys = self.compile_props(props)?;
            let n = self.compile_items(args)?;
            self.emit(Instr::CallNamed { keys, args: n }, span);
        }
        let done = self.emit(Instr::Jump(0), span);
        self.patch_here(macro_jump);
        self.set_depth(callee_depth);
        for arg in args {
            self.emit_const(form_to_value(arg), arg.span);
        }
        self.emit(Instr::CallMacro(args.len() as u32), span);
        self.patch_here(done);
        Ok(())
    }
}
