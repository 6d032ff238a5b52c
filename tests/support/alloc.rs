//! A counting global allocator.
//!
//! A test binary that wants counts installs it:
//! ```ignore
//! #[global_allocator]
//! static ALLOC: support::alloc::Counting = support::alloc::Counting;
//! ```
//! The counters are process-wide, so tests that read them must not run in
//! parallel with tests that allocate: take [`exclusive`] first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The allocator: `System`, plus counters.
pub struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Adds `bytes` to the live count and raises the peak if needed.
fn grow(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Relaxed);
}

thread_local! {
    // Const-initialised and without destructors: touching them never
    // allocates, so the allocator may use them.
    static THREAD_ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    static THREAD_NET_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn note(allocations: usize, bytes: isize) {
    // `try_with`: during thread teardown the slots may be gone; those
    // allocations are simply not counted per thread.
    let _ = THREAD_ALLOCATIONS.try_with(|c| c.set(c.get() + allocations));
    let _ = THREAD_NET_BYTES.try_with(|c| c.set(c.get() + bytes));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; the counters are side effects only.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grow(layout.size());
        note(1, layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grow(layout.size());
        note(1, layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        note(0, -(layout.size() as isize));
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grow(new_size);
        LIVE_BYTES.fetch_sub(layout.size(), Relaxed);
        note(1, new_size as isize - layout.size() as isize);
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocation calls (alloc, alloc_zeroed, realloc) so far, process-wide.
pub fn allocations() -> usize {
    ALLOCATIONS.load(Relaxed)
}

/// Bytes currently allocated, process-wide.
pub fn live_bytes() -> usize {
    LIVE_BYTES.load(Relaxed)
}

/// The most bytes allocated at once, process-wide, since the last
/// [`reset_peak`].
pub fn peak_bytes() -> usize {
    PEAK_BYTES.load(Relaxed)
}

/// Starts a new peak measurement from the bytes allocated now.
pub fn reset_peak() {
    PEAK_BYTES.store(LIVE_BYTES.load(Relaxed), Relaxed);
}

/// Allocation calls made by the calling thread so far. Unlike
/// [`allocations`], immune to the test harness's own threads.
pub fn thread_allocations() -> usize {
    THREAD_ALLOCATIONS.with(Cell::get)
}

/// Bytes allocated minus bytes freed by the calling thread so far (frees
/// of memory that another thread allocated count too).
pub fn thread_net_bytes() -> isize {
    THREAD_NET_BYTES.with(Cell::get)
}

/// Serialises the tests of one binary that read the counters.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// The counters' gate of a binary whose tests mostly just allocate: each
/// such test holds [`shared`] while it runs, and a test that reads the
/// counters holds [`measuring`], so that no other test allocates meanwhile.
static GATE: RwLock<()> = RwLock::new(());

/// Hold while a test allocates without reading the counters.
pub fn shared() -> RwLockReadGuard<'static, ()> {
    GATE.read().unwrap_or_else(|poison| poison.into_inner())
}

/// Hold while a test reads the counters: no [`shared`] test runs meanwhile.
pub fn measuring() -> RwLockWriteGuard<'static, ()> {
    GATE.write().unwrap_or_else(|poison| poison.into_inner())
}
