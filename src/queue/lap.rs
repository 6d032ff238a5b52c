//! The end of a lap: handing `tail` and `head` over to the next chunk.
//!
//! The claim of a lap's last slot moves an index to offset `CHUNK`, where no
//! claim is made until the index is moved to the next lap. Three steps hand
//! an end over, in this order:
//!
//! 1. **link**: make sure the lap's chunk has a `next` (CAS it in from the
//!    spare slot or a fresh allocation; whoever loses the race gives its
//!    chunk back);
//! 2. **block**: CAS the end's `block` from the lap's chunk to `next`;
//! 3. **index**: CAS the index from the lap's end to the next lap's first
//!    offset (keeping the tail's `CLOSED` bit).
//!
//! Each step is a CAS that only succeeds once, so any number of threads may
//! run them; `block` is stored before the index moves, which is what lets a
//! claimer trust the `block` it loaded after the index.
//!
//! | who runs the hand-over | protected by |
//! |---|---|
//! | the claimer of the lap's last producer slot (tail) | its unfinished slot |
//! | the claimer of the lap's last consumer slot (head, and the tail's too if still pending) | its unfinished slot |
//! | a helper that found the end pending after `LAP_PATIENCE` checks | an epoch pin, and a hazard slot naming the chunk (or, if both slots are taken, the `helpers` count) |
//!
//! The consumer at a lap's end finishes the tail's hand-over before the
//! head's, so that when it starts the chunk's completion scan neither end
//! points at the chunk: from then on only helpers can reach it, and the
//! thread that completes the scan checks the hazard slots and `helpers`
//! before reusing it (`reclaim.rs`).
//!
//! | hazard slot state | meaning |
//! |---|---|
//! | null | free |
//! | `claimed()` (a dangling, aligned address) | taken by a helper that has not loaded a chunk yet |
//! | a chunk | that chunk is announced: not reused while it stays |

// Under loom the patience constants are 0 (models skip and help at once),
// which makes the bounded waits empty loops by design.
#![cfg_attr(
    loom,
    allow(clippy::absurd_extreme_comparisons, clippy::reversed_empty_ranges)
)]

use core::ptr;

use super::chunk::Chunk;
#[cfg(loom)]
use super::paths;
use super::{Queue, CLOSED, LAP_PATIENCE};
use crate::sync::atomic::{fence, AtomicPtr, Ordering};
use crate::sync::{cover, epoch, spin_loop};

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Hands the tail over from `chunk` (lap `lap`) to the next lap.
    ///
    /// # Safety
    /// The caller holds an unfinished slot of `chunk` in lap `lap` (it
    /// claimed the lap's last producer slot).
    pub(super) unsafe fn end_tail_lap(&self, chunk: *mut Chunk<T, CHUNK>, lap: u64) {
        // SAFETY: alive while the caller's slot is unfinished.
        let next = unsafe { self.link_next(chunk, lap) };
        self.move_tail(chunk, next, lap);
    }

    /// Hands the head over from `chunk` (lap `lap`) to the next lap, after
    /// finishing the tail's hand-over if it is still pending.
    ///
    /// # Safety
    /// The caller holds an unfinished slot of `chunk` in lap `lap` (it
    /// claimed the lap's last consumer slot).
    pub(super) unsafe fn end_head_lap(&self, chunk: *mut Chunk<T, CHUNK>, lap: u64) {
        // Near empty, the lap's last producer is linking the next chunk
        // right now: give it a moment rather than race it with a second
        // chunk (the loser's chunk would displace a spare).
        let end = Self::index_of(lap, CHUNK);
        // memory ordering: Relaxed; a hint only, `link_next` decides.
        self.patient(|| self.tail.index.load(Ordering::Relaxed) & !CLOSED != end);
        // SAFETY: alive while the caller's slot is unfinished.
        let next = unsafe { self.link_next(chunk, lap) };
        if self.move_tail(chunk, next, lap) {
            cover!(paths::TAIL_FINISHED_BY_CONSUMER);
        }
        self.move_head(chunk, next, lap);
    }

    /// Returns the chunk after `chunk`, linking one (prepared for lap
    /// `lap + 1`) if there is none yet.
    ///
    /// # Safety
    /// `chunk` holds lap `lap` and stays alive for the call (an unfinished
    /// slot or a registered helper protects it).
    unsafe fn link_next(&self, chunk: *mut Chunk<T, CHUNK>, lap: u64) -> *mut Chunk<T, CHUNK> {
        // SAFETY: caller's contract.
        let this = unsafe { &*chunk };
        // memory ordering: Acquire pairs with the Release CAS that linked it,
        // so the rewound chunk is visible.
        let next = this.next.load(Ordering::Acquire);
        if !next.is_null() {
            return next;
        }
        let (fresh, allocated) = match self.take_spare(lap + 1) {
            Some(spare) => (spare, false),
            None => {
                // Before allocating, look again: near empty, the lap's last
                // producer and last consumer link at about the same time,
                // and the other one may have taken the only spare for this
                // very link.
                // memory ordering: Acquire, as above.
                let next = this.next.load(Ordering::Acquire);
                if !next.is_null() {
                    return next;
                }
                (Chunk::alloc(lap + 1), true)
            }
        };
        // memory ordering: Release publishes the rewound chunk to whoever
        // loads `next` (or, later, `block`) with Acquire; Acquire on failure
        // reads the winner's chunk.
        match this.next.compare_exchange(
            ptr::null_mut(),
            fresh,
            Ordering::Release,
            Ordering::Acquire,
        ) {
            Ok(_) => {
                // A shortage after the first lap: the working set is growing
                // (see `stock_spares`). Only the link's winner stocks, so
                // that two racing linkers do not both.
                if allocated && lap > 0 {
                    self.stock_spares();
                }
                fresh
            }
            Err(winner) => {
                cover!(paths::LINK_RACE_LOST);
                // SAFETY: never published.
                unsafe { self.give_back_unpublished(fresh) };
                winner
            }
        }
    }

    /// Moves the tail's `block` from `from` to `to` and its index from the
    /// end of lap `lap` to the next lap. Returns true if this call moved
    /// the index.
    fn move_tail(&self, from: *mut Chunk<T, CHUNK>, to: *mut Chunk<T, CHUNK>, lap: u64) -> bool {
        // memory ordering: Release publishes `to` (linked with Release, read
        // with Acquire or prepared by us) to producers that load `block`
        // with Acquire. A failure means someone else moved it already.
        let _ = self
            .tail
            .block
            .compare_exchange(from, to, Ordering::Release, Ordering::Relaxed);
        let end = Self::index_of(lap, CHUNK);
        let next_lap = Self::index_of(lap + 1, 0);
        // memory ordering: Relaxed; only compared, the CAS decides.
        let mut seen = self.tail.index.load(Ordering::Relaxed);
        while seen & !CLOSED == end {
            // memory ordering: Release: a producer that reads the new lap
            // with Acquire sees the `block` stored above. The position does
            // not change (the end of lap `lap` is the start of the next), so
            // the readiness handshake does not care about this write.
            match self.tail.index.compare_exchange(
                seen,
                next_lap | (seen & CLOSED),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if seen & CLOSED != 0 {
                        cover!(paths::HAND_OVER_KEPT_CLOSED);
                    }
                    return true;
                }
                // `close` set its bit meanwhile: try again with it.
                Err(actual) => {
                    if actual & CLOSED != 0 && seen & CLOSED == 0 {
                        cover!(paths::HAND_OVER_SAW_CLOSE);
                    }
                    seen = actual;
                }
            }
        }
        false
    }

    /// Moves the head's `block` from `from` to `to` and its index from the
    /// end of lap `lap` to the next lap.
    fn move_head(&self, from: *mut Chunk<T, CHUNK>, to: *mut Chunk<T, CHUNK>, lap: u64) {
        // memory ordering: as in `move_tail`.
        let _ = self
            .head
            .block
            .compare_exchange(from, to, Ordering::Release, Ordering::Relaxed);
        // memory ordering: Release, as in `move_tail`. The head index has no
        // flag bit, so one CAS decides.
        let _ = self.head.index.compare_exchange(
            Self::index_of(lap, CHUNK),
            Self::index_of(lap + 1, 0),
            Ordering::Release,
            Ordering::Relaxed,
        );
    }

    /// A producer found the tail at a lap's end: wait a little for the
    /// lap's last producer to hand it over, then do it ourselves.
    #[cold]
    pub(super) fn wait_for_tail_hand_over(&self, index: u64) {
        // memory ordering: Relaxed: only watches for the index to move; the
        // Acquire load below is what the help relies on.
        if self.patient(|| self.tail.index.load(Ordering::Relaxed) & !CLOSED != index & !CLOSED) {
            return;
        }
        let _helping = self.help();
        // memory ordering: Acquire pairs with the Release that moved the
        // index, for the `block` load below.
        let now = self.tail.index.load(Ordering::Acquire);
        if now & !CLOSED != index & !CLOSED {
            return;
        }
        let (lap, _) = Self::split(index);
        let chunk = _helping.protect(&self.tail.block);
        // SAFETY: `protect` announced the chunk (or `help` counted us)
        // before the load it returns, so the chunk is neither rewound nor
        // freed until we are done (`reclaim.rs`); it is the lap's chunk or,
        // if `block` already moved, a later one.
        let this = unsafe { &*chunk };
        this.reached();
        // memory ordering: Acquire pairs with the Release CAS that linked
        // the chunk for this lap.
        if this.lap.load(Ordering::Acquire) == lap {
            // SAFETY: holds lap `lap`, protected as above.
            let next = unsafe { self.link_next(chunk, lap) };
            self.move_tail(chunk, next, lap);
        } else {
            // `block` was moved already; move the index after it.
            self.move_tail(chunk, chunk, lap);
        }
        cover!(paths::TAIL_HELPED);
    }

    /// A consumer found the head at a lap's end: wait a little for the
    /// lap's last consumer to hand it over, then do it ourselves.
    #[cold]
    pub(super) fn wait_for_head_hand_over(&self, index: u64) {
        // memory ordering: Relaxed, as in `wait_for_tail_hand_over`.
        if self.patient(|| self.head.index.load(Ordering::Relaxed) != index) {
            return;
        }
        let _helping = self.help();
        // memory ordering: Acquire, as in `wait_for_tail_hand_over`.
        if self.head.index.load(Ordering::Acquire) != index {
            return;
        }
        let (lap, _) = Self::split(index);
        let chunk = _helping.protect(&self.head.block);
        // SAFETY: protected by `_helping`, as in `wait_for_tail_hand_over`.
        let this = unsafe { &*chunk };
        this.reached();
        // memory ordering: Acquire, as in `wait_for_tail_hand_over`.
        if this.lap.load(Ordering::Acquire) == lap {
            // SAFETY: holds lap `lap`, protected as above.
            let next = unsafe { self.link_next(chunk, lap) };
            self.move_head(chunk, next, lap);
        } else {
            self.move_head(chunk, chunk, lap);
        }
        cover!(paths::HEAD_HELPED);
    }

    /// Checks `done` up to `LAP_PATIENCE` times, with a spin hint between.
    #[inline]
    fn patient(&self, done: impl Fn() -> bool) -> bool {
        for _ in 0..LAP_PATIENCE {
            spin_loop();
            if done() {
                return true;
            }
        }
        false
    }

    /// Registers a lap-end helper: pins the epoch, then takes a free
    /// hazard slot, or if both are taken counts the helper in `helpers`
    /// and issues `fence(SeqCst)`. The registration ends when the returned
    /// value is dropped; [`Helping::protect`] loads the chunk to work on.
    fn help(&self) -> Helping<'_, T, CHUNK> {
        let guard = epoch::pin();
        for (slot, hazard) in self.hazards.iter().enumerate() {
            // memory ordering: Acquire on success pairs with the Release
            // store that cleared the slot, so the previous helper's
            // accesses to its chunk happen before our own clearing store. A
            // completer that reads the slot after us then synchronizes with
            // every earlier helper of the slot, not only with the last one.
            // What we announce is ordered by the fence in `protect`. The
            // sentinel never equals a chunk, so no completer is held up yet.
            if hazard
                .compare_exchange(
                    ptr::null_mut(),
                    claimed(),
                    Ordering::Acquire,
                    Ordering::Relaxed,
                )
                .is_ok()
            {
                return Helping {
                    queue: self,
                    slot: Some(slot),
                    _guard: guard,
                };
            }
        }
        cover!(paths::HELPER_COUNTED);
        // memory ordering: the increment and the fence after it are one half
        // of the store-buffering pair whose other half is `reclaim`'s fence
        // and load of `helpers`: either the completer of a chunk's scan sees
        // this helper (and keeps the chunk from reuse), or our `block` loads
        // see both ends moved past the chunk. The fence stands in for
        // SeqCst loads, which loom models as Acquire only.
        self.helpers.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        Helping {
            queue: self,
            slot: None,
            _guard: guard,
        }
    }
}

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Model hook: takes every hazard slot for good, so that lap-end helpers
    /// are counted in `helpers` instead (the fallback a model with one
    /// helper would not reach otherwise).
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn model_take_hazard_slots(&self) {
        for hazard in &self.hazards {
            // memory ordering: Relaxed; done before the model's threads start.
            hazard.store(claimed(), Ordering::Relaxed);
        }
    }
}

/// What a hazard slot holds while its helper has not announced a chunk yet:
/// a well-aligned address no chunk can have (chunks are heap allocations).
fn claimed<T, const CHUNK: usize>() -> *mut Chunk<T, CHUNK> {
    ptr::NonNull::dangling().as_ptr()
}

/// A registered lap-end helper (see [`Queue::help`]).
struct Helping<'a, T, const CHUNK: usize> {
    queue: &'a Queue<T, CHUNK>,
    /// The hazard slot this helper announces its chunk in; `None` if it is
    /// counted in `helpers` instead.
    slot: Option<usize>,
    _guard: epoch::Guard,
}

impl<T, const CHUNK: usize> Helping<'_, T, CHUNK> {
    /// Loads `block` so that the chunk it returns stays allocated and is not
    /// rewound until this helper is dropped.
    ///
    /// With a hazard slot this is the hazard-pointer handshake: announce
    /// the chunk, `fence(SeqCst)`, load `block` again, and start over if it
    /// moved. A completer fences and then reads the slots (`reclaim.rs`):
    /// either it sees the announcement and keeps the chunk, or its fence
    /// comes first in the total order, and then the end moved off the chunk
    /// before it, so our second load sees the move and we do not use the
    /// chunk. `block` moves once per lap, so the loop ends.
    fn protect(&self, block: &AtomicPtr<Chunk<T, CHUNK>>) -> *mut Chunk<T, CHUNK> {
        // memory ordering: Acquire pairs with the Release that stored it.
        let mut chunk = block.load(Ordering::Acquire);
        let Some(slot) = self.slot else {
            // Counted in `helpers` before the load: covered (see `help`).
            return chunk;
        };
        let hazard = &self.queue.hazards[slot];
        loop {
            // memory ordering: Relaxed, then the fence: the store-buffering
            // pair described above. A swap, not a store: as a
            // read-modify-write it continues the release sequence of the
            // previous helper's clearing store (and our claiming CAS
            // continues it too), so a completer whose Acquire load reads our
            // announcement of another chunk still synchronizes with that
            // helper's clear, after which it may reuse the chunk the
            // previous helper used. A plain store would end the sequence,
            // leaving the previous helper's reads unordered before the reuse
            // (ThreadSanitizer reported exactly that as a race on `free`).
            hazard.swap(chunk, Ordering::Relaxed);
            fence(Ordering::SeqCst);
            // memory ordering: Acquire, as for the first load.
            let again = block.load(Ordering::Acquire);
            if again == chunk {
                return chunk;
            }
            cover!(paths::HAZARD_RETRIED);
            chunk = again;
        }
    }
}

impl<T, const CHUNK: usize> Drop for Helping<'_, T, CHUNK> {
    fn drop(&mut self) {
        // memory ordering: Release: our accesses to the chunk happen before
        // a completer that reads the cleared slot, or the decremented count,
        // with Acquire reuses the chunk. The epoch guard is dropped after
        // this, so a chunk retired while we were registered still waits for
        // our unpin.
        match self.slot {
            Some(slot) => self.queue.hazards[slot].store(ptr::null_mut(), Ordering::Release),
            None => {
                self.queue.helpers.fetch_sub(1, Ordering::Release);
            }
        }
    }
}
