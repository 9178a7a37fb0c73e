//! The instruction set and [`Proto`]s: the one representation both tiers
//! consume.
//!
//! The set is stack based. Locals and parameters live in frame slots
//! resolved at compile time; a slot whose variable is captured by a closure
//! holds a heap cell instead (the `*Cell` instructions). The operand-stack
//! depth at every instruction is statically known, and exception handlers
//! are a per-Proto table of pc ranges.
//!
//! Stack effects are written `[before] → [after]`, top at the right.

use crate::numeric::{BinOp, CmpOp};
use crate::symbol::Symbol;
use crate::value::Value;
use std::cell::Cell;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    /// `→ [nil]`
    Nil,
    /// `→ [true]`
    True,
    /// `→ [false]`
    False,
    /// `→ [_]`
    Placeholder,
    /// `→ [self]`
    SelfValue,
    /// `→ [int]`
    Int(i32),
    /// `→ [consts[i]]`
    Const(u32),
    /// `[v] →`
    Pop,
    /// `[v] → [v v]`
    Dup,
    /// `[x1 .. xn] →`
    PopN(u32),
    /// `[x1 .. xn v] → [v]`
    Slide(u32),
    /// `→ [slot]`
    LoadLocal(u32),
    /// `[v] → [v]`, slot := v
    StoreLocal(u32),
    /// `[v] → [v]`, declares the slot's variable with value v (a `var`).
    DeclareLocal(u32),
    /// `→ [cell value]` for a captured variable whose cell is in the slot.
    LoadCell(u32),
    /// `[v] → [v]`, cell in the slot := v
    StoreCell(u32),
    /// `[v] → [v]`, the slot := a fresh cell holding v (each `var` execution
    /// is a new binding, so closures made in a loop see their own).
    DeclareCell(u32),
    /// `→ [upvalue i]` (a captured variable of the running closure).
    LoadUpvalue(u32),
    /// `[v] → [v]`, upvalue i := v
    StoreUpvalue(u32),
    /// `→ [value]` of slot i of the frame an `eval` unit runs for (a cell's
    /// content when the slot holds a cell).
    LoadOuter(u32),
    /// `[v] → [v]` into slot i of the frame an `eval` unit runs for.
    StoreOuter(u32),
    /// `→ [upvalue i]` of the closure running in the frame `eval` runs for.
    LoadOuterUpvalue(u32),
    /// `[v] → [v]`, upvalue i of that closure := v
    StoreOuterUpvalue(u32),
    /// `[v] → [v]`: a `var` run by `eval`, declared in the scope `eval` was
    /// called from (spec 03 §3.16).
    DefineEvalVar(Symbol),
    /// `→ [value]`: the name in the current namespace chain, then `global`,
    /// `gene`, `genex`; `UndefinedSymbol` when absent. `cache` indexes the
    /// Proto's inline caches.
    LoadName {
        name: Symbol,
        cache: u32,
    },
    /// `[v] → [v]`: assigns an existing member of the namespace chain.
    StoreName(Symbol),
    /// `[v] → [v]`: defines (or replaces) a member of the current namespace.
    DefineMember(Symbol),
    /// `[obj] → [obj.name]` (map key, gene prop, member, instance prop).
    GetMember(Symbol),
    /// `[coll] → [coll[i]]`, negative from the end, nil when out of range.
    GetChild(i32),
    /// `[obj key default] → [value or default]` (the `./` selector).
    Select,
    /// `[obj v] → [v]`
    SetMember(Symbol),
    /// `[coll v] → [v]`
    SetChild(i32),
    /// `[obj key v] → [v]`
    SetKey,
    /// `[a b] → [a + b]`, and so on for the binary operators below.
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    /// `[a b] → [a // b]` (floor division).
    FloorDiv,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `[a] → [-a]`
    Neg,
    /// `[a] → [!a]`
    Not,
    /// `[a] → [a + i]`
    AddInt(i32),
    /// `[a] → [a - i]`
    SubInt(i32),
    /// `[a] → [a < i]`
    LtInt(i32),
    Jump(u32),
    /// `[c] →`, jump when c is falsy.
    JumpIfFalse(u32),
    /// `[c] →`, jump when c is truthy.
    JumpIfTrue(u32),
    /// `[c] → [c]` and jump when c is falsy, else `[c] →` (for `&&`).
    JumpIfFalseKeep(u32),
    /// `[c] → [c]` and jump when c is truthy, else `[c] →` (for `||`).
    JumpIfTrueKeep(u32),
    /// Jump when the slot (or its cell) holds a bound value, i.e. not the
    /// "missing argument" marker; used to skip default-value code.
    JumpIfBound {
        slot: u32,
        target: u32,
    },
    /// `[e1 .. en] → [array]`; explode values are spliced.
    MakeArray(u32),
    /// `[e1 .. en] → [set]`
    MakeSet(u32),
    /// `[v1 .. vn] → [map]` with keys `key_lists[keys]`.
    MakeMap {
        keys: u32,
    },
    /// `[type p1 .. pn c1 .. cm] → [gene]`, prop keys `key_lists[keys]`.
    MakeGene {
        keys: u32,
        children: u32,
    },
    /// `[start end step] → [range]`
    MakeRange,
    /// `[coll] → [explode]` (spread marker)
    Spread,
    /// `[v1 .. vn] → [string]`: concatenated display forms.
    Concat(u32),
    /// `[v] → [v']`: `$render` of a template.
    Render,
    /// `→ [closure]` of `protos[i]`.
    Closure(u32),
    /// `[callee a1 .. an] → [result]`
    Call(u32),
    /// `[callee p1 .. pk a1 .. an] → [result]`, prop keys `key_lists[keys]`.
    CallNamed {
        keys: u32,
        args: u32,
    },
    /// A self tail call: rebinds the running frame's parameters.
    TailCall(u32),
    /// `[recv a1 .. an] → [result]`
    CallMethod {
        name: Symbol,
        args: u32,
    },
    /// `[recv p1 .. pk a1 .. an] → [result]`
    CallMethodNamed {
        name: Symbol,
        keys: u32,
        args: u32,
    },
    /// `[self a1 .. an] → [result]`: the parent class's method `name`.
    CallSuper {
        name: Symbol,
        args: u32,
    },
    /// `[self f a1 .. an] → [result]`: calls `f` with `self` bound to the
    /// value below it (`$with`, `$tap`, `(obj . f args)`); when `f` is a
    /// string or symbol, calls the method of that name on self instead
    /// (`(obj . "m" args)`).
    CallWithSelf(u32),
    /// `→ [args]`: the arguments of the running call as a gene (`$args`).
    LoadArgs,
    /// `[callee] →` jump when the callee is a macro (its arguments are then
    /// pushed as data by the code at `target`).
    JumpIfMacro(u32),
    /// `[macro a1 .. an] → [result]`: call with unevaluated arguments and
    /// the caller's frame recorded for `$caller_eval`.
    CallMacro(u32),
    /// `[v] →` return v.
    Return,
    /// `[coll] →`, iteration state into slots `slot` (collection) and
    /// `slot + 1` (position).
    IterInit(u32),
    /// `→ [element]`, or jump to `exit` when done.
    IterNext {
        slot: u32,
        exit: u32,
    },
    /// `→ [key-or-index element]`, or jump to `exit` when done.
    IterNext2 {
        slot: u32,
        exit: u32,
    },
    /// `[v] →` throw v.
    Throw,
    /// `[path] → [namespace]`: loads (once) and runs the module at `path`,
    /// resolved against the importing file's directory, then the working
    /// directory.
    ImportModule,
    /// `[ns] → [ns.name]`, raising `ImportError` when there is no such member.
    ImportMember(Symbol),
    /// `[v class] → [bool]` instance-of for catch clauses.
    IsA,
    /// `[v pattern] → [bool]` a `case` clause: class ⇒ instance-of, array ⇒
    /// membership, range ⇒ within, otherwise `==`.
    CaseMatch,
    /// Raises an error of `kind` with message `consts[message]`.
    Raise {
        kind: crate::ErrorKind,
        message: u32,
    },
    /// `[v pattern-target] →` binds `patterns[i]` (for `match`).
    Match(u32),
    /// `→ [ns]` a new namespace member of the current namespace.
    MakeNamespace(Symbol),
    /// `[parent] → [class]` (parent nil when none)
    MakeClass(Symbol),
    /// `[target] → [target]`: runs `protos[i]` with self and the current
    /// namespace bound to target (namespace and class bodies).
    RunBody(u32),
    /// `[class fn] → [class]`
    DefineMethod(Symbol),
    /// `[class a1 .. an] → [instance]`
    New(u32),
    /// `[class p1 .. pk a1 .. an] → [instance]`
    NewNamed {
        keys: u32,
        args: u32,
    },
    /// `[v] → [future]`: wraps a value, or `[exception] → [failed future]`.
    MakeFuture {
        failed: bool,
    },
    /// `[f1 .. fn] → [value or array]`
    Await(u32),
    /// `[code] → [result]`: evaluates data as code in this frame.
    Eval,
    /// `[code] → [result]`: evaluates data in the calling macro's caller.
    CallerEval,
    /// `→ [{^file ^line}]`: where the running macro was called
    /// (`$caller_location`).
    CallerLocation,
    /// `[name] → [enum]` and `[enum name value] → [enum]`.
    MakeEnum(Symbol),
    EnumAddMember {
        name: Symbol,
        value: i64,
    },
}

impl Instr {
    /// The arithmetic operator of `Add`..`Pow`, `AddInt` and `SubInt`.
    pub fn bin_op(&self) -> Option<BinOp> {
        Some(match self {
            Instr::Add | Instr::AddInt(_) => BinOp::Add,
            Instr::Sub | Instr::SubInt(_) => BinOp::Sub,
            Instr::Mul => BinOp::Mul,
            Instr::Div => BinOp::Div,
            Instr::Mod => BinOp::Mod,
            Instr::Pow => BinOp::Pow,
            Instr::FloorDiv => BinOp::FloorDiv,
            _ => return None,
        })
    }

    /// The ordering operator of `Lt`..`Ge` and `LtInt`.
    pub fn cmp_op(&self) -> Option<CmpOp> {
        Some(match self {
            Instr::Lt | Instr::LtInt(_) => CmpOp::Lt,
            Instr::Le => CmpOp::Le,
            Instr::Gt => CmpOp::Gt,
            Instr::Ge => CmpOp::Ge,
            _ => return None,
        })
    }
}

/// One item of a parameter list or `match` pattern (spec 03 §3.8, §3.10).
#[derive(Clone, Debug, PartialEq)]
pub enum PatItem {
    /// A positional binding; `default` ⇒ a missing value leaves the
    /// "missing" marker for the default code to replace.
    Bind {
        slot: u32,
        default: bool,
        cell: bool,
    },
    /// `rest...`
    Rest { slot: u32, cell: bool },
    /// `[a b]` nested destructuring
    Nested(Pattern),
    /// A quoted literal that must be `==` (match only).
    Literal(Value),
    /// `_`
    Skip,
    /// `^name` / `^name = d`
    Named {
        key: Symbol,
        slot: u32,
        default: bool,
        cell: bool,
    },
    /// `^rest...`
    NamedRest { slot: u32, cell: bool },
    /// `/x` in a method parameter list: assigns self's property.
    SelfProp(Symbol),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Pattern {
    pub items: Vec<PatItem>,
}

impl Pattern {
    /// Calls `visit` on the literals the pattern compares against.
    pub fn trace(&self, visit: &mut dyn FnMut(Value)) {
        for item in &self.items {
            match item {
                PatItem::Literal(v) => visit(*v),
                PatItem::Nested(p) => p.trace(visit),
                _ => {}
            }
        }
    }
}

/// Where a closure's captured variable comes from when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// The cell in the creating frame's slot.
    Local(u32),
    /// The creating closure's own upvalue.
    Upvalue(u32),
}

/// Where a named local lives while the code in `start..end` runs, so that
/// `eval` can compile code that reads and assigns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalName {
    pub name: Symbol,
    pub slot: u32,
    pub start: u32,
    pub end: u32,
}

/// A try region: an exception thrown at a pc in `start..end` restores the
/// operand stack to `depth` values above the slots, pushes the exception
/// and jumps to `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtoKind {
    /// A program, module or eval unit.
    TopLevel,
    Function,
    Block,
    Macro,
    Method,
    /// A namespace or class body.
    Body,
}

/// One compiled unit: a program, function, block, macro, method or body.
#[derive(Debug)]
pub struct Proto {
    pub name: Symbol,
    pub kind: ProtoKind,
    pub file: &'static str,
    pub code: Vec<Instr>,
    /// Source line of each instruction.
    pub lines: Vec<u32>,
    /// Source column of each instruction (1-based; 0 when unknown).
    pub cols: Vec<u32>,
    pub consts: Vec<Value>,
    pub key_lists: Vec<Box<[Symbol]>>,
    pub protos: Vec<&'static Proto>,
    pub params: Pattern,
    pub patterns: Vec<Pattern>,
    pub n_slots: u32,
    pub captures: Vec<Capture>,
    /// The names of `captures`, in order.
    pub upvalue_names: Vec<Symbol>,
    pub local_names: Vec<LocalName>,
    pub handlers: Vec<Handler>,
    pub is_async: bool,
    /// `Some(n)` when the parameters are n plain positional bindings (no
    /// defaults, rest, names or cells): the VM's fast calling path.
    pub fast_arity: Option<u32>,
    /// The body reads `$args`: calls keep their arguments in the frame.
    pub uses_args: bool,
    /// Inline caches of `LoadName`: (namespace epoch, namespace, value).
    pub name_caches: Box<[Cell<NameCache>]>,
    /// Per pc, for `GetMember` and `SetMember`: where in an instance's
    /// properties the member was last found (see `gene_vm`'s `PropHint`).
    pub prop_hints: Box<[Cell<u64>]>,
    /// The native code of this Proto in a built executable, registered by
    /// the runtime when it loads the image (never serialized).
    pub native: Cell<Option<NativeCode>>,
}

/// Zeroed property hints for a Proto of `n` instructions.
pub fn prop_hints(n: usize) -> Box<[Cell<u64>]> {
    (0..n).map(|_| Cell::new(0)).collect()
}

/// The entry point of a Proto lowered to native code: the running closure
/// (nil for top-level code), `self`, the positional arguments and the
/// named ones (a map, or nil). Returns the result, or [`EXCEPTION_SENTINEL`]
/// with the exception pending in the runtime.
pub type NativeCode = unsafe extern "C" fn(
    closure: u64,
    self_val: u64,
    args: *const u64,
    argc: u32,
    props: u64,
) -> u64;

/// What native code and the runtime's ABI functions return when a Gene
/// exception is pending instead of a value (a tagged bit pattern no value
/// uses).
pub const EXCEPTION_SENTINEL: u64 = 0xFFF9_0000_0000_00FF;

#[derive(Clone, Copy, Debug, Default)]
pub struct NameCache {
    pub epoch: u64,
    pub ns: u64,
    pub value: u64,
}

thread_local! {
    /// Every Proto made on this thread: their constants are roots of the
    /// collector.
    static ALL_PROTOS: std::cell::RefCell<Vec<&'static Proto>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Proto {
    /// The slots of the named locals in scope at `pc` (what `$caller_eval`
    /// can name from a macro called there), in `local_names` order; a slot
    /// may repeat.
    pub fn slots_named_at(&self, pc: u32) -> impl Iterator<Item = u32> + '_ {
        self.local_names
            .iter()
            .filter(move |l| l.start <= pc && pc < l.end)
            .map(|l| l.slot)
    }

    /// Makes `self` live for the rest of the program (Protos are never
    /// freed) and registers its constants with the collector.
    pub fn leak(self) -> &'static Proto {
        let p: &'static Proto = Box::leak(Box::new(self));
        ALL_PROTOS.with(|all| all.borrow_mut().push(p));
        p
    }

    /// Calls `visit` on every constant of every Proto made so far.
    pub fn trace_all(visit: &mut dyn FnMut(Value)) {
        ALL_PROTOS.with(|all| {
            for p in all.borrow().iter() {
                p.consts.iter().for_each(|v| visit(*v));
                p.params.trace(visit);
                p.patterns.iter().for_each(|pat| pat.trace(visit));
            }
        });
    }

    /// The source line of the instruction at `pc`.
    pub fn line_at(&self, pc: usize) -> u32 {
        self.lines.get(pc).copied().unwrap_or(0)
    }

    /// The source column of the instruction at `pc`.
    pub fn col_at(&self, pc: usize) -> u32 {
        self.cols.get(pc).copied().unwrap_or(0)
    }
}

/// For instructions that pop a fixed number of operands and push exactly
/// one result without touching frame state (member access, collections,
/// method calls, ...): how many they pop. The interpreter executes these
/// through one shared routine, which native code calls too. `None` for
/// instructions with their own handling (locals, jumps, calls, frames).
pub fn step_pops(proto: &Proto, instr: &Instr) -> Option<u32> {
    step_pops_with(instr, &|k| key_count(&proto.key_lists, k))
}

/// The length of key list `k` (0 for a missing one).
pub fn key_count(key_lists: &[Box<[Symbol]>], k: u32) -> u32 {
    key_lists.get(k as usize).map_or(0, |l| l.len() as u32)
}

/// [`step_pops`] with the key-list lengths given by `keys`.
fn step_pops_with(instr: &Instr, keys: &dyn Fn(u32) -> u32) -> Option<u32> {
    use Instr::*;
    Some(match *instr {
        GetMember(_) | GetChild(_) | Spread | Neg | StoreName(_) | DefineMember(_) => 1,
        MakeFuture { .. } | ImportModule | ImportMember(_) | MakeClass(_) => 1,
        EnumAddMember { .. } | Render => 1,
        SetMember(_) | SetChild(_) | IsA | CaseMatch | DefineMethod(_) => 2,
        Select | SetKey | MakeRange => 3,
        MakeArray(n) | MakeSet(n) | Concat(n) | Await(n) => n,
        MakeMap { keys: k } => keys(k),
        MakeGene { keys: k, children } => 1 + keys(k) + children,
        CallMethod { args, .. } | CallSuper { args, .. } | New(args) => 1 + args,
        CallNamed { keys: k, args } | NewNamed { keys: k, args } => 1 + keys(k) + args,
        CallMethodNamed { keys: k, args, .. } => 1 + keys(k) + args,
        CallWithSelf(n) => 2 + n,
        MakeNamespace(_) | MakeEnum(_) | Raise { .. } => 0,
        _ => return None,
    })
}

/// The operands `instr` pops and the values it pushes when execution falls
/// through it (a conditional jump counts as not taken; `Return`, `Throw`
/// and `TailCall` end the path). `keys(k)` is the length of key list `k`.
/// The compiler tracks the operand-stack depth with it and the native
/// backend rebuilds the depth at every pc with it.
pub fn stack_effect(instr: &Instr, keys: &dyn Fn(u32) -> u32) -> (u32, u32) {
    use Instr::*;
    if let Some(pops) = step_pops_with(instr, keys) {
        return (pops, 1);
    }
    match *instr {
        Nil | True | False | Placeholder | SelfValue | Int(_) | Const(_) | Dup => (0, 1),
        LoadLocal(_) | LoadCell(_) | LoadUpvalue(_) | LoadName { .. } | Closure(_) => (0, 1),
        LoadOuter(_) | LoadOuterUpvalue(_) | LoadArgs | CallerLocation => (0, 1),
        StoreLocal(_) | DeclareLocal(_) | StoreCell(_) | DeclareCell(_) | StoreUpvalue(_) => (0, 0),
        StoreOuter(_) | StoreOuterUpvalue(_) | DefineEvalVar(_) => (0, 0),
        Pop => (1, 0),
        PopN(n) => (n, 0),
        Slide(n) => (n + 1, 1),
        Add | Sub | Mul | Div | Mod | Pow | FloorDiv | Eq | Ne | Lt | Le | Gt | Ge => (2, 1),
        Not | AddInt(_) | SubInt(_) | LtInt(_) | Eval | CallerEval | RunBody(_) => (1, 1),
        Jump(_) | JumpIfMacro(_) | JumpIfBound { .. } => (0, 0),
        JumpIfFalse(_) | JumpIfTrue(_) | JumpIfFalseKeep(_) | JumpIfTrueKeep(_) => (1, 0),
        Call(n) | TailCall(n) | CallMacro(n) => (n + 1, 1),
        Return | Throw | IterInit(_) | Match(_) => (1, 0),
        IterNext { .. } => (0, 1),
        IterNext2 { .. } => (0, 2),
        // The step instructions, answered above.
        _ => (0, 1),
    }
}
