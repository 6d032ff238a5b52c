//! `Queue<T>` memory: what it allocates, holds and gives back, counted by a
//! global allocator per thread (the test harness's own threads allocate
//! concurrently). Every test also takes `alloc::exclusive()`, so that epoch
//! garbage of one test is not freed inside another's measurement.

mod support;

use lazuli::Queue;
use support::alloc::{self, thread_allocations as allocations, thread_net_bytes};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Lets the epoch advance until deferred frees have run, and returns the live
/// bytes then. crossbeam-epoch keeps one node of its own garbage queue
/// circulating (freeing a node defers the free of another), so live bytes
/// oscillate by about 2 KiB between flushes: take the minimum.
fn settle_epoch() -> isize {
    (0..256)
        .map(|_| {
            crossbeam_epoch::pin().flush();
            thread_net_bytes()
        })
        .skip(128)
        .min()
        .unwrap()
}

#[test]
fn a_new_queue_allocates_nothing() {
    let _serial = alloc::exclusive();
    let before = allocations();
    let queue: Queue<u64> = Queue::new();
    let big: Queue<[u8; 131072]> = Queue::new();
    assert_eq!(allocations(), before, "Queue::new must not allocate");
    assert!(queue.is_empty() && big.is_empty() && queue.pop().is_none());
    assert_eq!(
        allocations(),
        before,
        "len/pop on a new queue must not allocate"
    );
}

#[test]
fn a_million_u64_cost_at_most_16_bytes_each() {
    let _serial = alloc::exclusive();
    let n = if cfg!(miri) { 2_000 } else { 1_000_000 };
    let before = thread_net_bytes();
    let mut queue: Queue<u64> = Queue::new();
    for i in 0..n as u64 {
        queue.push(i).unwrap();
    }
    let per_element = (thread_net_bytes() - before) as f64 / n as f64;
    println!("Queue<u64>: {per_element:.2} heap bytes per element at {n} elements");
    assert!(per_element <= 16.0, "{per_element:.2} B per u64 element");
    // And the &mut path gives the same layout.
    while queue.pop_mut().is_some() {}
}

/// Runs some epoch traffic and lets it settle, so that crossbeam-epoch's own
/// circulating garbage node exists before a baseline is taken, as it will
/// after the measured work.
fn settled_baseline() -> isize {
    let warm: Queue<u64> = Queue::new();
    for i in 0..if cfg!(miri) { 300 } else { 10_000 } {
        warm.push(i).unwrap();
    }
    while warm.pop().is_some() {}
    drop(warm);
    settle_epoch()
}

#[test]
fn a_drained_queue_retains_at_most_4_kib() {
    let _serial = alloc::exclusive();
    let before = settled_baseline();
    let queue: Queue<u64> = Queue::new();
    let n = if cfg!(miri) { 1_000 } else { 100_000 };
    for i in 0..n {
        queue.push(i).unwrap();
    }
    while queue.pop().is_some() {}
    // Before the epoch runs anything: garbage still queued counts too.
    let unsettled = thread_net_bytes() - before;
    let retained = settle_epoch() - before;
    drop(queue);
    let left = settle_epoch() - before;
    // Print only after measuring: captured output allocates on this thread.
    println!(
        "Queue<u64>: {unsettled} bytes retained after pushing and draining {n} \
         ({retained} once the epoch has settled)"
    );
    assert!(
        unsettled <= 4096,
        "{unsettled} bytes retained after a drain"
    );
    assert!(retained <= 4096, "{retained} bytes retained after a drain");
    assert!(
        left <= 64,
        "dropping the queue gives everything back, but {left} bytes remain"
    );
}

/// The "hovering near empty" workload: one push, one pop, forever. A
/// finished chunk goes to the spare slot as soon as its lap's last slot is
/// taken, and the next lap reuses it: no allocation at all once warm.
#[test]
fn steady_state_push_pop_near_empty_allocates_nothing() {
    let _serial = alloc::exclusive();
    let queue: Queue<u64> = Queue::new();
    let pairs = if cfg!(miri) { 2_000 } else { 1_000_000 };
    // Warm up: the first chunk and its successor.
    for i in 0..if cfg!(miri) { 300 } else { 10_000 } {
        queue.push(i).unwrap();
        queue.pop().unwrap();
    }
    let before = allocations();
    for i in 0..pairs {
        queue.push(i).unwrap();
        assert_eq!(queue.pop(), Some(i));
    }
    let allocated = allocations() - before;
    println!("steady state, one thread: {allocated} allocations in {pairs} push/pop pairs");
    assert_eq!(allocated, 0, "allocations in {pairs} pairs near empty");
}

/// Issue 12's churn workload: two threads alternate push and pop, 5M
/// operations each. The live heap must stay under 16 KiB (SegQueue: about
/// 1.3 KB; this queue before chunks were recycled at once: 137 KB).
///
/// Chunks are never freed while the queue hovers near empty: a finished one
/// becomes a spare, and a chunk that a preempted thread still held at its
/// lap's end joins the spares later. The working set (the current chunk, the
/// next, three spares) grows to its bound at the first shortage after the
/// first lap (`Queue::stock_spares`), so the queue allocates only during
/// the warm-up, however long it runs: the test counts every allocation from
/// the first push on and allows 8, and prints the allocations of the
/// measured phase (0 in 30 runs out of 30 on the development VM; before the
/// spares were stocked at once, the last chunk allocation came as late as
/// 8·10⁶ pairs in). Before issue 12 the same workload allocated a chunk per
/// 126 pairs.
///
/// The two threads live through a warm-up and the measured phase, with
/// barriers between, so that what spawning a thread allocates is not
/// counted, and they exit only after the counters are read (an exiting
/// thread hands its epoch bag to the global queue, which allocates). A
/// thread's first epoch pin registers it with crossbeam-epoch (one
/// allocation for the thread's life); lap-end helpers pin, so each thread
/// pins once first.
#[test]
fn two_threads_churning_near_empty_stay_under_16_kib_and_stop_allocating() {
    let _serial = alloc::exclusive();
    let ops: u64 = if cfg!(miri) { 2_000 } else { 5_000_000 };
    let queue: Queue<u64> = Queue::new();
    let phase = std::sync::Barrier::new(3);
    let churn = |t: u64, n: u64| {
        for i in 0..n / 2 {
            queue.push(t << 32 | i).unwrap();
            assert!(
                queue.pop().is_some(),
                "a pop after our own push found nothing"
            );
        }
    };
    let (total, measured, peak) = std::thread::scope(|s| {
        for t in 0..2u64 {
            let (phase, churn) = (&phase, &churn);
            s.spawn(move || {
                drop(crossbeam_epoch::pin());
                phase.wait(); // registered
                phase.wait(); // counters taken
                churn(t, if cfg!(miri) { 2_000 } else { 10_000_000 });
                phase.wait(); // warm
                phase.wait(); // counters taken
                churn(t, ops);
                // Done. A thread's exit hands its epoch bag to the global
                // queue (an allocation): not before the counters are read.
                phase.wait();
                phase.wait(); // counters taken
            });
        }
        phase.wait();
        let first = alloc::allocations();
        phase.wait();
        phase.wait();
        let before_bytes = alloc::live_bytes();
        let before = alloc::allocations();
        alloc::reset_peak();
        phase.wait();
        phase.wait();
        let end = alloc::allocations();
        let peak = alloc::peak_bytes().saturating_sub(before_bytes);
        phase.wait();
        (end - first, end - before, peak)
    });
    println!(
        "two threads, {ops} ops each after a warm-up: {measured} allocations \
         ({total} since the first push), peak heap growth {peak} B"
    );
    assert!(
        peak <= 16 * 1024,
        "peak heap growth {peak} B while churning"
    );
    // On an idle machine: 0 in the measured phase, 3 to 6 since the first
    // push. A thread preempted while it holds a chunk may finish it after
    // the spares are full, so that chunk is freed and a later one is
    // allocated: with other work on the same cores (a build beside CI's
    // tests) 11 to 13 were seen since the first push, still 0 in the
    // measured phase. So run this on otherwise idle cores, as CI does.
    assert_eq!(
        measured, 0,
        "{measured} allocations in steady state: the working set should stop growing"
    );
    assert!(
        total <= 8,
        "{total} allocations since the first push: the working set should stop growing"
    );
    assert!(queue.is_empty());
}

#[test]
fn the_mut_path_recycles_without_the_epoch() {
    let _serial = alloc::exclusive();
    let mut queue: Queue<u64, 4> = Queue::with_chunk_size();
    // Warm up: the first chunk, and the second one that the spare replaces.
    for i in 0..8 {
        queue.push_mut(i).unwrap();
        queue.pop_mut().unwrap();
    }
    let before = allocations();
    for i in 0..if cfg!(miri) { 300 } else { 10_000 } {
        queue.push_mut(i).unwrap();
        queue.pop_mut().unwrap();
    }
    assert_eq!(
        allocations(),
        before,
        "push_mut/pop_mut near empty must not allocate"
    );
}
