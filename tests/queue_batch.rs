//! `Queue::push_iter` and `Queue::pop_into`: batches, as tests.
//!
//! A batch claims a run of slots with one compare-and-swap. What must hold
//! is what holds for single operations: FIFO per producer, every element
//! delivered exactly once, nothing leaked or dropped twice when the user's
//! iterator or `Extend` panics, and no claimed slot left unfinished (the
//! queue keeps working afterwards).

mod support;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Barrier};
use std::thread;

use lazuli::Queue;
use support::drops::DropCounter;
use support::{scaled, spawn_after_barrier};

/// Pops everything, one element at a time.
fn drain<T, const CHUNK: usize>(queue: &Queue<T, CHUNK>) -> Vec<T> {
    std::iter::from_fn(|| queue.pop()).collect()
}

#[test]
fn large_batches_cross_many_chunks_in_order() {
    fn check<const CHUNK: usize>() {
        let queue: Queue<usize, CHUNK> = Queue::with_chunk_size();
        queue.push_iter(0..1000).unwrap();
        queue.push_iter(vec![1000, 1001, 1002]).unwrap();
        assert_eq!(queue.len(), 1003);
        let mut out = Vec::new();
        let mut batches = 0;
        for max in [1, 7, 32, 100, 2000].into_iter().cycle() {
            let moved = queue.pop_into(&mut out, max);
            assert!(moved <= max);
            if moved == 0 {
                break;
            }
            batches += 1;
        }
        assert_eq!(out, (0..1003).collect::<Vec<_>>());
        assert!(batches >= 5, "pop_into moved {batches} batches");
        assert!(queue.is_empty());
    }
    check::<1>();
    check::<4>();
    check::<96>();
}

#[test]
fn pop_into_moves_nothing_from_an_empty_queue_or_with_max_0() {
    let queue: Queue<u8> = Queue::new();
    let mut out = Vec::new();
    assert_eq!(queue.pop_into(&mut out, 32), 0);
    queue.push_iter([1, 2, 3]).unwrap();
    assert_eq!(queue.pop_into(&mut out, 0), 0);
    assert!(out.is_empty());
    assert_eq!(queue.pop_into(&mut out, 2), 2);
    assert_eq!(queue.pop_into(&mut out, 2), 1);
    assert_eq!(out, [1, 2, 3]);
}

#[test]
fn push_iter_into_a_closed_queue_hands_the_first_back_and_consumes_no_more() {
    let queue: Queue<u32, 4> = Queue::with_chunk_size();
    queue.push_iter([1, 2]).unwrap();
    queue.close();
    let taken = Cell::new(0);
    let values = (10..20).inspect(|_| taken.set(taken.get() + 1));
    let err = queue.push_iter(values).unwrap_err();
    assert_eq!(err.into_inner(), 10);
    assert_eq!(taken.get(), 1, "only the element handed back was taken");
    assert_eq!(drain(&queue), [1, 2], "elements before close stay poppable");
    // An empty batch into a closed queue is not an error: nothing to push.
    assert!(queue.push_iter(std::iter::empty()).is_ok());
}

/// An iterator whose lower size bound promises more than it yields, so that
/// `push_iter` claims slots it must then give up.
struct Overpromising<I>(I, usize);

impl<I: Iterator> Iterator for Overpromising<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, None)
    }
}

#[test]
fn slots_claimed_for_elements_that_never_came_are_skipped() {
    let queue: Queue<u32, 8> = Queue::with_chunk_size();
    for round in 0..20u32 {
        queue
            .push_iter(Overpromising(round * 3..round * 3 + 3, 7))
            .unwrap();
    }
    let mut out = Vec::new();
    while queue.pop_into(&mut out, 5) > 0 {}
    assert_eq!(out, (0..60).collect::<Vec<_>>());
    // The given-up slots were finished: the chunks went back to the spares
    // and the queue goes on as usual.
    queue.push(99).unwrap();
    assert_eq!(queue.pop(), Some(99));
    assert_eq!(queue.len(), 0);
}

#[test]
fn a_panicking_iterator_pushes_what_it_yielded_and_gives_up_the_rest() {
    let drops = DropCounter::new();
    let queue: Queue<_, 4> = Queue::with_chunk_size();
    let yielded = std::cell::Cell::new(0);
    let values = (0..10).map(|i| {
        if i == 6 {
            panic!("the user's iterator panics");
        }
        yielded.set(yielded.get() + 1);
        drops.track(i)
    });
    let result = catch_unwind(AssertUnwindSafe(|| queue.push_iter(values)));
    assert!(result.is_err(), "the iterator's panic propagates");
    assert_eq!(yielded.get(), 6);
    let got: Vec<i32> = drain(&queue).into_iter().map(|t| t.value).collect();
    assert_eq!(got, [0, 1, 2, 3, 4, 5]);
    assert_eq!(drops.get(), 6, "each yielded element dropped once, by us");
    // Nothing claimed was left unfinished.
    queue.push_iter((0..9).map(|i| drops.track(i))).unwrap();
    assert_eq!(drain(&queue).len(), 9);
    assert_eq!(drops.get(), 15);
}

#[test]
fn slots_given_up_by_a_panicking_iterator_count_in_len_but_not_in_into_iter() {
    let queue: Queue<i32, 4> = Queue::with_chunk_size();
    let values = (0..10).inspect(|&i| {
        if i == 6 {
            panic!("the user's iterator panics");
        }
    });
    let result = catch_unwind(AssertUnwindSafe(|| queue.push_iter(values)));
    assert!(result.is_err());
    // Two runs of 4 slots were claimed and 6 filled: `len` counts the 2
    // given-up slots too (documented), until a consumer passes them.
    assert_eq!(queue.len(), 8);
    let mut iter = queue.into_iter();
    assert_eq!(iter.len(), 6, "IntoIter's length is exact");
    assert_eq!(iter.size_hint(), (6, Some(6)));
    let mut got = Vec::new();
    while let Some(value) = iter.next() {
        got.push(value);
        assert_eq!(iter.len(), 6 - got.len());
    }
    assert_eq!(got, [0, 1, 2, 3, 4, 5]);
    assert_eq!(iter.len(), 0);
}

#[test]
fn slots_given_up_by_an_under_delivering_iterator_count_in_len_but_not_in_into_iter() {
    // A lower bound of 7 claims 8 slots (the first element plus 7), and 3
    // come: 5 given up, no panic.
    let queue: Queue<u32, 8> = Queue::with_chunk_size();
    queue.push_iter(Overpromising(0..3, 7)).unwrap();
    assert_eq!(queue.len(), 8);
    let iter = queue.into_iter();
    assert_eq!(iter.len(), 3);
    assert_eq!(iter.collect::<Vec<_>>(), [0, 1, 2]);

    // Across a lap end, with elements pushed after the given-up slots.
    let queue: Queue<u32, 8> = Queue::with_chunk_size();
    queue.push_iter(0..5).unwrap();
    queue.push_iter(Overpromising(5..7, 9)).unwrap(); // claims 3, gives 1 up
    queue.push_iter(Overpromising(7..8, 9)).unwrap(); // claims 8, gives 7 up
    queue.push(8).unwrap();
    assert_eq!(queue.len(), 17);
    assert_eq!(queue.pop(), Some(0));
    let iter = queue.into_iter();
    assert_eq!(iter.len(), 8);
    assert_eq!(iter.collect::<Vec<_>>(), (1..9).collect::<Vec<_>>());
}

#[test]
fn len_counts_given_up_slots_until_a_consumer_passes_them() {
    let queue: Queue<u32, 8> = Queue::with_chunk_size();
    queue.push_iter(Overpromising(0..3, 7)).unwrap();
    assert_eq!(queue.len(), 8);
    assert_eq!(drain(&queue), [0, 1, 2]);
    // The pop that found nothing passed the 5 given-up slots.
    assert_eq!(queue.len(), 0);
    assert!(queue.is_empty());

    // Taking the elements in front of given-up slots leaves them counted.
    queue.push_iter(Overpromising(3..5, 7)).unwrap();
    assert_eq!(queue.pop(), Some(3));
    assert_eq!(queue.pop(), Some(4));
    assert_eq!(queue.len(), 6);
    assert!(!queue.is_empty());
    // An element pushed behind them is counted once more, and the pop that
    // reaches it passes them.
    queue.push(5).unwrap();
    assert_eq!(queue.len(), 7);
    assert_eq!(queue.pop(), Some(5));
    assert_eq!(queue.len(), 0);
    // So does `pop_into`.
    queue.push_iter(Overpromising(6..7, 4)).unwrap();
    assert_eq!(queue.len(), 5);
    let mut out = Vec::new();
    assert_eq!(queue.pop_into(&mut out, 8), 1);
    assert_eq!(out, [6]);
    assert_eq!(queue.len(), 0);
}

/// An `Extend` that panics on the `n`th element it sees.
struct PanicsAt<T> {
    kept: Vec<T>,
    n: usize,
}

impl<T> Extend<T> for PanicsAt<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            if self.kept.len() == self.n {
                panic!("the user's Extend panics");
            }
            self.kept.push(value);
        }
    }
}

#[test]
fn a_panicking_extend_drops_the_rest_of_its_run_exactly_once() {
    let drops = DropCounter::new();
    let queue: Queue<_, 8> = Queue::with_chunk_size();
    queue.push_iter((0..20).map(|i| drops.track(i))).unwrap();
    let mut dst = PanicsAt {
        kept: Vec::new(),
        n: 3,
    };
    let result = catch_unwind(AssertUnwindSafe(|| queue.pop_into(&mut dst, 6)));
    assert!(result.is_err(), "the Extend's panic propagates");
    let kept: Vec<i32> = dst.kept.iter().map(|t| t.value).collect();
    assert_eq!(kept, [0, 1, 2]);
    // The run claimed 6: 3 kept, the one passed to the panicking call and
    // the 2 after it were dropped on unwinding. The rest stay queued.
    assert_eq!(drops.get(), 3);
    let rest: Vec<i32> = drain(&queue).into_iter().map(|t| t.value).collect();
    assert_eq!(rest, (6..20).collect::<Vec<_>>());
    drop(dst);
    assert_eq!(drops.get(), 20, "every element dropped exactly once");
}

/// An `Extend` that takes only the first element of each iterator it is
/// given, as some adapters do.
struct TakesOne(Vec<u32>);

impl Extend<u32> for TakesOne {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, iter: I) {
        self.0.extend(iter.into_iter().take(1));
    }
}

#[test]
fn an_extend_that_stops_early_still_gets_every_element() {
    let queue: Queue<u32, 4> = Queue::with_chunk_size();
    queue.push_iter(0..10).unwrap();
    let mut dst = TakesOne(Vec::new());
    assert_eq!(queue.pop_into(&mut dst, 10), 10);
    assert_eq!(dst.0, (0..10).collect::<Vec<_>>());
}

#[test]
fn concurrent_batches_deliver_exactly_once_in_per_producer_order() {
    const PRODUCERS: usize = 2;
    const CONSUMERS: usize = 2;
    let per_producer = scaled(50_000);
    let queue: Arc<Queue<(usize, usize), 16>> = Arc::new(Queue::with_chunk_size());
    let start = Arc::new(Barrier::new(PRODUCERS + CONSUMERS));
    let producers = spawn_after_barrier(&start, PRODUCERS, {
        let queue = queue.clone();
        move |p| {
            let mut next = 0;
            while next < per_producer {
                let end = (next + 1 + next % 37).min(per_producer);
                queue.push_iter((next..end).map(|i| (p, i))).unwrap();
                next = end;
            }
        }
    });
    let consumers = spawn_after_barrier(&start, CONSUMERS, {
        let queue = queue.clone();
        move |_| {
            let mut got = Vec::new();
            loop {
                if queue.pop_into(&mut got, 32) == 0 {
                    if queue.is_closed() && queue.is_empty() {
                        return got;
                    }
                    thread::yield_now();
                }
            }
        }
    });
    for producer in producers {
        producer.join().unwrap();
    }
    queue.close();
    let mut seen: Vec<Vec<usize>> = vec![Vec::new(); PRODUCERS];
    for consumer in consumers {
        let got = consumer.join().unwrap();
        let mut last = [None; PRODUCERS];
        for (p, i) in got {
            assert!(
                last[p].is_none_or(|l| l < i),
                "producer {p}'s elements out of order"
            );
            last[p] = Some(i);
            seen[p].push(i);
        }
    }
    // Every element exactly once: a duplicate and a loss cannot cancel out.
    for (p, mut values) in seen.into_iter().enumerate() {
        values.sort_unstable();
        assert!(
            values.iter().copied().eq(0..per_producer),
            "producer {p}: lost or duplicated elements ({} delivered)",
            values.len()
        );
    }
}
