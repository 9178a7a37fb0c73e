//! The runtime's native ABI: the `extern "C"` functions that code generated
//! by `gene build` calls. `compiler/llvm/src/runtime_fns.rs` mirrors this
//! list (names and signatures); a test proves the two agree.
//!
//! Conventions: every Gene value crosses the boundary as its 64-bit NaN-boxed
//! bits (`u64`). A function that can throw returns [`EXCEPTION_SENTINEL`]
//! with the exception left pending in the running VM; native code then
//! branches to its handler (which takes the exception with
//! [`gene_take_exception`]) or returns the sentinel to its own caller.
//! Instruction operands that are not values (names, key lists, inline
//! caches) are found by the runtime from the Proto index and pc it is
//! given, so native code never embeds interned symbol ids.

use crate::access::PropHint;
use crate::call::CallSite;
use crate::errors::VmResult;
use crate::vm::{Frame, Vm, VmOptions};
use gene_core::bytecode::{NativeCode, Proto, EXCEPTION_SENTINEL};
use gene_core::heap::Obj;
use gene_core::numeric::{arith, compare, equals, negate, BinOp, CmpOp};
use gene_core::{Instr, Symbol, Value};
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The lowest stack address native code may use: each native function
/// compares its frame against it on entry and raises `StackOverflow` below
/// it (runaway recursion in native code would otherwise crash). Set when the
/// program starts on its thread.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_stack_limit: AtomicUsize = AtomicUsize::new(0);

/// The stack `gene_rt_main` runs the program on.
const PROGRAM_STACK: usize = 512 << 20;
/// Room kept below the limit for the runtime's own frames.
const STACK_RESERVE: usize = 16 << 20;

thread_local! {
    /// The VM running the executable's code on this thread.
    static CURRENT: Cell<*mut Vm> = const { Cell::new(std::ptr::null_mut()) };
    /// The image's Protos in pre-order (the indices native code uses).
    static PROTOS: RefCell<Vec<&'static Proto>> = const { RefCell::new(Vec::new()) };
    /// The exception native code signalled with the sentinel.
    static PENDING: Cell<u64> = const { Cell::new(0) };
    /// The words of native code's inline caches (zeroed by a collection).
    static CACHE_WORDS: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Forgets what native code's inline caches remember (a collection may
/// have freed the objects they name; a cleared cache just misses).
pub(crate) fn clear_native_caches() {
    CACHE_WORDS.with(|words| {
        for &w in words.borrow().iter() {
            // Safety: registered by gene_rt_main from the executable's table
            // of its cache words, which are writable i64 globals.
            unsafe { (w as *mut u64).write_volatile(0) };
        }
    });
}

/// The pending exception, a root of the collector.
pub(crate) fn trace_pending(mark: &mut dyn FnMut(Value)) {
    let bits = PENDING.with(Cell::get);
    if bits != 0 {
        mark(value(bits));
    }
}

/// A safepoint in native code (a loop's back edge): collects if one is due.
#[no_mangle]
pub extern "C" fn gene_gc_poll() {
    with_vm(|vm| vm.safepoint());
}

/// Runs `f` with the thread's VM. Native code only runs inside
/// [`gene_rt_main`], which installs it.
fn with_vm<R>(f: impl FnOnce(&mut Vm) -> R) -> R {
    let vm = CURRENT.with(Cell::get);
    assert!(!vm.is_null(), "Gene native code ran without a runtime");
    // Safety: the pointer is installed by gene_rt_main for the duration of
    // the program and only used on this thread.
    f(unsafe { &mut *vm })
}

fn proto_at(index: u32) -> &'static Proto {
    PROTOS.with(|p| p.borrow()[index as usize])
}

/// A result for native code: the value, or the sentinel with the exception
/// pending.
fn to_abi(r: VmResult) -> u64 {
    match r {
        Ok(v) => v.bits(),
        Err(thrown) => {
            PENDING.with(|p| p.set(thrown.bits()));
            EXCEPTION_SENTINEL
        }
    }
}

/// The `n` values at `ptr`.
///
/// # Safety
/// `ptr` points to `n` values.
unsafe fn values(ptr: *const u64, n: u32) -> Vec<Value> {
    std::slice::from_raw_parts(ptr, n as usize)
        .iter()
        .map(|b| value(*b))
        .collect()
}

/// Named arguments passed as a map value (or nil for none).
fn props_of(props: u64) -> gene_core::object::PropMap {
    match value(props).obj() {
        Some(Obj::Map(m)) => m.borrow().clone(),
        _ => gene_core::object::prop_map(),
    }
}

fn value(bits: u64) -> Value {
    // Safety: native code only passes bits it received from the runtime.
    unsafe { Value::from_bits(bits) }
}

impl Vm {
    /// Calls native code with this VM installed as the thread's runtime.
    #[inline(always)]
    pub(crate) fn call_native(
        &mut self,
        code: NativeCode,
        closure: Value,
        self_val: Value,
        args: &[Value],
        props: Value,
    ) -> VmResult {
        let previous = CURRENT.with(|c| c.replace(self as *mut Vm));
        let limit = self.enter_native_limit();
        // Safety: `args` is a live slice; Value is a transparent u64.
        let r = unsafe {
            code(
                closure.bits(),
                self_val.bits(),
                args.as_ptr() as *const u64,
                args.len() as u32,
                props.bits(),
            )
        };
        self.restore_native_limit(limit);
        CURRENT.with(|c| c.set(previous));
        if r == EXCEPTION_SENTINEL {
            Err(value(PENDING.with(|p| p.replace(0))))
        } else {
            Ok(value(r))
        }
    }
}

/// Links regular expressions and DateTime into the executable: `main`
/// calls it before [`gene_rt_main`] when the program may use them; the
/// linker drops them from executables that never call it.
#[no_mangle]
pub extern "C" fn gene_rt_use_libraries() {
    crate::builtins::link_libraries();
}

/// The executable's entry: loads the image, registers the native code of
/// each Proto (`table[i]` for the i-th Proto in pre-order, null when it
/// stays bytecode), runs the program and returns the exit status.
///
/// # Safety
/// `image` must point to `image_len` readable bytes, `table` to `count`
/// entries, `cache_words` to `cache_count` pointers to writable 64-bit
/// words (native code's inline caches), `argv` to `argc` C strings: what
/// `gene build` emits.
#[no_mangle]
pub unsafe extern "C" fn gene_rt_main(
    image: *const u8,
    image_len: u64,
    table: *const *const c_void,
    count: u64,
    cache_words: *const *const c_void,
    cache_count: u64,
    argc: i32,
    argv: *const *const c_char,
) -> i32 {
    let bytes = std::slice::from_raw_parts(image, image_len as usize);
    let natives: Vec<usize> = std::slice::from_raw_parts(table, count as usize)
        .iter()
        .map(|p| *p as usize)
        .collect();
    let cache_words: Vec<usize> = std::slice::from_raw_parts(cache_words, cache_count as usize)
        .iter()
        .map(|p| *p as usize)
        .collect();
    let args: Vec<String> = (1..argc.max(0) as usize)
        .map(|i| CStr::from_ptr(*argv.add(i)).to_string_lossy().into_owned())
        .collect();
    // Built-ins that call back into Gene recurse on the Rust stack; run on
    // a thread with room, like `gene run`. Protos are per-thread data, so
    // the image is loaded there.
    let worker = std::thread::Builder::new()
        .name("gene".into())
        .stack_size(PROGRAM_STACK)
        .spawn(move || {
            gene_core::gc::mark_stack_top();
            CACHE_WORDS.with(|w| *w.borrow_mut() = cache_words);
            let status = run_image(bytes, &natives, args);
            gene_core::gc::report_stats();
            status
        });
    match worker.map(|h| h.join()) {
        Ok(Ok(status)) => status,
        _ => 70,
    }
}

/// Loads the image, registers native code and runs the program.
fn run_image(bytes: &[u8], natives: &[usize], args: Vec<String>) -> i32 {
    let here = 0u8;
    let top = std::ptr::addr_of!(here) as usize;
    gene_stack_limit.store(
        top.saturating_sub(PROGRAM_STACK - STACK_RESERVE),
        Ordering::Relaxed,
    );
    let program = match gene_frontend::image::read_program(bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: the program's bytecode image is unreadable: {e}");
            return 70;
        }
    };
    let protos = program.protos;
    for (proto, &entry) in protos.iter().zip(natives) {
        if entry != 0 {
            // Safety: the table holds functions emitted with NativeCode's
            // signature.
            let code = unsafe { std::mem::transmute::<usize, NativeCode>(entry) };
            proto.native.set(Some(code));
        }
    }
    let Some(&main) = protos.first() else {
        return 70;
    };
    PROTOS.with(|p| *p.borrow_mut() = protos);
    crate::stdio::install_process_hooks();
    let mut vm = Vm::new(VmOptions { args });
    vm.embedded = Some(crate::modules::Embedded::new(
        main,
        program.modules.into_iter().map(|m| (m.key, m.proto)),
    ));
    let result = vm.run_main(main);
    vm.finish(result)
}

/// Raises `StackOverflow` (native code found its frame below the limit).
#[no_mangle]
pub extern "C" fn gene_stack_overflow() -> u64 {
    with_vm(|vm| {
        to_abi(Err(vm.error(
            gene_core::ErrorKind::StackOverflow,
            "Stack overflow: native calls nested too deeply",
        )))
    })
}

/// Takes the pending exception (for a handler in native code).
#[no_mangle]
pub extern "C" fn gene_take_exception() -> u64 {
    PENDING.with(|p| p.replace(Value::NIL.bits()))
}

/// Raises `StackOverflow` (native code found more activations running
/// than the recursion limit allows; see `backtrace.rs`).
#[no_mangle]
pub extern "C" fn gene_depth_overflow() -> u64 {
    with_vm(|vm| to_abi(Err(vm.depth_overflow())))
}

/// Records that the pending exception unwound the native frame of Proto
/// `proto` at `pc` (the frame returns the sentinel next).
#[no_mangle]
pub extern "C" fn gene_trace(proto: u32, pc: u32) {
    let thrown = value(PENDING.with(Cell::get));
    with_vm(|vm| vm.trace_frame(thrown, proto_at(proto), pc));
}

/// Takes the pending exception for the handler of Proto `proto` covering
/// `pc`, filing its trace for `.stacktrace`.
#[no_mangle]
pub extern "C" fn gene_catch(proto: u32, pc: u32) -> u64 {
    let thrown = gene_take_exception();
    with_vm(|vm| vm.caught(value(thrown), proto_at(proto), pc));
    thrown
}

/// Throws `v` from native code: returns the sentinel with `v` pending.
#[no_mangle]
pub extern "C" fn gene_throw(v: u64) -> u64 {
    with_vm(|vm| {
        let thrown = value(v);
        let thrown = if matches!(thrown.obj(), Some(Obj::Class(_))) {
            match vm.instantiate(thrown, Vec::new(), None) {
                Ok(instance) => instance,
                Err(e) => e,
            }
        } else {
            thrown
        };
        to_abi(Err(thrown))
    })
}

/// `consts[i]` of Proto `proto`.
#[no_mangle]
pub extern "C" fn gene_const(proto: u32, i: u32) -> u64 {
    proto_at(proto).consts[i as usize].bits()
}

/// `callee(args...)` for any callee.
///
/// # Safety
/// `args` points to `argc` values.
#[no_mangle]
pub unsafe extern "C" fn gene_call(callee: u64, args: *const u64, argc: u32) -> u64 {
    let args = values(args, argc);
    with_vm(|vm| to_abi(vm.call_with(value(callee), args, None, CallSite::plain())))
}

/// Whether `callee` is a macro (its arguments must then not be evaluated).
#[no_mangle]
pub extern "C" fn gene_is_macro(callee: u64) -> u64 {
    let is_macro = matches!(
        value(callee).obj(),
        Some(Obj::Function(f)) if f.kind == gene_core::object::FnKind::Macro
    );
    is_macro as u64
}

/// A macro call from native code: the caller's slots (spilled to `slots`)
/// become a VM frame for the call's duration, so `$caller_eval` reads and
/// assigns them exactly as in the interpreter; they are written back after.
///
/// # Safety
/// `args` points to `argc` values and `slots` to the Proto's slot count.
#[no_mangle]
pub unsafe extern "C" fn gene_call_macro(
    callee: u64,
    args: *const u64,
    argc: u32,
    proto: u32,
    pc: u32,
    slots: *mut u64,
    closure: u64,
    self_val: u64,
) -> u64 {
    let args = values(args, argc);
    let caller = proto_at(proto);
    let n = caller.n_slots as usize;
    let slots = std::slice::from_raw_parts_mut(slots, n);
    with_vm(|vm| {
        let ns = vm.namespace_for(caller, value(closure), value(self_val));
        // The callee slot below the caller's frame.
        vm.stack.push(Value::NIL);
        let r = with_named_slots_on_stack(vm, caller, pc, slots, |vm, base| {
            vm.frames.push(Frame {
                pc: pc as usize + 1,
                ..Frame::new(caller, value(closure), base, value(self_val), ns)
            });
            let site = CallSite {
                macro_caller: Some(vm.frames.len() - 1),
                ..CallSite::plain()
            };
            let r = vm.call_with(value(callee), args, None, site);
            vm.frames.pop();
            r
        });
        vm.stack.pop();
        to_abi(r)
    })
}

/// Runs `f` with native code's `slots` copied onto the VM stack at the
/// base it is given, then copies them back (the VM may have assigned
/// them) and drops them from the stack.
fn with_slots_on_stack<R>(
    vm: &mut Vm,
    slots: &mut [u64],
    f: impl FnOnce(&mut Vm, usize) -> R,
) -> R {
    let base = vm.stack.len();
    vm.stack.extend(slots.iter().map(|b| value(*b)));
    let r = f(vm, base);
    for (i, slot) in slots.iter_mut().enumerate() {
        *slot = vm.stack[base + i].bits();
    }
    vm.stack.truncate(base);
    r
}

/// As [`with_slots_on_stack`] for a macro called at `pc` of `caller`: only
/// the slots of the locals named there are read from and written back to
/// `slots` (native code spills just those, so that a macro call costs code
/// in proportion to what is in scope, not to the whole function); the
/// others are nil for the macro's duration, and no Gene code can name them.
fn with_named_slots_on_stack<R>(
    vm: &mut Vm,
    caller: &Proto,
    pc: u32,
    slots: &mut [u64],
    f: impl FnOnce(&mut Vm, usize) -> R,
) -> R {
    let base = vm.stack.len();
    vm.stack.resize(base + slots.len(), Value::NIL);
    for slot in caller.slots_named_at(pc) {
        vm.stack[base + slot as usize] = value(slots[slot as usize]);
    }
    let r = f(vm, base);
    for slot in caller.slots_named_at(pc) {
        slots[slot as usize] = vm.stack[base + slot as usize].bits();
    }
    vm.stack.truncate(base);
    r
}

/// `LoadName` of instruction `pc` in Proto `proto`, for the running closure
/// and self (which decide the namespace).
#[no_mangle]
pub extern "C" fn gene_load_name(closure: u64, self_val: u64, proto: u32, pc: u32) -> u64 {
    let p = proto_at(proto);
    let gene_core::Instr::LoadName { name, cache } = p.code[pc as usize] else {
        return Value::NIL.bits();
    };
    with_vm(|vm| {
        let ns = vm.namespace_for(p, value(closure), value(self_val));
        to_abi(vm.load_name(ns, name, &p.name_caches[cache as usize]))
    })
}

/// The slow path of `+ - * / % **` (`op` a `BinOp` code).
#[no_mangle]
pub extern "C" fn gene_arith(op: u32, a: u64, b: u64) -> u64 {
    match arith(BinOp::from_code(op), value(a), value(b)) {
        Ok(v) => v.bits(),
        Err(e) => with_vm(|vm| to_abi(Err(vm.raise(e)))),
    }
}

/// `a op b` for two raw ints (`op` a `BinOp` code; `a` and `b` are i64
/// bits), exactly as `gene_arith` computes it for the same int values: an
/// int body calls it when its inline arithmetic overflows or divides by
/// zero, to raise the same error.
#[no_mangle]
pub extern "C" fn gene_int_arith(op: u32, a: u64, b: u64) -> u64 {
    gene_arith(op, Value::int(a as i64).bits(), Value::int(b as i64).bits())
}

/// `(a .name b)` for the Int method `INLINED_INT_METHODS[code]` on two
/// raw ints (i64 bits; `b` unused for `bit_not`), run as the method itself:
/// an int body calls it where its inline code would be wrong (a shift count
/// outside 0…63), to raise the method's error.
#[no_mangle]
pub extern "C" fn gene_int_method(code: u32, a: u64, b: u64) -> u64 {
    let names = gene_core::numeric::INLINED_INT_METHODS;
    let name = Symbol::intern(names.get(code as usize).copied().unwrap_or("bit_not"));
    let arg = [Value::int(b as i64)];
    let args = if name.name() == "bit_not" {
        &arg[..0]
    } else {
        &arg[..]
    };
    with_vm(|vm| to_abi(vm.call_method(Value::int(a as i64), name, args)))
}

/// The value of a raw int (its i64 bits): immediate when it fits, boxed
/// otherwise.
#[no_mangle]
pub extern "C" fn gene_box_int(i: u64) -> u64 {
    Value::int(i as i64).bits()
}

/// The slow path of `< <= > >=` (`op` a `CmpOp` code): a Bool value.
#[no_mangle]
pub extern "C" fn gene_compare(op: u32, a: u64, b: u64) -> u64 {
    match compare(CmpOp::from_code(op), value(a), value(b)) {
        Ok(r) => Value::bool(r).bits(),
        Err(e) => with_vm(|vm| to_abi(Err(vm.raise(e)))),
    }
}

/// Structural equality: a Bool value.
#[no_mangle]
pub extern "C" fn gene_equals(a: u64, b: u64) -> u64 {
    Value::bool(equals(value(a), value(b))).bits()
}

/// `(- a)`.
#[no_mangle]
pub extern "C" fn gene_negate(a: u64) -> u64 {
    match negate(value(a)) {
        Ok(v) => v.bits(),
        Err(e) => with_vm(|vm| to_abi(Err(vm.raise(e)))),
    }
}

/// Any other instruction, executed by the interpreter's own code: the
/// instruction at `pc` of Proto `proto` pops its operands from
/// `operands[..pops]` and writes its result to `operands[0]`. Returns 0, or
/// the sentinel when it threw.
///
/// # Safety
/// `operands` points to the instruction's operands with room for its result.
#[no_mangle]
pub unsafe extern "C" fn gene_step(
    proto: u32,
    pc: u32,
    closure: u64,
    self_val: u64,
    operands: *mut u64,
    pops: u32,
) -> u64 {
    let p = proto_at(proto);
    let instr = p.code[pc as usize];
    // Safety: Value is a transparent u64, and the operands are live values.
    let input = std::slice::from_raw_parts(operands as *const Value, pops as usize);
    let result = with_vm(|vm| vm.step_instr(p, instr, value(closure), value(self_val), input));
    match result {
        Ok(v) => {
            *operands = v.bits();
            0
        }
        Err(thrown) => to_abi(Err(thrown)),
    }
}

/// `[a b ...]`: a new array of the `n` values at `items`.
///
/// # Safety
/// `items` points to `n` live values.
#[no_mangle]
pub unsafe extern "C" fn gene_make_array(items: *const u64, n: u32) -> u64 {
    // Safety: Value is a transparent u64.
    let items = std::slice::from_raw_parts(items as *const Value, n as usize);
    with_vm(|vm| to_abi(crate::call::new_array(vm, items)))
}

/// `coll/i` with a literal index.
#[no_mangle]
pub extern "C" fn gene_get_child(coll: u64, i: i64) -> u64 {
    // Elements of arrays first: tree and tuple code lives on them.
    if let (Some(Obj::Array(items)), Ok(at)) = (value(coll).obj(), usize::try_from(i)) {
        if let Some(v) = items
            .try_borrow()
            .ok()
            .and_then(|items| items.get(at).copied())
        {
            return v.bits();
        }
    }
    with_vm(|vm| to_abi(vm.get_child(value(coll), i)))
}

/// The member a member access names (`cache[0]`: the name's symbol plus
/// one, filled on first use).
///
/// # Safety
/// `cache` points to the site's writable cache words.
#[inline(always)]
unsafe fn member_name(proto: u32, pc: u32, cache: *mut u64) -> Option<Symbol> {
    if *cache != 0 {
        return Some(Symbol((*cache - 1) as u32));
    }
    let (Instr::GetMember(name) | Instr::SetMember(name)) = proto_at(proto).code[pc as usize]
    else {
        return None;
    };
    *cache = name.0 as u64 + 1;
    Some(name)
}

/// `obj/name` (`GetMember` at `pc` of `proto`). `cache` is the site's two
/// words: the name, and where in an instance's properties it was last
/// found, which is checked before any hashing.
///
/// # Safety
/// `cache` points to two writable words.
#[no_mangle]
pub unsafe extern "C" fn gene_get_member(proto: u32, pc: u32, obj: u64, cache: *mut u64) -> u64 {
    let Some(name) = member_name(proto, pc, cache) else {
        return Value::NIL.bits();
    };
    let obj = value(obj);
    // Safety: the second cache word is the site's hint (a Cell<u64> has the
    // layout of a u64).
    let hint = PropHint(&*(cache.add(1) as *const Cell<u64>));
    if let Some(Obj::Instance(i)) = obj.obj() {
        if let Ok(props) = i.props.try_borrow() {
            return hint.get(&props, name).bits();
        }
    }
    with_vm(|vm| to_abi(vm.get_member(obj, name)))
}

/// `(obj/name = v)` (`SetMember` at `pc` of `proto`), with the same cache as
/// `gene_get_member`. Returns `v`.
///
/// # Safety
/// `cache` points to two writable words.
#[no_mangle]
pub unsafe extern "C" fn gene_set_member(
    proto: u32,
    pc: u32,
    obj: u64,
    v: u64,
    cache: *mut u64,
) -> u64 {
    let Some(name) = member_name(proto, pc, cache) else {
        return Value::NIL.bits();
    };
    let (obj, v) = (value(obj), value(v));
    // Safety: as in `gene_get_member`.
    let hint = PropHint(&*(cache.add(1) as *const Cell<u64>));
    if let Some(Obj::Instance(i)) = obj.obj() {
        if let Ok(mut props) = i.props.try_borrow_mut() {
            gene_core::gc::write_barrier(obj, v);
            hint.set(&mut props, name, v);
            return v.bits();
        }
    }
    with_vm(|vm| to_abi(vm.set_member(obj, name, v).map(|_| v)))
}

/// `(obj ./ key default)`: array elements by int key inline, anything else
/// as `Select` does.
#[no_mangle]
pub extern "C" fn gene_select(obj: u64, key: u64, default: u64) -> u64 {
    let (obj, key, default) = (value(obj), value(key), value(default));
    if let (Some(Obj::Array(items)), Some(at)) = (obj.obj(), key.as_small_int()) {
        if let Some(v) = usize::try_from(at)
            .ok()
            .and_then(|at| items.try_borrow().ok()?.get(at).copied())
        {
            return if v.is_nil() { default } else { v }.bits();
        }
    }
    with_vm(|vm| to_abi(vm.select(obj, key, default)))
}

/// `($set obj (@ key) v)` and `(obj ./ key = v)`: array elements by int key
/// inline, anything else as `SetKey` does. Returns `v`.
#[no_mangle]
pub extern "C" fn gene_set_key(obj: u64, key: u64, v: u64) -> u64 {
    let (obj, key, v) = (value(obj), value(key), value(v));
    if let (Some(Obj::Array(items)), Some(at)) = (obj.obj(), key.as_small_int()) {
        if let Ok(mut items) = items.try_borrow_mut() {
            if let Some(slot) = usize::try_from(at).ok().and_then(|at| items.get_mut(at)) {
                gene_core::gc::write_barrier(obj, v);
                *slot = v;
                return v.bits();
            }
        }
    }
    with_vm(|vm| to_abi(vm.set_key(obj, key, v).map(|_| v)))
}

/// `(receiver .name args...)` (`CallMethod` at `pc` of `proto`): `ops` holds
/// the receiver and then `argc` arguments; `cache` is the site's three
/// words (see `MethodCache`).
///
/// # Safety
/// `ops` points to `argc + 1` live values, `cache` to three writable words.
#[no_mangle]
pub unsafe extern "C" fn gene_call_method(
    proto: u32,
    pc: u32,
    ops: *const u64,
    argc: u32,
    cache: *mut u64,
) -> u64 {
    // Safety: Value is a transparent u64.
    let ops = std::slice::from_raw_parts(ops as *const Value, argc as usize + 1);
    let cache = &mut *(cache as *mut crate::call::MethodCache);
    // The lowering calls this only for `CallMethod`.
    let name = || match proto_at(proto).code[pc as usize] {
        Instr::CallMethod { name, .. } => name,
        other => unreachable!("gene_call_method for {other:?}"),
    };
    with_vm(|vm| to_abi(vm.call_method_cached(ops[0], name, &ops[1..], cache)))
}

/// A fresh cell holding `v` (a `var` of a captured variable).
#[no_mangle]
pub extern "C" fn gene_cell_new(v: u64) -> u64 {
    crate::interp::new_cell(value(v)).bits()
}

/// The content of a cell (or the value itself when it is not one).
#[no_mangle]
pub extern "C" fn gene_cell_get(cell: u64) -> u64 {
    crate::interp::cell_get(value(cell)).bits()
}

/// Sets a cell's content.
#[no_mangle]
pub extern "C" fn gene_cell_set(cell: u64, v: u64) {
    if let Some(Obj::Cell(c)) = value(cell).obj() {
        c.set(value(v));
    }
}

/// Upvalue `i` of a closure: its cell (`raw` = 1) or the cell's content.
#[no_mangle]
pub extern "C" fn gene_upvalue_get(closure: u64, i: u32, raw: u32) -> u64 {
    let cell = match value(closure).obj() {
        Some(Obj::Function(f)) => f.upvalues.get(i as usize).copied().unwrap_or(Value::NIL),
        _ => Value::NIL,
    };
    if raw != 0 {
        cell.bits()
    } else {
        crate::interp::cell_get(cell).bits()
    }
}

/// Sets the content of upvalue `i` of a closure.
#[no_mangle]
pub extern "C" fn gene_upvalue_set(closure: u64, i: u32, v: u64) {
    if let Some(Obj::Function(f)) = value(closure).obj() {
        if let Some(Obj::Cell(c)) = f.upvalues.get(i as usize).and_then(|c| c.obj()) {
            c.set(value(v));
        }
    }
}

/// A closure of Proto `proto` (pre-order index) capturing the `n` cells at
/// `captures`, made by code of Proto `maker` running in `closure` with
/// `self_val` (which decide the closure's namespace).
///
/// # Safety
/// `captures` points to `n` values.
#[no_mangle]
pub unsafe extern "C" fn gene_make_closure(
    proto: u32,
    captures: *const u64,
    n: u32,
    closure: u64,
    self_val: u64,
    maker: u32,
) -> u64 {
    let p = proto_at(proto);
    let maker = proto_at(maker);
    let upvalues = std::slice::from_raw_parts(captures, n as usize)
        .iter()
        .map(|b| crate::interp::into_cell(value(*b)))
        .collect();
    with_vm(|vm| {
        let ns = vm.namespace_for(maker, value(closure), value(self_val));
        vm.make_function(p, upvalues, value(self_val), ns).bits()
    })
}

/// What `for` iterates over `coll` (or the sentinel when it cannot).
#[no_mangle]
pub extern "C" fn gene_iter_init(coll: u64) -> u64 {
    with_vm(|vm| to_abi(vm.iteration_source(value(coll))))
}

/// The next element of an iteration: `state` holds the source and the
/// position (advanced in place); the key/index and the element are written
/// to `out`. Returns 1, 0 when the iteration is done, or the sentinel
/// when reading the next element failed (a File's lines).
///
/// # Safety
/// `state` and `out` each point to two values.
#[no_mangle]
pub unsafe extern "C" fn gene_iter_next(state: *mut u64, out: *mut u64) -> u64 {
    let state = std::slice::from_raw_parts_mut(state, 2);
    let out = std::slice::from_raw_parts_mut(out, 2);
    let i = value(state[1]).as_small_int().unwrap_or(0);
    match crate::interp::iter_item(value(state[0]), i) {
        Some((k, v)) => {
            state[1] = Value::int(i + 1).bits();
            out[0] = k.bits();
            out[1] = v.bits();
            1
        }
        None if matches!(value(state[0]).obj(), Some(Obj::File(_))) => {
            match with_vm(|vm| crate::builtins::file::next_line_value(vm, value(state[0]))) {
                Ok(Some(line)) => {
                    state[1] = Value::int(i + 1).bits();
                    out[0] = Value::int(i).bits();
                    out[1] = line.bits();
                    1
                }
                Ok(None) => 0,
                Err(thrown) => to_abi(Err(thrown)),
            }
        }
        None => 0,
    }
}

/// Runs namespace or class body `proto` (pre-order index) with `self` and
/// the current namespace bound to `target`; returns the target.
#[no_mangle]
pub extern "C" fn gene_run_body(proto: u32, target: u64) -> u64 {
    let p = proto_at(proto);
    with_vm(|vm| {
        vm.native_depth += 1;
        let r = vm.run_top_level(p, value(target), value(target));
        vm.native_depth -= 1;
        to_abi(r.map(|_| value(target)))
    })
}

/// Binds the parameters of Proto `proto` (defaults, rest, named,
/// destructuring) into `slots`, leaving "missing" markers for the default
/// code. Returns 0, or the sentinel when binding threw.
///
/// # Safety
/// `args` points to `argc` values and `slots` to the Proto's slot count.
#[no_mangle]
pub unsafe extern "C" fn gene_bind_params(
    proto: u32,
    args: *const u64,
    argc: u32,
    props: u64,
    self_val: u64,
    slots: *mut u64,
) -> u64 {
    let p = proto_at(proto);
    let args = values(args, argc);
    let props = props_of(props);
    bind_into(p, &p.params, slots, &args, &props, value(self_val))
}

/// `(match pattern value)`: binds pattern `pattern` of Proto `proto` to
/// `v` into `slots`. Returns 0, or the sentinel on a mismatch.
///
/// # Safety
/// `slots` points to the Proto's slot count.
#[no_mangle]
pub unsafe extern "C" fn gene_match(
    proto: u32,
    pattern: u32,
    v: u64,
    self_val: u64,
    slots: *mut u64,
) -> u64 {
    let p = proto_at(proto);
    let (elems, props) = crate::call::destructure(value(v));
    bind_into(
        p,
        &p.patterns[pattern as usize],
        slots,
        &elems,
        &props,
        value(self_val),
    )
}

/// Runs the VM's pattern binder over a scratch frame holding `slots`.
unsafe fn bind_into(
    p: &'static Proto,
    pattern: &gene_core::bytecode::Pattern,
    slots: *mut u64,
    args: &[Value],
    props: &gene_core::object::PropMap,
    self_val: Value,
) -> u64 {
    let slots = std::slice::from_raw_parts_mut(slots, p.n_slots as usize);
    with_vm(|vm| {
        let r = with_slots_on_stack(vm, slots, |vm, base| {
            vm.bind_pattern(pattern, base, args, props, self_val)
        });
        match r {
            Ok(()) => 0,
            Err(e) => to_abi(Err(e)),
        }
    })
}

/// `$args`: the call's arguments as a gene `(_ ^props... args...)`.
///
/// # Safety
/// `args` points to `argc` values.
#[no_mangle]
pub unsafe extern "C" fn gene_make_args(args: *const u64, argc: u32, props: u64) -> u64 {
    let args = values(args, argc);
    let props = props_of(props);
    gene_frontend::quote::gene(Value::PLACEHOLDER, props, args).bits()
}

/// The native code to call `callee` with directly, exactly as `gene_call`
/// would (a plain, non-async function lowered to native code), or null.
#[no_mangle]
pub extern "C" fn gene_native_target(callee: u64) -> *const c_void {
    match value(callee).obj() {
        Some(Obj::Function(f))
            if f.kind == gene_core::object::FnKind::Function && !f.proto.is_async =>
        {
            f.proto
                .native
                .get()
                .map_or(std::ptr::null(), |code| code as *const c_void)
        }
        _ => std::ptr::null(),
    }
}
