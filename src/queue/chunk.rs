//! One chunk of the queue: `CHUNK` slots, two claim counters and a link.
//!
//! See the [module documentation of `queue`](super) for the whole algorithm;
//! this file holds the per-chunk protocol.
//!
//! # Layout
//!
//! ```text
//!   #[repr(C)], aligned to a cache line (128 B with CachePadded):
//!   +---------------------------------------------------------------+
//!   | next | position | reuse           (read by both sides, rarely written)
//!   +---------------------------------------------------------------+
//!   | enqueue_index (+ CLOSED bit)       producers' fetch_add  (own line)
//!   +---------------------------------------------------------------+
//!   | dequeue_index                      consumers' fetch_add  (own line)
//!   +---------------------------------------------------------------+
//!   | states: [AtomicU8; CHUNK]          one byte per slot
//!   | values: [MaybeUninit<T>; CHUNK]    the elements, stored inline
//!   +---------------------------------------------------------------+
//! ```
//!
//! States and values are kept in two arrays rather than as `(state, value)`
//! pairs so that a `u64` element costs 9 bytes, not 16.
//!
//! # Slot states
//!
//! A slot is claimed at most once by a producer (through `enqueue_index`) and
//! at most once by a consumer (through `dequeue_index`). Each side sets its own
//! bit with one read-modify-write (`fetch_add` of a bit known to be clear,
//! which is `fetch_or` in one instruction), and whoever comes second learns
//! what happened:
//!
//! | state              | meaning                                              | who acts next |
//! |--------------------|------------------------------------------------------|---------------|
//! | `0`                | nothing published, nobody has given up on it         | either side   |
//! | `WRITTEN`          | the value is initialised and belongs to the queue    | its consumer  |
//! | `TAKEN`            | a consumer arrived first and skipped the slot        | its producer, if any, takes its value back and retries in a later slot |
//! | `WRITTEN \| TAKEN` | finished: the value was moved out by exactly one side | nobody        |
//!
//! So a consumer never waits for a producer that claimed a slot and was then
//! preempted (crossbeam's `SegQueue` does, see crossbeam#675): it marks the
//! slot `TAKEN` and moves on, and that producer retries. The value is live
//! exactly when the state is `WRITTEN` alone.
//!
//! # Life of a chunk
//!
//! 1. **Allocated** zeroed, directly on the heap (a 128 KiB `T` never passes
//!    through the stack), or **recycled** from the queue's spare slot, and
//!    prepared with the appending producer's value in slot 0.
//! 2. **Linked** by a CAS on the last chunk's `next`; `tail` follows.
//! 3. **Filled** by producers, **drained** by consumers.
//! 4. **Unlinked** by the consumer whose CAS moves `head` past it (after
//!    moving `tail` off it, so no new operation can reach it).
//! 5. **Retired**: it becomes the queue's spare, in state `PENDING`, and a
//!    function deferred through the epoch marks it `READY` once every thread
//!    that could still hold a pointer to it has unpinned.
//! 6. **Reused** (step 1) if a producer needs a chunk while it is `READY`;
//!    otherwise **freed**, by whichever of the deferred function and its
//!    displacer (a newer retiree, or the queue's `Drop`) comes second.
//!
//! | `reuse` state | meaning | set by |
//! |---|---|---|
//! | `PENDING`  | retired; some thread may still read it | the retiring consumer |
//! | `READY`    | grace period over; owned by the spare slot | the deferred function |
//! | `ORPHANED` | no longer wanted by the queue; the deferred function frees it | a displacer that saw `PENDING` |

use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};

use crossbeam_utils::CachePadded;

use crate::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use crate::sync::UnsafeCell;

/// Slot state bit: the producer has published its value.
pub(super) const WRITTEN: u8 = 0b01;
/// Slot state bit: a consumer has claimed the slot.
pub(super) const TAKEN: u8 = 0b10;

/// High bit of `enqueue_index`: the queue is closed; no claim succeeds.
pub(super) const CLOSED: usize = 1 << (usize::BITS - 1);
/// The claim counter without the `CLOSED` bit.
pub(super) const INDEX: usize = !CLOSED;

/// `reuse` state: retired, still in its grace period.
pub(super) const PENDING: u8 = 0;
/// `reuse` state: grace period over, free to reuse.
pub(super) const READY: u8 = 1;
/// `reuse` state: unwanted; the deferred function will free it.
pub(super) const ORPHANED: u8 = 2;

/// A fixed-size segment of the queue.
#[repr(C)]
pub(super) struct Chunk<T, const CHUNK: usize> {
    /// The following chunk; null while this is the last one; [`Chunk::sealed`]
    /// once the queue is closed, so that no chunk can be appended.
    pub(super) next: AtomicPtr<Chunk<T, CHUNK>>,
    /// Queue-wide number of slot 0: the previous chunk's plus `CHUNK`. Written
    /// only while the chunk is exclusively owned (before it is linked).
    pub(super) position: UnsafeCell<usize>,
    /// Recycling handshake, see the table in the module docs.
    pub(super) reuse: AtomicU8,
    /// Producers' claims (`fetch_add`), plus the `CLOSED` bit.
    pub(super) enqueue_index: CachePadded<AtomicUsize>,
    /// Consumers' claims (`fetch_add`).
    pub(super) dequeue_index: CachePadded<AtomicUsize>,
    states: [AtomicU8; CHUNK],
    values: [UnsafeCell<MaybeUninit<T>>; CHUNK],
}

impl<T, const CHUNK: usize> Chunk<T, CHUNK> {
    /// The marker stored in `next` by `close`. Never dereferenced; no chunk can
    /// live at this address (it is the type's alignment, inside page zero).
    #[inline]
    pub(super) fn sealed() -> *mut Self {
        NonNull::dangling().as_ptr()
    }

    /// Allocates an empty chunk on the heap: all counters zero, all slots `0`.
    pub(super) fn alloc() -> *mut Self {
        #[cfg(not(loom))]
        {
            use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
            let layout = Layout::new::<Self>();
            // SAFETY: `Self` has a non-zero size (it holds atomics). All-zero
            // bytes are a valid `Self`: zero atomics, a null `next`, a zero
            // `position`, and `MaybeUninit` values, which need no init.
            let chunk = unsafe { alloc_zeroed(layout) }.cast::<Self>();
            if chunk.is_null() {
                handle_alloc_error(layout);
            }
            chunk
        }
        #[cfg(loom)]
        {
            // loom's atomics are not plain memory; build them normally. Models
            // use small elements and two-slot chunks, so the stack is fine.
            Box::into_raw(Box::new(Chunk {
                next: AtomicPtr::new(ptr::null_mut()),
                position: UnsafeCell::new(0),
                reuse: AtomicU8::new(PENDING),
                enqueue_index: CachePadded::new(AtomicUsize::new(0)),
                dequeue_index: CachePadded::new(AtomicUsize::new(0)),
                states: core::array::from_fn(|_| AtomicU8::new(0)),
                values: core::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            }))
        }
    }

    /// Frees a chunk without dropping any element.
    ///
    /// # Safety
    /// `chunk` came from [`Chunk::alloc`], no live element remains in it, and
    /// no other thread can reach it any more.
    pub(super) unsafe fn free(chunk: *mut Self) {
        #[cfg(not(loom))]
        {
            // SAFETY: allocated by `alloc` with this very layout (caller's
            // contract); `Self` has no drop glue (atomics and `MaybeUninit`).
            unsafe { std::alloc::dealloc(chunk.cast(), std::alloc::Layout::new::<Self>()) }
        }
        #[cfg(loom)]
        {
            // SAFETY: allocated by `Box::into_raw` in `alloc` (caller's contract).
            drop(unsafe { Box::from_raw(chunk) });
        }
    }

    /// The queue-wide position of slot 0.
    #[inline]
    pub(super) fn position(&self) -> usize {
        // SAFETY: `position` is written only while the chunk is exclusively
        // owned, before the Release CAS that links it; every reader reached the
        // chunk through an Acquire load of a pointer published after that.
        self.position.with(|p| unsafe { *p })
    }

    /// Turns an exclusively owned empty chunk into the image of the chunk
    /// that follows one at `position - CHUNK`, holding `value` in slot 0.
    ///
    /// # Safety
    /// The caller owns `chunk` exclusively (fresh from `alloc`, taken `READY`
    /// from the spare slot and [`reset`](Self::reset), or un-prepared after a
    /// failed link), and all its slots are `0`.
    pub(super) unsafe fn prepare(chunk: *mut Self, position: usize, value: T) {
        // SAFETY: exclusive ownership (caller's contract).
        let this = unsafe { &*chunk };
        // memory ordering: Relaxed everywhere, because the chunk is published
        // by the Release CAS on the previous chunk's `next`, which orders all
        // of these writes before any access by another thread.
        this.next.store(ptr::null_mut(), Ordering::Relaxed);
        // SAFETY: exclusive ownership; nobody reads `position` concurrently.
        this.position.with_mut(|p| unsafe { *p = position });
        this.dequeue_index.store(0, Ordering::Relaxed);
        this.enqueue_index.store(1, Ordering::Relaxed);
        // SAFETY: slot 0 is unclaimed, and we own the chunk.
        this.values[0].with_mut(|slot| unsafe { (*slot).write(value) });
        this.states[0].store(WRITTEN, Ordering::Relaxed);
    }

    /// Undoes [`prepare`](Self::prepare) after the link CAS failed, handing
    /// the value back. The chunk stays exclusively owned and empty.
    ///
    /// # Safety
    /// `chunk` was prepared by the caller and was never published.
    pub(super) unsafe fn unprepare(chunk: *mut Self) -> T {
        // SAFETY: never published, so still exclusively ours (caller's contract).
        let this = unsafe { &*chunk };
        // memory ordering: Relaxed; nobody else has seen this chunk.
        this.states[0].store(0, Ordering::Relaxed);
        this.enqueue_index.store(0, Ordering::Relaxed);
        // SAFETY: `prepare` initialised slot 0 and nobody else could take it.
        this.values[0].with(|slot| unsafe { (*slot).assume_init_read() })
    }

    /// Clears every slot state of a recycled chunk.
    ///
    /// # Safety
    /// The caller owns `chunk` exclusively (its `reuse` state was `READY`).
    pub(super) unsafe fn reset(chunk: *mut Self) {
        // SAFETY: exclusive ownership (caller's contract).
        let this = unsafe { &*chunk };
        for state in &this.states {
            // memory ordering: Relaxed; published later by `prepare`'s link CAS.
            state.store(0, Ordering::Relaxed);
        }
    }

    /// Producer side: publishes `value` in the slot this producer claimed.
    /// Returns the value back if a consumer gave up on the slot first.
    ///
    /// # Safety
    /// `index < CHUNK` was returned to this thread by `enqueue_index.fetch_add`
    /// on this chunk, and the chunk is protected by the caller's epoch guard.
    #[inline]
    pub(super) unsafe fn publish(&self, index: usize, value: T) -> Result<(), T> {
        // SAFETY: the claim makes this producer the slot's only writer, and a
        // consumer reads the value only after seeing WRITTEN below.
        self.values[index].with_mut(|slot| unsafe { (*slot).write(value) });
        // memory ordering: Release publishes the value to the consumer whose
        // `fetch_add(TAKEN)` (Acquire) reads WRITTEN. SeqCst rather than
        // Release because the readiness signal's handshake (signal.rs) needs
        // this RMW in the single total order; on x86-64 and AArch64 a SeqCst
        // RMW is the same instruction as an AcqRel one.
        //
        // `fetch_add` rather than `fetch_or`: WRITTEN is clear (a slot is
        // published once), so adding it sets it. On x86-64 a byte
        // `fetch_add` whose result is used is one `lock xadd`, while
        // `fetch_or` becomes a `lock cmpxchg` loop that first loads the
        // contended line shared: measured 5% more pairs/s at 2 threads.
        let before = self.states[index].fetch_add(WRITTEN, Ordering::SeqCst);
        debug_assert_eq!(before & WRITTEN, 0, "a slot was published twice");
        if before & TAKEN == 0 {
            Ok(())
        } else {
            // A consumer skipped this slot before we published: the value is
            // still ours, and no consumer will ever read this slot again.
            // SAFETY: we wrote it just above and nobody else reads it.
            Err(self.values[index].with(|slot| unsafe { (*slot).assume_init_read() }))
        }
    }

    /// Consumer side: takes the value from the slot this consumer claimed, or
    /// returns `None` (and makes the slot's producer retry) if it was not
    /// published yet. No read-modify-write when the value is already there.
    ///
    /// # Safety
    /// `index < CHUNK` was returned to this thread by `dequeue_index.fetch_add`
    /// on this chunk, and the chunk is protected by the caller's epoch guard.
    #[inline]
    pub(super) unsafe fn take(&self, index: usize) -> Option<T> {
        let state = &self.states[index];
        // Fast path: the producer has finished. Our claim makes us the slot's
        // only consumer and the producer never touches a WRITTEN slot again,
        // so nobody else writes the state: a plain load and store suffice,
        // saving a read-modify-write on the common path.
        // memory ordering: Acquire pairs with the producer's publishing
        // `fetch_add(WRITTEN)`, making the value visible.
        if state.load(Ordering::Acquire) == WRITTEN {
            // SAFETY: WRITTEN was observed with Acquire, so the value is
            // initialised, and our claim makes us its only reader.
            let value = self.values[index].with(|slot| unsafe { (*slot).assume_init_read() });
            // memory ordering: Relaxed; only `Drop` (exclusive) and chunk
            // reuse (after a grace period) read it later.
            state.store(WRITTEN | TAKEN, Ordering::Relaxed);
            return Some(value);
        }
        // Slow path: the producer may be publishing right now; race it.
        // memory ordering: Acquire pairs with the producer's publishing
        // `fetch_add(WRITTEN)` if it wins. SeqCst for the readiness
        // handshake, as in `publish`.
        // `fetch_add` sets TAKEN, which is clear (one consumer per slot);
        // see `publish` for why it is not `fetch_or`.
        let before = state.fetch_add(TAKEN, Ordering::SeqCst);
        debug_assert_eq!(before & TAKEN, 0, "a slot was claimed by two consumers");
        if before & WRITTEN == 0 {
            return None;
        }
        // SAFETY: WRITTEN was observed with Acquire, so the value is
        // initialised, and setting TAKEN made us its only reader.
        Some(self.values[index].with(|slot| unsafe { (*slot).assume_init_read() }))
    }

    /// `&mut` fast path of [`publish`](Self::publish): plain loads and
    /// stores. Returns the value back if the slot was skipped earlier.
    ///
    /// # Safety
    /// The caller has exclusive access to the whole queue, and `index <
    /// CHUNK` is the slot it just claimed by storing `index + 1` in
    /// `enqueue_index`.
    #[inline]
    pub(super) unsafe fn publish_exclusive(&self, index: usize, value: T) -> Result<(), T> {
        // memory ordering: Relaxed; exclusive access (`&mut Queue`) means no
        // other thread touches the queue, and handing the queue to another
        // thread synchronises by itself.
        let state = self.states[index].load(Ordering::Relaxed);
        if state & TAKEN != 0 {
            return Err(value);
        }
        // SAFETY: unclaimed slot, exclusive access.
        self.values[index].with_mut(|slot| unsafe { (*slot).write(value) });
        self.states[index].store(WRITTEN, Ordering::Relaxed);
        Ok(())
    }

    /// `&mut` fast path of [`take`](Self::take).
    ///
    /// # Safety
    /// As for [`publish_exclusive`](Self::publish_exclusive), with
    /// `dequeue_index`.
    #[inline]
    pub(super) unsafe fn take_exclusive(&self, index: usize) -> Option<T> {
        // memory ordering: Relaxed; exclusive access (see `publish_exclusive`).
        let state = self.states[index].load(Ordering::Relaxed);
        self.states[index].store(state | TAKEN, Ordering::Relaxed);
        if state & WRITTEN == 0 {
            return None;
        }
        // SAFETY: WRITTEN without TAKEN: initialised and still owned by the queue.
        Some(self.values[index].with(|slot| unsafe { (*slot).assume_init_read() }))
    }

    /// Called by the epoch once the retired chunk's grace period is over.
    ///
    /// # Safety
    /// `chunk` was retired (state `PENDING`) and this is its one deferred call.
    pub(super) unsafe fn grace_period_over(chunk: *mut Self) {
        // SAFETY: a retired chunk is freed only by whichever of this function
        // and its displacer comes second, so it is still allocated here.
        let this = unsafe { &*chunk };
        // memory ordering: AcqRel. Release hands everything before the grace
        // period to the producer that later loads READY (Acquire) and reuses
        // the chunk; Acquire sees the displacer's ORPHANED before freeing.
        if this.reuse.swap(READY, Ordering::AcqRel) == ORPHANED {
            // SAFETY: the displacer gave the chunk up and the grace period is
            // over, so we are the last one to know about it.
            unsafe { Self::free(chunk) }
        }
    }

    /// Gives a retired chunk up: frees it now if its grace period is over,
    /// otherwise leaves that to [`grace_period_over`](Self::grace_period_over).
    ///
    /// # Safety
    /// The caller took `chunk` out of the spare slot (so owns its spare-slot
    /// reference) and will not touch it again.
    pub(super) unsafe fn abandon(chunk: *mut Self) {
        // SAFETY: not yet freed: freeing needs both our call and the deferred one.
        let this = unsafe { &*chunk };
        // memory ordering: AcqRel, the other half of `grace_period_over`'s swap.
        if this.reuse.swap(ORPHANED, Ordering::AcqRel) == READY {
            // SAFETY: the grace period is over and we held the last reference.
            unsafe { Self::free(chunk) }
        }
    }

    /// Drops every element still in the chunk (`&mut Queue` only).
    ///
    /// # Safety
    /// Exclusive access to the queue; each live value is dropped once, and the
    /// slot is marked so that a second call would not drop it again.
    pub(super) unsafe fn drop_live_values(&self) {
        for (state, value) in self.states.iter().zip(&self.values) {
            // memory ordering: Relaxed; exclusive access.
            if state.load(Ordering::Relaxed) == WRITTEN {
                state.store(WRITTEN | TAKEN, Ordering::Relaxed);
                // SAFETY: WRITTEN alone means initialised and owned by the
                // queue; marking it TAKEN first keeps a panic from double-dropping.
                value.with_mut(|slot| unsafe { (*slot).assume_init_drop() });
            }
        }
    }
}
