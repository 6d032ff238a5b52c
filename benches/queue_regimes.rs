//! Criterion benchmarks of the queue regimes of issue 12, `lazuli::Queue`
//! against crossbeam's `SegQueue`:
//!
//! - `queue/batch32`: each of 1 or 2 threads pushes 32 elements and pops 32;
//!   `Queue` uses `push_iter` / `pop_into`, `SegQueue` loops. One element =
//!   one push + one pop.
//! - `queue/spsc-backlog`: one producer and one consumer with 1M elements
//!   queued before the clock starts; the consumer spins on `pop` until it has
//!   taken the producer's share. One element = one element delivered.
//! - `queue/ping-pong`: a token bounced between two threads through two
//!   queues, both sides spinning on `pop`. One element = one round trip.
//!
//! The interleaved, fixed-duration comparison with medians and spreads is the
//! scaling example: `cargo run --release --example scaling -- --only queue`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

const BATCH: u64 = 32;
const PREFILL: u64 = 1 << 20;

/// What the benchmarks need from a queue.
trait BenchQueue: Sync {
    fn push(&self, value: u64);
    fn pop(&self) -> Option<u64>;
    fn push_batch(&self, values: std::ops::Range<u64>) {
        for value in values {
            self.push(value);
        }
    }
    fn pop_batch(&self, out: &mut Vec<u64>, max: usize) -> usize {
        let before = out.len();
        while out.len() - before < max {
            match self.pop() {
                Some(value) => out.push(value),
                None => break,
            }
        }
        out.len() - before
    }
}

impl BenchQueue for lazuli::Queue<u64> {
    fn push(&self, value: u64) {
        // Never closed, so every push succeeds.
        let pushed = lazuli::Queue::push(self, value);
        debug_assert!(pushed.is_ok());
    }
    fn pop(&self) -> Option<u64> {
        lazuli::Queue::pop(self)
    }
    fn push_batch(&self, values: std::ops::Range<u64>) {
        let pushed = self.push_iter(values);
        debug_assert!(pushed.is_ok());
    }
    fn pop_batch(&self, out: &mut Vec<u64>, max: usize) -> usize {
        self.pop_into(out, max)
    }
}

impl BenchQueue for crossbeam_queue::SegQueue<u64> {
    fn push(&self, value: u64) {
        crossbeam_queue::SegQueue::push(self, value)
    }
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::SegQueue::pop(self)
    }
}

/// Runs the jobs on their own threads, released together; times from the
/// release to the last join.
fn timed<F: FnOnce() + Send>(jobs: Vec<F>) -> Duration {
    let barrier = Barrier::new(jobs.len() + 1);
    thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    job();
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        for handle in handles {
            handle.join().expect("a benchmark thread panicked");
        }
        start.elapsed()
    })
}

fn batch32<Q: BenchQueue>(queue: &Q, threads: usize, iters: u64) -> Duration {
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

fn spsc_backlog<Q: BenchQueue>(queue: &Q, iters: u64) -> Duration {
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

fn ping_pong<Q: BenchQueue>(there: &Q, back: &Q, iters: u64) -> Duration {
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

fn regimes<Q: BenchQueue>(c: &mut Criterion, name: &str, make: fn() -> Q) {
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

/// In a private module so that the generated `pub fn benches` needs no docs.
mod group {
    use super::*;

    criterion_group! {
        name = benches;
        config = Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        targets = queue_regimes
    }
}
criterion_main!(group::benches);
