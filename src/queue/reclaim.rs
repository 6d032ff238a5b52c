//! Where the queue's chunks come from and where they go: the first chunk,
//! the spare slots, the waiting list, and retirement.
//!
//! | event | what happens to the chunk |
//! |---|---|
//! | first push | allocated for lap 0, stored in `head.block`, then `tail.block` |
//! | a lap's end needs the next chunk | a spare, if any, rewound for that lap; otherwise allocated, and after the first lap the link's winner also stocks the empty spare slots but one with fresh chunks |
//! | a thread lost the race to link | its unpublished chunk becomes a spare (or is freed) |
//! | its lap ends (last slot taken) and it is not complete | put on the waiting list, re-checked at each later lap end |
//! | found complete, no hazard slot names it, no helper counted | becomes a spare; freed if the spare slots are full |
//! | found complete, a helper holds it, fewer than `HOLD_BACK` held back by this lap end | back on the waiting list, re-checked at the next lap end |
//! | found complete, a helper holds it, otherwise | retired through crossbeam-epoch: freed once every thread pinned now has unpinned |
//! | the queue is dropped | every linked chunk, the spares and the waiting list are freed |
//!
//! A chunk in a spare slot is owned by the slot: no other thread can reach
//! it (both ends had moved past it and no helper could hold it when it was
//! put there), so it is reused or freed without a grace period.
//!
//! Why holding a chunk back is sound: a helper may hold a pointer to an
//! out-of-service chunk only while a hazard slot names it or while the
//! helper is counted in `helpers` (`lap.rs`, `Helping::protect`). A
//! re-check at a later lap end runs the same fence and loads as the first
//! check, and the ends stay moved past the chunk, so a later "no helper
//! holds it" proves what a first-time one does. A helper blocks the reuse
//! of the one chunk it announced, so even one preempted mid-help costs at
//! most that chunk, retired through the epoch once `HOLD_BACK` is used
//! up at a lap end.

use core::ptr;

use super::chunk::Chunk;
#[cfg(loom)]
use super::paths;
use super::{Queue, HOLD_BACK, SPARES};
use crate::sync::atomic::{fence, Ordering};
use crate::sync::{cover, epoch, DEFERRED_IN_MODEL};

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Installs the first chunk if there is none yet: `head.block` first,
    /// then `tail.block`, so that a consumer that sees a claimed slot also
    /// sees the head's chunk.
    #[cold]
    pub(super) fn install_first_chunk(&self) {
        // memory ordering: Acquire, to read a chunk installed by another thread.
        let mut head = self.head.block.load(Ordering::Acquire);
        if head.is_null() {
            let fresh = Chunk::alloc(0);
            // memory ordering: Release publishes the zeroed chunk; Acquire on
            // failure reads the winner's.
            match self.head.block.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::Release,
                Ordering::Acquire,
            ) {
                Ok(_) => head = fresh,
                Err(winner) => {
                    // SAFETY: never published.
                    unsafe { Chunk::free(fresh) };
                    head = winner;
                }
            }
        }
        // memory ordering: Release publishes the chunk (and, by program
        // order, the head's store above) to producers that load `tail.block`
        // with Acquire; their claims carry it on to consumers.
        let _ = self.tail.block.compare_exchange(
            ptr::null_mut(),
            head,
            Ordering::Release,
            Ordering::Relaxed,
        );
    }

    /// A spare chunk rewound for lap `lap`, if there is one.
    pub(super) fn take_spare(&self, lap: u64) -> Option<*mut Chunk<T, CHUNK>> {
        for slot in &self.spares {
            // memory ordering: Relaxed: a hint that spares a swap (an RMW
            // on a shared line) when the slot is empty; the swap decides.
            if slot.load(Ordering::Relaxed).is_null() {
                continue;
            }
            // memory ordering: Acquire pairs with the Release that put the
            // chunk in the slot, which follows every access any thread made
            // to it.
            let spare = slot.swap(ptr::null_mut(), Ordering::Acquire);
            if !spare.is_null() {
                cover!(paths::CHUNK_REUSED);
                // SAFETY: taken out of the spare slot, so exclusively ours.
                unsafe { Chunk::rewind(spare, lap) };
                return Some(spare);
            }
        }
        None
    }

    /// Called by the winner of a lap end's link that found no spare, after
    /// the first lap: the chunk that lap 1 or later would have reused was
    /// still out of service (a thread was working in it when its lap ended,
    /// so it waits on the list, or a racing linker held a spare), so the
    /// queue is contended and its working set (the current chunk, the next,
    /// the spares) is still growing. Growing it here all at once, instead of
    /// one allocation at each later shortage, makes a warm contended queue
    /// stop allocating at its first shortage rather than millions of
    /// operations later (`tests/queue_alloc.rs` measured the last shortage
    /// after up to 8·10⁶ pairs before this). One spare slot is left for the
    /// chunk that is out of service, which joins the spares when it is
    /// finished; filling that slot too would free it.
    ///
    /// An uncontended queue near empty never gets here: its previous chunk
    /// is a spare by the next lap end. A growing backlog does (every lap end
    /// needs a fresh chunk), and then allocates in threes instead of ones,
    /// with at most `SPARES - 1` chunks left over as spares.
    #[cold]
    pub(super) fn stock_spares(&self) {
        let mut room = SPARES - 1;
        for slot in &self.spares {
            if room == 0 {
                return;
            }
            // memory ordering: Relaxed: a hint, as in `take_spare`; the CAS
            // in `keep_as_spare` decides, and a chunk that finds every slot
            // full is freed there.
            if slot.load(Ordering::Relaxed).is_null() {
                room -= 1;
                cover!(paths::SPARES_STOCKED);
                // SAFETY: fresh: unreachable by any other thread, and empty.
                unsafe { self.keep_as_spare(Chunk::alloc(0)) };
            }
        }
    }

    /// Puts a chunk that was never published into the spare slot, or frees it.
    ///
    /// # Safety
    /// `chunk` is empty, exclusively owned, and was never published.
    pub(super) unsafe fn give_back_unpublished(&self, chunk: *mut Chunk<T, CHUNK>) {
        // SAFETY: caller's contract.
        unsafe { self.keep_as_spare(chunk) };
    }

    /// Takes `chunk` out of service at the end of its lap: reuse it if it
    /// is complete, otherwise put it on the waiting list; then re-check the
    /// chunks already waiting.
    ///
    /// # Safety
    /// The caller claimed and took the lap's last consumer slot of `chunk`
    /// (so every slot was claimed by both sides), after moving both ends
    /// past the chunk; the call is the only one for this chunk and lap.
    pub(super) unsafe fn lap_done(&self, chunk: *mut Chunk<T, CHUNK>) {
        let mut hold_back = HOLD_BACK;
        // SAFETY: every slot is claimed; the chunk is reused or freed only
        // by this call (or a later re-check of the waiting list).
        if unsafe { (*chunk).settles() } {
            // SAFETY: complete and past both ends: ours.
            unsafe { self.finished(chunk, &mut hold_back) };
        } else {
            cover!(paths::CHUNK_WAITED);
            // SAFETY: past both ends; the list takes it over.
            unsafe { self.push_waiting(chunk) };
        }
        // memory ordering: Relaxed: only a hint that the list is non-empty;
        // the swap below reads it with Acquire.
        if self.waiting.load(Ordering::Relaxed).is_null() {
            return;
        }
        // memory ordering: Acquire pairs with the Release CAS that pushed
        // each chunk, so its `waiting_next` is visible. Taking the whole
        // list makes us its only reader: no ABA on pops.
        let mut list = self.waiting.swap(ptr::null_mut(), Ordering::Acquire);
        while !list.is_null() {
            // SAFETY: taken off the list, so ours until we put it back.
            let this = unsafe { &*list };
            // memory ordering: Relaxed; made visible by the Acquire swap.
            let next = this.waiting_next.load(Ordering::Relaxed);
            // SAFETY: a waiting chunk had every slot claimed.
            if unsafe { this.is_complete() } {
                cover!(paths::WAITING_CHUNK_COMPLETED);
                // SAFETY: complete and past both ends: ours.
                unsafe { self.finished(list, &mut hold_back) };
            } else {
                // SAFETY: still ours; the list takes it back.
                unsafe { self.push_waiting(list) };
            }
            list = next;
        }
    }

    /// Pushes an out-of-service chunk on the waiting list.
    ///
    /// # Safety
    /// The caller owns `chunk` (past both ends, not on the list).
    unsafe fn push_waiting(&self, chunk: *mut Chunk<T, CHUNK>) {
        // SAFETY: the caller owns it.
        let this = unsafe { &*chunk };
        // memory ordering: Relaxed; the CAS publishes.
        let mut top = self.waiting.load(Ordering::Relaxed);
        loop {
            // memory ordering: Relaxed; published by the Release CAS.
            this.waiting_next.store(top, Ordering::Relaxed);
            // memory ordering: Release publishes `waiting_next` to the thread
            // that takes the list with an Acquire swap. Pushes never read a
            // node, so an old `top` coming back (ABA) is harmless.
            match self.waiting.compare_exchange_weak(
                top,
                chunk,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => top = actual,
            }
        }
    }

    /// A chunk whose every slot is finished: reuse it if no lap-end helper
    /// can hold a pointer to it; otherwise hold it back on the waiting list
    /// while `hold_back` allows, or else retire it through the epoch.
    ///
    /// # Safety
    /// The caller found the chunk complete (so owns it), and neither
    /// `head.block` nor `tail.block` points at it any more.
    unsafe fn finished(&self, chunk: *mut Chunk<T, CHUNK>, hold_back: &mut usize) {
        // memory ordering: the other half of the store-buffering pair in
        // `Queue::help`. The ends were moved off the chunk before this fence
        // (by this thread, or by one whose Release store of DONE, or push
        // onto the waiting list, we read with Acquire).
        // If the load below misses a helper's increment, that helper's fence
        // comes later in the total order, so its `block` loads see the ends
        // moved and it never reaches this chunk. Acquire pairs with a
        // helper's decrement, ordering its accesses before our reuse.
        fence(Ordering::SeqCst);
        // memory ordering: Acquire on the slots, as on `helpers`: a cleared
        // slot was cleared with Release after its helper's last access.
        let announced = self
            .hazards
            .iter()
            .any(|hazard| hazard.load(Ordering::Acquire) == chunk);
        if !announced && self.helpers.load(Ordering::Acquire) == 0 {
            cover!(paths::CHUNK_RECYCLED);
            // SAFETY: unreachable by any thread, and ours.
            unsafe { self.keep_as_spare(chunk) };
            return;
        }
        if *hold_back > 0 {
            *hold_back -= 1;
            cover!(paths::CHUNK_HELD_BACK);
            // SAFETY: ours; the list takes it over, and the next re-check
            // runs this function again (see the module docs).
            unsafe { self.push_waiting(chunk) };
            return;
        }
        cover!(paths::CHUNK_RETIRED);
        if !DEFERRED_IN_MODEL {
            // `--cfg loom` without `--cfg crossbeam_loom`: the real collector
            // could run the deferred function in a later loom execution,
            // where this execution's atomics must not be touched. Leak it;
            // models are short.
            return;
        }
        let retired = Retired(chunk);
        let guard = epoch::pin();
        // SAFETY: every helper that may hold the chunk pinned before it
        // loaded the pointer and stays pinned while it uses it, and no
        // other thread can reach the chunk; the deferred call frees it after
        // all of them have unpinned. It touches only the chunk, never the
        // queue, which may be gone by then. No element is left in it.
        unsafe {
            guard.defer_unchecked(move || {
                let retired = retired;
                Chunk::free(retired.0);
            })
        };
    }

    /// Stores an unreachable, finished chunk in an empty spare slot, or
    /// frees it if all `SPARES` (3) slots are full.
    ///
    /// # Safety
    /// No other thread can reach `chunk`, and it holds no live element.
    unsafe fn keep_as_spare(&self, chunk: *mut Chunk<T, CHUNK>) {
        for slot in &self.spares {
            // memory ordering: Release hands everything done to `chunk` so
            // far to the thread that takes it (Acquire swap in
            // `take_spare`). A failed CAS reads nothing.
            if slot
                .compare_exchange(ptr::null_mut(), chunk, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
        // SAFETY: ours (caller's contract), unreachable, and empty.
        unsafe { Chunk::free(chunk) };
    }
}

/// A retired chunk on its way through the epoch.
struct Retired<T, const CHUNK: usize>(*mut Chunk<T, CHUNK>);
