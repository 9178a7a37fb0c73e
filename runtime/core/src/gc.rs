//! The collector: non-moving mark-sweep over every object [`heap::alloc`]
//! made.
//!
//! The heap is 64 KiB pages of object-sized cells; the page map (the sorted
//! page addresses) tells whether a word points into a live object. A
//! collection only marks; allocation sweeps a page when it runs out of free
//! cells (lazy sweeping), and empty pages beyond what the next cycle needs
//! are returned to the system.
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
//! default 8) and `GENE_GC_GROWTH` (default 2) set the threshold: collect
//! when the bytes allocated since the last collection exceed
//! max(min heap, growth × live bytes after it).

use crate::heap::{GcBox, Obj};
use crate::value::Value;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Nonzero when a collection is due: safepoints poll it (native code reads
/// this symbol directly).
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static gene_gc_requested: AtomicU64 = AtomicU64::new(0);

/// The states of a cell (the first byte of a [`GcBox`]).
pub(crate) const FREE: u8 = 0;
pub(crate) const LIVE: u8 = 1;
const MARKED: u8 = 2;

/// Pages are aligned to their size, so a word's page is the word with its
/// low bits cleared.
const PAGE_BYTES: usize = 1 << 16;
const CELL_BYTES: usize = std::mem::size_of::<GcBox>();
const CELLS_PER_PAGE: usize = PAGE_BYTES / CELL_BYTES;
const PAGE_LAYOUT: Layout = match Layout::from_size_align(PAGE_BYTES, PAGE_BYTES) {
    Ok(layout) => layout,
    Err(_) => panic!("bad page layout"),
};

struct Heap {
    /// The page map: the base address of every page, sorted.
    pages: Vec<usize>,
    /// Pages not swept since the last marking, next last. Sweeping is lazy:
    /// allocation sweeps a page when it runs out of free cells, so a cell
    /// is touched once to be freed and reused, not twice.
    unswept: Vec<usize>,
    /// Free cells, linked through the word after their state byte.
    free: *mut GcBox,
    /// Objects whose finalizer must run once a marking leaves them unmarked.
    finalizable: Vec<Value>,
    /// Pages beyond this count are returned to the system when sweeping
    /// finds them empty.
    page_budget: usize,
    allocated_since: u64,
    /// The bytes found live by the last marking.
    live: u64,
    threshold: u64,
    settings: Option<Settings>,
    stats: Stats,
}

#[derive(Clone, Copy)]
struct Settings {
    stress: bool,
    growth: f64,
    min_heap: u64,
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
    static HEAP: RefCell<Heap> = const { RefCell::new(Heap::new()) };
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

impl Settings {
    fn from_env() -> Settings {
        Settings {
            stress: std::env::var("GENE_GC_STRESS").is_ok_and(|v| v == "1"),
            growth: env_number("GENE_GC_GROWTH").unwrap_or(2.0).max(1.1),
            min_heap: (env_number("GENE_GC_MIN_HEAP").unwrap_or(8.0).max(1.0) * 1048576.0) as u64,
        }
    }
}

/// Marks a free cell and links it in front of `next`.
///
/// # Safety
/// `cell` must be a cell of one of the heap's pages holding no object.
unsafe fn link_free(cell: *mut GcBox, next: *mut GcBox) {
    let raw = cell.cast::<u8>();
    raw.write(FREE);
    raw.add(8).cast::<*mut GcBox>().write(next);
}

/// # Safety
/// `cell` must be a cell of one of the heap's pages.
unsafe fn state(cell: *const GcBox) -> u8 {
    cell.cast::<u8>().read()
}

fn cell(page: usize, i: usize) -> *mut GcBox {
    (page + i * CELL_BYTES) as *mut GcBox
}

impl Heap {
    const fn new() -> Heap {
        Heap {
            pages: Vec::new(),
            unswept: Vec::new(),
            free: std::ptr::null_mut(),
            finalizable: Vec::new(),
            page_budget: usize::MAX,
            allocated_since: 0,
            live: 0,
            // Zero, so the first allocation reads the settings.
            threshold: 0,
            settings: None,
            stats: Stats {
                collections: 0,
                bytes_allocated: 0,
                bytes_freed: 0,
                objects_freed: 0,
                total_pause: Duration::ZERO,
                max_pause: Duration::ZERO,
            },
        }
    }

    fn settings(&mut self) -> Settings {
        *self.settings.get_or_insert_with(Settings::from_env)
    }

    /// Adds a page and links its cells into the free list, in address order.
    fn grow(&mut self) {
        // Safety: the layout has a nonzero size.
        let page = unsafe { alloc(PAGE_LAYOUT) } as usize;
        if page == 0 {
            handle_alloc_error(PAGE_LAYOUT);
        }
        for i in (0..CELLS_PER_PAGE).rev() {
            // Safety: the cell lies inside the new page.
            unsafe { link_free(cell(page, i), self.free) };
            self.free = cell(page, i);
        }
        let at = self.pages.partition_point(|&p| p < page);
        self.pages.insert(at, page);
    }

    /// The object a word points to or into, if it is a live object's cell.
    fn object_at(&self, word: usize) -> Option<*const GcBox> {
        let page = word & !(PAGE_BYTES - 1);
        self.pages.binary_search(&page).ok()?;
        let i = (word - page) / CELL_BYTES;
        let c = cell(page, i);
        // Safety: `c` is a cell of one of the heap's pages.
        (i < CELLS_PER_PAGE && unsafe { state(c) } != FREE).then_some(c as *const GcBox)
    }

    /// Makes free cells available: sweeps unswept pages until one has a
    /// free cell, or adds a page.
    fn refill(&mut self) {
        while let Some(page) = self.unswept.pop() {
            let before = self.free;
            let used = self.sweep(page);
            if !used && self.pages.len() > self.page_budget {
                // Empty and beyond the budget: unlink its cells, release it.
                self.free = before;
                if let Ok(at) = self.pages.binary_search(&page) {
                    self.pages.remove(at);
                }
                // Safety: the page came from `alloc` with this layout and
                // holds no object.
                unsafe { dealloc(page as *mut u8, PAGE_LAYOUT) };
            } else if !self.free.is_null() {
                return;
            }
        }
        self.grow();
    }

    /// Sweeps one page: frees its unmarked objects, unmarks the others and
    /// links its free cells in front of the free list, in address order.
    /// Returns whether any object on it is live.
    fn sweep(&mut self, page: usize) -> bool {
        let mut used = false;
        for i in (0..CELLS_PER_PAGE).rev() {
            let c = cell(page, i);
            // Safety: `c` is a cell of this page; an unmarked object in it is
            // unreachable, so dropping it in place is its last use.
            unsafe {
                match state(c) {
                    MARKED => {
                        (*c).state.set(LIVE);
                        used = true;
                        continue;
                    }
                    LIVE => {
                        self.stats.objects_freed += 1;
                        std::ptr::drop_in_place(&mut (*c).obj);
                    }
                    _ => {}
                }
                link_free(c, self.free);
            }
            self.free = c;
        }
        used
    }

    /// Sweeps the pages left from the last marking.
    fn finish_sweep(&mut self) {
        while let Some(page) = self.unswept.pop() {
            self.sweep(page);
        }
    }
}

/// The size the collector accounts for one object.
pub fn object_size(b: &GcBox) -> u64 {
    CELL_BYTES as u64 + b.obj.payload_size()
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

/// A free cell for a new object accounted as `size` bytes (called by
/// `heap::alloc`, which writes the object into it).
pub(crate) fn allocate_cell(size: u64) -> *mut GcBox {
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        if h.free.is_null() {
            h.refill();
        }
        let cell = h.free;
        // Safety: free cells hold the next free cell after their state byte.
        h.free = unsafe { cell.cast::<u8>().add(8).cast::<*mut GcBox>().read() };
        h.allocated_since += size;
        h.stats.bytes_allocated += size;
        if h.allocated_since > h.threshold {
            if h.settings.is_none() {
                let settings = h.settings();
                h.threshold = if settings.stress {
                    0
                } else {
                    settings.min_heap
                };
            }
            if h.allocated_since > h.threshold {
                gene_gc_requested.store(1, Ordering::Relaxed);
            }
        }
        cell
    })
}

/// Records that `v` (a `Custom`) has a finalizer to run when it dies.
pub(crate) fn register_finalizable(v: Value) {
    HEAP.with(|h| h.borrow_mut().finalizable.push(v));
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
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        h.finish_sweep();
        // Sweeping relinks every free cell.
        h.free = std::ptr::null_mut();
    });
    let mut marker = Marker::default();
    roots(&mut |v| marker.mark(v));
    EXTRA_ROOTS.with(|extra| {
        for v in extra.borrow().iter().flatten() {
            marker.mark(*v);
        }
    });
    HEAP.with(|h| {
        let h = h.borrow();
        scan_stack(stack_top, &mut |word| {
            if let Some(p) = h.object_at(word) {
                // Safety: `p` is the address of a live object.
                marker.mark(unsafe { Value::from_ptr(p) });
            }
        });
    });
    while let Some(p) = marker.gray.pop() {
        // Safety: only live objects are pushed.
        let b = unsafe { &*p };
        b.obj.trace(&mut |v| marker.mark(v));
    }
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        let settings = h.settings();
        // What was live or allocated since and is not live now is freed
        // (as accounted when allocated: sizes of grown arrays are not
        // tracked).
        h.stats.bytes_freed += (h.live + h.allocated_since).saturating_sub(marker.live);
        h.live = marker.live;
        h.allocated_since = 0;
        h.threshold = if settings.stress {
            0
        } else {
            ((marker.live as f64 * settings.growth) as u64).max(settings.min_heap)
        };
        h.page_budget = (marker.live + h.threshold).div_ceil(PAGE_BYTES as u64) as usize;
        h.unswept = h.pages.iter().rev().copied().collect();
        gene_gc_requested.store(0, Ordering::Relaxed);
    });
    // Finalizers run last, with the heap consistent: they may allocate.
    let dying = HEAP.with(|h| {
        let mut h = h.borrow_mut();
        let (live, dying) = std::mem::take(&mut h.finalizable)
            .into_iter()
            .partition(|v| {
                v.as_ptr()
                    .is_some_and(|p| unsafe { &*p }.state.get() == MARKED)
            });
        h.finalizable = live;
        dying
    });
    for v in dying {
        if let Some(Obj::Custom(c)) = v.obj() {
            c.finalize();
        }
    }
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        let pause = start.elapsed();
        h.stats.collections += 1;
        h.stats.total_pause += pause;
        h.stats.max_pause = h.stats.max_pause.max(pause);
    });
}

/// The marking state: objects marked but not yet traced, and the bytes
/// marked.
#[derive(Default)]
struct Marker {
    gray: Vec<*const GcBox>,
    live: u64,
}

impl Marker {
    fn mark(&mut self, v: Value) {
        if let Some(p) = v.as_ptr() {
            // Safety: boxed values point to live objects.
            let b = unsafe { &*p };
            if b.state.get() == LIVE {
                b.state.set(MARKED);
                self.live += object_size(b);
                self.gray.push(p);
            }
        }
    }
}

/// The collector's hooks for extensions (C ABI): host objects with
/// finalizers, roots, a collection request and the write barrier. Values
/// cross as their 64-bit bits.
pub mod hooks {
    use super::{register_root, unregister_root, RootId};
    use crate::heap;
    use crate::object::{Custom, Finalizer};
    use crate::value::Value;
    use std::cell::Cell;
    use std::ffi::c_void;
    use std::sync::atomic::Ordering;

    fn value(bits: u64) -> Value {
        // Safety: extensions only pass bits they received from the runtime.
        unsafe { Value::from_bits(bits) }
    }

    /// A new host object holding `data`; `finalizer` (may be null) is
    /// called with `data` once the object is unreachable; `class` (or nil)
    /// gives it methods.
    #[no_mangle]
    pub extern "C" fn gene_gc_new_custom(
        data: *mut c_void,
        finalizer: Option<Finalizer>,
        class: u64,
    ) -> u64 {
        heap::custom(Custom {
            data,
            finalizer: Cell::new(finalizer),
            class: value(class),
        })
        .bits()
    }

    /// The data of a host object, or null for any other value.
    #[no_mangle]
    pub extern "C" fn gene_gc_custom_data(v: u64) -> *mut c_void {
        match value(v).obj() {
            Some(heap::Obj::Custom(c)) => c.data,
            _ => std::ptr::null_mut(),
        }
    }

    /// Keeps `v` alive until `gene_gc_unregister_root` with the returned id.
    #[no_mangle]
    pub extern "C" fn gene_gc_register_root(v: u64) -> u64 {
        register_root(value(v)).0 as u64
    }

    #[no_mangle]
    pub extern "C" fn gene_gc_unregister_root(id: u64) {
        unregister_root(RootId(id as usize));
    }

    /// Asks for a collection at the next safepoint.
    #[no_mangle]
    pub extern "C" fn gene_gc_request_collection() {
        super::gene_gc_requested.store(1, Ordering::Relaxed);
    }

    /// To call after storing `value` into `holder` (a no-op for now).
    #[no_mangle]
    pub extern "C" fn gene_gc_write_barrier(holder: u64, v: u64) {
        super::write_barrier(value(holder), value(v));
    }
}

/// The statistics so far, with the last collection's garbage all freed.
pub fn stats() -> Stats {
    HEAP.with(|h| {
        let mut h = h.borrow_mut();
        h.finish_sweep();
        h.stats
    })
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

/// Calls `check` with every word on the stack (between this frame and
/// `stack_top`) and in the callee-saved registers, with the tag of a boxed
/// value removed.
#[inline(never)]
fn scan_stack(stack_top: usize, check: &mut dyn FnMut(usize)) {
    let registers = spill_registers();
    let here = std::ptr::addr_of!(registers) as usize;
    let mut untagged = |word: usize| {
        if (word as u64) >> 48 == crate::value::TAG_PTR {
            check(word & ((1usize << 48) - 1))
        } else {
            check(word)
        }
    };
    for r in registers {
        untagged(r);
    }
    if stack_top <= here {
        return;
    }
    let words = (stack_top - here) / std::mem::size_of::<usize>();
    let base = here as *const usize;
    for i in 0..words {
        // Safety: every address between this frame and the recorded top
        // of the same thread's stack is mapped and readable.
        untagged(unsafe { std::ptr::read_volatile(base.add(i)) });
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

    #[test]
    fn finalizers_run_once_when_their_object_dies() {
        use crate::object::{Custom, Finalizer};
        use std::sync::atomic::AtomicU64;
        static FINALIZED: AtomicU64 = AtomicU64::new(0);
        unsafe extern "C" fn count(data: *mut std::ffi::c_void) {
            FINALIZED.fetch_add(data as u64, Ordering::Relaxed);
        }
        let finalizer: Finalizer = count;
        let host = heap::custom(Custom {
            data: 5 as *mut std::ffi::c_void,
            finalizer: std::cell::Cell::new(Some(finalizer)),
            class: Value::NIL,
        });
        assert_eq!(hooks::gene_gc_custom_data(host.bits()) as u64, 5);
        let id = hooks::gene_gc_register_root(host.bits());
        collect(0, &mut |_| {});
        assert_eq!(
            FINALIZED.load(Ordering::Relaxed),
            0,
            "finalized while rooted"
        );
        hooks::gene_gc_unregister_root(id);
        collect(0, &mut |_| {});
        assert_eq!(FINALIZED.load(Ordering::Relaxed), 5);
        collect(0, &mut |_| {});
        assert_eq!(FINALIZED.load(Ordering::Relaxed), 5, "finalized twice");
    }
}
