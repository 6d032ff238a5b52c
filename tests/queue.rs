//! `Queue<T>`: the specification, as tests.

mod support;

use std::collections::{HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};
use std::thread;

use lazuli::{PushError, Queue};
use support::drops::DropCounter;
use support::{scaled, spawn_after_barrier};

/// Each producer's items as (producer, sequence number).
type Item = (usize, usize);

/// Runs `producers` x `per_producer` pushes against `consumers` poppers and
/// returns what each consumer popped, in its order.
fn run_mpmc<const CHUNK: usize>(
    producers: usize,
    consumers: usize,
    per_producer: usize,
) -> Vec<Vec<Item>> {
    let queue = Arc::new(Queue::<Item, CHUNK>::with_chunk_size());
    let remaining = Arc::new(AtomicUsize::new(producers * per_producer));
    let start = Arc::new(Barrier::new(producers + consumers));
    let producer_handles = spawn_after_barrier(&start, producers, {
        let queue = queue.clone();
        move |p| {
            for seq in 0..per_producer {
                queue
                    .push((p, seq))
                    .expect("the queue is never closed here");
            }
        }
    });
    let consumer_handles = spawn_after_barrier(&start, consumers, {
        let (queue, remaining) = (queue.clone(), remaining.clone());
        move |_| {
            let mut got = Vec::new();
            while remaining.load(SeqCst) > 0 {
                match queue.pop() {
                    Some(item) => {
                        remaining.fetch_sub(1, SeqCst);
                        got.push(item);
                    }
                    None => thread::yield_now(),
                }
            }
            got
        }
    });
    for handle in producer_handles {
        handle.join().unwrap();
    }
    let got = consumer_handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(queue.len(), 0, "everything was popped, so len must be 0");
    assert_eq!(queue.pop(), None);
    got
}

/// Every item delivered exactly once, and each consumer saw each producer's
/// items in the order they were pushed.
fn check_exactly_once_and_fifo(got: &[Vec<Item>], producers: usize, per_producer: usize) {
    let mut seen = HashSet::new();
    for (consumer, items) in got.iter().enumerate() {
        let mut last = vec![None; producers];
        for &(p, seq) in items {
            assert!(
                seen.insert((p, seq)),
                "item ({p}, {seq}) was delivered twice"
            );
            if let Some(prev) = last[p] {
                assert!(
                    seq > prev,
                    "consumer {consumer} got producer {p}'s item {seq} after {prev}: not FIFO"
                );
            }
            last[p] = Some(seq);
        }
    }
    assert_eq!(seen.len(), producers * per_producer, "items were lost");
}

#[test]
fn mpmc_delivers_every_item_exactly_once_in_per_producer_order() {
    let per_producer = scaled(100_000);
    let got = run_mpmc::<{ lazuli::queue::DEFAULT_CHUNK }>(4, 4, per_producer);
    check_exactly_once_and_fifo(&got, 4, per_producer);
}

#[test]
fn mpmc_with_one_slot_chunks_crosses_a_boundary_on_every_push() {
    let per_producer = scaled(20_000);
    let got = run_mpmc::<1>(3, 3, per_producer);
    check_exactly_once_and_fifo(&got, 3, per_producer);
}

#[test]
fn mpmc_with_two_slot_chunks() {
    let per_producer = scaled(20_000);
    let got = run_mpmc::<2>(2, 4, per_producer);
    check_exactly_once_and_fifo(&got, 2, per_producer);
}

#[test]
fn single_thread_is_fifo_across_many_chunks() {
    let n = scaled(10_000);
    let queue: Queue<usize, 7> = Queue::with_chunk_size();
    for i in 0..n {
        queue.push(i).unwrap();
    }
    assert_eq!(queue.len(), n);
    for i in 0..n {
        assert_eq!(queue.pop(), Some(i), "element {i} out of order");
    }
    assert_eq!(queue.pop(), None);
}

#[test]
fn len_is_exact_when_quiescent() {
    let queue: Queue<u32, 3> = Queue::with_chunk_size();
    let mut model = VecDeque::new();
    // A fixed pseudo-random walk of pushes and pops.
    let mut x = 0x2545_f491_u32;
    for step in 0..scaled(5_000) as u32 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if x % 3 == 0 {
            assert_eq!(queue.pop(), model.pop_front(), "step {step}");
        } else {
            queue.push(step).unwrap();
            model.push_back(step);
        }
        assert_eq!(queue.len(), model.len(), "len wrong at step {step}");
        assert_eq!(queue.is_empty(), model.is_empty());
    }
}

#[test]
fn len_is_exact_after_concurrent_traffic() {
    let queue = Arc::new(Queue::<usize>::new());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let queue = queue.clone();
            thread::spawn(move || {
                let mut popped = 0;
                for i in 0..scaled(20_000) {
                    queue.push(i).unwrap();
                    if (i + t) % 3 == 0 && queue.pop().is_some() {
                        popped += 1;
                    }
                }
                popped
            })
        })
        .collect();
    let popped: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(queue.len(), 4 * scaled(20_000) - popped);
}

#[test]
fn drop_drops_every_remaining_element_exactly_once() {
    let drops = DropCounter::new();
    let queue: Queue<_, 4> = Queue::with_chunk_size();
    for i in 0..37 {
        queue.push(drops.track(i)).unwrap();
    }
    for _ in 0..10 {
        drop(queue.pop().unwrap());
    }
    assert_eq!(drops.get(), 10);
    drop(queue);
    assert_eq!(drops.get(), 37, "every element dropped exactly once");
}

#[test]
fn a_panicking_drop_still_drops_the_rest_once() {
    let drops = DropCounter::new();
    let queue: Queue<_, 4> = Queue::with_chunk_size();
    for i in 0..20 {
        let value = if i == 7 {
            drops.track_panicking(i)
        } else {
            drops.track(i)
        };
        queue.push(value).unwrap();
    }
    let result = catch_unwind(AssertUnwindSafe(move || drop(queue)));
    assert!(result.is_err(), "the element's panic must propagate");
    assert_eq!(drops.get(), 20, "the other 19 were dropped, none twice");
}

#[test]
fn zero_sized_elements() {
    let queue: Queue<()> = Queue::new();
    for _ in 0..scaled(1_000) {
        queue.push(()).unwrap();
    }
    assert_eq!(queue.len(), scaled(1_000));
    for _ in 0..scaled(1_000) {
        assert_eq!(queue.pop(), Some(()));
    }
    assert_eq!(queue.pop(), None);
    assert!(queue.is_empty());
}

#[test]
fn zero_sized_elements_with_drop_are_counted() {
    struct Zst;
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    impl Drop for Zst {
        fn drop(&mut self) {
            DROPS.fetch_add(1, SeqCst);
        }
    }
    assert_eq!(std::mem::size_of::<Zst>(), 0);
    let queue: Queue<Zst, 3> = Queue::with_chunk_size();
    for _ in 0..10 {
        queue.push(Zst).unwrap();
    }
    drop(queue.pop());
    drop(queue);
    assert_eq!(DROPS.load(SeqCst), 10);
}

const BIG: usize = 128 * 1024;

#[test]
fn elements_of_128_kib_round_trip() {
    fn check<const CHUNK: usize>() {
        let queue: Queue<[u8; BIG], CHUNK> = Queue::with_chunk_size();
        let count = if cfg!(miri) { 3 } else { 2 * CHUNK + 1 };
        for i in 0..count {
            queue.push([i as u8; BIG]).unwrap();
        }
        assert_eq!(queue.len(), count);
        for i in 0..count {
            let value = queue.pop().unwrap();
            assert!(value.iter().all(|&b| b == i as u8), "element {i} corrupted");
        }
    }
    // Run on a thread with a stack far smaller than a default chunk of these
    // (96 x 128 KiB = 12 MiB): chunks must never be built on it. 4 MiB, not
    // less: an unoptimised build copies the element through a few frames.
    thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(|| {
            check::<2>();
            if !cfg!(miri) {
                check::<{ lazuli::queue::DEFAULT_CHUNK }>();
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn into_iter_yields_fifo_and_drops_the_rest() {
    let drops = DropCounter::new();
    let queue: Queue<_, 2> = (0..9).map(|i| drops.track(i)).collect();
    let mut iter = queue.into_iter();
    assert_eq!(iter.len(), 9);
    assert_eq!(iter.next().map(|t| t.value), Some(0));
    assert_eq!(iter.next().map(|t| t.value), Some(1));
    assert_eq!(iter.size_hint(), (7, Some(7)));
    drop(iter);
    assert_eq!(drops.get(), 9);
}

#[test]
fn from_iter_extend_and_into_iter_preserve_order() {
    let mut queue: Queue<i32, 3> = (0..10).collect();
    queue.extend(10..20);
    assert_eq!(queue.len(), 20);
    assert_eq!(
        queue.into_iter().collect::<Vec<_>>(),
        (0..20).collect::<Vec<_>>()
    );
}

#[test]
#[should_panic(expected = "Extend on a closed lazuli::Queue")]
fn extend_on_a_closed_queue_panics() {
    let mut queue: Queue<i32> = Queue::new();
    queue.close();
    queue.extend([1]);
}

#[test]
fn push_mut_and_pop_mut_interleave_with_shared_operations() {
    let mut queue: Queue<usize, 2> = Queue::with_chunk_size();
    let mut model = VecDeque::new();
    for i in 0..scaled(2_000) {
        match i % 5 {
            0 | 1 => {
                queue.push_mut(i).unwrap();
                model.push_back(i);
            }
            2 => {
                queue.push(i).unwrap();
                model.push_back(i);
            }
            3 => assert_eq!(queue.pop_mut(), model.pop_front()),
            _ => assert_eq!(queue.pop(), model.pop_front()),
        }
        assert_eq!(queue.len(), model.len());
    }
}

#[test]
fn close_refuses_pushes_but_keeps_elements() {
    let queue: Queue<String, 2> = Queue::with_chunk_size();
    queue.push("a".into()).unwrap();
    queue.push("b".into()).unwrap();
    queue.push("c".into()).unwrap();
    assert!(!queue.is_closed());
    assert!(queue.close(), "the first close closes");
    assert!(
        !queue.close(),
        "the second close reports it was closed already"
    );
    assert!(queue.is_closed());
    let err = queue.push("d".into()).unwrap_err();
    assert_eq!(err, PushError("d".to_string()));
    assert_eq!(err.into_inner(), "d");
    assert_eq!(queue.len(), 3);
    assert_eq!(queue.pop().as_deref(), Some("a"));
    assert_eq!(queue.pop().as_deref(), Some("b"));
    assert_eq!(queue.pop().as_deref(), Some("c"));
    assert_eq!(queue.pop(), None);
}

#[test]
fn close_on_a_new_queue_and_on_a_full_chunk() {
    let empty: Queue<u8> = Queue::new();
    assert!(empty.close());
    assert!(empty.push(1).is_err());
    assert_eq!(empty.len(), 0);

    let mut full: Queue<u8, 2> = Queue::with_chunk_size();
    full.push(1).unwrap();
    full.push(2).unwrap(); // the chunk is now full; the next push would link
    assert!(full.close());
    assert!(full.push(3).is_err());
    assert_eq!(full.push_mut(3), Err(PushError(3)));
    assert_eq!(full.len(), 2);
}

#[test]
fn exactly_one_concurrent_close_wins() {
    for _ in 0..scaled(200) {
        let queue = Arc::new(Queue::<u8>::new());
        let wins: usize = (0..4)
            .map(|_| {
                let queue = queue.clone();
                thread::spawn(move || queue.close())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap() as usize)
            .sum();
        assert_eq!(wins, 1, "exactly one close call may report closing");
    }
}

#[test]
fn pushes_racing_close_either_land_or_come_back() {
    for round in 0..scaled(200) {
        let queue = Arc::new(Queue::<usize, 2>::with_chunk_size());
        let pushers: Vec<_> = (0..3)
            .map(|t| {
                let queue = queue.clone();
                thread::spawn(move || {
                    let mut landed = Vec::new();
                    for i in 0..50 {
                        match queue.push(t * 1000 + i) {
                            Ok(()) => landed.push(t * 1000 + i),
                            Err(PushError(back)) => {
                                assert_eq!(back, t * 1000 + i, "the value comes back");
                                assert!(queue.is_closed(), "Err only after close");
                            }
                        }
                    }
                    landed
                })
            })
            .collect();
        thread::yield_now();
        queue.close();
        let mut landed: Vec<usize> = pushers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let mut popped: Vec<usize> = std::iter::from_fn(|| queue.pop()).collect();
        landed.sort_unstable();
        popped.sort_unstable();
        assert_eq!(
            popped, landed,
            "round {round}: what landed is exactly what pops"
        );
    }
}

#[test]
fn debug_needs_no_debug_bound() {
    struct Opaque;
    let queue: Queue<Opaque> = Queue::default();
    queue.push(Opaque).unwrap();
    assert_eq!(format!("{queue:?}"), "Queue { len: 1, closed: false, .. }");
    assert_eq!(format!("{:?}", PushError(Opaque)), "PushError(..)");
    assert_eq!(PushError(1).to_string(), "pushing into a closed queue");
}

#[test]
fn new_is_const_and_usable_in_a_static() {
    static QUEUE: Queue<u64> = Queue::new();
    QUEUE.push(5).unwrap();
    assert_eq!(QUEUE.pop(), Some(5));
}

#[test]
fn auto_traits_are_as_documented() {
    fn send_sync<T: Send + Sync>() {}
    fn unwind<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    send_sync::<Queue<String>>();
    // `Cell` is `Send` but not `Sync`: the queue is still both, because it
    // only ever moves elements between threads, never shares them.
    send_sync::<Queue<std::cell::Cell<u8>>>();
    unwind::<Queue<std::cell::Cell<u8>>>();
    send_sync::<PushError<u8>>();
}

/// `try_recv` reports `Closed` only once the queue is closed *and* drained:
/// a consumer polling it while producers push and then close receives every
/// element before its first `Closed`, and `Empty` never after it.
#[test]
fn try_recv_says_closed_only_after_every_element() {
    let n = scaled(20_000) as u64;
    let queue = Arc::new(Queue::new());
    let producer = {
        let queue = Arc::clone(&queue);
        thread::spawn(move || {
            for i in 0..n {
                queue.push(i).unwrap();
            }
            queue.close();
        })
    };
    let mut got = Vec::new();
    loop {
        match queue.try_recv() {
            Ok(v) => got.push(v),
            Err(lazuli::TryRecvError::Empty) => std::hint::spin_loop(),
            Err(lazuli::TryRecvError::Closed) => break,
        }
    }
    producer.join().unwrap();
    assert_eq!(
        got,
        (0..n).collect::<Vec<_>>(),
        "all elements, in order, before Closed"
    );
    assert_eq!(queue.try_recv(), Err(lazuli::TryRecvError::Closed));
}
