//! Where the queue's chunks come from and where they go: the first chunk,
//! the spare chunk, and retirement through the epoch.
//!
//! The life of a chunk and the `reuse` handshake between a retired chunk,
//! the spare slot and the deferred function are documented in `chunk.rs`.

use core::ptr;

use super::chunk::{self, Chunk, READY};
#[cfg(loom)]
use super::paths;
use super::Queue;
use crate::sync::atomic::Ordering;
use crate::sync::{cover, epoch, DEFERRED_IN_MODEL};

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Installs the first chunk if there is none yet.
    #[cold]
    pub(super) fn install_first_chunk(&self) {
        // memory ordering: Acquire, to read a chunk installed by another thread.
        let mut head = self.head.load(Ordering::Acquire);
        if head.is_null() {
            let fresh = Chunk::alloc();
            // memory ordering: Release publishes the zeroed chunk; Acquire on
            // failure reads the winner's. SeqCst on success: a pop that reads
            // `head == null` concludes "empty", and the readiness handshake
            // (signal.rs) needs that null to precede a SeqCst RMW.
            match self.head.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::SeqCst,
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
        // `tail` follows `head`; whoever gets there first sets it.
        self.advance_tail(ptr::null_mut(), head);
    }

    /// A chunk for a producer to prepare: the spare if its grace period is
    /// over, otherwise a fresh allocation.
    pub(super) fn take_chunk(&self) -> *mut Chunk<T, CHUNK> {
        if DEFERRED_IN_MODEL {
            // memory ordering: Acquire pairs with `retire`'s swap, so the
            // chunk's reuse state written before it is visible.
            let spare = self.spare.swap(ptr::null_mut(), Ordering::Acquire);
            if !spare.is_null() {
                // SAFETY: the swap gave us the spare slot's reference; the
                // chunk is freed only once that reference is abandoned.
                let reuse = unsafe { &(*spare).reuse };
                // memory ordering: Acquire pairs with the Release in
                // `grace_period_over`: everything any thread did to the chunk
                // happens before our reuse of it.
                if reuse.load(Ordering::Acquire) == READY {
                    cover!(paths::CHUNK_REUSED);
                    // SAFETY: READY and taken out of the spare slot: ours alone.
                    unsafe { Chunk::reset(spare) };
                    return spare;
                }
                // Still in its grace period: put it back, unless a newer one
                // took the slot meanwhile.
                // memory ordering: Release hands our reference back; see above.
                if self
                    .spare
                    .compare_exchange(ptr::null_mut(), spare, Ordering::Release, Ordering::Relaxed)
                    .is_err()
                {
                    // SAFETY: we own its spare-slot reference and drop it here.
                    unsafe { Chunk::abandon(spare) };
                }
            }
        }
        Chunk::alloc()
    }

    /// Puts a chunk that was never published back as a ready spare, or frees it.
    ///
    /// # Safety
    /// `chunk` is empty, exclusively owned, and was never published.
    pub(super) unsafe fn give_back_unpublished(&self, chunk: *mut Chunk<T, CHUNK>) {
        if DEFERRED_IN_MODEL {
            // SAFETY: exclusively ours.
            let reuse = unsafe { &(*chunk).reuse };
            // memory ordering: Relaxed; published by the Release CAS below.
            reuse.store(READY, Ordering::Relaxed);
            // memory ordering: Release publishes the chunk's state to the
            // producer that takes it (Acquire swap in `take_chunk`).
            if self
                .spare
                .compare_exchange(ptr::null_mut(), chunk, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
        // SAFETY: never published, so nobody else can reach it.
        unsafe { Chunk::free(chunk) };
    }

    /// Retires an unlinked chunk: it becomes the spare, and the epoch marks it
    /// reusable once no thread can still read it.
    ///
    /// # Safety
    /// The caller's CAS unlinked `chunk` from `head`, and `tail` has moved
    /// past it.
    pub(super) unsafe fn retire(&self, chunk: *mut Chunk<T, CHUNK>, guard: &epoch::Guard) {
        if !DEFERRED_IN_MODEL {
            // `--cfg loom` without `--cfg crossbeam_loom`: the real collector
            // could run the deferred function in a later loom execution, where
            // this execution's atomics must not be touched. Leak the chunk;
            // models are short.
            return;
        }
        // SAFETY: a retired chunk stays allocated until both the deferred call
        // and the spare slot have let go of it.
        let reuse = unsafe { &(*chunk).reuse };
        // memory ordering: Relaxed; published by the AcqRel swap below, and
        // the deferred function is ordered after it by the epoch.
        reuse.store(chunk::PENDING, Ordering::Relaxed);
        // memory ordering: AcqRel: Release publishes PENDING to the producer
        // that takes the spare; Acquire takes over the displaced chunk's
        // reference together with what its retirer wrote.
        let displaced = self.spare.swap(chunk, Ordering::AcqRel);
        if !displaced.is_null() {
            // SAFETY: the swap handed us the displaced chunk's spare-slot reference.
            unsafe { Chunk::abandon(displaced) };
        }
        let retired = Retired(chunk);
        // SAFETY: the deferred function runs after every thread pinned now has
        // unpinned, so no operation still reads `chunk`. It touches only the
        // chunk (never the queue, which may be gone by then), and the chunk
        // outlives it by the reuse handshake.
        unsafe {
            guard.defer_unchecked(move || {
                let retired = retired;
                Chunk::grace_period_over(retired.0);
            })
        };
    }
}

/// A retired chunk on its way through the epoch.
struct Retired<T, const CHUNK: usize>(*mut Chunk<T, CHUNK>);
