//! One chunk of the queue: `CHUNK` slots, the lap it holds, and a link.
//!
//! See the [module documentation of `queue`](super) for the whole algorithm;
//! this file holds the per-slot protocol and the completion check that tells
//! when a chunk may be reused.
//!
//! # Layout
//!
//! ```text
//!   #[repr(C)], allocated zeroed on the heap, 64-byte aligned:
//!   +---------------------------------------------------------------+
//!   | next | lap                  written once per lap, read at lap ends
//!   | waiting_next                 the waiting list's link (reclaim.rs)
//!   +---------------------------------------------------------------+
//!   | slots: [Slot<T>; CHUNK], each packed: state byte, then value
//!   |   u64: | s v v v v v v v v | s v v v v v v v v | s v ...
//!   |        9 bytes per slot, about 7 per cache line
//!   +---------------------------------------------------------------+
//! ```
//!
//! The claim counters are not here: they live in the queue itself
//! (`head`/`tail`), which is always allocated, so a thread claims a slot
//! before it ever dereferences the chunk (see "Why the fast path needs no
//! pin" in the queue module).
//!
//! A slot's state byte sits right before its value, packed, so a `u64`
//! slot costs 9 bytes (as two separate arrays would) and a push or a pop
//! touches one line of the chunk where two arrays made it touch two (a
//! value line and a state line). It also keeps the two sides apart: with
//! the states in one array, 64 slots share a line, so near empty, when the
//! consumers work a few slots behind the producers, every push and every
//! pop wrote the same line. Measured on 2 cores, in one process with the
//! old layout and `SegQueue` interleaved (11 reps of 200 ms, medians), in
//! the regime where that sharing bites: 1 producer + 1 consumer 86.7
//! against 24.8 Mops/s (`SegQueue` 43.5), 1 + 2 54.7 against 7.5, 2 + 2
//! 34.8 against 19.5, 4 + 4 29.1 against 17.0; pairs unchanged (78.7
//! against 79.5 at one thread). The value is unaligned, so it is only ever
//! moved in and out whole, never borrowed in place.
//!
//! # Slot states
//!
//! A slot is claimed exactly once by a producer (through the queue's tail
//! index) and exactly once by a consumer (through the head index), in either
//! order of arrival. Each side records its arrival with one
//! read-modify-write, and whoever arrives *second* finishes the slot:
//!
//! | bits set                    | meaning                                                       | who acts next |
//! |-----------------------------|---------------------------------------------------------------|---------------|
//! | none                        | neither side has been here                                    | either side   |
//! | `WRITTEN`                   | the value is initialised and belongs to the queue             | its consumer: reads it, stores `WRITTEN \| TAKEN \| DONE` |
//! | `VOID`                      | the producer gave the slot up without a value (`push_iter` whose iterator ended early) | its consumer: stores `VOID \| TAKEN \| DONE` |
//! | `TAKEN`                     | the consumer came first and skipped the slot                  | its producer: takes its value back (or gives up), adds `DONE`, retries elsewhere |
//! | `WRITTEN \| TAKEN`          | the second side is reading the value out                      | that side: adds `DONE` |
//! | `VOID \| TAKEN`             | the second side saw the other's mark                          | that side: adds `DONE` |
//! | `… \| DONE`                 | finished: no thread touches the slot again in this lap        | nobody        |
//!
//! The first side to arrive must use a read-modify-write (`fetch_add` of
//! its bit), so that the second learns of it. The second side writes `DONE`
//! with a plain Release store: nobody else writes the byte any more. On the
//! common path the producer arrives first, so a pop costs no
//! read-modify-write on the slot at all: a load that sees `WRITTEN`, the
//! value's read, and one store.
//!
//! So a consumer never waits without bound for a producer that claimed a
//! slot and was then preempted (crossbeam's `SegQueue` does, crossbeam#675):
//! after `PATIENCE` checks it marks the slot `TAKEN` and moves on, and that
//! producer retries with a fresh claim.
//!
//! # Completion
//!
//! A chunk may be reused (or freed) once every one of its slots is `DONE`.
//! [`Chunk::is_complete`] checks that with one Acquire load per slot, which
//! synchronises with each finisher's Release store, so the checker sees
//! every use of the chunk as finished. The queue runs the check when a
//! lap's last slot has been taken and keeps chunks that are not complete
//! yet on a short list, re-checked at the next lap ends (`reclaim.rs`).

// Under loom the patience constants are 0 (models skip and help at once),
// which makes the bounded waits empty loops by design.
#![cfg_attr(
    loom,
    allow(clippy::absurd_extreme_comparisons, clippy::reversed_empty_ranges)
)]

use core::mem::MaybeUninit;
use core::ptr;

use crate::sync::atomic::{AtomicPtr, AtomicU64, AtomicU8, Ordering};
use crate::sync::{spin_loop, UnsafeCell};

/// Slot state bit: the producer has published its value.
pub(super) const WRITTEN: u8 = 1 << 0;
/// Slot state bit: the consumer has arrived (to read, or to skip).
pub(super) const TAKEN: u8 = 1 << 1;
/// Slot state bit: the slot is finished for this lap.
pub(super) const DONE: u8 = 1 << 2;
/// Slot state bit: the producer gave the slot up without a value.
pub(super) const VOID: u8 = 1 << 3;

/// Whether a slot in `state` owns a value no consumer has taken: published
/// (WRITTEN) and not arrived at (TAKEN). Read under exclusive access, where
/// no producer or consumer can change it meanwhile.
#[inline]
const fn holds_live_value(state: u8) -> bool {
    state & (WRITTEN | TAKEN) == WRITTEN
}

/// How many times a consumer looks at a claimed slot for its value before
/// it skips the slot (and makes its producer retry).
///
/// A producer publishes a few instructions after its claim, so a consumer
/// that finds the slot empty is almost always racing a producer that is
/// about to write; 64 checks with a spin hint between them (1 to 2 µs on
/// the development VMs, see `claim.rs` for what a hint costs) cover that,
/// and only a producer that was
/// preempted between its claim and its write is skipped. The bound is what
/// keeps the queue lock-free. Under loom it is 0: the model skips at once,
/// which is the path that needs checking.
#[cfg(not(loom))]
pub(super) const PATIENCE: u32 = 64;
/// How many checks before a slot is skipped (0 under loom).
#[cfg(loom)]
pub(super) const PATIENCE: u32 = 0;

/// A fixed-size segment of the queue, reused lap after lap.
#[repr(C, align(64))]
pub(super) struct Chunk<T, const CHUNK: usize> {
    /// The chunk that holds the following lap; null until one is linked.
    pub(super) next: AtomicPtr<Chunk<T, CHUNK>>,
    /// The lap this chunk holds: positions `lap * CHUNK ..` of the queue.
    /// Read by helpers to check that the chunk they reached is the one the
    /// index they read refers to. A `u64`, as the indices are (module docs
    /// of `queue`, "Platform").
    pub(super) lap: AtomicU64,
    /// The next chunk on the queue's list of chunks waiting to be complete
    /// (`reclaim.rs`); only meaningful while the chunk is on that list.
    pub(super) waiting_next: AtomicPtr<Chunk<T, CHUNK>>,
    /// The slots, each its state byte followed by its value (see "Layout").
    slots: [Slot<T>; CHUNK],
    /// Model-only stand-in for the chunk's memory as a whole: lap-end
    /// helpers read it once they hold the chunk, and `rewind` and `free`
    /// write it, so loom reports a reuse or free that is not ordered after
    /// a helper's access (the helpers themselves touch only atomics, which
    /// loom does not check for that).
    #[cfg(loom)]
    reach: UnsafeCell<()>,
}

/// One slot: its state byte, then its value. Packed outside loom, so that a
/// `u64` slot takes 9 bytes and a slot's state and value share a cache line
/// (seven times in eight for a `u64`); the value is therefore unaligned and
/// is only ever moved in or out whole (`write_unaligned`/`read_unaligned`),
/// never referenced in place. `AtomicU8` may not sit in a packed struct, so
/// outside loom the state is a plain byte that is only ever accessed as an
/// `AtomicU8`, through [`Chunk::state`]. Under loom the cell and the atomic
/// are loom's, which must be aligned, so the struct is not packed there.
#[cfg_attr(not(loom), repr(C, packed))]
#[cfg_attr(loom, repr(C))]
struct Slot<T> {
    #[cfg(not(loom))]
    state: core::cell::UnsafeCell<u8>,
    #[cfg(loom)]
    state: AtomicU8,
    value: UnsafeCell<MaybeUninit<T>>,
}

/// What a producer's publication came to.
pub(super) enum Published<T> {
    /// The value is in the queue.
    Done,
    /// A consumer skipped the slot first: here is the value back.
    Skipped(T),
}

impl<T, const CHUNK: usize> Chunk<T, CHUNK> {
    /// Allocates an empty chunk on the heap for lap `lap`: all slots clear.
    pub(super) fn alloc(lap: u64) -> *mut Self {
        #[cfg(not(loom))]
        let chunk = {
            use std::alloc::{alloc_zeroed, handle_alloc_error, Layout};
            let layout = Layout::new::<Self>();
            // SAFETY: `Self` has a non-zero size (it holds atomics). All-zero
            // bytes are a valid `Self`: zero atomics, a null `next`, and
            // `MaybeUninit` values, which need no initialisation.
            let chunk = unsafe { alloc_zeroed(layout) }.cast::<Self>();
            if chunk.is_null() {
                handle_alloc_error(layout);
            }
            chunk
        };
        // loom's atomics are not plain memory; build them normally. Models
        // use small elements and two-slot chunks, so the stack is fine.
        #[cfg(loom)]
        let chunk = Box::into_raw(Box::new(Chunk {
            next: AtomicPtr::new(ptr::null_mut()),
            lap: AtomicU64::new(0),
            waiting_next: AtomicPtr::new(ptr::null_mut()),
            slots: core::array::from_fn(|_| Slot {
                state: AtomicU8::new(0),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            }),
            reach: UnsafeCell::new(()),
        }));
        // SAFETY: fresh, so exclusively ours.
        // memory ordering: Relaxed: the chunk is private until the Release
        // CAS or store that publishes it.
        unsafe { &*chunk }.lap.store(lap, Ordering::Relaxed);
        chunk
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
            let chunk = unsafe { Box::from_raw(chunk) };
            chunk.reach.with_mut(|_| ());
            drop(chunk);
        }
    }

    /// Turns an exclusively owned, finished chunk into an empty one for lap
    /// `lap`.
    ///
    /// # Safety
    /// The caller owns `chunk` exclusively: every slot is `DONE` (or the
    /// chunk was never published) and no other thread can reach it.
    pub(super) unsafe fn rewind(chunk: *mut Self, lap: u64) {
        // SAFETY: exclusive ownership (caller's contract).
        let this = unsafe { &*chunk };
        // memory ordering: Relaxed everywhere: the chunk is published again
        // only by the Release CAS that links it after the previous lap's
        // chunk, which orders these writes before any other thread's access.
        for index in 0..CHUNK {
            this.state(index).store(0, Ordering::Relaxed);
        }
        this.next.store(ptr::null_mut(), Ordering::Relaxed);
        this.lap.store(lap, Ordering::Relaxed);
        #[cfg(loom)]
        this.reach.with_mut(|_| ());
    }

    /// Model hook: records, as a read loom checks, that a lap-end helper
    /// holds this chunk (see the `reach` field). A no-op outside loom.
    #[inline]
    pub(super) fn reached(&self) {
        #[cfg(loom)]
        self.reach.with(|_| ());
    }

    /// The state byte of slot `index`.
    #[inline]
    fn state(&self, index: usize) -> &AtomicU8 {
        #[cfg(not(loom))]
        // SAFETY: the byte lives as long as the chunk (the borrow of `self`),
        // is aligned for an `AtomicU8` (which needs no more than a `u8`), and
        // is only ever accessed through this function, atomically.
        return unsafe { AtomicU8::from_ptr(self.slots[index].state.get()) };
        #[cfg(loom)]
        &self.slots[index].state
    }

    /// Reads the value out of slot `index`.
    ///
    /// # Safety
    /// The slot holds an initialised value that the caller alone may move out.
    #[inline]
    unsafe fn read(&self, index: usize) -> T {
        #[cfg(not(loom))]
        {
            // A raw pointer: the packed field may be unaligned.
            let value = &raw const self.slots[index].value;
            // SAFETY: caller's contract; `UnsafeCell` and `MaybeUninit` are
            // transparent, so the cell holds a `T`, read here without
            // assuming alignment.
            unsafe { value.cast::<T>().read_unaligned() }
        }
        #[cfg(loom)]
        // SAFETY: caller's contract.
        self.slots[index]
            .value
            .with(|slot| unsafe { (*slot).assume_init_read() })
    }

    /// Moves `value` into slot `index`.
    ///
    /// # Safety
    /// The caller claimed the slot as its producer and has not published it,
    /// so nobody else accesses the value.
    #[inline]
    unsafe fn write(&self, index: usize, value: T) {
        #[cfg(not(loom))]
        {
            let cell = &raw const self.slots[index].value;
            // SAFETY: caller's contract; the bytes lie in an `UnsafeCell`, so
            // a shared borrow of the chunk may write them; written without
            // assuming alignment (packed slot).
            unsafe { cell.cast_mut().cast::<T>().write_unaligned(value) }
        }
        #[cfg(loom)]
        // SAFETY: caller's contract.
        self.slots[index]
            .value
            .with_mut(|slot| unsafe { (*slot).write(value) });
    }

    /// Producer side: publishes `value` in the slot this producer claimed.
    ///
    /// # Safety
    /// The caller's claim on the queue's tail index gave it slot `index` of
    /// this chunk in the chunk's current lap, and it has not finished it.
    #[inline]
    pub(super) unsafe fn publish(&self, index: usize, value: T) -> Published<T> {
        // SAFETY: the claim makes this producer the slot's only writer, and a
        // consumer reads the value only after seeing WRITTEN below.
        unsafe { self.write(index, value) };
        // memory ordering: Release publishes the value to the consumer that
        // reads WRITTEN with Acquire. SeqCst because the readiness signal's
        // handshake (signal.rs) needs the push's RMWs in the single total
        // order; on x86-64 and AArch64 it is the same instruction as AcqRel.
        // Acquire (part of SeqCst) matters on the skipped branch: it reads
        // the consumer's TAKEN.
        // `fetch_add` of a clear bit rather than `fetch_or`: one `lock xadd`
        // on x86-64 instead of a `lock cmpxchg` loop.
        let before = self.state(index).fetch_add(WRITTEN, Ordering::SeqCst);
        debug_assert_eq!(before & (WRITTEN | VOID), 0, "a slot was published twice");
        if before & TAKEN == 0 {
            return Published::Done;
        }
        // A consumer skipped the slot: the value is still ours, and no
        // consumer will read this slot in this lap.
        // SAFETY: we wrote it just above; TAKEN was set before our WRITTEN,
        // so its consumer will never read it.
        let value = unsafe { self.read(index) };
        self.finish(index, before | WRITTEN);
        Published::Skipped(value)
    }

    /// Producer side: gives up a claimed slot without a value.
    ///
    /// # Safety
    /// As for [`publish`](Self::publish).
    pub(super) unsafe fn give_up(&self, index: usize) {
        // memory ordering: AcqRel: Release lets the consumer that sees VOID
        // finish the slot after everything we did; Acquire reads a TAKEN
        // that came first.
        let before = self.state(index).fetch_add(VOID, Ordering::AcqRel);
        if before & TAKEN != 0 {
            self.finish(index, before | VOID);
        }
    }

    /// Consumer side: takes the value from the slot this consumer claimed,
    /// or `None` if the slot was skipped (its producer had not published
    /// after `PATIENCE` checks, or gave it up).
    ///
    /// # Safety
    /// The caller's claim on the queue's head index gave it slot `index` of
    /// this chunk in the chunk's current lap, and it has not finished it.
    #[inline]
    pub(super) unsafe fn take(&self, index: usize) -> Option<T> {
        let state = self.state(index);
        // memory ordering: Acquire pairs with the producer's publishing
        // RMW (Release), making the value visible.
        let mut seen = state.load(Ordering::Acquire);
        let mut checks = 0;
        while seen & (WRITTEN | VOID) == 0 && checks < PATIENCE {
            spin_loop();
            checks += 1;
            // memory ordering: as above.
            seen = state.load(Ordering::Acquire);
        }
        if seen & (WRITTEN | VOID) == 0 {
            // Still empty: skip it, unless the producer publishes first.
            // memory ordering: Acquire pairs with a publishing RMW that wins
            // the race; SeqCst for the readiness handshake, as in `publish`.
            seen = state.fetch_add(TAKEN, Ordering::SeqCst);
            debug_assert_eq!(seen & TAKEN, 0, "a slot was claimed by two consumers");
            if seen & (WRITTEN | VOID) == 0 {
                // Skipped: the producer sees TAKEN and finishes the slot.
                return None;
            }
        }
        // The producer has been and gone: we arrive second and finish.
        let value = if seen & WRITTEN != 0 {
            // SAFETY: WRITTEN was read with Acquire (by the load or the
            // RMW), so the value is initialised, and our claim makes us its
            // only consumer.
            Some(unsafe { self.read(index) })
        } else {
            None
        };
        self.finish(index, seen | TAKEN);
        value
    }

    /// Marks a slot `DONE` for the second arrival, whose view of the state is
    /// `seen`: no other thread writes the byte any more, so a store does.
    #[inline]
    fn finish(&self, index: usize, seen: u8) {
        // memory ordering: Release orders everything this thread did with the
        // slot (reading the value out) before the completion check's Acquire
        // load of DONE, and so before the chunk's reuse.
        self.state(index).store(seen | DONE, Ordering::Release);
    }

    /// True if every slot is `DONE`: the caller may then take the chunk out
    /// of service (no claimant will touch it again in this lap).
    ///
    /// # Safety
    /// Every slot of the chunk's lap has been claimed by both sides, and the
    /// chunk stays allocated for the call.
    pub(super) unsafe fn is_complete(&self) -> bool {
        // memory ordering: Acquire pairs with each finisher's Release store of
        // DONE: its use of the slot happens before whatever we do next.
        (0..CHUNK).all(|index| self.state(index).load(Ordering::Acquire) & DONE != 0)
    }

    /// [`is_complete`](Self::is_complete), checked up to `PATIENCE`
    /// times with a spin hint between.
    ///
    /// At a lap's end the other slots were claimed moments ago, and their
    /// claimers finish a few instructions later; a short wait here spares
    /// the chunk a trip through the waiting list (and the queue an
    /// allocation for the lap after). Only a claimer preempted mid-slot
    /// outlasts it.
    ///
    /// # Safety
    /// As for [`is_complete`](Self::is_complete).
    pub(super) unsafe fn settles(&self) -> bool {
        for _ in 0..PATIENCE {
            // SAFETY: caller's contract.
            if unsafe { self.is_complete() } {
                return true;
            }
            spin_loop();
        }
        // SAFETY: caller's contract.
        unsafe { self.is_complete() }
    }

    /// `&mut` fast path of [`publish`](Self::publish): plain stores.
    ///
    /// # Safety
    /// The caller has exclusive access to the queue and just claimed slot
    /// `index` (which no consumer has reached) by a plain store.
    #[inline]
    pub(super) unsafe fn publish_exclusive(&self, index: usize, value: T) {
        // SAFETY: unclaimed slot, exclusive access.
        unsafe { self.write(index, value) };
        // memory ordering: Relaxed; exclusive access (`&mut Queue`), and
        // handing the queue to another thread synchronises by itself.
        self.state(index).store(WRITTEN, Ordering::Relaxed);
    }

    /// `&mut` fast path of [`take`](Self::take): finishes the slot with plain
    /// stores. `None` if the slot holds no value (skipped earlier, or given
    /// up).
    ///
    /// # Safety
    /// The caller has exclusive access to the queue, and slot `index` lies
    /// between the head and tail positions.
    #[inline]
    pub(super) unsafe fn take_exclusive(&self, index: usize) -> Option<T> {
        // memory ordering: Relaxed; exclusive access (see `publish_exclusive`).
        let state = self.state(index).load(Ordering::Relaxed);
        self.state(index)
            .store(state | TAKEN | DONE, Ordering::Relaxed);
        if holds_live_value(state) {
            // SAFETY: WRITTEN without TAKEN: initialised and still owned by
            // the queue.
            Some(unsafe { self.read(index) })
        } else {
            None
        }
    }

    /// How many slots hold an element that no consumer has taken: the
    /// elements [`take_exclusive`](Self::take_exclusive) would return.
    /// Given-up (`VOID`) and skipped slots are not counted.
    ///
    /// Meaningful only with exclusive access to the queue (otherwise a
    /// snapshot that may be stale by the time it returns).
    pub(super) fn live_values(&self) -> usize {
        (0..CHUNK)
            .filter(|&index| {
                // memory ordering: Relaxed; the caller has exclusive access,
                // and handing it the queue synchronised by itself.
                holds_live_value(self.state(index).load(Ordering::Relaxed))
            })
            .count()
    }

    /// Drops the element of every slot that still owns one.
    ///
    /// # Safety
    /// Exclusive access to the queue. Each live value is dropped once: the
    /// slot is marked before its value is dropped, so a second call (after a
    /// panicking `Drop`) skips it.
    pub(super) unsafe fn drop_live_values(&self) {
        for index in 0..CHUNK {
            let state = self.state(index);
            // memory ordering: Relaxed; exclusive access.
            let seen = state.load(Ordering::Relaxed);
            if holds_live_value(seen) {
                state.store(seen | TAKEN | DONE, Ordering::Relaxed);
                // SAFETY: WRITTEN alone means initialised and owned by the
                // queue; marking it first keeps a panic from double-dropping.
                drop(unsafe { self.read(index) });
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Chunk;
    use core::mem::{align_of, offset_of, size_of};

    /// The layout the module docs of `queue` ("Memory", "Platform") and
    /// `DEFAULT_CHUNK` describe: 9-byte `u64` slots after a 24-byte header
    /// (20 bytes on 32-bit targets, where the `u64` lap is 8-aligned after
    /// the 4-byte `next`), 64-byte alignment, 896 bytes either way.
    #[test]
    fn a_chunk_of_96_u64s_is_its_header_and_9_byte_slots_in_896_bytes() {
        type C = Chunk<u64, 96>;
        let header = if cfg!(target_pointer_width = "64") {
            24
        } else {
            20
        };
        assert_eq!(offset_of!(C, next), 0);
        assert_eq!(offset_of!(C, lap), 8);
        assert_eq!(offset_of!(C, waiting_next), 16);
        assert_eq!(offset_of!(C, slots), header);
        assert_eq!(size_of::<super::Slot<u64>>(), 9);
        assert_eq!(align_of::<C>(), 64);
        assert_eq!(size_of::<C>(), 896);
    }
}
