//! Readiness-signal workloads: `lazuli::Queue::recv().await` against tokio's
//! `mpsc::unbounded_channel`, async-channel (unbounded) and flume (unbounded).
//!
//! - **async-recv** (throughput): `ceil(n/2)` producer threads push (plain,
//!   synchronous sends) while `floor(n/2)` consumer tasks on a tokio
//!   multi-thread runtime with `floor(n/2)` workers loop on `recv().await`. At
//!   one thread, a current-thread runtime runs one producer task (bursts of 16
//!   sends, then `yield_now`) and one consumer task. The backlog is capped at
//!   65,536 as in the queue's producers-consumers. One operation is one element
//!   received. Consumers count only what arrives while the measured phase is
//!   on, and the window is the main thread's `MEASURE`-to-`STOP` interval.
//!   tokio's mpsc has one receiver, so it runs only where there is one
//!   consumer (1 to 3 threads).
//! - **wake-latency** (latency): one producer thread and one consumer task on a
//!   one-worker runtime. The producer waits until the consumer has handled the
//!   previous element, sleeps 50 µs so that the consumer is surely parked in
//!   `recv().await`, then pushes the current time; the consumer records the
//!   time from that push to its resumption. The point's value is the median
//!   over the run. It uses exactly two threads, so it runs at x2 whatever
//!   `--threads` says.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::{Metric, Subject, Workload};
use crate::harness::Timing;

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;
const BACKLOG_CAP: u64 = 1 << 16;
const FLOW_BATCH: u64 = 64;
const ALTERNATE_BURST: u64 = 16;
const LATENCY_GAP: Duration = Duration::from_micros(50);

/// Shared by the producers, the consumers and the main thread of one point.
struct Ctx {
    phase: CachePadded<AtomicU8>,
    pushed: CachePadded<AtomicU64>,
    popped: CachePadded<AtomicU64>,
    /// Latency: the count of elements the consumer has handled.
    handled: CachePadded<AtomicU64>,
    base: Instant,
}

impl Ctx {
    fn new() -> Arc<Ctx> {
        Arc::new(Ctx {
            phase: CachePadded::new(AtomicU8::new(WARMUP)),
            pushed: CachePadded::default(),
            popped: CachePadded::default(),
            handled: CachePadded::default(),
            base: Instant::now(),
        })
    }
    fn phase(&self) -> u8 {
        // memory ordering: "keep going" only; results travel through joins.
        self.phase.load(Ordering::Relaxed)
    }
    fn now_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
    fn backlog(&self) -> u64 {
        // memory ordering: a throttling estimate; publishes no data.
        let pushed = self.pushed.load(Ordering::Relaxed);
        pushed.saturating_sub(self.popped.load(Ordering::Relaxed))
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// An async MPMC (or MPSC) channel of `u64`.
trait Channel: 'static {
    const NAME: &'static str;
    const FULL_NAME: &'static str;
    const LAZULI: bool = false;
    /// How many consumers it can serve.
    const MAX_CONSUMERS: usize = usize::MAX;
    type Tx: Send + 'static;
    type Rx: Send + 'static;
    fn channel() -> (Self::Tx, Self::Rx);
    fn clone_tx(tx: &Self::Tx) -> Self::Tx;
    /// Only called when `MAX_CONSUMERS` allows a second consumer.
    fn clone_rx(rx: &Self::Rx) -> Self::Rx;
    fn send(tx: &Self::Tx, value: u64);
    /// A producer is done after `STOP`: wake consumers that wait for nothing.
    fn finish(tx: Self::Tx);
    /// Receives until the end; returns the elements received while measuring.
    fn count(rx: Self::Rx, ctx: Arc<Ctx>) -> BoxFuture<u64>;
    /// Receives timestamps; returns the push-to-resume latencies measured.
    fn latencies(rx: Self::Rx, ctx: Arc<Ctx>) -> BoxFuture<Vec<u64>>;
}

/// The two consumer loops, written once for every channel's `recv` expression.
macro_rules! consumer_loops {
    ($rx:ident, $recv:expr) => {
        fn count($rx: Self::Rx, ctx: Arc<Ctx>) -> BoxFuture<u64> {
            Box::pin(async move {
                // Only some receivers need `&mut self` to receive.
                #[allow(unused_mut)]
                let mut $rx = $rx;
                let (mut ops, mut unpublished) = (0u64, 0u64);
                while let Some(value) = $recv {
                    black_box(value);
                    unpublished += 1;
                    if unpublished == FLOW_BATCH {
                        // memory ordering: a statistic, see `Ctx::backlog`.
                        ctx.popped.fetch_add(FLOW_BATCH, Ordering::Relaxed);
                        unpublished = 0;
                    }
                    match ctx.phase() {
                        MEASURE => ops += 1,
                        STOP => break,
                        _ => {}
                    }
                }
                ops
            })
        }
        fn latencies($rx: Self::Rx, ctx: Arc<Ctx>) -> BoxFuture<Vec<u64>> {
            Box::pin(async move {
                #[allow(unused_mut)]
                let mut $rx = $rx;
                let mut latencies = Vec::with_capacity(1 << 14);
                while let Some(stamp) = $recv {
                    let latency = ctx.now_ns().saturating_sub(stamp);
                    match ctx.phase() {
                        MEASURE => latencies.push(latency),
                        STOP => break,
                        _ => {}
                    }
                    // memory ordering: Release pairs with the producer's Acquire
                    // load, so the next stamp is pushed after this one is done.
                    ctx.handled.fetch_add(1, Ordering::Release);
                }
                latencies
            })
        }
    };
}

struct Lazuli;

impl Channel for Lazuli {
    const NAME: &'static str = "Queue";
    const FULL_NAME: &'static str = "lazuli::Queue<u64> (recv().await)";
    const LAZULI: bool = true;
    type Tx = Arc<lazuli::Queue<u64>>;
    type Rx = Arc<lazuli::Queue<u64>>;
    fn channel() -> (Self::Tx, Self::Rx) {
        let queue = Arc::new(lazuli::Queue::new());
        (Arc::clone(&queue), queue)
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        Arc::clone(tx)
    }
    fn clone_rx(rx: &Self::Rx) -> Self::Rx {
        Arc::clone(rx)
    }
    fn send(tx: &Self::Tx, value: u64) {
        // Fails only after `finish` closed the queue, past the measured phase.
        let _ = tx.push(value);
    }
    fn finish(tx: Self::Tx) {
        tx.close();
    }
    consumer_loops!(rx, rx.recv().await);
}

struct TokioMpsc;

impl Channel for TokioMpsc {
    const NAME: &'static str = "tokio-mpsc";
    const FULL_NAME: &'static str =
        "tokio::sync::mpsc::unbounded_channel::<u64>() (one receiver: 1-3 threads)";
    const MAX_CONSUMERS: usize = 1;
    type Tx = tokio::sync::mpsc::UnboundedSender<u64>;
    type Rx = tokio::sync::mpsc::UnboundedReceiver<u64>;
    fn channel() -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::unbounded_channel()
    }
    fn clone_tx(tx: &Self::Tx) -> Self::Tx {
        tx.clone()
    }
    fn clone_rx(_: &Self::Rx) -> Self::Rx {
        unreachable!("MAX_CONSUMERS is 1")
    }
    fn send(tx: &Self::Tx, value: u64) {
        // Fails only once the consumer has stopped, past the measured phase.
        let _ = tx.send(value);
    }
    fn finish(tx: Self::Tx) {
        drop(tx);
    }
    consumer_loops!(rx, rx.recv().await);
}

/// Implements [`Channel`] as `$chan` for the unbounded channel of crate
/// `$krate`, whose halves are cloned for each producer and consumer:
/// `$send` sends, `$recv` receives.
macro_rules! cloned_halves_channel {
    ($chan:ident, $name:literal, $full_name:literal, $krate:ident, $send:ident, $recv:ident) => {
        struct $chan;

        impl Channel for $chan {
            const NAME: &'static str = $name;
            const FULL_NAME: &'static str = $full_name;
            type Tx = $krate::Sender<u64>;
            type Rx = $krate::Receiver<u64>;
            fn channel() -> (Self::Tx, Self::Rx) {
                $krate::unbounded()
            }
            fn clone_tx(tx: &Self::Tx) -> Self::Tx {
                tx.clone()
            }
            fn clone_rx(rx: &Self::Rx) -> Self::Rx {
                rx.clone()
            }
            fn send(tx: &Self::Tx, value: u64) {
                // Unbounded, so never full; fails only once every receiver
                // is gone, past the measured phase.
                let _ = tx.$send(value);
            }
            fn finish(tx: Self::Tx) {
                drop(tx);
            }
            consumer_loops!(rx, rx.$recv().await.ok());
        }
    };
}

cloned_halves_channel!(
    AsyncChannel,
    "async-channel",
    "async_channel::unbounded::<u64>()",
    async_channel,
    try_send,
    recv
);
cloned_halves_channel!(
    Flume,
    "flume",
    "flume::unbounded::<u64>() (recv_async)",
    flume,
    send,
    recv_async
);

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .expect("cannot start a tokio runtime")
}

/// Runs the main thread's side of a point: warm-up, measured phase, stop.
/// Returns the measured window.
fn drive(ctx: &Ctx, timing: Timing) -> Duration {
    thread::sleep(timing.warmup);
    ctx.phase.store(MEASURE, Ordering::Relaxed);
    let start = Instant::now();
    thread::sleep(timing.duration);
    ctx.phase.store(STOP, Ordering::Relaxed);
    start.elapsed()
}

fn producer_thread<C: Channel>(tx: C::Tx, ctx: Arc<Ctx>) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut next = 0u64;
        while ctx.phase() != STOP {
            for _ in 0..FLOW_BATCH {
                next += 1;
                C::send(&tx, next);
            }
            // memory ordering: a statistic, see `Ctx::backlog`.
            ctx.pushed.fetch_add(FLOW_BATCH, Ordering::Relaxed);
            if ctx.backlog() > BACKLOG_CAP {
                thread::yield_now();
            }
        }
        C::finish(tx);
    })
}

fn async_recv<C: Channel>(threads: usize, timing: Timing) -> f64 {
    let ctx = Ctx::new();
    let (tx, rx) = C::channel();
    if threads == 1 {
        // One thread: a producer task and a consumer task take turns.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("cannot start a tokio runtime");
        let worker_ctx = Arc::clone(&ctx);
        let worker = thread::spawn(move || {
            rt.block_on(async move {
                let consumer = tokio::spawn(C::count(rx, Arc::clone(&worker_ctx)));
                let mut next = 0u64;
                while worker_ctx.phase() != STOP {
                    for _ in 0..ALTERNATE_BURST {
                        next += 1;
                        C::send(&tx, next);
                    }
                    tokio::task::yield_now().await;
                }
                C::finish(tx);
                consumer.await.expect("consumer task panicked")
            })
        });
        let window = drive(&ctx, timing);
        let ops = worker.join().expect("runtime thread panicked");
        return ops as f64 / window.as_secs_f64() / 1e6;
    }
    let producers = threads.div_ceil(2);
    let consumers = threads / 2;
    let rt = runtime(consumers);
    let mut rxs = vec![rx];
    while rxs.len() < consumers {
        rxs.push(C::clone_rx(&rxs[0]));
    }
    let tasks: Vec<_> = rxs
        .into_iter()
        .map(|rx| rt.spawn(C::count(rx, Arc::clone(&ctx))))
        .collect();
    let mut txs: Vec<C::Tx> = (1..producers).map(|_| C::clone_tx(&tx)).collect();
    txs.push(tx);
    let handles: Vec<_> = txs
        .into_iter()
        .map(|tx| producer_thread::<C>(tx, Arc::clone(&ctx)))
        .collect();
    let window = drive(&ctx, timing);
    for h in handles {
        h.join().expect("producer thread panicked");
    }
    let ops: u64 = rt.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.expect("consumer task panicked");
        }
        sum
    });
    ops as f64 / window.as_secs_f64() / 1e6
}

fn wake_latency<C: Channel>(timing: Timing) -> f64 {
    let ctx = Ctx::new();
    let (tx, rx) = C::channel();
    let rt = runtime(1);
    let consumer = rt.spawn(C::latencies(rx, Arc::clone(&ctx)));
    let producer_ctx = Arc::clone(&ctx);
    let producer = thread::spawn(move || {
        let mut sent = 0u64;
        'run: while producer_ctx.phase() != STOP {
            // memory ordering: Acquire pairs with the consumer's Release.
            while producer_ctx.handled.load(Ordering::Acquire) < sent {
                if producer_ctx.phase() == STOP {
                    break 'run;
                }
                thread::yield_now();
            }
            thread::sleep(LATENCY_GAP);
            C::send(&tx, producer_ctx.now_ns());
            sent += 1;
        }
        C::finish(tx);
    });
    drive(&ctx, timing);
    producer.join().expect("producer thread panicked");
    let mut latencies = rt.block_on(consumer).expect("consumer task panicked");
    if latencies.is_empty() {
        return f64::NAN;
    }
    latencies.sort_unstable();
    latencies[latencies.len() / 2] as f64
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    AsyncRecv,
    WakeLatency,
}

struct ChannelSubject<C> {
    kind: Kind,
    _channel: std::marker::PhantomData<C>,
}

impl<C: Channel> Subject for ChannelSubject<C> {
    fn name(&self) -> &'static str {
        C::NAME
    }
    fn full_name(&self) -> &'static str {
        C::FULL_NAME
    }
    fn is_lazuli(&self) -> bool {
        C::LAZULI
    }
    fn unsupported(&self, threads: usize) -> Option<&'static str> {
        match self.kind {
            Kind::AsyncRecv if (threads / 2).max(1) > C::MAX_CONSUMERS => {
                Some("tokio's mpsc has one receiver")
            }
            _ => None,
        }
    }
    fn measure(&mut self, threads: usize, timing: Timing) -> f64 {
        match self.kind {
            Kind::AsyncRecv => async_recv::<C>(threads, timing),
            // Defined at two threads: `fixed_threads: Some(2)`.
            Kind::WakeLatency => wake_latency::<C>(timing),
        }
    }
}

fn subjects(kind: Kind) -> Vec<Box<dyn Subject>> {
    fn one<C: Channel>(kind: Kind) -> Box<dyn Subject> {
        Box::new(ChannelSubject::<C> {
            kind,
            _channel: std::marker::PhantomData,
        })
    }
    vec![
        one::<Lazuli>(kind),
        one::<TokioMpsc>(kind),
        one::<AsyncChannel>(kind),
        one::<Flume>(kind),
    ]
}

pub fn workloads() -> Vec<Workload> {
    vec![
        Workload {
            group: "signal",
            name: "async-recv",
            about: "ceil(n/2) producer threads, floor(n/2) consumer tasks on recv().await \
                    (1 thread: producer and consumer tasks on one runtime thread); \
                    op = one element received",
            metric: Metric::Throughput,
            fixed_threads: None,
            subjects: subjects(Kind::AsyncRecv),
        },
        Workload {
            group: "signal",
            name: "wake-latency",
            about: "push-to-resume time of a task parked in recv().await, one producer \
                    thread, one-worker runtime (always x2); median over the run",
            metric: Metric::Latency,
            fixed_threads: Some(2),
            subjects: subjects(Kind::WakeLatency),
        },
    ]
}
