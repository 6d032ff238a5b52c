//! An unbounded, lock-free, multi-producer multi-consumer FIFO queue.
//!
//! [`Queue<T>`] never blocks a producer: `push` succeeds until the queue is
//! [closed](Queue::close), however slow the consumers are. Consumers either
//! `pop` (which returns at once) or wait for an element with
//! [`recv`](Queue::recv)`.await` or [`recv_blocking`](Queue::recv_blocking).
//!
//! # Guarantees
//!
//! * **Lock-free** in the strict sense: no operation waits for another
//!   thread's progress. A consumer that finds a slot claimed by a producer
//!   that has not written it yet does not wait: it skips the slot and the
//!   producer retries elsewhere.
//! * **Linearizable** `push`, `pop` and `close`: each takes effect at one
//!   instant between its call and its return. Elements pushed by one thread
//!   are popped in the order they were pushed.
//! * [`len`](Queue::len) is exact whenever no operation is in flight. While
//!   operations run it is a snapshot of two counters read at slightly
//!   different instants: it may count an element that is being popped, or
//!   miss one that is being pushed, but it never exceeds the number of
//!   elements pushed and not yet popped by more than the number of pushes
//!   in flight.
//! * After [`close`](Queue::close) returns, every `push` fails and hands its
//!   value back; elements already in the queue can still be popped.
//!
//! # The algorithm
//!
//! The queue is a Michael–Scott linked list (Michael & Scott, "Simple, Fast,
//! and Practical Non-Blocking and Blocking Concurrent Queue Algorithms",
//! PODC 1996) whose nodes are fixed-size chunks of slots. Inside a chunk,
//! slots are claimed with fetch-and-add on two counters, as in
//! Ramalhete & Correia's FAAArrayQueue and Yang & Mellor-Crummey's
//! wait-free queue ("A Wait-free Queue as Fast as Fetch-and-Add",
//! PPoPP 2016): an uncontended claim is one `fetch_add`, and a contended one
//! never fails and retries the way a CAS loop does.
//!
//! ```text
//!            head                                   tail
//!             |                                      |
//!             v                                      v
//!        +-----------+  next  +-----------+  next  +-----------+  next
//!        | chunk  p  | -----> | chunk p+C | -----> | chunk p+2C| -----> null
//!        | deq = 3   |        | deq = 0   |        | deq = 0   |        (or SEALED
//!        | enq = C   |        | enq = C   |        | enq = 2   |         once closed)
//!        +-----------+        +-----------+        +-----------+
//!   slot: 0 1 2 3 ... C-1
//!         T T T W W ... W        W W W ... W          W W . . ...
//!         ^^^^^ taken            all written          2 claimed, the rest free
//! ```
//!
//! * **push**: load `tail`, `fetch_add` its `enqueue_index` to claim a slot,
//!   write the value, then set the slot's `WRITTEN` bit. A claim past the end
//!   means the chunk is full: link a new chunk with the value already in slot
//!   0 by CAS on `next` (or help move `tail` to the chunk someone else
//!   linked) and retry.
//! * **pop**: load `head`; if `dequeue_index < enqueue_index` some producer
//!   has claimed a slot no consumer has: `fetch_add` `dequeue_index` and set
//!   the slot's `TAKEN` bit. If `WRITTEN` was already set, the value is ours.
//!   If not, the producer has not finished: the slot is skipped (the producer
//!   will see `TAKEN` and retry) and we try the next one. A claim past the end
//!   moves `head` to the next chunk, if there is one. A consumer whose claim
//!   returned more than the index it had just read collided with another
//!   consumer; it pauses briefly (`COLLISION_PAUSES` spin hints) so that
//!   the other can run a burst with the contended lines in its cache. This is
//!   the `fetch_add` counterpart of a CAS queue's backoff after a failed
//!   CAS; it lifted 2-thread pairs from 0.38x to 0.7x crossbeam's
//!   `SegQueue` (measurements on the constant).
//! * **close**: seal the last chunk's `next` by CAS (no chunk can be linked
//!   after it), then set the `CLOSED` bit in its `enqueue_index`; every later
//!   claim sees the bit, undoes itself and fails. Setting the bit is the
//!   linearization point; a producer that finds the seal before the bit sets
//!   the bit itself, so no push fails before `is_closed` turns true. The call
//!   whose CAS sealed the chunk is the one that returns `true`.
//!
//! The slot protocol, with its state table, and the layout of a chunk are
//! documented in the `chunk` module (`src/queue/chunk.rs`).
//!
//! # Memory
//!
//! * [`Queue::new`] allocates nothing. The first push allocates one chunk.
//! * Chunks hold `CHUNK` elements inline (default [`DEFAULT_CHUNK`]), plus one
//!   state byte each and a 384-byte header. Chunks are allocated zeroed
//!   directly on the heap, so large elements never pass through the stack.
//! * Unlinked chunks are reclaimed with crossbeam-epoch (Fraser's epoch-based
//!   reclamation): every concurrent operation pins the epoch once, and a
//!   chunk is freed only after every thread that could still read it has
//!   unpinned. The most recently unlinked chunk is kept as a spare and reused
//!   if its grace period is over when the next chunk is needed.
//! * Pinning costs about 7 ns per call on the development machine, a fifth
//!   of a push+pop pair. A thread that runs many operations in a row can
//!   pin once around them (`crossbeam_epoch::pin()`): the queue's own pin
//!   then only increments a counter. Keep such a guard short: nothing
//!   retired through crossbeam-epoch's global collector, by lazuli or any
//!   other crate, is freed until it is dropped.
//! * The `&mut self` methods ([`push_mut`](Queue::push_mut),
//!   [`pop_mut`](Queue::pop_mut), `Extend`, `IntoIterator`, `Drop`) need no
//!   pinning and no read-modify-write instructions at all.
//!
//! # Life of a chunk
//!
//! allocated (or recycled) → prepared with one value → linked after the last
//! chunk → filled and drained → unlinked by the consumer that moves `head`
//! past it → retired as the spare → reused, or freed after its grace period.
//! The full table is in `src/queue/chunk.rs`.

mod chunk;
mod exclusive;
mod reclaim;
mod recv;
mod signal;

use core::fmt;
use core::marker::PhantomData;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr;

use crossbeam_utils::CachePadded;

use self::chunk::{Chunk, CLOSED, INDEX};
use self::signal::Signal;
use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sync::{contention_pause, cover, epoch};

/// Paths of the queue protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    use crate::sync::coverage::Path;
    /// A consumer skipped a claimed slot whose value was not published yet.
    pub static SLOT_SKIPPED: Path = Path::new("consumer skipped an unpublished slot");
    /// A producer found its slot skipped and retried.
    pub static PRODUCER_RETRIED: Path = Path::new("producer retried after a skip");
    /// A producer lost the race to link the next chunk.
    pub static LINK_RACE_LOST: Path = Path::new("producer lost the race to link a chunk");
    /// A thread moved `tail` for a producer that linked a chunk.
    pub static TAIL_HELPED: Path = Path::new("tail moved forward by a helper");
    /// A consumer moved `head` past an exhausted chunk and retired it.
    pub static CHUNK_RETIRED: Path = Path::new("chunk retired");
    /// A producer reused a retired chunk whose grace period was over.
    pub static CHUNK_REUSED: Path = Path::new("retired chunk reused");
    /// A push failed because close sealed the chunk it wanted to link after.
    pub static PUSH_SAW_SEAL: Path = Path::new("push found the seal before CLOSED");
    /// A push claim was refused by the CLOSED bit.
    pub static PUSH_SAW_CLOSED: Path = Path::new("push claim refused by CLOSED");
}

pub use self::exclusive::IntoIter;
pub use self::recv::*;

/// The number of slots per chunk when none is given: 128 (2 under `cfg(loom)`,
/// so that models cross chunk boundaries after two pushes).
///
/// Measured as per-thread CPU time of one push+pop pair: 37.6 ns with 32
/// slots, 34.6 ns with 128, 34.2 ns with 512. 128 is within noise of the
/// best and keeps a `u64` element at 12 heap bytes and a drained queue at
/// two chunks (3 KiB); 512 would retain 9 KiB.
#[cfg(not(loom))]
pub const DEFAULT_CHUNK: usize = 128;
/// The number of slots per chunk when none is given (2 under `cfg(loom)`).
#[cfg(loom)]
pub const DEFAULT_CHUNK: usize = 2;

/// How many spin-loop hints a consumer pauses for after its claim collided
/// with another consumer's (its `fetch_add` returned more than the index it
/// had just read).
///
/// A `fetch_add` never fails, so without this, colliding threads interleave
/// operation by operation and every operation pays for its cache lines
/// moving between cores. A CAS-based queue learns of contention from a
/// failed CAS and backs off (crossbeam's `SegQueue` spins up to 64 hints),
/// which lets one thread run a burst while its lines stay in its cache.
/// Measured on 2 cores, "pairs" at 2 threads, as a share of `SegQueue` in the
/// same run: 0.38 with no pause, 0.46 / 0.57 / 0.62 / 0.68 / 0.72 with 8 /
/// 16 / 32 / 64 / 128 hints. `SegQueue` itself with its backoff removed
/// falls from 21.6 to 5.7 Mpairs/s, half of this queue's figure with no
/// pause. 32 hints (about 0.9 µs here) takes most of the gain while keeping
/// the delay short; a pop that did not collide never pauses, and pushes
/// never do.
const COLLISION_PAUSES: u32 = 32;

/// An unbounded lock-free MPMC queue. See the [module docs](self).
///
/// `CHUNK` is the number of elements per allocation; the default suits most
/// uses. Larger chunks amortise allocation over more elements; smaller ones
/// waste less memory for large `T`.
///
/// ```
/// use lazuli::Queue;
/// use std::sync::Arc;
///
/// let queue = Arc::new(Queue::new());
/// let producer = {
///     let queue = Arc::clone(&queue);
///     std::thread::spawn(move || {
///         for i in 0..1000 {
///             queue.push(i).unwrap();
///         }
///     })
/// };
/// producer.join().unwrap();
/// let popped: Vec<i32> = std::iter::from_fn(|| queue.pop()).collect();
/// assert_eq!(popped, (0..1000).collect::<Vec<_>>());
/// ```
pub struct Queue<T, const CHUNK: usize = DEFAULT_CHUNK> {
    /// The chunk consumers claim from. Null until the first chunk is
    /// installed; afterwards it only moves forward along `next`, and never
    /// past `tail`.
    head: CachePadded<AtomicPtr<Chunk<T, CHUNK>>>,
    /// The last chunk, or one behind it for a moment after a link (any
    /// thread may then move it forward).
    tail: CachePadded<AtomicPtr<Chunk<T, CHUNK>>>,
    /// The most recently retired chunk, kept for reuse; null if none.
    spare: AtomicPtr<Chunk<T, CHUNK>>,
    /// Waiting consumers (see `signal.rs`).
    signal: Signal,
    _owns: PhantomData<T>,
}

// SAFETY: the queue moves `T`s between threads (so `T: Send`) but never
// shares a `&T` (so no `T: Sync`); all shared state is atomics, and slot
// values are accessed by one thread at a time under the slot protocol.
unsafe impl<T: Send, const CHUNK: usize> Send for Queue<T, CHUNK> {}
// SAFETY: as for `Send`: `&Queue` lets threads push and pop `T`s, which only
// moves them.
unsafe impl<T: Send, const CHUNK: usize> Sync for Queue<T, CHUNK> {}

impl<T, const CHUNK: usize> UnwindSafe for Queue<T, CHUNK> {}
impl<T, const CHUNK: usize> RefUnwindSafe for Queue<T, CHUNK> {}

/// The error of a push into a closed queue. It hands the value back.
///
/// ```
/// use lazuli::Queue;
///
/// let queue = Queue::new();
/// queue.close();
/// let err = queue.push(String::from("late")).unwrap_err();
/// assert_eq!(err.into_inner(), "late");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PushError<T>(pub T);

impl<T> PushError<T> {
    /// The value that could not be pushed.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PushError").finish_non_exhaustive()
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("pushing into a closed queue")
    }
}

impl<T> std::error::Error for PushError<T> {}

impl<T> Queue<T> {
    /// Creates an empty queue with the default chunk size. Allocates nothing.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// static JOBS: Queue<u32> = Queue::new();
    /// JOBS.push(7).unwrap();
    /// assert_eq!(JOBS.pop(), Some(7));
    /// ```
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self::with_chunk_size()
    }

    /// Creates an empty queue with the default chunk size. Allocates nothing.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::with_chunk_size()
    }
}

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Rejects `CHUNK == 0` at compile time.
    const CHUNK_IS_VALID: () = assert!(CHUNK > 0, "a chunk needs at least one slot");

    /// Creates an empty queue whose chunks hold `CHUNK` elements. Allocates
    /// nothing.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// // Large elements: smaller chunks waste less memory.
    /// let frames: Queue<[u8; 65536], 4> = Queue::with_chunk_size();
    /// frames.push([0; 65536]).unwrap();
    /// assert_eq!(frames.len(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn with_chunk_size() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHUNK_IS_VALID;
        Queue {
            head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            tail: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            spare: AtomicPtr::new(ptr::null_mut()),
            signal: Signal::new(),
            _owns: PhantomData,
        }
    }

    /// Creates an empty queue whose chunks hold `CHUNK` elements.
    #[cfg(loom)]
    pub fn with_chunk_size() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHUNK_IS_VALID;
        Queue {
            head: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            tail: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
            spare: AtomicPtr::new(ptr::null_mut()),
            signal: Signal::new(),
            _owns: PhantomData,
        }
    }

    /// Appends `value` at the back. Never blocks.
    ///
    /// # Errors
    /// Fails only once the queue is [closed](Queue::close), handing `value`
    /// back.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push("a").unwrap();
    /// queue.close();
    /// assert!(queue.push("b").is_err());
    /// ```
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        let guard = epoch::pin();
        self.push_pinned(value, &guard)?;
        self.signal.notify_one();
        Ok(())
    }

    /// Appends every element of `values` at the back, in order, under one
    /// protection for the whole batch. Never blocks.
    ///
    /// Elements pushed by one call are contiguous only if no other producer
    /// runs at the same time; each element is its own linearizable push.
    ///
    /// # Errors
    /// Fails only once the queue is [closed](Queue::close): the element that
    /// found the queue closed is handed back, and the rest of `values` is
    /// dropped unconsumed. Elements before it were pushed.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push_iter(0..5).unwrap();
    /// let mut out = Vec::new();
    /// assert_eq!(queue.pop_into(&mut out, 3), 3);
    /// assert_eq!(out, [0, 1, 2]);
    /// ```
    pub fn push_iter<I: IntoIterator<Item = T>>(&self, values: I) -> Result<(), PushError<T>> {
        let guard = epoch::pin();
        for value in values {
            self.push_pinned(value, &guard)?;
            self.signal.notify_one();
        }
        Ok(())
    }

    /// Moves up to `max` elements from the front into `dst`, in FIFO order,
    /// under one protection for the whole batch, and returns how many it
    /// moved. Returns at once: 0 means the queue was empty.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push_iter(["a", "b", "c"]).unwrap();
    /// let mut batch = Vec::with_capacity(32);
    /// assert_eq!(queue.pop_into(&mut batch, 32), 3);
    /// assert_eq!(batch, ["a", "b", "c"]);
    /// assert_eq!(queue.pop_into(&mut batch, 32), 0);
    /// ```
    pub fn pop_into<E: Extend<T>>(&self, dst: &mut E, max: usize) -> usize {
        if max == 0 || self.never_used() {
            return 0;
        }
        let guard = epoch::pin();
        let mut taken = 0;
        dst.extend(core::iter::from_fn(|| {
            if taken == max {
                return None;
            }
            let value = self.pop_pinned(&guard)?;
            taken += 1;
            Some(value)
        }));
        taken
    }

    /// `push` for a thread that is already pinned.
    fn push_pinned(&self, mut value: T, _guard: &epoch::Guard) -> Result<(), PushError<T>> {
        // A chunk we allocated but lost the race to link; reused on retry.
        let mut unlinked: *mut Chunk<T, CHUNK> = ptr::null_mut();
        let result = loop {
            // memory ordering: Acquire pairs with the Release CAS that
            // installed this chunk, so its prepared contents are visible.
            let tail = self.tail.load(Ordering::Acquire);
            if tail.is_null() {
                self.install_first_chunk();
                continue;
            }
            // SAFETY: loaded from `tail` while pinned; a chunk is retired only
            // after `tail` and `head` have moved past it, and freed only after
            // every guard that was pinned at its retirement is gone.
            let chunk = unsafe { &*tail };
            // memory ordering: SeqCst; the claim itself publishes nothing
            // (the slot's WRITTEN bit does), but the readiness handshake
            // (signal.rs) needs claims in the total order. Same instruction
            // as Relaxed on x86-64.
            let claim = chunk.enqueue_index.fetch_add(1, Ordering::SeqCst);
            if claim & CLOSED != 0 {
                // Undo the claim, so that `len` stays exact once quiescent.
                // memory ordering: Relaxed; it only restores a count that no
                // claim after CLOSED can use.
                chunk.enqueue_index.fetch_sub(1, Ordering::Relaxed);
                cover!(paths::PUSH_SAW_CLOSED);
                break Err(PushError(value));
            }
            if claim < CHUNK {
                // SAFETY: `claim < CHUNK` came from our fetch_add; pinned.
                match unsafe { chunk.publish(claim, value) } {
                    Ok(()) => break Ok(()),
                    Err(back) => {
                        cover!(paths::PRODUCER_RETRIED);
                        value = back;
                        continue;
                    }
                }
            }
            // The chunk is full: help, or link a new one.
            // memory ordering: Acquire pairs with the Release CAS that linked
            // `next`, so a chunk seen here is fully prepared.
            let next = chunk.next.load(Ordering::Acquire);
            if next == Chunk::sealed() {
                // A close is sealing this chunk: finish it before failing, so
                // that `is_closed` agrees with our error.
                cover!(paths::PUSH_SAW_SEAL);
                Self::mark_closed(chunk);
                break Err(PushError(value));
            }
            if !next.is_null() {
                cover!(paths::TAIL_HELPED);
                self.advance_tail(tail, next);
                continue;
            }
            let fresh = if unlinked.is_null() {
                self.take_chunk()
            } else {
                core::mem::replace(&mut unlinked, ptr::null_mut())
            };
            // SAFETY: `fresh` is exclusively ours and empty.
            unsafe { Chunk::prepare(fresh, chunk.position().wrapping_add(CHUNK), value) };
            // memory ordering: Release publishes the prepared chunk and the
            // value in its slot 0 (the push's linearization point); SeqCst
            // for the readiness handshake. Acquire on failure, as for `next`.
            match chunk.next.compare_exchange(
                ptr::null_mut(),
                fresh,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    self.advance_tail(tail, fresh);
                    break Ok(());
                }
                Err(actual) => {
                    cover!(paths::LINK_RACE_LOST);
                    // SAFETY: the CAS failed, so `fresh` was never published.
                    value = unsafe { Chunk::unprepare(fresh) };
                    unlinked = fresh;
                    if actual == Chunk::sealed() {
                        Self::mark_closed(chunk);
                        break Err(PushError(value));
                    }
                    self.advance_tail(tail, actual);
                }
            }
        };
        if !unlinked.is_null() {
            // SAFETY: never published, so nobody else knows it.
            unsafe { self.give_back_unpublished(unlinked) };
        }
        result
    }

    /// Removes the element at the front, or returns `None` at once if the
    /// queue is empty.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// assert_eq!(queue.pop(), None);
    /// queue.push(1).unwrap();
    /// queue.push(2).unwrap();
    /// assert_eq!(queue.pop(), Some(1));
    /// assert_eq!(queue.pop(), Some(2));
    /// ```
    pub fn pop(&self) -> Option<T> {
        if self.never_used() {
            return None;
        }
        let guard = epoch::pin();
        self.pop_pinned(&guard)
    }

    /// `pop` for a thread that is already pinned.
    pub(crate) fn pop_pinned(&self, guard: &epoch::Guard) -> Option<T> {
        loop {
            // memory ordering: Acquire pairs with the Release CAS that moved
            // `head` here (or installed it), so the chunk's contents are visible.
            let head = self.head.load(Ordering::Acquire);
            if head.is_null() {
                return None;
            }
            // SAFETY: loaded from `head` while pinned (see `push_pinned`).
            let chunk = unsafe { &*head };
            // memory ordering: SeqCst loads: the emptiness check is the
            // consumer's half of the readiness handshake (signal.rs); they
            // are plain loads on x86-64.
            let dequeued = chunk.dequeue_index.load(Ordering::SeqCst);
            let enqueued = chunk.enqueue_index.load(Ordering::SeqCst) & INDEX;
            if dequeued >= enqueued.min(CHUNK) {
                if dequeued < CHUNK {
                    // No producer has claimed a slot that no consumer has.
                    return None;
                }
                // Exhausted: move on if there is a next chunk.
                if !self.advance_head(chunk, head, guard) {
                    return None;
                }
                continue;
            }
            // memory ordering: SeqCst, as for the producers' claim.
            let claim = chunk.dequeue_index.fetch_add(1, Ordering::SeqCst);
            if claim >= CHUNK {
                // Past the end: move on at once (everyone after us waits
                // for the head to advance, so this is no place to pause).
                if !self.advance_head(chunk, head, guard) {
                    return None;
                }
                continue;
            }
            if claim != dequeued {
                // Another consumer claimed a slot between our load and our
                // claim: the index line is contended. Step aside briefly
                // (see `COLLISION_PAUSES`).
                contention_pause(COLLISION_PAUSES);
            }
            // SAFETY: `claim < CHUNK` came from our fetch_add; pinned.
            if let Some(value) = unsafe { chunk.take(claim) } {
                return Some(value);
            }
            // The slot's producer has not published yet: it will retry
            // elsewhere, and we look at the next slot.
            cover!(paths::SLOT_SKIPPED);
        }
    }

    /// True while no chunk was ever installed: nothing to read, no need to
    /// pin. `head` never returns to null once set (until `Drop`).
    #[inline]
    fn never_used(&self) -> bool {
        // memory ordering: Relaxed; a null `head` is all we learn, and a
        // non-null one is loaded again with Acquire by the caller.
        self.head.load(Ordering::Relaxed).is_null()
    }

    /// Moves `head` from the exhausted `chunk` to its successor and retires
    /// `chunk`. Returns false if there is no successor (the queue is empty).
    fn advance_head(
        &self,
        chunk: &Chunk<T, CHUNK>,
        head: *mut Chunk<T, CHUNK>,
        guard: &epoch::Guard,
    ) -> bool {
        // memory ordering: SeqCst: part of the emptiness check (see
        // `pop_pinned`); Acquire would do for the chunk's contents.
        let next = chunk.next.load(Ordering::SeqCst);
        if next.is_null() || next == Chunk::sealed() {
            return false;
        }
        // `tail` must not be left on a chunk we are about to retire, or a new
        // operation could load it after its grace period started.
        // memory ordering: Relaxed; only compared, and `advance_tail`'s CAS
        // re-checks it.
        if self.tail.load(Ordering::Relaxed) == head {
            self.advance_tail(head, next);
        }
        // memory ordering: Release publishes `next` (which we loaded with
        // Acquire-or-stronger) to consumers that load `head` with Acquire.
        if self
            .head
            .compare_exchange(head, next, Ordering::Release, Ordering::Relaxed)
            .is_ok()
        {
            cover!(paths::CHUNK_RETIRED);
            // SAFETY: our CAS unlinked `head`: neither `head` nor `tail` points
            // at it, and only we retire it.
            unsafe { self.retire(head, guard) };
        }
        true
    }

    /// Moves `tail` from `from` to `to` unless someone already did.
    #[inline]
    fn advance_tail(&self, from: *mut Chunk<T, CHUNK>, to: *mut Chunk<T, CHUNK>) {
        // memory ordering: Release publishes `to` (loaded with Acquire from
        // `from.next`, or prepared by us) to producers that load `tail` with
        // Acquire. A failure means another thread moved it; nothing to do.
        let _ = self
            .tail
            .compare_exchange(from, to, Ordering::Release, Ordering::Relaxed);
    }

    /// The number of elements in the queue.
    ///
    /// Exact when no operation is in flight; a close snapshot otherwise (see
    /// the [module docs](self#guarantees)). Constant time.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push('a').unwrap();
    /// queue.push('b').unwrap();
    /// queue.pop();
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        if self.never_used() {
            return 0;
        }
        let _guard = epoch::pin();
        // memory ordering: Acquire on every pointer, to read the chunks'
        // fields; the counters are read Relaxed, since `len` promises only a
        // snapshot under concurrency and is exact once operations have
        // finished (their effects happen-before the caller's call then).
        let head = self.head.load(Ordering::Acquire);
        if head.is_null() {
            return 0;
        }
        // SAFETY: loaded while pinned (see `push_pinned`).
        let head_chunk = unsafe { &*head };
        let dequeued = head_chunk.dequeue_index.load(Ordering::Relaxed).min(CHUNK);
        let front = head_chunk.position().wrapping_add(dequeued);
        let mut last = self.tail.load(Ordering::Acquire);
        if last.is_null() {
            // The first chunk is being installed: `tail` follows `head`.
            last = head;
        }
        loop {
            // SAFETY: loaded while pinned, from `tail`, `head` or a `next` pointer.
            let next = unsafe { &*last }.next.load(Ordering::Acquire);
            if next.is_null() || next == Chunk::sealed() {
                break;
            }
            last = next;
        }
        // SAFETY: as above.
        let last_chunk = unsafe { &*last };
        let enqueued = (last_chunk.enqueue_index.load(Ordering::Relaxed) & INDEX).min(CHUNK);
        let back = last_chunk.position().wrapping_add(enqueued);
        let len = back.wrapping_sub(front);
        // Under concurrency `front` may be read after `back` moved on less
        // than it did; that is an empty snapshot, not a huge one.
        if len > isize::MAX as usize {
            0
        } else {
            len
        }
    }

    /// True if the queue holds no element (see [`len`](Queue::len) for what
    /// that means while operations are in flight).
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// assert!(queue.is_empty());
    /// queue.push(()).unwrap();
    /// assert!(!queue.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the queue: every later `push` fails, and consumers waiting in
    /// [`recv`](Queue::recv) or [`recv_blocking`](Queue::recv_blocking) are
    /// woken. Elements already in the queue can still be popped.
    ///
    /// Returns true if this call closed the queue, false if it was closed
    /// already.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push(1).unwrap();
    /// assert!(queue.close());
    /// assert!(!queue.close());
    /// assert!(queue.push(2).is_err());
    /// assert_eq!(queue.pop(), Some(1));
    /// ```
    pub fn close(&self) -> bool {
        let _guard = epoch::pin();
        let closed_here = loop {
            // memory ordering: Acquire, as in `push_pinned`.
            let tail = self.tail.load(Ordering::Acquire);
            if tail.is_null() {
                self.install_first_chunk();
                continue;
            }
            // SAFETY: loaded while pinned (see `push_pinned`).
            let chunk = unsafe { &*tail };
            // First seal the last chunk's `next`, so that no chunk can be
            // linked after it; only the last chunk is ever sealed.
            // memory ordering: SeqCst, for the readiness handshake (a sealed
            // chunk tells consumers the queue is closing); Acquire on
            // failure to read a linked successor.
            match chunk.next.compare_exchange(
                ptr::null_mut(),
                Chunk::sealed(),
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    Self::mark_closed(chunk);
                    break true;
                }
                Err(next) if next == Chunk::sealed() => {
                    // Closed (or closing) by someone else; help finish, so
                    // that `is_closed` is true when we return.
                    Self::mark_closed(chunk);
                    break false;
                }
                Err(next) => self.advance_tail(tail, next),
            }
        };
        if closed_here {
            self.signal.notify_all();
        }
        closed_here
    }

    /// Sets `CLOSED` in the sealed last chunk's `enqueue_index`: from here on
    /// every claim fails. This is the linearization point of `close`.
    fn mark_closed(chunk: &Chunk<T, CHUNK>) {
        // memory ordering: SeqCst: every claim after this RMW sees CLOSED (any
        // ordering would give that, RMWs on one location being totally
        // ordered), and the readiness handshake (signal.rs) relies on the
        // total order.
        chunk.enqueue_index.fetch_or(CLOSED, Ordering::SeqCst);
    }

    /// True once [`close`](Queue::close) has been called.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::<()>::new();
    /// assert!(!queue.is_closed());
    /// queue.close();
    /// assert!(queue.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        if self.never_used() {
            return false;
        }
        let _guard = epoch::pin();
        // memory ordering: Acquire on every pointer, to read the chunks;
        // SeqCst on `enqueue_index`, the location `mark_closed` writes, so
        // that "closed, then empty" checks are ordered after the close.
        let mut last = self.tail.load(Ordering::Acquire);
        if last.is_null() {
            return false;
        }
        loop {
            // SAFETY: loaded while pinned, from `tail` or a `next` pointer.
            let chunk = unsafe { &*last };
            let next = chunk.next.load(Ordering::Acquire);
            if next.is_null() || next == Chunk::sealed() {
                return chunk.enqueue_index.load(Ordering::SeqCst) & CLOSED != 0;
            }
            last = next;
        }
    }
}

impl<T, const CHUNK: usize> Default for Queue<T, CHUNK> {
    fn default() -> Self {
        Self::with_chunk_size()
    }
}

impl<T, const CHUNK: usize> fmt::Debug for Queue<T, CHUNK> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
