//! lazuli: concurrent data structures, verified and measured.
//!
//! | type | what it is | progress guarantee |
//! |---|---|---|
//! | [`Queue`] | unbounded MPMC FIFO of linked chunks; `close`; async and blocking receive | lock-free; `push` never waits |
//! | [`ListMap`], [`ListSet`] | sorted map and set: the lazy list | wait-free lookups, fine-grained locks for updates |
//! | [`SkipMap`], [`SkipSet`] | sorted map and set: the lazy skiplist, a drop-in for crossbeam-skiplist | wait-free lookups, fine-grained locks for updates |
//!
//! ```
//! use lazuli::Queue;
//!
//! let jobs = Queue::new();
//! jobs.push("resize").unwrap();
//! assert_eq!(jobs.pop(), Some("resize"));
//! ```
//!
//! # Architecture
//!
//! ```text
//! src/
//! ├── sync.rs        the one facade for atomics, cells, threads, the waker and
//! │                  the epoch: std normally, loom under --cfg loom
//! ├── queue/         Queue<T>
//! │   ├── mod.rs     public API and the algorithm (Michael–Scott list of
//! │   │              chunks, claim indices in the queue as in SegQueue)
//! │   ├── claim.rs   the two ends and the CAS that claims slots
//! │   ├── chunk.rs   one chunk: slot states, publish/take, completion
//! │   ├── lap.rs     a lap's end: linking, hand-over, hazard-slot helpers
//! │   ├── reclaim.rs the first chunk, spares, the waiting list, retirement
//! │   ├── batch.rs   push_iter / pop_into: one claim per run of slots
//! │   ├── exclusive.rs  the &mut paths: push_mut, pop_mut, Drop, iterators
//! │   ├── signal.rs  the waiter registry behind recv().await / recv_blocking()
//! │   ├── recv.rs    Recv, RecvStream, recv_blocking, recv_timeout, and the one
//! │   │              future/stream state machine they all share
//! │   └── recv/
//! │       ├── owned.rs  recv_owned, stream_owned: 'static forms over an Arc
//! │       └── many.rs   recv_many, recv_many_blocking: a burst per wake-up
//! ├── lazy/          protocol pieces of the lazy list family, shared by both:
//! │                  node lock, marked/fully_linked, validation, value slots,
//! │                  retirement, guard-scoped entries, striped length
//! ├── ordered/       the public layer of the sorted structures, written once:
//! │                  OrderedMap / OrderedSet, entries, iterators, ranges,
//! │                  generic over the raw-structure contract (ordered/raw.rs)
//! ├── list/          the lazy list's protocol (Heller et al. 2005);
//! │                  ListMap / ListSet = the ordered layer over it
//! └── skiplist/      the lazy skiplist's protocol (Herlihy, Lev, Luchangco,
//!                    Shavit 2007); SkipMap / SkipSet = the ordered layer over it
//! ```
//!
//! Memory is reclaimed with crossbeam-epoch: memory unlinked from a
//! structure is freed only after every thread that was pinned at the time
//! has unpinned. The sorted structures pin on every operation, and their
//! entries and iterators hold a pin while they live. The queue pins only at
//! the rare lap end that needs a helper: a claimed slot keeps its chunk
//! alive, and a finished chunk is reused at once unless a helper holds it
//! (`queue` module docs).
//!
//! # Verification
//!
//! Every concurrent protocol has loom models in `loom-tests/` (which also
//! prove that they reach the paths they claim to cover), the test suites run
//! under Miri, proptest checks each structure against its `std` model, and a
//! linearizability checker (Wing & Gong with Lowe's memoisation) checks
//! histories recorded from real threads. The concurrent tests also run under
//! ThreadSanitizer. See the README.
//!
//! # Model-checking your own code with loom
//!
//! Build with `RUSTFLAGS="--cfg loom"` (add `--cfg crossbeam_loom` to model
//! the epoch collector too): lazuli's internals then use loom's primitives
//! and take part in your model. `loom-tests/tests/downstream.rs` shows how.
#![warn(missing_docs, missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]

mod sync;

#[cfg(loom)]
#[doc(hidden)]
pub use sync::coverage;

#[allow(dead_code)]
mod lazy;
pub mod list;
pub mod ordered;
pub mod queue;
pub mod skiplist;

pub use list::{ListMap, ListSet};
pub use queue::{
    OwnedRecv, OwnedRecvStream, PushError, Queue, Recv, RecvMany, RecvStream, RecvTimeoutError,
    TryRecvError,
};
pub use skiplist::{SkipMap, SkipSet};
