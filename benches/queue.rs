//! Criterion benchmarks of `lazuli::Queue` against crossbeam's `SegQueue`,
//! concurrent-queue (unbounded), `Mutex<VecDeque>` and `std::sync::mpsc`, at 1,
//! 2, 4 and 8 threads, with throughput in elements.
//!
//! - `queue/pairs`: every thread pushes one element, then pops one, on a queue
//!   that starts empty (it hovers near empty). One element = one push + pop.
//! - `queue/producers-consumers`: `ceil(n/2)` producers push their share of the
//!   elements and `floor(n/2)` consumers pop until they have taken theirs; one
//!   thread alternates bursts of 16 pushes and 16 pops. One element = one
//!   element delivered.
//! - `std::sync::mpsc` has a single receiver, so it runs producers-consumers
//!   only where there is one consumer (1 and 2 threads) and no pairs at all.
//!
//! - `queue/batch32` (1 and 2 threads), `queue/spsc-backlog` and
//!   `queue/ping-pong`: the regimes of issue 12, `Queue` against `SegQueue`
//!   only. batch32: each thread pushes 32 and pops 32 (`Queue`: `push_iter`
//!   / `pop_into`; `SegQueue` loops). spsc-backlog: one producer, one
//!   consumer spinning on `pop`, 1M elements queued before the clock
//!   starts. ping-pong: a token bounced between two threads through two
//!   queues; one element = one round trip.
//!
//! Threads are spawned per sample and released by a barrier; the clock runs
//! from the barrier to the last join. For the fixed-duration, interleaved
//! comparison across all structures, run the scaling example instead:
//! `cargo run --release --example scaling -- --only queue`.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};

mod common;
#[path = "queues/impls.rs"]
mod impls;

use common::{bench_each_thread_count, share, timed, Group, THREADS};
use impls::{BatchQueue, QueueUnderTest};

const ALTERNATE_BURST: u64 = 16;
const BATCH: u64 = 32;
const PREFILL: u64 = 1 << 20;

fn pairs<Q: QueueUnderTest>(queue: &Q, threads: usize, iters: u64) -> Duration {
    let jobs = (0..threads)
        .map(|i| {
            move || {
                for value in 0..share(iters, threads, i) {
                    queue.push(value);
                    black_box(queue.pop());
                }
            }
        })
        .collect();
    timed(jobs)
}

fn alternate(mut push: impl FnMut(u64), mut pop: impl FnMut() -> Option<u64>, iters: u64) {
    let mut left = iters;
    while left > 0 {
        let burst = left.min(ALTERNATE_BURST);
        for value in 0..burst {
            push(value);
        }
        for _ in 0..burst {
            black_box(pop().expect("one thread pops what it pushed"));
        }
        left -= burst;
    }
}

fn producers_consumers<Q: QueueUnderTest>(queue: &Q, threads: usize, iters: u64) -> Duration {
    if threads == 1 {
        return timed(vec![move || {
            alternate(|v| queue.push(v), || queue.pop(), iters)
        }]);
    }
    let producers = threads.div_ceil(2);
    let consumers = threads - producers;
    let jobs: Vec<Box<dyn FnOnce() + Send + '_>> = (0..producers)
        .map(|i| -> Box<dyn FnOnce() + Send + '_> {
            Box::new(move || {
                for value in 0..share(iters, producers, i) {
                    queue.push(value);
                }
            })
        })
        .chain((0..consumers).map(|i| -> Box<dyn FnOnce() + Send + '_> {
            Box::new(move || {
                let mut left = share(iters, consumers, i);
                while left > 0 {
                    match queue.pop() {
                        Some(v) => {
                            black_box(v);
                            left -= 1;
                        }
                        None => std::hint::spin_loop(),
                    }
                }
            })
        }))
        .collect();
    timed(jobs)
}

/// Producers-consumers over `std::sync::mpsc`; only with one consumer.
fn mpsc_producers_consumers(threads: usize, iters: u64) -> Duration {
    let (tx, rx) = mpsc::channel::<u64>();
    if threads == 1 {
        return timed(vec![move || {
            alternate(
                |v| tx.send(v).expect("receiver alive"),
                || rx.try_recv().ok(),
                iters,
            )
        }]);
    }
    let producers = threads - 1;
    let mut jobs: Vec<Box<dyn FnOnce() + Send>> = (0..producers)
        .map(|i| -> Box<dyn FnOnce() + Send> {
            let tx = tx.clone();
            Box::new(move || {
                for value in 0..share(iters, producers, i) {
                    tx.send(value).expect("receiver alive");
                }
            })
        })
        .collect();
    jobs.push(Box::new(move || {
        // try_recv and spin, as the other consumers do with pop: no parking.
        let mut left = iters;
        while left > 0 {
            match rx.try_recv() {
                Ok(v) => {
                    black_box(v);
                    left -= 1;
                }
                Err(_) => std::hint::spin_loop(),
            }
        }
    }));
    drop(tx);
    timed(jobs)
}

type Workload<Q> = fn(&Q, usize, u64) -> Duration;

fn bench_shared<Q: QueueUnderTest>(
    group: &mut Group<'_>,
    name: &str,
    make: fn() -> Q,
    workload: Workload<Q>,
) {
    bench_each_thread_count(group, name, |threads, iters| {
        workload(&make(), threads, iters)
    });
}

/// One criterion group per workload, throughput counted in elements.
fn bench_all(c: &mut Criterion, group_name: &str, add: impl FnOnce(&mut Group<'_>)) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(1));
    add(&mut group);
    group.finish();
}

fn queue_pairs(c: &mut Criterion) {
    bench_all(c, "queue/pairs", |g| {
        bench_shared(g, "lazuli::Queue", lazuli::Queue::new, pairs);
        bench_shared(g, "SegQueue", crossbeam_queue::SegQueue::new, pairs);
        bench_shared(
            g,
            "ConcurrentQueue",
            concurrent_queue::ConcurrentQueue::unbounded,
            pairs,
        );
        bench_shared(g, "Mutex<VecDeque>", || Mutex::new(VecDeque::new()), pairs);
        // std::sync::mpsc: n/a, one receiver cannot serve every thread's pops.
    });
}

fn queue_producers_consumers(c: &mut Criterion) {
    bench_all(c, "queue/producers-consumers", |g| {
        bench_shared(g, "lazuli::Queue", lazuli::Queue::new, producers_consumers);
        bench_shared(
            g,
            "SegQueue",
            crossbeam_queue::SegQueue::new,
            producers_consumers,
        );
        bench_shared(
            g,
            "ConcurrentQueue",
            concurrent_queue::ConcurrentQueue::unbounded,
            producers_consumers,
        );
        bench_shared(
            g,
            "Mutex<VecDeque>",
            || Mutex::new(VecDeque::new()),
            producers_consumers,
        );
        // std::sync::mpsc: only where the workload has a single consumer.
        for threads in THREADS.into_iter().filter(|t| t / 2 <= 1) {
            g.bench_with_input(
                BenchmarkId::new("mpsc", threads),
                &threads,
                |b, &threads| b.iter_custom(|iters| mpsc_producers_consumers(threads, iters)),
            );
        }
    });
}

fn batch32<Q: BatchQueue>(queue: &Q, threads: usize, iters: u64) -> Duration {
    let batches = iters.div_ceil(BATCH).div_ceil(threads as u64);
    let jobs = (0..threads)
        .map(|_| {
            move || {
                let mut out = Vec::with_capacity(BATCH as usize);
                for b in 0..batches {
                    queue.push_batch(b * BATCH..(b + 1) * BATCH);
                    out.clear();
                    black_box(queue.pop_batch(&mut out, BATCH as usize));
                }
            }
        })
        .collect();
    timed(jobs)
}

fn spsc_backlog<Q: QueueUnderTest>(queue: &Q, iters: u64) -> Duration {
    for value in 0..PREFILL {
        queue.push(value);
    }
    let producer: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
        for value in 0..iters {
            queue.push(value);
        }
    });
    let consumer: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
        let mut taken = 0;
        while taken < iters {
            match queue.pop() {
                Some(value) => {
                    black_box(value);
                    taken += 1;
                }
                None => std::hint::spin_loop(),
            }
        }
    });
    timed(vec![producer, consumer])
}

fn ping_pong<Q: QueueUnderTest>(there: &Q, back: &Q, iters: u64) -> Duration {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            // memory ordering: "keep going" only.
            while !stop.load(Ordering::Relaxed) {
                match there.pop() {
                    Some(token) => back.push(token),
                    None => std::hint::spin_loop(),
                }
            }
        });
        let start = Instant::now();
        for token in 0..iters {
            there.push(token);
            while back.pop().is_none() {
                std::hint::spin_loop();
            }
        }
        let elapsed = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        elapsed
    })
}

fn regimes<Q: BatchQueue>(c: &mut Criterion, name: &str, make: fn() -> Q) {
    let mut group = c.benchmark_group("queue/batch32");
    group.throughput(Throughput::Elements(1));
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &t| {
            b.iter_custom(|iters| batch32(&make(), t, iters))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("queue/spsc-backlog");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| spsc_backlog(&make(), iters))
    });
    group.finish();
    let mut group = c.benchmark_group("queue/ping-pong");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter_custom(|iters| ping_pong(&make(), &make(), iters))
    });
    group.finish();
}

fn queue_regimes(c: &mut Criterion) {
    regimes(c, "lazuli::Queue", lazuli::Queue::new);
    regimes(c, "SegQueue", crossbeam_queue::SegQueue::new);
}

common::bench_main!(queue_pairs, queue_producers_consumers, queue_regimes);
