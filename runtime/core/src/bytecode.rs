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

/// Where execution goes after an instruction (see [`Instr::flow`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// On to the next instruction.
    Next,
    /// The path ends (`Return`, `Throw`, a self `TailCall`).
    End,
    /// Always to `target`.
    Jump(u32),
    /// To `target` or on to the next instruction. On the jump the operand
    /// stack is as after the instruction (`keep` false) or as before it
    /// (`keep` true: the `*Keep` jumps, `JumpIfMacro`, `JumpIfBound`, the
    /// `IterNext`s at their exit).
    Branch { target: u32, keep: bool },
}

/// The one instruction table. Each entry is a variant with its operands
/// (named, so the columns can use them), its class (`step`: pops a fixed
/// number of operands and pushes one result through the shared step
/// routine, see [`step_pops`]; `op`: its own handling), its stack effect
/// `(pops, pushes)` on fall-through (`$klen(k)` is the length of key list
/// `k`) and its control flow: `next`, `end`, `jump t`, `branch t` or
/// `keep t` (see [`Flow`]). From it come the [`Instr`] enum,
/// [`stack_effect`], [`step_pops`], [`Instr::flow`],
/// [`Instr::with_jump_target`] and [`Instr::NAMES`].
macro_rules! instructions {
    (
        klen = $klen:ident;
        $(
            $(#[$doc:meta])*
            $name:ident
            $( ( $($a:ident : $at:ty),* ) )?
            $( { $($f:ident : $ft:ty),* } )?
            : $class:ident ($pops:expr, $pushes:expr) [$($flow:tt)*];
        )*
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Instr {
            $(
                $(#[$doc])*
                $name $( ( $($at),* ) )? $( { $($f: $ft),* } )?,
            )*
        }

        impl Instr {
            /// The name of every instruction, in table order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// This instruction's name (an entry of [`Instr::NAMES`]).
            pub fn name(&self) -> &'static str {
                match self {
                    $( Instr::$name { .. } => stringify!($name), )*
                }
            }

            /// Where execution goes after this instruction.
            #[allow(unused_variables)]
            pub fn flow(&self) -> Flow {
                match *self {
                    $( Instr::$name $( ( $($a),* ) )? $( { $($f),* } )? => instr_flow!($($flow)*), )*
                }
            }

            /// This instruction with its jump target replaced by `target`
            /// (unchanged when it has none): how the compiler patches
            /// forward jumps.
            #[allow(unused_variables, unused_mut, unused_assignments)]
            pub fn with_jump_target(self, target: u32) -> Instr {
                match self {
                    $( Instr::$name $( ( $(mut $a),* ) )? $( { $(mut $f),* } )? => {
                        instr_retarget!(target; $($flow)*);
                        Instr::$name $( ( $($a),* ) )? $( { $($f),* } )?
                    } )*
                }
            }
        }

        /// [`step_pops`] with the key-list lengths given by `keys`.
        #[allow(unused_variables)]
        fn step_pops_with(instr: &Instr, $klen: &dyn Fn(u32) -> u32) -> Option<u32> {
            match *instr {
                $( Instr::$name $( ( $($a),* ) )? $( { $($f),* } )? => instr_step!($class, $pops), )*
            }
        }

        /// The operands `instr` pops and the values it pushes when execution
        /// falls through it (a conditional jump counts as not taken;
        /// `Return`, `Throw` and `TailCall` end the path). `keys(k)` is the
        /// length of key list `k`. The compiler tracks the operand-stack
        /// depth with it and the native backend rebuilds the depth at every
        /// pc with it.
        #[allow(unused_variables)]
        pub fn stack_effect(instr: &Instr, $klen: &dyn Fn(u32) -> u32) -> (u32, u32) {
            match *instr {
                $( Instr::$name $( ( $($a),* ) )? $( { $($f),* } )? => ($pops, $pushes), )*
            }
        }
    };
}

macro_rules! instr_flow {
    (next) => {
        Flow::Next
    };
    (end) => {
        Flow::End
    };
    (jump $t:ident) => {
        Flow::Jump($t)
    };
    (branch $t:ident) => {
        Flow::Branch {
            target: $t,
            keep: false,
        }
    };
    (keep $t:ident) => {
        Flow::Branch {
            target: $t,
            keep: true,
        }
    };
}

macro_rules! instr_retarget {
    ($new:ident; next) => {};
    ($new:ident; end) => {};
    ($new:ident; $kind:ident $t:ident) => {
        $t = $new
    };
}

macro_rules! instr_step {
    (step, $pops:expr) => {
        Some($pops)
    };
    (op, $pops:expr) => {
        None
    };
}

instructions! {
    klen = klen;
    /// `→ [nil]`
    Nil: op(0, 1) [next];
    /// `→ [true]`
    True: op(0, 1) [next];
    /// `→ [false]`
    False: op(0, 1) [next];
    /// `→ [_]`
    Placeholder: op(0, 1) [next];
    /// `→ [self]`
    SelfValue: op(0, 1) [next];
    /// `→ [int]`
    Int(i: i32): op(0, 1) [next];
    /// `→ [consts[i]]`
    Const(i: u32): op(0, 1) [next];
    /// `[v] →`
    Pop: op(1, 0) [next];
    /// `[v] → [v v]`
    Dup: op(0, 1) [next];
    /// `[x1 .. xn] →`
    PopN(n: u32): op(n, 0) [next];
    /// `[x1 .. xn v] → [v]`
    Slide(n: u32): op(n + 1, 1) [next];
    /// `→ [slot]`
    LoadLocal(slot: u32): op(0, 1) [next];
    /// `[v] → [v]`, slot := v
    StoreLocal(slot: u32): op(0, 0) [next];
    /// `[v] → [v]`, declares the slot's variable with value v (a `var`).
    DeclareLocal(slot: u32): op(0, 0) [next];
    /// `→ [cell value]` for a captured variable whose cell is in the slot.
    LoadCell(slot: u32): op(0, 1) [next];
    /// `[v] → [v]`, cell in the slot := v
    StoreCell(slot: u32): op(0, 0) [next];
    /// `[v] → [v]`, the slot := a fresh cell holding v (each `var` execution
    /// is a new binding, so closures made in a loop see their own).
    DeclareCell(slot: u32): op(0, 0) [next];
    /// `→ [upvalue i]` (a captured variable of the running closure).
    LoadUpvalue(i: u32): op(0, 1) [next];
    /// `[v] → [v]`, upvalue i := v
    StoreUpvalue(i: u32): op(0, 0) [next];
    /// `→ [value]` of slot i of the frame an `eval` unit runs for (a cell's
    /// content when the slot holds a cell).
    LoadOuter(i: u32): op(0, 1) [next];
    /// `[v] → [v]` into slot i of the frame an `eval` unit runs for.
    StoreOuter(i: u32): op(0, 0) [next];
    /// `→ [upvalue i]` of the closure running in the frame `eval` runs for.
    LoadOuterUpvalue(i: u32): op(0, 1) [next];
    /// `[v] → [v]`, upvalue i of that closure := v
    StoreOuterUpvalue(i: u32): op(0, 0) [next];
    /// `[v] → [v]`: a `var` run by `eval`, declared in the scope `eval` was
    /// called from (spec 03 §3.16).
    DefineEvalVar(name: Symbol): op(0, 0) [next];
    /// `→ [value]`: the name in the current namespace chain, then `global`,
    /// `gene`, `genex`; `UndefinedSymbol` when absent. `cache` indexes the
    /// Proto's inline caches.
    LoadName { name: Symbol, cache: u32 }: op(0, 1) [next];
    /// `[v] → [v]`: assigns an existing member of the namespace chain.
    StoreName(name: Symbol): step(1, 1) [next];
    /// `[v] → [v]`: defines (or replaces) a member of the current namespace.
    DefineMember(name: Symbol): step(1, 1) [next];
    /// `[obj] → [obj.name]` (map key, gene prop, member, instance prop).
    GetMember(name: Symbol): step(1, 1) [next];
    /// `[coll] → [coll[i]]`, negative from the end, nil when out of range.
    GetChild(i: i32): step(1, 1) [next];
    /// `[obj key default] → [value or default]` (the `./` selector).
    Select: step(3, 1) [next];
    /// `[obj v] → [v]`
    SetMember(name: Symbol): step(2, 1) [next];
    /// `[coll v] → [v]`
    SetChild(i: i32): step(2, 1) [next];
    /// `[obj key v] → [v]`
    SetKey: step(3, 1) [next];
    /// `[a b] → [a + b]`, and so on for the binary operators below.
    Add: op(2, 1) [next];
    Sub: op(2, 1) [next];
    Mul: op(2, 1) [next];
    Div: op(2, 1) [next];
    Mod: op(2, 1) [next];
    Pow: op(2, 1) [next];
    /// `[a b] → [a // b]` (floor division).
    FloorDiv: op(2, 1) [next];
    Eq: op(2, 1) [next];
    Ne: op(2, 1) [next];
    Lt: op(2, 1) [next];
    Le: op(2, 1) [next];
    Gt: op(2, 1) [next];
    Ge: op(2, 1) [next];
    /// `[a] → [-a]`
    Neg: step(1, 1) [next];
    /// `[a] → [!a]`
    Not: op(1, 1) [next];
    /// `[a] → [a + i]`
    AddInt(i: i32): op(1, 1) [next];
    /// `[a] → [a - i]`
    SubInt(i: i32): op(1, 1) [next];
    /// `[a] → [a < i]`
    LtInt(i: i32): op(1, 1) [next];
    Jump(t: u32): op(0, 0) [jump t];
    /// `[c] →`, jump when c is falsy.
    JumpIfFalse(t: u32): op(1, 0) [branch t];
    /// `[c] →`, jump when c is truthy.
    JumpIfTrue(t: u32): op(1, 0) [branch t];
    /// `[c] → [c]` and jump when c is falsy, else `[c] →` (for `&&`).
    JumpIfFalseKeep(t: u32): op(1, 0) [keep t];
    /// `[c] → [c]` and jump when c is truthy, else `[c] →` (for `||`).
    JumpIfTrueKeep(t: u32): op(1, 0) [keep t];
    /// Jump when the slot (or its cell) holds a bound value, i.e. not the
    /// "missing argument" marker; used to skip default-value code.
    JumpIfBound { slot: u32, target: u32 }: op(0, 0) [keep target];
    /// `[e1 .. en] → [array]`; explode values are spliced.
    MakeArray(n: u32): step(n, 1) [next];
    /// `[e1 .. en] → [set]`
    MakeSet(n: u32): step(n, 1) [next];
    /// `[v1 .. vn] → [map]` with keys `key_lists[keys]`.
    MakeMap { keys: u32 }: step(klen(keys), 1) [next];
    /// `[type p1 .. pn c1 .. cm] → [gene]`, prop keys `key_lists[keys]`.
    MakeGene { keys: u32, children: u32 }: step(1 + klen(keys) + children, 1) [next];
    /// `[start end step] → [range]`
    MakeRange: step(3, 1) [next];
    /// `[coll] → [explode]` (spread marker)
    Spread: step(1, 1) [next];
    /// `[v1 .. vn] → [string]`: concatenated display forms.
    Concat(n: u32): step(n, 1) [next];
    /// `[v] → [v']`: `$render` of a template.
    Render: step(1, 1) [next];
    /// `→ [closure]` of `protos[i]`.
    Closure(i: u32): op(0, 1) [next];
    /// `[callee a1 .. an] → [result]`
    Call(n: u32): op(n + 1, 1) [next];
    /// `[callee p1 .. pk a1 .. an] → [result]`, prop keys `key_lists[keys]`.
    CallNamed { keys: u32, args: u32 }: step(1 + klen(keys) + args, 1) [next];
    /// A self tail call: rebinds the running frame's parameters.
    TailCall(n: u32): op(n + 1, 1) [end];
    /// `[recv a1 .. an] → [result]`
    CallMethod { name: Symbol, args: u32 }: step(1 + args, 1) [next];
    /// `[recv p1 .. pk a1 .. an] → [result]`
    CallMethodNamed { name: Symbol, keys: u32, args: u32 }:
        step(1 + klen(keys) + args, 1) [next];
    /// `[self a1 .. an] → [result]`: the parent class's method `name`.
    CallSuper { name: Symbol, args: u32 }: step(1 + args, 1) [next];
    /// `[self f a1 .. an] → [result]`: calls `f` with `self` bound to the
    /// value below it (`$with`, `$tap`, `(obj . f args)`); when `f` is a
    /// string or symbol, calls the method of that name on self instead
    /// (`(obj . "m" args)`).
    CallWithSelf(n: u32): step(2 + n, 1) [next];
    /// `→ [args]`: the arguments of the running call as a gene (`$args`).
    LoadArgs: op(0, 1) [next];
    /// `[callee] → [callee]`, jump when the callee is a macro (its
    /// arguments are then pushed as data by the code at the target).
    JumpIfMacro(t: u32): op(0, 0) [keep t];
    /// `[macro a1 .. an] → [result]`: call with unevaluated arguments and
    /// the caller's frame recorded for `$caller_eval`.
    CallMacro(n: u32): op(n + 1, 1) [next];
    /// `[v] →` return v.
    Return: op(1, 0) [end];
    /// `[coll] →`, iteration state into slots `slot` (collection) and
    /// `slot + 1` (position).
    IterInit(slot: u32): op(1, 0) [next];
    /// `→ [element]`, or jump to `exit` when done.
    IterNext { slot: u32, exit: u32 }: op(0, 1) [keep exit];
    /// `→ [key-or-index element]`, or jump to `exit` when done.
    IterNext2 { slot: u32, exit: u32 }: op(0, 2) [keep exit];
    /// `[v] →` throw v.
    Throw: op(1, 0) [end];
    /// `[path] → [namespace]`: loads (once) and runs the module at `path`,
    /// resolved against the importing file's directory, then the working
    /// directory.
    ImportModule: step(1, 1) [next];
    /// `[ns] → [ns.name]`, raising `ImportError` when there is no such member.
    ImportMember(name: Symbol): step(1, 1) [next];
    /// `[v class] → [bool]` instance-of for catch clauses.
    IsA: step(2, 1) [next];
    /// `[v pattern] → [bool]` a `case` clause: class ⇒ instance-of, array ⇒
    /// membership, range ⇒ within, otherwise `==`.
    CaseMatch: step(2, 1) [next];
    /// Raises an error of `kind` with message `consts[message]`.
    Raise { kind: crate::ErrorKind, message: u32 }: step(0, 1) [next];
    /// `[v] →` binds v to `patterns[i]` (for `match`).
    Match(i: u32): op(1, 0) [next];
    /// `→ [ns]` a new namespace member of the current namespace.
    MakeNamespace(name: Symbol): step(0, 1) [next];
    /// `[parent] → [class]` (parent nil when none)
    MakeClass(name: Symbol): step(1, 1) [next];
    /// `[target] → [target]`: runs `protos[i]` with self and the current
    /// namespace bound to target (namespace and class bodies).
    RunBody(i: u32): op(1, 1) [next];
    /// `[class fn] → [class]`
    DefineMethod(name: Symbol): step(2, 1) [next];
    /// `[class a1 .. an] → [instance]`
    New(args: u32): step(1 + args, 1) [next];
    /// `[class p1 .. pk a1 .. an] → [instance]`
    NewNamed { keys: u32, args: u32 }: step(1 + klen(keys) + args, 1) [next];
    /// `[v] → [future]`: wraps a value, or `[exception] → [failed future]`.
    MakeFuture { failed: bool }: step(1, 1) [next];
    /// `[f1 .. fn] → [value or array]`
    Await(n: u32): step(n, 1) [next];
    /// `[code] → [result]`: evaluates data as code in this frame.
    Eval: op(1, 1) [next];
    /// `[code] → [result]`: evaluates data in the calling macro's caller.
    CallerEval: op(1, 1) [next];
    /// `→ [{^file ^line}]`: where the running macro was called
    /// (`$caller_location`).
    CallerLocation: op(0, 1) [next];
    /// `→ [enum]` a new enum named `name`.
    MakeEnum(name: Symbol): step(0, 1) [next];
    /// `[enum] → [enum]` with member `name` = `value` added.
    EnumAddMember { name: Symbol, value: i64 }: step(1, 1) [next];
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
