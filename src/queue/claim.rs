//! Claiming slots: the queue's two ends and the compare-and-swap that
//! advances them.
//!
//! A claim is `(chunk, offset, count)`: `count` consecutive slots of one
//! lap, won by one CAS on an end's index (module docs of `queue`, "The
//! algorithm"). Claims never cross a lap's end; the claimer of a lap's last
//! slot hands the end over (`lap.rs`).

use core::ptr;

use super::chunk::Chunk;
#[cfg(loom)]
use super::paths;
use super::{Queue, CLOSED, STEP};
use crate::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use crate::sync::{contention_pause, cover, load_decisive};

/// Spin hints a claim pauses for after its CAS failed: 2^8 = 256. What a
/// hint costs depends on the CPU: 16 ns on the Intel Xeon development VM
/// and 28 ns on the AMD EPYC one (measured with a loop of `spin_loop()`),
/// so the pause is 4 to 7 µs.
///
/// A failed CAS means another thread just claimed. Stepping aside long
/// enough lets that thread run a burst of operations with the index, state
/// and value lines in its own cache, instead of the two cores trading every
/// line on every operation. The pause has to outlast a few of the winner's
/// operations to have that effect, and longer was better at every step
/// measured. With two threads truly in parallel (pairs at x2 on an idle
/// Intel VM) a 1-hint start gave 3.9 Mpairs/s, a 16-hint start 9 to 10, a
/// 32-hint start 13 to 15 and a 64-hint start (escalating to 256) 18 to
/// 31, against `SegQueue`'s 14 to 18. On the AMD EPYC VM, in one process
/// with the two settings interleaved, a flat 256 against that 64-to-256
/// escalation gave pairs at x2 57.4 against 52.4 Mpairs/s median (lower
/// quartile 49.0 against 30.8; 31 runs each, `SegQueue` 55.6) and
/// producers-consumers at x4 43.2 against 26.6 Mops/s, at x8 39.5 against
/// 34.9 (21 runs each).
///
/// Nothing waits for another thread here: the thread that made our CAS fail
/// has completed its claim, and the retry can succeed at once. The pause
/// is bounded, so progress stays lock-free; only a claim that lost a race
/// pays it, never the empty path or an uncontended claim. Under loom the
/// pause is nothing.
const BACKOFF_HINTS: u32 = 1 << 8;

/// One end of the queue: the claim index and the chunk it points into.
pub(super) struct End<T, const CHUNK: usize> {
    /// `(lap * (CHUNK + 1) + offset) << 1`, plus `CLOSED` on the tail. Only
    /// grows (apart from the flag bit), and never wraps: 64 bits on every
    /// target (module docs of `queue`, "Platform").
    pub(super) index: AtomicU64,
    /// The chunk holding the index's lap. Null before the first push. It
    /// changes only while the index sits at a lap's end (offset `CHUNK`),
    /// and always before the index moves on to the next lap.
    pub(super) block: AtomicPtr<Chunk<T, CHUNK>>,
    /// Head only: a tail *position* read earlier by some consumer. The tail
    /// only grows, so any value here is at most the current tail position,
    /// and a head below it proves the queue non-empty without reading the
    /// producers' cache line.
    pub(super) seen_tail: AtomicU64,
}

impl<T, const CHUNK: usize> End<T, CHUNK> {
    #[cfg(not(loom))]
    pub(super) const fn new() -> Self {
        End {
            index: AtomicU64::new(0),
            block: AtomicPtr::new(ptr::null_mut()),
            seen_tail: AtomicU64::new(0),
        }
    }

    #[cfg(loom)]
    pub(super) fn new() -> Self {
        End {
            index: AtomicU64::new(0),
            block: AtomicPtr::new(ptr::null_mut()),
            seen_tail: AtomicU64::new(0),
        }
    }
}

/// Slots `offset .. offset + count` of `chunk`, claimed by one CAS.
pub(super) struct Claim<T, const CHUNK: usize> {
    pub(super) chunk: *mut Chunk<T, CHUNK>,
    pub(super) offset: usize,
    pub(super) count: usize,
}

impl<T, const CHUNK: usize> Clone for Claim<T, CHUNK> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, const CHUNK: usize> Copy for Claim<T, CHUNK> {}

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Claims up to `want` (at least 1) slots at the tail, all in one lap.
    /// `None` if the queue is closed.
    #[inline]
    pub(super) fn claim_tail(&self, want: usize) -> Option<Claim<T, CHUNK>> {
        loop {
            // memory ordering: Acquire pairs with the Release CAS that moved
            // the index to this lap (or a claim continuing its release
            // sequence), so the `block` stored before it is visible below.
            let tail = load_decisive(&self.tail.index, Ordering::Acquire);
            if tail & CLOSED != 0 {
                cover!(paths::PUSH_SAW_CLOSED);
                return None;
            }
            let (lap, offset) = Self::split(tail);
            if offset == CHUNK {
                self.wait_for_tail_hand_over(tail);
                continue;
            }
            // memory ordering: Acquire pairs with the Release that stored the
            // chunk (installed, or handed over), so its rewound state is
            // visible. Loaded after the index: see the module docs.
            let chunk = self.tail.block.load(Ordering::Acquire);
            if chunk.is_null() {
                self.install_first_chunk();
                continue;
            }
            let count = want.clamp(1, CHUNK - offset);
            // memory ordering: SeqCst on success: the claim is the push's
            // first read-modify-write in the readiness handshake (signal.rs:
            // a consumer's "empty" reads this location). Relaxed on failure:
            // we only retry.
            match self.tail.index.compare_exchange_weak(
                tail,
                // `usize` to `u64` is exact: no target has a wider `usize`.
                tail + count as u64 * STEP,
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if offset + count == CHUNK {
                        // SAFETY: we claimed the lap's last slot and hold it
                        // unfinished, so `chunk` stays alive.
                        unsafe { self.end_tail_lap(chunk, lap) };
                    }
                    return Some(Claim {
                        chunk,
                        offset,
                        count,
                    });
                }
                Err(_) => contention_pause(BACKOFF_HINTS),
            }
        }
    }

    /// Claims up to `want` (at least 1) slots at the head that producers
    /// have claimed, all in one lap. `None` if the queue is empty.
    #[inline]
    pub(super) fn claim_head(&self, want: usize) -> Option<Claim<T, CHUNK>> {
        loop {
            // memory ordering: Acquire, as for the tail in `claim_tail`.
            let head = load_decisive(&self.head.index, Ordering::Acquire);
            let (lap, offset) = Self::split(head);
            if offset == CHUNK {
                self.wait_for_head_hand_over(head);
                continue;
            }
            let position = lap * Self::CHUNK_U64 + offset as u64;
            // memory ordering: Acquire pairs with the Release store below, so
            // what the storer saw with its tail load (the chunks installed
            // before those claims) is visible to us too.
            let mut ready = self
                .head
                .seen_tail
                .load(Ordering::Acquire)
                .saturating_sub(position);
            if ready < want as u64 {
                // memory ordering: SeqCst: this load is where `pop` concludes
                // "empty", which the readiness handshake orders against the
                // push's SeqCst claim (signal.rs); Acquire in it pairs with
                // that claim, making the first chunk's `head.block` visible.
                let tail_position =
                    Self::position(load_decisive(&self.tail.index, Ordering::SeqCst));
                ready = tail_position.saturating_sub(position);
                if ready == 0 {
                    return None;
                }
                // memory ordering: Release publishes what our Acquire load
                // of the tail made visible (see the load above). A racing
                // store of a smaller value is harmless: every stored value is
                // a tail position that was true at some point.
                self.head.seen_tail.store(tail_position, Ordering::Release);
            }
            // memory ordering: Acquire, as for the tail's block.
            let chunk = self.head.block.load(Ordering::Acquire);
            // At most `want`, so the cast back to `usize` is exact.
            let count = (want as u64).min(ready) as usize;
            let count = count.clamp(1, CHUNK - offset);
            // memory ordering: Relaxed would do for the claim itself (the
            // slot's state carries the value); AcqRel is the same instruction
            // on x86-64 and keeps the head's hand-over ordered for helpers.
            match self.head.index.compare_exchange_weak(
                head,
                head + count as u64 * STEP,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    if offset + count == CHUNK {
                        // SAFETY: we claimed the lap's last slot and hold it
                        // unfinished, so `chunk` stays alive.
                        unsafe { self.end_head_lap(chunk, lap) };
                    }
                    return Some(Claim {
                        chunk,
                        offset,
                        count,
                    });
                }
                Err(_) => contention_pause(BACKOFF_HINTS),
            }
        }
    }
}
