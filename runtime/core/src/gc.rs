//! The collector: non-moving mark-sweep over every object [`heap::alloc`]
//! made.
//!
//! Collections happen only at *safepoints* the VM and native code reach
//! when no built-in is in the middle of calling back into Gene (so no Rust
//! temporary holds a value the collector cannot see). The roots are the
//! VM's explicit ones, which it passes to [`collect`], plus a conservative
//! scan of the thread's stack (native frames keep values in registers and
//! stack slots; the callee-saved registers are spilled first). A word is a
//! pointer when it is a boxed value or an address inside a live object.
//!
//! Allocation only counts bytes and raises a flag when the heap has grown
//! past its threshold; the next safepoint sees the flag.
//!
//! Settings (environment): `GENE_GC_STRESS=1` collects at every safepoint
//! reached after an allocation;
//! `GENE_GC_STATS=1` prints statistics at exit; `GENE_GC_MIN_HEAP` (MiB,
//! default 16) and `GENE_GC_GROWTH` (default 2) set the threshold: collect
//! when the bytes allocated since the last collection exceed
//! max(min heap, growth × live bytes after it).

use crate::heap::GcBox;
use crate::value::Value;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nonzero when a collection is due: safepoints poll it (native code reads
/// this symbol directly).
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_gc_requested: AtomicU64 = AtomicU64::new(0);

struct Heap {
    objects: Vec<*mut GcBox>,
    allocated_since: u64,
    threshold: u64,
    live_after_last: u64,
    stress: bool,
    growth: f64,
    min_heap: u64,
    stats: Stats,
}

#[derive(Default, Clone, Copy)]
pub struct Stats {
    pub collections: u64,
    pub bytes_allocated: u64,
    pub bytes_freed: u64,
    pub objects_freed: u64,
    pub total_pause: Duration,
    pub max_pause: Duration,
}

thread_local! {
    static HEAP: RefCell<Heap> = RefCell::new(Heap::new());
    static STACK_TOP: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Records the caller's frame as the top of the stack the collector scans.
/// Call it first thing on the thread that runs the program: frames above it
/// hold no Gene values.
#[inline(always)]
pub fn mark_stack_top() {
    let marker = 0u8;
    STACK_TOP.with(|t| t.set(std::ptr::addr_of!(marker) as usize));
}

/// The recorded stack top, or `fallback` when none was recorded.
pub fn stack_top(fallback: usize) -> usize {
    STACK_TOP.with(|t| if t.get() == 0 { fallback } else { t.get() })
}

fn env_number(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Heap {
    fn new() -> Heap {
        let stress = std::env::var("GENE_GC_STRESS").is_ok_and(|v| v == "1");
        let min_heap = (env_number("GENE_GC_MIN_HEAP").unwrap_or(16.0).max(1.0) * 1048576.0) as u64;
        let growth = env_number("GENE_GC_GROWTH").unwrap_or(2.0).max(1.1);
        Heap {
            objects: Vec::new(),
            allocated_since: 0,
            threshold: min_heap,
            live_after_last: 0,
            stress,
            growth,
            min_heap,
            stats: Stats::default(),
        }
    }
}

/// The size the collector accounts for one object.
pub fn object_size(b: &GcBox) -> u64 {
    std::mem::size_of::<GcBox>() as u64 + b.obj.payload_size()
}

thread_local! {
    /// Values held by extensions or host code outside any Gene structure.
    static EXTRA_ROOTS: RefCell<Vec<Option<Value>>> = const { RefCell::new(Vec::new()) };
}

/// A handle to a value registered with [`register_root`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RootId(usize);

/// Keeps `v` alive until [`unregister_root`] (for values held outside the
/// heap, e.g. by an extension).
pub fn register_root(v: Value) -> RootId {
    EXTRA_ROOTS.with(|roots| {
        let mut roots = roots.borrow_mut();
        match roots.iter().position(Option::is_none) {
            Some(i) => {
                roots[i] = Some(v);
                RootId(i)
            }
            None => {
                roots.push(Some(v));
                RootId(roots.len() - 1)
            }
        }
    })
}

/// Releases a root registered with [`register_root`].
pub fn unregister_root(id: RootId) {
    EXTRA_ROOTS.with(|roots| {
        if let Some(slot) = roots.borrow_mut().get_mut(id.0) {
            *slot = None;
        }
    });
}

/// Records that `holder` now refers to `value`. The collector is not
/// generational yet, so this does nothing; code that stores values into
/// existing objects calls it so a generational collector can be added
/// behind it.
#[inline(always)]
pub fn write_barrier(_holder: Value, _value: Value) {}

/// Records a new object (called by `heap::alloc`).
pub(crate) fn register(ptr: *mut GcBox, size: u64) {
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        h.objects.push(ptr);
        h.allocated_since += size;
        h.stats.bytes_allocated += size;
        if h.stress || h.allocated_since > h.threshold {
            gene_gc_requested.store(1, Ordering::Relaxed);
        }
    });
}

/// Whether a safepoint should collect.
#[inline]
pub fn requested() -> bool {
    gene_gc_requested.load(Ordering::Relaxed) != 0
}

/// Calls its argument on every value of a root set.
pub type RootTracer<'a> = &'a mut dyn FnMut(&mut dyn FnMut(Value));

/// Collects garbage. `roots` must call its argument on every value the
/// program can still reach that is not on the thread's stack; the stack
/// from the caller's frame up to `stack_top` is scanned conservatively.
pub fn collect(stack_top: usize, roots: RootTracer) {
    let start = Instant::now();
    // Sorted object addresses, for deciding whether a stack word points
    // into an object.
    let mut sorted: Vec<usize> =
        HEAP.with(|h| h.borrow().objects.iter().map(|p| *p as usize).collect());
    sorted.sort_unstable();
    let mut gray: Vec<*const GcBox> = Vec::new();
    let mark = |v: Value, gray: &mut Vec<*const GcBox>| {
        if let Some(p) = v.as_ptr() {
            // Safety: boxed values point to registered, live objects.
            let b = unsafe { &*p };
            if !b.marked.get() {
                b.marked.set(true);
                gray.push(p);
            }
        }
    };
    roots(&mut |v| mark(v, &mut gray));
    EXTRA_ROOTS.with(|extra| {
        for v in extra.borrow().iter().flatten() {
            mark(*v, &mut gray);
        }
    });
    scan_stack(stack_top, &sorted, &mut |p| {
        // Safety: `p` is the address of a registered object.
        let v = unsafe { Value::from_ptr(p) };
        mark(v, &mut gray);
    });
    while let Some(p) = gray.pop() {
        // Safety: only registered, live objects are pushed.
        let b = unsafe { &*p };
        b.obj.trace(&mut |v| mark(v, &mut gray));
    }
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        let mut live = 0u64;
        let mut freed = 0u64;
        let mut count = 0u64;
        h.objects.retain(|&p| {
            // Safety: registered objects are alive until freed here.
            let b = unsafe { &*p };
            if b.marked.get() {
                b.marked.set(false);
                live += object_size(b);
                true
            } else {
                freed += object_size(b);
                count += 1;
                // Safety: nothing reachable points to an unmarked object.
                drop(unsafe { Box::from_raw(p) });
                false
            }
        });
        h.live_after_last = live;
        h.allocated_since = 0;
        h.threshold = ((live as f64 * h.growth) as u64).max(h.min_heap);
        let pause = start.elapsed();
        h.stats.collections += 1;
        h.stats.bytes_freed += freed;
        h.stats.objects_freed += count;
        h.stats.total_pause += pause;
        h.stats.max_pause = h.stats.max_pause.max(pause);
        gene_gc_requested.store(0, Ordering::Relaxed);
    });
}

pub fn stats() -> Stats {
    HEAP.with(|h| h.borrow().stats)
}

/// Prints the statistics to stderr when `GENE_GC_STATS=1`.
pub fn report_stats() {
    if std::env::var("GENE_GC_STATS").is_ok_and(|v| v == "1") {
        let s = stats();
        // The peak resident set, as the kernel counts it (Linux).
        let peak_rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .map(|kb| kb.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        eprintln!(
            "gc: {} collections, {} bytes allocated, {} bytes freed ({} objects), pause total {:.3} ms, max {:.3} ms, peak rss {}",
            s.collections,
            s.bytes_allocated,
            s.bytes_freed,
            s.objects_freed,
            s.total_pause.as_secs_f64() * 1000.0,
            s.max_pause.as_secs_f64() * 1000.0,
            peak_rss
        );
    }
}

/// Calls `found` with every registered object some word on the stack
/// (between this frame and `stack_top`) or in a callee-saved register
/// points to or into.
#[inline(never)]
fn scan_stack(stack_top: usize, sorted: &[usize], found: &mut dyn FnMut(*const GcBox)) {
    let registers = spill_registers();
    let here = std::ptr::addr_of!(registers) as usize;
    let size = std::mem::size_of::<GcBox>();
    let mut check = |word: usize| {
        let candidate = if (word as u64) >> 48 == crate::value::TAG_PTR {
            word & ((1usize << 48) - 1)
        } else {
            word
        };
        let i = sorted.partition_point(|&a| a <= candidate);
        if i > 0 && candidate < sorted[i - 1] + size {
            found(sorted[i - 1] as *const GcBox);
        }
    };
    for r in registers {
        check(r);
    }
    if stack_top <= here {
        return;
    }
    let words = (stack_top - here) / std::mem::size_of::<usize>();
    let base = here as *const usize;
    for i in 0..words {
        // Safety: every address between this frame and the recorded top
        // of the same thread's stack is mapped and readable.
        check(unsafe { std::ptr::read_volatile(base.add(i)) });
    }
}

/// The callee-saved registers, which may hold values of frames that are
/// not otherwise on the stack.
#[inline(never)]
fn spill_registers() -> [usize; 12] {
    let mut regs = [0usize; 12];
    #[cfg(target_arch = "x86_64")]
    unsafe {
        std::arch::asm!(
            "mov [{0}], rbx", "mov [{0} + 8], rbp", "mov [{0} + 16], r12",
            "mov [{0} + 24], r13", "mov [{0} + 32], r14", "mov [{0} + 40], r15",
            in(reg) regs.as_mut_ptr(),
        );
    }
    #[cfg(target_arch = "aarch64")]
    unsafe {
        std::arch::asm!(
            "stp x19, x20, [{0}]", "stp x21, x22, [{0}, #16]", "stp x23, x24, [{0}, #32]",
            "stp x25, x26, [{0}, #48]", "stp x27, x28, [{0}, #64]", "str x29, [{0}, #80]",
            in(reg) regs.as_mut_ptr(),
        );
    }
    regs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap;

    #[test]
    fn unreachable_objects_are_freed_and_rooted_ones_kept() {
        let kept = heap::array(vec![heap::string("inner")]);
        let before = stats().objects_freed;
        for _ in 0..1000 {
            heap::string("garbage");
        }
        // Roots only: no stack top, so nothing on the stack is scanned.
        collect(0, &mut |mark| mark(kept));
        let freed = stats().objects_freed - before;
        assert!(freed >= 1000, "freed {freed}");
        let inner = match kept.obj() {
            Some(crate::heap::Obj::Array(a)) => a.borrow()[0],
            _ => Value::NIL,
        };
        assert_eq!(inner.as_str(), Some("inner"));
    }

    #[test]
    fn registered_roots_survive_until_unregistered() {
        let held = heap::string("held");
        let id = register_root(held);
        let before = stats().objects_freed;
        collect(0, &mut |_| {});
        assert_eq!(stats().objects_freed, before);
        assert_eq!(held.as_str(), Some("held"));
        unregister_root(id);
        collect(0, &mut |_| {});
        assert_eq!(stats().objects_freed, before + 1);
    }

    #[test]
    fn values_on_the_stack_are_found_conservatively() {
        mark_stack_top();
        let top = stack_top(0);
        let on_stack = std::hint::black_box(heap::string("on the stack"));
        collect(top, &mut |_| {});
        assert_eq!(
            std::hint::black_box(on_stack).as_str(),
            Some("on the stack")
        );
    }
}
