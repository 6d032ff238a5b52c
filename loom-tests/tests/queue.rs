//! loom models of the queue's chunk protocol (`src/queue/`).
//!
//! Under `cfg(loom)` a chunk holds 2 slots, so every model below crosses at
//! least one chunk boundary: linking, `tail`/`head` hand-over and retirement
//! are explored, not just the in-chunk fast path.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test queue
//! # with the real epoch collector modelled too:
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test queue
//! ```
//!
//! Each model prints its execution count and time.
#![cfg(loom)]

use std::collections::HashSet;

use lazuli::queue::paths::*;
use lazuli::Queue;
use lazuli_loom_tests::{explore, Counted};
use loom::sync::Arc;
use loom::thread;

/// Three-thread models explode with the epoch modelled (every pin is a
/// handful of modelled atomics): bound 3 there takes minutes, so those use 2.
const THREE_THREAD_BOUND: usize = if cfg!(crossbeam_loom) { 2 } else { 3 };

/// A queue whose first chunk is installed (and empty), so that every model
/// starts from the steady state rather than from the lazy first allocation.
fn installed() -> Arc<Queue<u32>> {
    let queue = Arc::new(Queue::new());
    queue.push(u32::MAX).unwrap();
    assert_eq!(queue.pop(), Some(u32::MAX));
    queue
}

/// Pops until empty.
fn drain(queue: &Queue<u32>) -> Vec<u32> {
    std::iter::from_fn(|| queue.pop()).collect()
}

#[test]
fn push_push_across_a_chunk_boundary() {
    explore(
        "queue: push || push across a boundary",
        3,
        &[&LINK_RACE_LOST, &TAIL_HELPED],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap(); // slot 0 of the first chunk
            let other = {
                let queue = queue.clone();
                thread::spawn(move || {
                    queue.push(10).unwrap();
                    queue.push(11).unwrap();
                })
            };
            queue.push(20).unwrap();
            other.join().unwrap();
            let got = drain(&queue);
            assert_eq!(got.len(), 4, "lost or duplicated: {got:?}");
            assert_eq!(got[0], 0, "the first push must come out first: {got:?}");
            let pos = |x| got.iter().position(|&v| v == x).unwrap();
            assert!(
                pos(10) < pos(11),
                "one producer's pushes out of order: {got:?}"
            );
            assert!(got.contains(&20), "{got:?}");
            assert_eq!(queue.len(), 0);
        },
    );
}

#[test]
fn push_pop_across_a_chunk_boundary() {
    explore(
        "queue: push || pop across a boundary",
        3,
        &[&SLOT_SKIPPED, &PRODUCER_RETRIED, &CHUNK_RETIRED],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap();
            let producer = {
                let queue = queue.clone();
                thread::spawn(move || {
                    queue.push(1).unwrap();
                    queue.push(2).unwrap(); // links the second chunk
                })
            };
            let mut got: Vec<u32> = (0..2).filter_map(|_| queue.pop()).collect();
            producer.join().unwrap();
            assert_eq!(
                got.first(),
                Some(&0),
                "0 was there before the race: {got:?}"
            );
            got.extend(drain(&queue));
            assert_eq!(got, [0, 1, 2], "FIFO and exactly once");
        },
    );
}

#[test]
fn pop_pop_across_a_chunk_boundary() {
    explore(
        "queue: pop || pop across a boundary",
        3,
        &[&CHUNK_RETIRED],
        || {
            let queue = Arc::new(Queue::new());
            for i in 0..3 {
                queue.push(i).unwrap(); // chunk 1: 0, 1; chunk 2: 2
            }
            let other = {
                let queue = queue.clone();
                thread::spawn(move || [queue.pop(), queue.pop()])
            };
            let mine = [queue.pop(), queue.pop()];
            let theirs = other.join().unwrap();
            for got in [mine, theirs] {
                if let [Some(a), Some(b)] = got {
                    assert!(a < b, "one consumer saw {a} then {b}: not FIFO");
                }
                assert!(
                    got[0].is_some() || got[1].is_none(),
                    "None then Some with no pushes"
                );
            }
            let all: Vec<u32> = mine.iter().chain(&theirs).flatten().copied().collect();
            let unique: HashSet<u32> = all.iter().copied().collect();
            assert_eq!(
                unique.len(),
                all.len(),
                "an element was popped twice: {all:?}"
            );
            assert_eq!(
                all.len(),
                3,
                "3 elements and 4 pops: exactly one None ({all:?})"
            );
            assert_eq!(queue.pop(), None);
        },
    );
}

#[test]
fn a_consumer_overtaking_a_slow_producer_loses_nothing() {
    // The producer may be preempted between claiming a slot and writing it;
    // the consumer then skips the slot (it must not wait), and the producer
    // retries in a later slot, possibly in a new chunk.
    explore(
        "queue: consumer overtakes a slow producer",
        3,
        &[&SLOT_SKIPPED, &PRODUCER_RETRIED, &CHUNK_RETIRED],
        || {
            let queue = installed();
            let producer = {
                let queue = queue.clone();
                thread::spawn(move || {
                    queue.push(1).unwrap();
                    queue.push(2).unwrap();
                })
            };
            let mut got: Vec<u32> = (0..3).filter_map(|_| queue.pop()).collect();
            producer.join().unwrap();
            got.extend(drain(&queue));
            assert_eq!(got, [1, 2], "exactly once, in order");
            assert_eq!(queue.len(), 0);
        },
    );
}

#[test]
fn close_races_push() {
    explore("queue: close || push", 3, &[&PUSH_SAW_CLOSED], || {
        let queue = Arc::new(Queue::new());
        queue.push(0).unwrap();
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || [queue.push(1).is_ok(), queue.push(2).is_ok()])
        };
        assert!(queue.close(), "the only close call closes");
        assert!(
            queue.push(9).is_err(),
            "a push after close returned must fail"
        );
        let landed = producer.join().unwrap();
        assert!(
            landed[0] || !landed[1],
            "push 1 failed but the later push 2 succeeded: {landed:?}"
        );
        let expected: Vec<u32> = [0]
            .into_iter()
            .chain([1, 2].into_iter().zip(landed).filter(|p| p.1).map(|p| p.0))
            .collect();
        assert_eq!(drain(&queue), expected, "what landed is exactly what pops");
        assert!(queue.is_closed());
    });
}

#[test]
fn close_races_a_push_that_links_a_chunk() {
    explore(
        "queue: close || linking push",
        THREE_THREAD_BOUND,
        &[&PUSH_SAW_SEAL, &PUSH_SAW_CLOSED],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap();
            queue.push(1).unwrap(); // the chunk is full
            let producer = {
                let queue = queue.clone();
                thread::spawn(move || queue.push(2).is_ok())
            };
            let closer = {
                let queue = queue.clone();
                thread::spawn(move || queue.close())
            };
            let closed_by_second = queue.close();
            let landed = producer.join().unwrap();
            let closed_by_thread = closer.join().unwrap();
            assert!(
                closed_by_second ^ closed_by_thread,
                "exactly one close call closes"
            );
            let expected: Vec<u32> = if landed { vec![0, 1, 2] } else { vec![0, 1] };
            assert_eq!(drain(&queue), expected);
            assert!(queue.push(3).is_err());
        },
    );
}

/// With the modelled epoch the flushes let the grace period pass inside the
/// model, so the retired chunk is reused; with the real one they cannot.
const REUSE_PATHS: &[&lazuli_loom_tests::Path] = if cfg!(crossbeam_loom) {
    &[&CHUNK_RETIRED, &CHUNK_REUSED]
} else {
    &[&CHUNK_RETIRED]
};

#[test]
fn retired_chunks_are_reclaimed_and_reused_exactly_once() {
    // With `--cfg crossbeam_loom` the epoch is modelled: the flushes below
    // run the deferred grace-period function inside the model, the spare
    // chunk becomes reusable, and the concurrent phase reuses it while the
    // other thread may be retiring the chunk in front of it.
    explore("queue: retirement and reuse", 2, REUSE_PATHS, || {
        let drops = Counted::tally();
        let queue = Arc::new(Queue::new());
        for i in 0..3 {
            queue.push(drops.make(i)).unwrap();
        }
        for i in 0..3 {
            assert_eq!(queue.pop().map(|c| c.value), Some(i));
        }
        // The first chunk is now retired; let its grace period pass.
        for _ in 0..4 {
            lazuli_loom_tests::flush_epoch();
        }
        let producer = {
            let (queue, drops) = (queue.clone(), drops.clone());
            thread::spawn(move || {
                queue.push(drops.make(3)).unwrap();
                queue.push(drops.make(4)).unwrap(); // links the recycled chunk
            })
        };
        let popped: Vec<u32> = (0..2)
            .filter_map(|_| queue.pop())
            .map(|c| c.value)
            .collect();
        producer.join().unwrap();
        let mut rest: Vec<u32> = Vec::new();
        while let Some(c) = queue.pop() {
            rest.push(c.value);
        }
        let all: Vec<u32> = popped.iter().chain(&rest).copied().collect();
        assert_eq!(all, [3, 4], "exactly once and in order");
        drop(queue);
        assert_eq!(drops.count(), 5, "every element dropped exactly once");
    });
}
