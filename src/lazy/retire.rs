//! Retirement: handing an unreachable node or value to the epoch collector.
//!
//! The rule of the lazy protocol is that the thread that makes an object
//! unreachable retires it, exactly once:
//! - a node, by the remover that marked and unlinked it (one remover wins the
//!   mark, so one retirement);
//! - a replaced value box, by the writer that swapped it out under the node's
//!   lock.
//!
//! Retired objects are destroyed once every thread that was pinned at the
//! time of retirement has unpinned (crossbeam-epoch's guarantee). A removed
//! node's `next` pointer is never cleared: a pinned reader standing on it
//! continues its traversal through it.
//!
//! Destruction runs user `Drop` code on whatever thread the collector runs
//! on, inside some unrelated operation's `epoch::pin()`. A panic there would
//! unwind through that unrelated caller and skip the rest of the collector's
//! bag, so a destructor's panic is contained here: the object's remaining
//! fields are still dropped and its memory freed (Rust's drop glue does that
//! while unwinding), the panic hook has reported the panic, and the payload is
//! discarded.
//!
//! Under `--cfg loom` without `--cfg crossbeam_loom` the real collector may
//! run a deferred function in a later loom execution, where this execution's
//! loom atomics must not be touched; then retired objects are leaked instead
//! ([`crate::sync::DEFERRED_IN_MODEL`]).

use crate::sync::epoch::Guard;
use crate::sync::DEFERRED_IN_MODEL;

/// Run `destroy(ptr)` once no thread pinned now can still hold `ptr`.
///
/// # Safety
/// - `ptr` is unreachable from the structure: no thread that pins after this
///   call can obtain it;
/// - this is the only retirement of `ptr`;
/// - `destroy(ptr)` is sound on any thread at any later time (the object's
///   contents are `Send + 'static`).
pub(crate) unsafe fn retire<T>(guard: &Guard, ptr: *mut T, destroy: unsafe fn(*mut T)) {
    if !DEFERRED_IN_MODEL {
        return;
    }
    let deferred = move || {
        let run = core::panic::AssertUnwindSafe(|| {
            // SAFETY: the grace period is over (we run as a deferred function
            // of the epoch), `ptr` is retired once, and the caller promised
            // `destroy` may run here.
            unsafe { destroy(ptr) }
        });
        // A panicking destructor is contained (see the module doc).
        let _ = std::panic::catch_unwind(run);
    };
    // SAFETY: `deferred` only touches `ptr`, which by the caller's contract
    // nobody else frees and which stays valid until the grace period ends;
    // it may run on any thread by the caller's contract.
    unsafe { guard.defer_unchecked(deferred) };
}

/// [`retire`] for an object allocated with `Box`.
///
/// # Safety
/// As for [`retire`], and `ptr` came from `Box::into_raw`.
pub(crate) unsafe fn retire_box<T>(guard: &Guard, ptr: *mut T) {
    /// # Safety
    /// `ptr` came from `Box::into_raw` and is freed nowhere else.
    unsafe fn drop_box<T>(ptr: *mut T) {
        // SAFETY: the contract of this function.
        drop(unsafe { Box::from_raw(ptr) });
    }
    // SAFETY: forwarded contract; `drop_box` is sound for a boxed pointer.
    unsafe { retire(guard, ptr, drop_box::<T>) }
}
