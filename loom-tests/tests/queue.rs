//! loom models of the queue's chunk protocol (`src/queue/`).
//!
//! Under `cfg(loom)` a chunk holds 2 slots and the lap-end patience is 0, so
//! every model below crosses at least one lap end: linking, the hand-over
//! of `tail` and `head` (by the claimer or by a helper), the completion
//! check, the waiting list, the spare slot and retirement through the epoch
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
//! Each model prints its execution count and time, and asserts that it
//! reached the protocol paths, or observed the outcomes, it names.
#![cfg(loom)]

use std::collections::HashSet;

use lazuli::queue::paths::*;
use lazuli::Queue;
use lazuli_loom_tests::{explore, explore_outcomes, spawn_on, Counted, Path};
use loom::sync::Arc;
use loom::thread;

/// The three-thread models run at bound 3 with the epoch modelled too
/// (about 20 s each on the development machine): at bound 2 the helper
/// models never reach the interleaving where the chunk a helper holds is
/// finished under it.
const THREE_THREAD_BOUND: usize = 3;

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

/// An iterator that promises (through `size_hint`) more than it yields, so
/// that `push_iter` claims slots it then has to give up.
struct Overpromising(std::vec::IntoIter<u32>, usize);

impl Iterator for Overpromising {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, None)
    }
}

#[test]
fn push_push_across_a_lap_end() {
    // The second push of the first lap claims its last slot and must hand
    // the tail over; the other producer finds the lap's end pending and
    // helps (LAP_PATIENCE is 0 under loom), racing it to link.
    explore(
        "queue: push || push across a lap end",
        3,
        &[&TAIL_HELPED, &LINK_RACE_LOST],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap(); // slot 0 of lap 0
            let other = spawn_on(&queue, |queue| {
                queue.push(10).unwrap();
                queue.push(11).unwrap();
            });
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
fn push_pop_across_a_lap_end() {
    explore(
        "queue: push || pop across a lap end",
        3,
        &[
            &SLOT_SKIPPED,
            &PRODUCER_RETRIED,
            &TAIL_FINISHED_BY_CONSUMER,
            &CHUNK_RECYCLED,
        ],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap();
            let producer = spawn_on(&queue, |queue| {
                queue.push(1).unwrap(); // the lap's last slot: hands over
                queue.push(2).unwrap();
            });
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
fn pop_pop_across_a_lap_end() {
    // Either consumer may claim the lap's last slot; the other finds the
    // head's hand-over pending and helps, or takes a slot of the lap whose
    // chunk then waits until that take finishes.
    explore(
        "queue: pop || pop across a lap end",
        3,
        &[&HEAD_HELPED, &CHUNK_WAITED, &CHUNK_RECYCLED],
        || {
            let queue = Arc::new(Queue::new());
            for i in 0..3 {
                queue.push(i).unwrap(); // lap 0: 0, 1; lap 1: 2
            }
            let other = spawn_on(&queue, |queue| [queue.pop(), queue.pop()]);
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
    // retries in a later slot, possibly in the next lap. A chunk whose last
    // slot is taken while a skipped slot is still unfinished waits on the
    // list until a later lap's end finds it complete.
    explore(
        "queue: consumer overtakes a slow producer",
        3,
        &[
            &SLOT_SKIPPED,
            &PRODUCER_RETRIED,
            &CHUNK_WAITED,
            &WAITING_CHUNK_COMPLETED,
            &SPARES_STOCKED,
        ],
        || {
            let queue = installed();
            let producer = spawn_on(&queue, |queue| {
                queue.push(1).unwrap();
                queue.push(2).unwrap();
            });
            let mut got: Vec<u32> = (0..3).filter_map(|_| queue.pop()).collect();
            producer.join().unwrap();
            got.extend(drain(&queue));
            assert_eq!(got, [1, 2], "exactly once, in order");
            // Two more laps, so that a waiting chunk is re-checked.
            for i in 3..7 {
                queue.push(i).unwrap();
                assert_eq!(queue.pop(), Some(i));
            }
            assert_eq!(queue.len(), 0);
        },
    );
}

#[test]
fn close_races_push() {
    // The main thread's push after the close takes PUSH_SAW_CLOSED in every
    // execution; what shows the race is how many of the producer's pushes
    // the close let land: both, the first only, or neither.
    const BOTH: &str = "both pushes landed";
    const FIRST: &str = "push 1 landed, push 2 was refused";
    const NEITHER: &str = "both pushes were refused";
    let outcomes = &[BOTH, FIRST, NEITHER];
    explore_outcomes(
        "queue: close || push",
        3,
        &[&PUSH_SAW_CLOSED],
        outcomes,
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap();
            let producer = spawn_on(&queue, |queue| {
                [queue.push(1).is_ok(), queue.push(2).is_ok()]
            });
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
            match landed {
                [true, true] => BOTH,
                [true, false] => FIRST,
                _ => NEITHER,
            }
        },
    );
}

#[test]
fn close_races_a_push_at_a_lap_end() {
    // The push claims the lap's last slot; `close` sets its bit while the
    // hand-over is pending, so the hand-over's CAS must keep the bit.
    explore(
        "queue: close || push at a lap end",
        THREE_THREAD_BOUND,
        &[
            &PUSH_SAW_CLOSED,
            &HAND_OVER_SAW_CLOSE,
            &HAND_OVER_KEPT_CLOSED,
        ],
        || {
            let queue = Arc::new(Queue::new());
            queue.push(0).unwrap(); // the next push ends the lap
            let producer = spawn_on(&queue, |queue| {
                [queue.push(1).is_ok(), queue.push(2).is_ok()]
            });
            let closer = spawn_on(&queue, |queue| queue.close());
            let closed_by_main = queue.close();
            let landed = producer.join().unwrap();
            let closed_by_thread = closer.join().unwrap();
            assert!(
                closed_by_main ^ closed_by_thread,
                "exactly one close call closes"
            );
            assert!(landed[0] || !landed[1], "{landed:?}");
            let expected: Vec<u32> = [0]
                .into_iter()
                .chain([1, 2].into_iter().zip(landed).filter(|p| p.1).map(|p| p.0))
                .collect();
            assert_eq!(drain(&queue), expected);
            assert!(
                queue.push(3).is_err(),
                "the CLOSED bit survived the hand-over"
            );
        },
    );
}

#[test]
fn finished_chunks_are_reused_and_elements_dropped_exactly_once() {
    // Lap ends in both threads: chunks go through the spare slot and are
    // rewound for later laps while the other thread works, and every element
    // is dropped exactly once (the queue's `Drop` included). The setup
    // recycles lap 0's chunk and a lap end reuses it in every execution; the
    // race shows in the consumer meeting the producer's lap end: it finishes
    // the tail's hand-over and races the producer to link the next lap, and
    // its second pop takes 3 in some executions and finds nothing in others.
    const SECOND_POP_TOOK_3: &str = "the consumer's 2nd pop took 3";
    const SECOND_POP_EMPTY: &str = "the consumer's 2nd pop found nothing";
    explore_outcomes(
        "queue: recycling and reuse",
        2,
        &[
            &CHUNK_RECYCLED,
            &CHUNK_REUSED,
            &TAIL_FINISHED_BY_CONSUMER,
            &LINK_RACE_LOST,
        ],
        &[SECOND_POP_TOOK_3, SECOND_POP_EMPTY],
        || {
            let drops = Counted::tally();
            let queue = Arc::new(Queue::new());
            for i in 0..3 {
                queue.push(drops.make(i)).unwrap();
            }
            for i in 0..2 {
                assert_eq!(queue.pop().map(|c| c.value), Some(i));
            }
            // Lap 0's chunk is finished and in the spare slot.
            let producer = {
                let (queue, drops) = (queue.clone(), drops.clone());
                thread::spawn(move || {
                    queue.push(drops.make(3)).unwrap(); // ends lap 1: reuses the spare
                    queue.push(drops.make(4)).unwrap();
                })
            };
            let popped: Vec<u32> = (0..2)
                .filter_map(|_| queue.pop())
                .map(|c| c.value)
                .collect();
            producer.join().unwrap();
            assert!(
                popped.windows(2).all(|w| w[0] < w[1]),
                "out of order: {popped:?}"
            );
            let outcome = if popped.len() == 2 {
                SECOND_POP_TOOK_3
            } else {
                SECOND_POP_EMPTY
            };
            let mut all = popped;
            if let Some(c) = queue.pop() {
                all.push(c.value);
            }
            // 2 was queued before the spawn and 3 was pushed before the
            // join, so at least [2, 3] came out, in the producer's order.
            assert!(
                all.len() >= 2 && all[..] == [2, 3, 4][..all.len()],
                "not a prefix of [2, 3, 4]: {all:?}"
            );
            drop(queue); // drops what is left
            assert_eq!(drops.count(), 5, "every element dropped exactly once");
            outcome
        },
    );
}

/// The producer that claims lap 0's last slot may stall before handing the
/// tail over; another producer helps, and the consumer may finish lap 0
/// while that helper still holds the chunk: then the chunk must not become
/// a spare. With the collector modelled it is retired through the epoch;
/// otherwise it is held back on the waiting list (and freed with the
/// queue). `counted`: the hazard slots are taken, so the helper is counted
/// in `helpers` instead of announcing its chunk.
fn helper_model(name: &str, counted: bool, helper_path: &'static Path) {
    let held: &'static Path = if cfg!(crossbeam_loom) {
        &CHUNK_RETIRED
    } else {
        &CHUNK_HELD_BACK
    };
    explore(
        name,
        THREE_THREAD_BOUND,
        &[&TAIL_HELPED, helper_path, held, &CHUNK_RECYCLED],
        move || {
            let queue = Arc::new(Queue::new());
            if counted {
                queue.model_take_hazard_slots();
            }
            queue.push(0).unwrap();
            // lap 0's last slot
            let last = spawn_on(&queue, |queue| queue.push(1).unwrap());
            let helper = spawn_on(&queue, |queue| queue.push(2).unwrap());
            let mut got: Vec<u32> = (0..2).filter_map(|_| queue.pop()).collect();
            last.join().unwrap();
            helper.join().unwrap();
            got.extend(drain(&queue));
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2], "exactly once");
        },
    );
}

#[test]
fn a_helper_keeps_the_chunk_it_announced_from_reuse() {
    helper_model(
        "queue: hazard-slot helper || lap end || recycling",
        false,
        &HAZARD_RETRIED,
    );
}

#[test]
fn a_counted_helper_keeps_every_chunk_from_reuse() {
    helper_model(
        "queue: counted helper || lap end || recycling",
        true,
        &HELPER_COUNTED,
    );
}

#[test]
fn batches_claim_runs_and_give_up_what_they_cannot_fill() {
    // `push_iter` claims a run from the size hint; an iterator that yields
    // less leaves claimed slots it gives up, which a concurrent `pop_into`
    // skips. One producer's elements keep their order.
    explore(
        "queue: push_iter || pop_into",
        3,
        &[&SLOT_GIVEN_UP, &SLOT_SKIPPED],
        || {
            let queue = installed();
            let producer = spawn_on(&queue, |queue| {
                queue
                    .push_iter(Overpromising(vec![1].into_iter(), 2))
                    .unwrap();
                queue.push_iter([2, 3]).unwrap();
            });
            let mut got = Vec::new();
            queue.pop_into(&mut got, 2);
            producer.join().unwrap();
            while queue.pop_into(&mut got, 2) > 0 {}
            assert_eq!(got, [1, 2, 3], "exactly once, in order");
            assert_eq!(queue.len(), 0);
        },
    );
}
