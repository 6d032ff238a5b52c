//! Queue workloads: `pairs` and `producers-consumers` (the other regimes are
//! in `queue_regimes.rs`), for `lazuli::Queue`
//! (default chunk size) against crossbeam's `SegQueue`, concurrent-queue, `Mutex<VecDeque>` and
//! `std::sync::mpsc`.
//!
//! - **pairs**: every thread pushes one element, then pops one. The queue
//!   starts empty and is never pre-filled, so it hovers near empty: this is the
//!   case where a chunked queue allocates and frees chunks if it keeps no spare.
//!   One operation is one push plus one pop.
//! - **producers-consumers**: `ceil(n/2)` threads only push, `floor(n/2)` only
//!   pop (at one thread, that thread alternates bursts of 16 pushes and 16
//!   pops). The queue starts empty. One operation is one element delivered, i.e.
//!   one successful pop. Producers keep the backlog under 65,536 elements: every
//!   64 pushes they add to a shared count and yield while the backlog is above
//!   the cap, so the figure is the sustained rate and memory stays bounded.
//! - `std::sync::mpsc` has one receiver. It runs producers-consumers only where
//!   the workload has one consumer (1 to 3 threads) and is reported as n/a
//!   elsewhere; pairs would need several receivers, so it is n/a throughout.
//!   It is never wrapped in a lock to fake a second receiver.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;

use crossbeam_utils::CachePadded;

use super::{Metric, Subject, Workload};
use crate::harness::{run_threads, Timing};

#[path = "../../../benches/queues/impls.rs"]
mod impls;
pub use impls::{BatchQueue, QueueUnderTest};

/// Most elements the producers let pile up in producers-consumers.
const BACKLOG_CAP: u64 = 1 << 16;
/// Producers publish their push count every this many pushes.
const FLOW_BATCH: u64 = 64;
/// Burst length of the single thread that alternates in producers-consumers.
const ALTERNATE_BURST: u64 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pairs,
    ProducersConsumers,
}

/// A queue with one type for every thread (all but `std::sync::mpsc`).
struct SharedQueue<Q> {
    name: &'static str,
    full_name: &'static str,
    lazuli: bool,
    make: fn() -> Q,
    kind: Kind,
}

impl<Q: QueueUnderTest> Subject for SharedQueue<Q> {
    subject_names_from_fields!();
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        // A fresh, empty queue for every point: no state leaks between points.
        let queue = (self.make)();
        match self.kind {
            Kind::Pairs => pairs(&queue, threads, timing),
            Kind::ProducersConsumers => {
                let ends = (0..threads).map(|_| Shared(&queue)).collect();
                producers_consumers(ends, timing)
            }
        }
    }
}

fn pairs<Q: QueueUnderTest>(queue: &Q, threads: usize, timing: Timing) -> f64 {
    let workers = (0..threads)
        .map(|_| {
            let mut next = 0u64;
            move || {
                next = next.wrapping_add(1);
                queue.push(next);
                black_box(queue.pop());
                1
            }
        })
        .collect();
    run_threads(workers, timing).mops()
}

/// One thread's handle on the queue in producers-consumers.
trait End: Send {
    fn push(&self, value: u64);
    fn pop(&self) -> Option<u64>;
}

struct Shared<'q, Q>(&'q Q);

impl<Q: QueueUnderTest> End for Shared<'_, Q> {
    #[inline]
    fn push(&self, value: u64) {
        self.0.push(value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
}

/// The roles of `n` threads: `ceil(n/2)` producers, then `floor(n/2)` consumers;
/// one thread alternates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Producer,
    Consumer,
    Alternating,
}

fn roles(threads: usize) -> Vec<Role> {
    if threads == 1 {
        return vec![Role::Alternating];
    }
    let producers = threads.div_ceil(2);
    (0..threads)
        .map(|i| {
            if i < producers {
                Role::Producer
            } else {
                Role::Consumer
            }
        })
        .collect()
}

/// Shared push/pop counts that bound the backlog (see the module doc).
#[derive(Default)]
struct Flow {
    pushed: CachePadded<AtomicU64>,
    popped: CachePadded<AtomicU64>,
}

impl Flow {
    fn backlog(&self) -> u64 {
        // memory ordering: an estimate that throttles producers; no data is
        // published through these counters, so Relaxed suffices.
        let pushed = self.pushed.load(Ordering::Relaxed);
        pushed.saturating_sub(self.popped.load(Ordering::Relaxed))
    }
}

fn producers_consumers<E: End>(ends: Vec<E>, timing: Timing) -> f64 {
    let flow = Flow::default();
    let threads = ends.len();
    let workers = ends
        .into_iter()
        .zip(roles(threads))
        .map(|(end, role)| {
            let flow = &flow;
            let mut next = 0u64;
            let mut unpublished_pops = 0u64;
            move || match role {
                Role::Producer => {
                    for _ in 0..FLOW_BATCH {
                        next = next.wrapping_add(1);
                        end.push(next);
                    }
                    // memory ordering: a statistic, see `Flow::backlog`.
                    flow.pushed.fetch_add(FLOW_BATCH, Ordering::Relaxed);
                    if flow.backlog() > BACKLOG_CAP {
                        thread::yield_now();
                    }
                    0
                }
                Role::Consumer => match end.pop() {
                    Some(value) => {
                        black_box(value);
                        unpublished_pops += 1;
                        if unpublished_pops == FLOW_BATCH {
                            // memory ordering: a statistic, see `Flow::backlog`.
                            flow.popped.fetch_add(FLOW_BATCH, Ordering::Relaxed);
                            unpublished_pops = 0;
                        }
                        1
                    }
                    None => {
                        std::hint::spin_loop();
                        0
                    }
                },
                Role::Alternating => {
                    for _ in 0..ALTERNATE_BURST {
                        next = next.wrapping_add(1);
                        end.push(next);
                    }
                    let mut delivered = 0;
                    for _ in 0..ALTERNATE_BURST {
                        delivered += u64::from(black_box(end.pop()).is_some());
                    }
                    delivered
                }
            }
        })
        .collect();
    run_threads(workers, timing).mops()
}

/// `std::sync::mpsc`: the producers hold `Sender` clones and the one consumer
/// holds the `Receiver`.
struct Mpsc {
    kind: Kind,
}

enum MpscEnd {
    Sender(mpsc::Sender<u64>),
    Receiver(mpsc::Receiver<u64>),
    Both(mpsc::Sender<u64>, mpsc::Receiver<u64>),
}

impl End for MpscEnd {
    #[inline]
    fn push(&self, value: u64) {
        match self {
            MpscEnd::Sender(tx) | MpscEnd::Both(tx, _) => {
                // Fails only once the consumer's thread has seen the end of the
                // run and dropped the receiver; nothing is counted after that.
                let _ = tx.send(value);
            }
            MpscEnd::Receiver(_) => unreachable!("roles() gives the receiver no pushes"),
        }
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        match self {
            MpscEnd::Receiver(rx) | MpscEnd::Both(_, rx) => rx.try_recv().ok(),
            MpscEnd::Sender(_) => unreachable!("roles() gives the senders no pops"),
        }
    }
}

const MPSC_ONE_RECEIVER: &str = "std::sync::mpsc has one receiver";

impl Subject for Mpsc {
    fn name(&self) -> &'static str {
        "mpsc"
    }
    fn full_name(&self) -> &'static str {
        "std::sync::mpsc::channel::<u64>() (one receiver: producers-consumers at 1-3 threads only)"
    }
    fn unsupported(&self, threads: usize) -> Option<&'static str> {
        let consumers = roles(threads)
            .iter()
            .filter(|r| **r != Role::Producer)
            .count();
        match self.kind {
            Kind::ProducersConsumers if consumers <= 1 => None,
            _ => Some(MPSC_ONE_RECEIVER),
        }
    }
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        assert!(self.unsupported(threads).is_none(), "{MPSC_ONE_RECEIVER}");
        let (tx, rx) = mpsc::channel();
        let mut rx = Some(rx);
        let ends = roles(threads)
            .into_iter()
            .map(|role| match role {
                Role::Producer => MpscEnd::Sender(tx.clone()),
                Role::Consumer => MpscEnd::Receiver(rx.take().expect("one consumer")),
                Role::Alternating => MpscEnd::Both(tx.clone(), rx.take().expect("one consumer")),
            })
            .collect();
        producers_consumers(ends, timing)
    }
}

fn subjects(kind: Kind) -> Vec<Box<dyn Subject>> {
    vec![
        Box::new(SharedQueue {
            name: "Queue",
            full_name: "lazuli::Queue<u64>",
            lazuli: true,
            make: lazuli::Queue::new,
            kind,
        }),
        Box::new(SharedQueue {
            name: "SegQueue",
            full_name: "crossbeam_queue::SegQueue<u64>",
            lazuli: false,
            make: crossbeam_queue::SegQueue::new,
            kind,
        }),
        Box::new(SharedQueue {
            name: "ConcurrentQueue",
            full_name: "concurrent_queue::ConcurrentQueue::<u64>::unbounded()",
            lazuli: false,
            make: concurrent_queue::ConcurrentQueue::unbounded,
            kind,
        }),
        Box::new(SharedQueue {
            name: "Mutex<VecDeque>",
            full_name: "std::sync::Mutex<std::collections::VecDeque<u64>>",
            lazuli: false,
            make: || Mutex::new(VecDeque::new()),
            kind,
        }),
        Box::new(Mpsc { kind }),
    ]
}

/// The queue group: these two, then the regimes of `queue_regimes.rs`.
pub fn workloads() -> Vec<Workload> {
    let mut all = vec![
        Workload {
            group: "queue",
            name: "pairs",
            about: "each thread pushes one element, then pops one; the queue starts empty \
                    (hovering near empty); op = push + pop",
            metric: Metric::Throughput,
            fixed_threads: None,
            subjects: subjects(Kind::Pairs),
        },
        Workload {
            group: "queue",
            name: "producers-consumers",
            about: "ceil(n/2) producers, floor(n/2) consumers (1 thread: alternating bursts \
                    of 16); starts empty, backlog capped at 65,536; op = one element delivered",
            metric: Metric::Throughput,
            fixed_threads: None,
            subjects: subjects(Kind::ProducersConsumers),
        },
    ];
    all.extend(super::queue_regimes::workloads());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_split_producers_and_consumers() {
        assert_eq!(roles(1), vec![Role::Alternating]);
        assert_eq!(roles(2), vec![Role::Producer, Role::Consumer]);
        assert_eq!(
            roles(3),
            vec![Role::Producer, Role::Producer, Role::Consumer]
        );
        assert_eq!(roles(8).iter().filter(|r| **r == Role::Consumer).count(), 4);
    }

    #[test]
    fn mpsc_runs_only_with_one_consumer() {
        let pc = Mpsc {
            kind: Kind::ProducersConsumers,
        };
        assert!(pc.unsupported(1).is_none());
        assert!(pc.unsupported(3).is_none());
        assert!(pc.unsupported(4).is_some());
        assert!(Mpsc { kind: Kind::Pairs }.unsupported(1).is_some());
    }
}
