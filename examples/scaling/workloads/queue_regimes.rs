//! Queue regimes beyond `pairs` and `producers-consumers` (issue 12): a
//! backlog, polling latency, and batches. Same peers as `queue.rs`.
//!
//! - **spsc-backlog** (2 threads): one producer, one consumer spinning on
//!   `pop`, with 1M elements pushed before the point starts. The producer
//!   yields while the backlog is above 2M. Op = one element delivered. Once
//!   a consumer faster than the producer has eaten the backlog, this becomes
//!   the starting-empty regime; the prefill is what a gateway sees after a
//!   stall.
//! - **ping-pong** (2 threads, latency): two queues; one thread pushes a
//!   token into the first and spins on `pop` of the second, the other
//!   spins on the first and pushes the token back. Reported: the median
//!   round trip over 2, in ns, i.e. how soon a consumer spinning on `pop`
//!   sees a push. No pause on the empty path can hide here.
//! - **batch32**: every thread pushes 32 elements and then pops up to 32.
//!   `Queue` uses `push_iter` and `pop_into` (one claim per batch);
//!   `SegQueue` and `ConcurrentQueue` have no batch calls and loop;
//!   `Mutex<VecDeque>` takes its lock once per batch (`extend`, `drain`).
//!   Op = one element popped.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use super::queue::{BatchQueue, QueueUnderTest};
use super::{Metric, Subject, Workload};
use crate::harness::{run_threads, Timing};

/// Elements pushed before a spsc-backlog point starts.
const PREFILL: u64 = 1 << 20;
/// The producer yields while the backlog is above this.
const BACKLOG_CAP: u64 = 2 << 20;
/// Elements per batch in batch32.
const BATCH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SpscBacklog,
    PingPong,
    Batch32,
}

struct Regime<Q> {
    name: &'static str,
    full_name: &'static str,
    lazuli: bool,
    make: fn() -> Q,
    kind: Kind,
}

impl<Q: BatchQueue + Send> Subject for Regime<Q> {
    subject_names_from_fields!();
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        match self.kind {
            Kind::SpscBacklog => spsc_backlog(&(self.make)(), timing),
            Kind::PingPong => ping_pong(&(self.make)(), &(self.make)(), timing),
            Kind::Batch32 => batch32(&(self.make)(), threads, timing),
        }
    }
}

fn spsc_backlog<Q: QueueUnderTest>(queue: &Q, timing: Timing) -> f64 {
    for i in 0..PREFILL {
        queue.push(i);
    }
    // memory ordering: throttling estimates only; no data travels here.
    let pushed = CachePadded::new(AtomicU64::new(PREFILL));
    let popped = CachePadded::new(AtomicU64::new(0));
    let (pushed, popped) = (&pushed, &popped);
    let mut next = PREFILL;
    let producer = move || {
        for _ in 0..64 {
            next += 1;
            queue.push(next);
        }
        let total = pushed.fetch_add(64, Ordering::Relaxed) + 64;
        if total.saturating_sub(popped.load(Ordering::Relaxed)) > BACKLOG_CAP {
            thread::yield_now();
        }
        0
    };
    let mut unpublished = 0;
    let consumer = move || match queue.pop() {
        Some(value) => {
            black_box(value);
            unpublished += 1;
            if unpublished == 64 {
                popped.fetch_add(64, Ordering::Relaxed);
                unpublished = 0;
            }
            1
        }
        None => {
            std::hint::spin_loop();
            0
        }
    };
    let workers: Vec<Box<dyn FnMut() -> u64 + Send>> = vec![Box::new(producer), Box::new(consumer)];
    run_threads(workers, timing).mops()
}

/// Median one-way latency, in ns, of a token bounced between two threads
/// through `there` and `back`.
fn ping_pong<Q: QueueUnderTest>(there: &Q, back: &Q, timing: Timing) -> f64 {
    let stop = AtomicBool::new(false);
    let mut trips: Vec<u64> = Vec::with_capacity(1 << 20);
    thread::scope(|s| {
        s.spawn(|| {
            // memory ordering: "keep going" only.
            while !stop.load(Ordering::Relaxed) {
                if let Some(token) = there.pop() {
                    back.push(token);
                } else {
                    std::hint::spin_loop();
                }
            }
        });
        let round = |token: u64| {
            there.push(token);
            loop {
                if let Some(got) = back.pop() {
                    return got;
                }
                std::hint::spin_loop();
            }
        };
        let warm_until = Instant::now() + timing.warmup;
        let mut token = 0;
        while Instant::now() < warm_until {
            token = round(token + 1);
        }
        let until = Instant::now() + timing.duration;
        loop {
            let start = Instant::now();
            if start >= until {
                break;
            }
            token = black_box(round(token + 1));
            trips.push(start.elapsed().as_nanos() as u64);
        }
        stop.store(true, Ordering::Relaxed);
    });
    if trips.is_empty() {
        return f64::NAN;
    }
    trips.sort_unstable();
    trips[trips.len() / 2] as f64 / 2.0
}

fn batch32<Q: BatchQueue>(queue: &Q, threads: usize, timing: Timing) -> f64 {
    let workers = (0..threads)
        .map(|t| {
            let mut next = (t as u64) << 48;
            let mut out = Vec::with_capacity(BATCH);
            move || {
                queue.push_batch(next..next + BATCH as u64);
                next += BATCH as u64;
                out.clear();
                let popped = queue.pop_batch(&mut out, BATCH);
                black_box(&out);
                popped as u64
            }
        })
        .collect();
    run_threads(workers, timing).mops()
}

fn subjects(kind: Kind) -> Vec<Box<dyn Subject>> {
    vec![
        Box::new(Regime {
            name: "Queue",
            full_name: "lazuli::Queue<u64> (batch32: push_iter / pop_into)",
            lazuli: true,
            make: lazuli::Queue::new,
            kind,
        }),
        Box::new(Regime {
            name: "SegQueue",
            full_name: "crossbeam_queue::SegQueue<u64>",
            lazuli: false,
            make: crossbeam_queue::SegQueue::new,
            kind,
        }),
        Box::new(Regime {
            name: "ConcurrentQueue",
            full_name: "concurrent_queue::ConcurrentQueue::<u64>::unbounded()",
            lazuli: false,
            make: concurrent_queue::ConcurrentQueue::unbounded,
            kind,
        }),
        Box::new(Regime {
            name: "Mutex<VecDeque>",
            full_name:
                "std::sync::Mutex<std::collections::VecDeque<u64>> (batch32: one lock per batch)",
            lazuli: false,
            make: || Mutex::new(VecDeque::new()),
            kind,
        }),
    ]
}

pub fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            group: "queue",
            name: "spsc-backlog",
            about: "1 producer + 1 consumer spinning on pop, 1M elements prefilled, backlog \
                    capped at 2M; op = one element delivered",
            metric: Metric::Throughput,
            fixed_threads: Some(2),
            subjects: subjects(Kind::SpscBacklog),
        },
        Workload {
            group: "queue",
            name: "ping-pong",
            about: "a token bounced between 2 threads through 2 queues, both spinning on pop; \
                    median one-way latency (round trip / 2)",
            metric: Metric::Latency,
            fixed_threads: Some(2),
            subjects: subjects(Kind::PingPong),
        },
        Workload {
            group: "queue",
            name: "batch32",
            about: "each thread pushes 32, then pops up to 32 (Queue: push_iter / pop_into; \
                    Mutex<VecDeque>: one lock per batch); op = one element popped",
            metric: Metric::Throughput,
            fixed_threads: None,
            subjects: subjects(Kind::Batch32),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_defaults_and_overrides_agree() {
        fn check<Q: BatchQueue>(queue: Q) {
            queue.push_batch(0..40);
            let mut out = Vec::new();
            assert_eq!(queue.pop_batch(&mut out, 32), 32);
            assert_eq!(queue.pop_batch(&mut out, 32), 8);
            assert_eq!(queue.pop_batch(&mut out, 32), 0);
            assert_eq!(out, (0..40).collect::<Vec<_>>());
        }
        check(lazuli::Queue::new());
        check(crossbeam_queue::SegQueue::new());
        check(concurrent_queue::ConcurrentQueue::unbounded());
        check(Mutex::new(VecDeque::new()));
    }

    #[test]
    fn ping_pong_reports_a_latency() {
        let timing = Timing {
            warmup: std::time::Duration::from_millis(1),
            duration: std::time::Duration::from_millis(5),
        };
        let ns = ping_pong(&lazuli::Queue::new(), &lazuli::Queue::new(), timing);
        assert!(ns.is_finite() && ns > 0.0, "{ns}");
    }
}
