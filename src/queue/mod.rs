//! An unbounded, lock-free, multi-producer multi-consumer FIFO queue.
//!
//! [`Queue<T>`] never blocks a producer: `push` succeeds until the queue is
//! [closed](Queue::close), however slow the consumers are. Consumers either
//! `pop` (which never waits for a producer: on an empty queue it returns
//! `None`, after yielding its CPU on every 256th empty poll of its thread)
//! or wait for an element with [`recv`](Queue::recv)`.await` or
//! [`recv_blocking`](Queue::recv_blocking).
//!
//! # Guarantees
//!
//! * **Lock-free** in the strict sense: no operation waits without bound
//!   for another thread. Every wait is bounded and then replaced by work:
//!   - a consumer that finds its slot claimed but not yet written checks it
//!     again after each of `PATIENCE` (64) spin hints, then skips it and the
//!     producer retries in a later slot;
//!   - a thread that finds a lap's end not yet handed over checks
//!     [`LAP_PATIENCE`] (16) times, then does the hand-over itself; the
//!     lap's last consumer gives the lap's last producer the same 16 checks
//!     before it links the next chunk itself;
//!   - the lap's last consumer scans the chunk for completion at most
//!     `PATIENCE` + 1 (65) times, then leaves it on the waiting list.
//!
//!   With a spin hint between checks, the longest of these is 1 to 2 µs on
//!   the development VMs (a hint takes 16 to 28 ns there). A claim that
//!   loses a CAS race pauses for 256 spin hints before it retries; it waits
//!   for no one (the winner has finished its claim), it only steps aside.
//!   Neither does the yield of a thread that keeps finding the queue empty
//!   (on every 256th empty poll of the thread, "Polling an empty queue").
//! * **Linearizable** `push`, `pop` and `close`: each takes effect at one
//!   instant between its call and its return. Elements pushed by one thread
//!   are popped in the order they were pushed, batches included.
//! * **No epoch pin on the fast path.** A `push` that stays inside one
//!   chunk runs two read-modify-writes (the claim and the slot's state), a
//!   `pop` one (the claim; a second, marking the slot, only if the slot is
//!   still unwritten when the consumer stops waiting for it, `chunk.rs`),
//!   and neither pins anything; only the hand-over at a lap's end, once per
//!   `CHUNK` operations, may take the slow path (see below).
//! * [`len`](Queue::len) is exact whenever no operation is in flight, but
//!   for one case: it also counts the slots a
//!   [`push_iter`](Queue::push_iter) claimed and then gave up (its
//!   iterator panicked, or yielded fewer elements than the lower bound of
//!   its `size_hint`), until a consumer passes them. The owning iterator's
//!   length ([`IntoIter`]) leaves them out: it is always exact.
//! * After [`close`](Queue::close) returns, every `push` fails and hands its
//!   value back; elements already in the queue can still be popped.
//!
//! # The algorithm
//!
//! The queue is a Michael–Scott linked list (Michael & Scott, "Simple, Fast,
//! and Practical Non-Blocking and Blocking Concurrent Queue Algorithms",
//! PODC 1996) whose nodes are fixed-size chunks of slots, with the claim
//! indices kept in the queue itself rather than in the chunks, as in
//! crossbeam's `SegQueue`. Every position of the queue belongs to a *lap*
//! of `CHUNK` positions; a chunk holds one lap at a time and is rewound for
//! a later lap once every slot in it is finished.
//!
//! ```text
//!   Queue (always allocated)
//!   +---------------------------------+   +-------------------------------+
//!   | head: index = (lap 7, offset 3) |   | tail: index = (lap 8, off 2)  |
//!   |       block ------------+       |   |       block -----------+      |
//!   |       seen_tail         |       |   |       CLOSED bit       |      |
//!   +-------------------------|-------+   +------------------------|------+
//!                             v                                    v
//!                   +------------------+  next   +------------------+  next
//!                   | chunk, lap 7     | ------> | chunk, lap 8     | -----> null
//!                   | D D D W W W ... W|         | W W . . . ... .  |
//!                   +------------------+         +------------------+
//!   spares: up to three finished chunks kept for later laps
//!   waiting: chunks out of service that a slow thread still holds a slot of
//!   hazards: the chunks that lap-end helpers are working on
//! ```
//!
//! An index is a `u64` on every target, `(lap * (CHUNK + 1) + offset) << 1`,
//! with bit 0 the tail's `CLOSED` bit. Offsets run from 0 to `CHUNK`;
//! offset `CHUNK` means "this lap is full, the next lap's chunk is being
//! handed over", and no claim is made at it. Positions (`lap * CHUNK +
//! offset`) only grow, so an index value is never seen twice: a
//! compare-and-swap on an index cannot succeed against a stale value (no
//! ABA). That needs the index never to wrap: its 63 bits above the flag
//! count about 2^63 positions, which at a billion a second last 292 years
//! ("Platform" below). Lap numbers and positions are `u64`s too.
//!
//! * **push**: load the tail index, then its `block`; CAS the index one
//!   further. Success means the index did not move between the two loads and
//!   the CAS, and `block` only changes while the index sits at a lap's end,
//!   so `block` is the chunk of the claimed slot. Write the value and set the
//!   slot's `WRITTEN` bit (`chunk.rs` has the slot states). A failed CAS
//!   backs off for 256 spin hints, which lets the winner run a burst with
//!   the index and slot lines in its cache (`claim.rs`).
//! * **pop**: load the head index; if its position is below the tail's
//!   position (remembered in `seen_tail` when it was last read, so a backlog
//!   is drained without touching the producers' line) CAS it one further and
//!   take the slot's value. Equal positions mean empty: `None`, except
//!   that every 256th empty `pop` or `pop_into` of a thread first yields
//!   its CPU and looks once more (see "Polling an empty queue").
//! * **lap end**: the claim of a lap's last slot moves the index to offset
//!   `CHUNK`. The claimer links the next chunk after its own (a spare, or a
//!   fresh allocation), stores it in `block`, and CASes the index to the
//!   next lap. On the consumer side it also finishes the tail's hand-over if
//!   that is still pending (after up to [`LAP_PATIENCE`] checks for its
//!   producer to do it), so that neither end points at the chunk any
//!   more, then scans the chunk for completion: at most `PATIENCE` + 1
//!   scans with a spin hint between, since the other slots' claimers
//!   finish moments later.
//! * **batches**: [`push_iter`](Queue::push_iter) and
//!   [`pop_into`](Queue::pop_into) claim up to the rest of a lap with one
//!   CAS and then work slot by slot, so a batch of 32 pays one claim.
//! * **close**: set `CLOSED` in the tail index (`fetch_or`): the
//!   linearization point. Every later claim CAS fails against the new value
//!   and sees the bit.
//!
//! # Why the fast path needs no pin
//!
//! A thread dereferences a chunk only after its claim succeeded, and a chunk
//! is rewound or freed only after every slot in it is finished by both of
//! its claimants. So the claimed, unfinished slot is what keeps the chunk
//! alive: no epoch guard is needed between the claim and the finish.
//!
//! The one reach that is not covered by a claim is the **helper** at a lap's
//! end: a thread that finds offset `CHUNK` for longer than
//! [`LAP_PATIENCE`] checks (its claimer was preempted) dereferences the
//! chunk in `block` to link and publish the next one. A helper pins the
//! epoch and then announces the chunk it loads in one of two hazard slots:
//! store, `fence(SeqCst)`, load `block` again and retry if it moved (the
//! hazard-pointer handshake of Michael, "Hazard Pointers", IEEE TPDS 2004).
//! A third concurrent helper finds no slot and is counted in `helpers`
//! instead (then `fence(SeqCst)`), which covers every chunk. The thread that
//! completes a chunk's scan issues `fence(SeqCst)` and reads the slots and
//! `helpers`: if neither names the chunk, no helper can use it (both ends
//! had moved past it before the scan began), so it becomes a spare at once.
//! Otherwise it goes back on the waiting list (at most `HOLD_BACK` per lap
//! end) and is checked again at the next lap end; past that bound it is
//! retired through crossbeam-epoch, and freed once every thread pinned at
//! that moment (the helper among them) has unpinned. The epoch is thus
//! what protects the one reach a claim does not cover, and what reclaims a
//! chunk whose helper stays away.
//!
//! # Memory
//!
//! * [`Queue::new`] allocates nothing. The first push allocates one chunk.
//! * A chunk holds `CHUNK` elements inline (default [`DEFAULT_CHUNK`]), each
//!   packed behind its state byte, after a 24-byte header (`next`, `lap`,
//!   `waiting_next`; 20 bytes on 32-bit targets, see "Platform"), and the
//!   chunk is 64-byte aligned, so its size is rounded up to a multiple of
//!   64. For `u64` at the default 96 slots: 24 + 96 × 9 = 888, rounded
//!   to 896 bytes, 9.33 bytes per element.
//!   Chunks are allocated zeroed directly on the heap, so large elements
//!   never pass through the stack.
//! * In steady state near empty the queue lives in one or two chunks plus
//!   spares and allocates nothing: a finished chunk is rewound for a later
//!   lap as soon as its scan completes, with no grace period to wait for.
//!   A chunk that a preempted thread still holds waits on a list and joins
//!   the spares later, so the working set stops growing at the current
//!   chunk, the next one and `SPARES` (3) spares; a spare beyond that is
//!   freed. An uncontended queue cycles through two chunks. A contended one
//!   grows to its bound at its first shortage (a lap end after the first
//!   that finds no spare stocks the empty spare slots but one), not one
//!   chunk at a time over millions of operations. A drained queue keeps at
//!   most four chunks (3.5 KiB for `u64`).
//! * The `&mut self` methods ([`push_mut`](Queue::push_mut),
//!   [`pop_mut`](Queue::pop_mut), `Extend`, `IntoIterator`, `Drop`) use
//!   plain loads and stores instead of read-modify-writes.
//!
//! # Platform
//!
//! The claim indices are `AtomicU64`s on every target, not `AtomicUsize`s:
//! a 32-bit index would wrap after about 2^31 claims, back to lap 0 while
//! `block` still points at the current chunk, and a claim would then land
//! on a live slot. So the queue (and with it the crate) needs 64-bit
//! atomics, `cfg(target_has_atomic = "64")`, and does not compile on a
//! target without them, such as `mipsel-unknown-linux-gnu`,
//! `powerpc-unknown-linux-gnu` or `riscv32imc-esp-espidf`. armv7, i686 and
//! wasm32 have them; there an index operation is a 64-bit atomic (an
//! exclusive pair of words on armv7, `cmpxchg8b` on i686). On 64-bit
//! targets an `AtomicU64` is the same instruction as an `AtomicUsize`. On
//! 32-bit targets a chunk's `lap` is 8 bytes too and 8-aligned, so the
//! header is 20 bytes (`next` 4, padding 4, `lap` 8, `waiting_next` 4)
//! rather than the 24 of 64-bit targets.
//!
//! # Polling an empty queue
//!
//! [`pop`](Queue::pop) and [`pop_into`](Queue::pop_into) never wait for a
//! producer, so a consumer that has nothing else to do calls them in a
//! loop. When the threads outnumber the CPUs, such a consumer holds a CPU
//! that a producer it waits for could use, and the scheduler lets it. On
//! the 2-vCPU development VM, 2 producers and 2 consumers spinning on `pop`
//! (4 threads) ran the producers for 60-100 ms of the 400 CPU-ms in a
//! 200 ms window (per-thread `getrusage`; `SegQueue`'s got 130-200 ms, its
//! consumers sleeping in the allocator now and then), and delivered 19-38
//! against `SegQueue`'s 31-62 Mops/s.
//!
//! So every `pop` or `pop_into` that finds the queue empty adds one to a
//! count kept per thread (shared by every queue the thread polls, and never
//! reset: a successful pop leaves it as it is; a `pop_into` with `max` 0
//! asks for nothing and is not counted), and every 256th of them yields
//! the thread's CPU (`std::thread::yield_now`, through `sync::idle_poll`)
//! and then looks once more before it reports empty: after a yield the
//! thread may have been away for a whole time slice, and an empty answer
//! from before it would be stale. The yield waits for no one: with nothing
//! else runnable it returns at once.
//!
//! Measured in interleaved runs of 9 reps of 200 ms on that VM
//! (`docs/scaling/run-14/` and `run-15/`):
//!
//! * run 14, the yield without the look-again: producers-consumers went
//!   from 0.73x and 0.43x `SegQueue` at 4 and 8 threads (run 12) to 1.08x
//!   and 1.11x, while a consumer spinning on `pop` still saw a push in
//!   110 ns (median, ping-pong; `SegQueue` 110 ns);
//! * run 15, the yield with the look-again (the code as it is):
//!   producers-consumers 1.17x and 1.08x `SegQueue` at 4 and 8 threads;
//!   ping-pong 431 against `SegQueue`'s 416 ns, the VM in its slower regime
//!   (run 14's 110 ns were in its faster one);
//! * an immediate rerun of run 15 (not kept): producers-consumers 1.28x,
//!   1.93x, 1.07x and 1.17x at 1, 2, 4 and 8 threads; pairs, which never
//!   finds the queue empty, 1.23x, 1.02x, 1.16x and 1.14x.
//!
//! The receiving calls ([`recv`](Queue::recv),
//! [`recv_blocking`](Queue::recv_blocking) and the rest) poll without
//! counting: they register as waiters instead of spinning.
//!
//! # Life of a chunk
//!
//! allocated (or taken from a spare slot and rewound) for lap `L` →
//! linked after lap `L - 1`'s chunk → published in the tail's `block` →
//! filled and drained → both ends moved to lap `L + 1` → completion scan
//! (on the waiting list until it completes) → a spare (or freed, if the
//! spare slots are full) → rewound for a later lap. If a lap-end helper
//! holds it when its scan completes: back on the waiting list, or past
//! `HOLD_BACK`, retired through the epoch and freed after its grace
//! period. `reclaim.rs` has the table.

mod batch;
mod chunk;
mod claim;
mod exclusive;
#[cfg(loom)]
#[doc(hidden)]
pub mod handshake;
#[cfg(all(test, not(loom)))]
mod handshake;
mod lap;
mod reclaim;
mod recv;
mod signal;

use self::claim::End;

use core::fmt;
use core::marker::PhantomData;
use core::panic::{RefUnwindSafe, UnwindSafe};
use core::ptr;

use crossbeam_utils::CachePadded;

use self::chunk::{Chunk, Published};
use self::signal::Signal;
use crate::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use crate::sync::cover;

/// Paths of the queue protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    crate::sync::paths! {
        /// A consumer skipped a claimed slot whose value was not published yet.
        SLOT_SKIPPED: "consumer skipped an unpublished slot";
        /// A producer found its slot skipped and retried.
        PRODUCER_RETRIED: "producer retried after a skip";
        /// A producer gave a claimed slot up without a value (`push_iter`).
        SLOT_GIVEN_UP: "producer gave a claimed slot up";
        /// Two threads raced to link the next chunk and this one lost.
        LINK_RACE_LOST: "lost the race to link a chunk";
        /// A thread other than the lap's last producer handed the tail over.
        TAIL_HELPED: "tail handed over by a helper";
        /// A thread other than the lap's last consumer handed the head over.
        HEAD_HELPED: "head handed over by a helper";
        /// A consumer at a lap's end finished the tail's hand-over first.
        TAIL_FINISHED_BY_CONSUMER: "consumer finished the tail's hand-over";
        /// A chunk was not complete at its lap's end and waited on the list.
        CHUNK_WAITED: "incomplete chunk put on the waiting list";
        /// A chunk from the waiting list was found complete later.
        WAITING_CHUNK_COMPLETED: "waiting chunk found complete";
        /// A finished chunk went to the spare slot at once.
        CHUNK_RECYCLED: "finished chunk recycled at once";
        /// A finished chunk went back on the waiting list (a helper was active).
        CHUNK_HELD_BACK: "finished chunk held back while a helper was active";
        /// A lap-end helper found both hazard slots taken and was counted.
        HELPER_COUNTED: "helper counted in helpers";
        /// A helper's announced chunk was moved off before it was validated.
        HAZARD_RETRIED: "helper re-announced a moved block";
        /// A finished chunk was retired through the epoch (a helper was active).
        CHUNK_RETIRED: "finished chunk retired through the epoch";
        /// A lap was linked to a chunk taken from the spare slot.
        CHUNK_REUSED: "spare chunk reused";
        /// The winner of a lap end's link found no spare after the first
        /// lap and stocked the spare slots.
        SPARES_STOCKED: "spare slots stocked at a shortage";
        /// A push claim was refused by the CLOSED bit.
        PUSH_SAW_CLOSED: "push refused by CLOSED";
        /// The tail's hand-over CAS failed because `close` set its bit first.
        HAND_OVER_SAW_CLOSE: "tail hand-over CAS failed on a concurrent close";
        /// The tail's hand-over moved the index to the next lap with `CLOSED`
        /// set, keeping the bit.
        HAND_OVER_KEPT_CLOSED: "tail hand-over kept the CLOSED bit";
    }
}

pub use self::exclusive::IntoIter;
pub use self::recv::*;

/// The number of slots per chunk when none is given: 96 (2 under `cfg(loom)`,
/// so that models cross lap ends after two pushes).
///
/// 96 keeps a `u64` element under 10 heap bytes and a chunk of `u64`s at
/// 896 bytes, so that a drained queue's four chunks (the current one and
/// `SPARES` spares) stay under 4 KiB, and makes the lap-end work (a link,
/// two stores, a scan of 96 state bytes) a small share of each operation.
#[cfg(not(loom))]
pub const DEFAULT_CHUNK: usize = 96;
/// The number of slots per chunk when none is given (2 under `cfg(loom)`).
#[cfg(loom)]
pub const DEFAULT_CHUNK: usize = 2;

/// How many times a thread that finds a lap's end not yet handed over
/// re-reads the index before it does the hand-over itself (0 under loom, so
/// that models take the helping path).
///
/// The claimer of the lap's last slot hands over a few instructions after
/// its claim, so a short wait usually saves the helper's pin; a claimer that
/// was preempted is helped after 16 spin hints (0.25 to 0.45 µs on the
/// development VMs).
#[cfg(not(loom))]
pub const LAP_PATIENCE: u32 = 16;
/// Checks before helping at a lap's end (0 under loom).
#[cfg(loom)]
pub const LAP_PATIENCE: u32 = 0;

/// How many finished chunks the queue keeps for later laps.
///
/// One is what a queue hovering near empty cycles through; the others
/// cover a chunk that a preempted thread still held at its lap's end (it
/// waits on the list and joins the spares later) and a chunk that a lap's
/// last producer and last consumer both took when they raced to link, so
/// that neither costs an allocation once the queue is warm.
const SPARES: usize = 3;

/// How many lap-end helpers announce their chunk in a hazard slot; more
/// at once are counted in `helpers` and hold up every chunk's reuse while
/// they help. One under loom, so that a model with two helpers takes both
/// paths.
#[cfg(not(loom))]
const HAZARDS: usize = 2;
/// Hazard slots (one under loom).
#[cfg(loom)]
const HAZARDS: usize = 1;

/// How many finished chunks one lap end may put back on the waiting list
/// because a lap-end helper holds them, rather than retire them through the
/// epoch. They are re-checked at the next lap end; the bound keeps the list
/// short if a helper stays away. With the collector modelled
/// (`crossbeam_loom`) it is 0, so that the models retire through the epoch;
/// with plain loom it is 1, so that they hold back.
#[cfg(not(loom))]
const HOLD_BACK: usize = 2;
/// Chunks held back per lap end (see above).
#[cfg(all(loom, crossbeam_loom))]
const HOLD_BACK: usize = 0;
/// Chunks held back per lap end (see above).
#[cfg(all(loom, not(crossbeam_loom)))]
const HOLD_BACK: usize = 1;

/// Bit 0 of the tail index: the queue is closed.
const CLOSED: u64 = 1;
/// An index counts in steps of this (bit 0 is a flag).
const STEP: u64 = 1 << 1;

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
    /// Where consumers claim (see [`End`]).
    head: CachePadded<End<T, CHUNK>>,
    /// Where producers claim.
    tail: CachePadded<End<T, CHUNK>>,
    /// Finished chunks kept for later laps; null where none. Written about
    /// once per lap, so they share lines with `helpers` and `waiting`.
    spares: [AtomicPtr<Chunk<T, CHUNK>>; SPARES],
    /// Chunks out of service whose slots were not all finished at their
    /// lap's end (a stack through `Chunk::waiting_next`, see `reclaim.rs`).
    waiting: AtomicPtr<Chunk<T, CHUNK>>,
    /// The chunks that lap-end helpers work on, one per helper (null when
    /// free); see `Helping::protect` in `lap.rs`.
    hazards: [AtomicPtr<Chunk<T, CHUNK>>; HAZARDS],
    /// The number of lap-end helpers without a hazard slot, which may hold
    /// any chunk pointer not covered by a claim (module docs, "Why the fast
    /// path needs no pin").
    helpers: AtomicUsize,
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
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
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
            head: CachePadded::new(End::new()),
            tail: CachePadded::new(End::new()),
            spares: [const { AtomicPtr::new(ptr::null_mut()) }; SPARES],
            waiting: AtomicPtr::new(ptr::null_mut()),
            hazards: [const { AtomicPtr::new(ptr::null_mut()) }; HAZARDS],
            helpers: AtomicUsize::new(0),
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
            head: CachePadded::new(End::new()),
            tail: CachePadded::new(End::new()),
            spares: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            waiting: AtomicPtr::new(ptr::null_mut()),
            hazards: core::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
            helpers: AtomicUsize::new(0),
            signal: Signal::new(),
            _owns: PhantomData,
        }
    }

    /// `CHUNK` as a `u64`, for index arithmetic. `usize` has at most 64
    /// bits on every target Rust supports, so the cast is exact.
    const CHUNK_U64: u64 = CHUNK as u64;

    /// Index values per lap: offsets `0..=CHUNK`.
    const LAP: u64 = Self::CHUNK_U64 + 1;

    /// The lap and offset of an index (flag bit ignored).
    #[inline]
    fn split(index: u64) -> (u64, usize) {
        let value = index / STEP;
        // The offset is below `LAP`, at most `CHUNK`: it fits a `usize`.
        (value / Self::LAP, (value % Self::LAP) as usize)
    }

    /// The queue position of an index: `lap * CHUNK + offset`. Offset
    /// `CHUNK` of lap `L` is the same position as offset 0 of lap `L + 1`.
    #[inline]
    fn position(index: u64) -> u64 {
        let (lap, offset) = Self::split(index);
        lap * Self::CHUNK_U64 + offset as u64
    }

    /// The index of offset `offset` (at most `CHUNK`) in lap `lap`.
    #[inline]
    fn index_of(lap: u64, offset: usize) -> u64 {
        (lap * Self::LAP + offset as u64) * STEP
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
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        self.push_quiet(value)?;
        self.signal.notify_one();
        Ok(())
    }

    /// `push` without waking a waiting consumer (the caller does, or
    /// measures what waking costs).
    #[inline]
    pub(crate) fn push_quiet(&self, mut value: T) -> Result<(), PushError<T>> {
        loop {
            let Some(claim) = self.claim_tail(1) else {
                return Err(PushError(value));
            };
            // SAFETY: our claim holds the slot unfinished, which keeps the
            // chunk from being rewound or freed (module docs).
            let chunk = unsafe { &*claim.chunk };
            // SAFETY: the slot was claimed by us, in the chunk's current lap.
            match unsafe { chunk.publish(claim.offset, value) } {
                Published::Done => return Ok(()),
                Published::Skipped(back) => {
                    cover!(paths::PRODUCER_RETRIED);
                    value = back;
                }
            }
        }
    }

    /// Removes the element at the front, or returns `None` if the queue is
    /// empty. Never waits for a producer.
    ///
    /// Every 256th empty `pop` or [`pop_into`](Queue::pop_into) on a thread
    /// yields the CPU ([`std::thread::yield_now`]) and then looks once more
    /// before it returns `None`. The count is per thread, shared by all
    /// queues, and not reset by a successful pop ("Polling an empty queue"
    /// in the [module docs](self)). To wait for an element without spinning
    /// at all, use [`recv`](Queue::recv) or
    /// [`recv_blocking`](Queue::recv_blocking).
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
    #[inline]
    pub fn pop(&self) -> Option<T> {
        match self.try_pop() {
            // After a yield the thread may have been away for a while:
            // look again before reporting empty.
            None if crate::sync::idle_poll() => self.try_pop(),
            value => value,
        }
    }

    /// [`pop`](Queue::pop) without the count and the yield: how the
    /// receiving calls poll (through `Source::try_take`), before they
    /// register as waiters, in the re-check after arming and after every
    /// wake-up. They never spin on it, so they need no yield.
    #[inline]
    fn try_pop(&self) -> Option<T> {
        loop {
            let claim = self.claim_head(1)?;
            // SAFETY: our claim holds the slot unfinished (module docs).
            let chunk = unsafe { &*claim.chunk };
            // SAFETY: the slot was claimed by us, in the chunk's current lap.
            let value = unsafe { chunk.take(claim.offset) };
            // SAFETY: we just finished (or skipped) that slot.
            unsafe { self.after_take(claim.chunk, claim.offset) };
            if value.is_some() {
                return value;
            }
            // Its producer had not published: it retries in a later slot,
            // and we claim the next one.
            cover!(paths::SLOT_SKIPPED);
        }
    }

    /// What a consumer does after taking (or skipping) slot `offset`: the
    /// claimer of a lap's last slot takes the chunk out of service.
    ///
    /// # Safety
    /// The caller claimed slot `offset` of `chunk` at the head and has just
    /// taken it.
    #[inline]
    unsafe fn after_take(&self, chunk: *mut Chunk<T, CHUNK>, offset: usize) {
        if offset + 1 == CHUNK {
            // SAFETY: we claimed the lap's last slot, so `end_head_lap` moved
            // both ends past the chunk before we took it, and every slot is
            // claimed by both sides.
            unsafe { self.lap_done(chunk) };
        }
    }

    /// The number of elements in the queue, counting the slots given up by
    /// a [`push_iter`](Queue::push_iter) that a consumer has not passed
    /// yet (see below).
    ///
    /// It is the distance between the queue's two ends, so it counts every
    /// slot a producer claimed and no consumer has reached:
    ///
    /// * a slot claimed by a producer that has not written it yet;
    /// * a slot that `push_iter` claimed and then gave up without an
    ///   element, because its iterator panicked or yielded fewer elements
    ///   than the lower bound of its `size_hint` promised. Such a slot
    ///   stays counted until a consumer passes it: the next `pop`,
    ///   `pop_into` or receive that reaches it skips it (and returns the
    ///   element behind it, or reports empty).
    ///
    /// With no operation in flight and no given-up slot waiting, it is
    /// exact. The length of the owning iterator
    /// ([`into_iter`](IntoIterator::into_iter)) leaves given-up slots out
    /// and is always exact. Under concurrency it is the distance between
    /// the two ends read at one instant when the tail did not move while
    /// the head was read (retried a few times), otherwise a snapshot that
    /// may miss pushes in flight. Constant time.
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
        let mut attempts = 0;
        loop {
            // memory ordering: SeqCst loads: a consistent snapshot needs the
            // three in one order with the claims; plain loads on x86-64.
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            attempts += 1;
            if self.tail.index.load(Ordering::SeqCst) == tail || attempts == 4 {
                let len = Self::position(tail).saturating_sub(Self::position(head));
                // The head read after the tail, so `len` is at most the
                // tail's distance from the head when the head was read:
                // positions claimed by producers, each a slot of a linked
                // chunk in memory, which a `usize` counts. The fallback is
                // never taken; it only keeps a panic path out.
                return usize::try_from(len).unwrap_or(usize::MAX);
            }
        }
    }

    /// True if [`len`](Queue::len) is 0: the queue holds no element and no
    /// slot given up by a `push_iter` waits for a consumer to pass it (see
    /// [`len`](Queue::len), also for what this means while operations are
    /// in flight). So right after a `push_iter` gave slots up it can be
    /// false while `pop` finds nothing; that `pop` passes them.
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
        // memory ordering: SeqCst: the linearization point of `close`; every
        // claim CAS after it reads the bit (RMWs on one location are totally
        // ordered), and waiters' re-checks read it after their fence.
        let closed_here = self.tail.index.fetch_or(CLOSED, Ordering::SeqCst) & CLOSED == 0;
        if closed_here {
            self.signal.notify_all();
        }
        closed_here
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
        // memory ordering: SeqCst, so that "closed, then empty" checks are
        // ordered after the close's RMW on the same location.
        self.tail.index.load(Ordering::SeqCst) & CLOSED != 0
    }
}

impl<T, const CHUNK: usize> Default for Queue<T, CHUNK> {
    fn default() -> Self {
        Self::with_chunk_size()
    }
}

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// How many consumers the readiness signal counts as waiting; 0 once
    /// every wait has ended. For loom models, which check that it balances.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn armed_waiters(&self) -> usize {
        self.signal.armed()
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

#[cfg(all(test, not(loom)))]
mod index_tests;
