//! Criterion benchmarks of the readiness signal (`Queue::recv`) against
//! tokio's `mpsc::unbounded_channel`, async-channel (unbounded) and flume
//! (unbounded).
//!
//! - `signal/wake-latency`: one consumer task, on a one-worker tokio runtime,
//!   awaits the next element; the bench thread waits until the consumer has
//!   gone back to sleep, stamps an `Instant` and sends it. The time measured
//!   is push to resume: from the stamp to the moment the woken task holds
//!   the element. The consumer acknowledges over a `std::sync::mpsc` channel
//!   (the same for every peer) outside the measured time.
//! - `signal/mpmc-async`: `P` producer threads push their share of the
//!   elements while `C` consumer tasks on a `C`-worker tokio runtime
//!   `recv().await` until the queue (channel) is closed and drained. One
//!   element = one element delivered. tokio's mpsc has one receiver, so it
//!   runs at `C = 1` only.
//! - `signal/push-no-waiters`: pushes into a queue nobody waits on, with the
//!   signal (`push`) and without it (`push_unsignalled`, the hidden baseline),
//!   at 1 and 2 threads. The target is that `push` keeps at least 0.95x the
//!   throughput of the baseline.

use std::hint::black_box;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use lazuli::Queue;

// The signal benches time their own threads: they use only `bench_main!`.
#[allow(dead_code)]
mod common;

/// How long the bench thread lets the consumer settle into its sleep before
/// each timed send, so that every send really has to wake it.
const SETTLE: Duration = Duration::from_micros(50);

/// The sending and receiving halves the latency and throughput benchmarks
/// need from a channel.
trait AsyncChannel: Sized {
    type Tx: Send + Sync + 'static;
    type Rx: Send + 'static;
    /// A connected pair; `consumers` receivers (where the channel has several).
    fn channel(consumers: usize) -> (Self::Tx, Vec<Self::Rx>);
    fn send(tx: &Self::Tx, value: u64);
    /// Receives the next value; `None` once closed and drained.
    fn recv(rx: &mut Self::Rx) -> impl std::future::Future<Output = Option<u64>> + Send + '_;
    /// Closes the channel (all senders gone).
    fn close(tx: Self::Tx);
}

struct Lazuli;
impl AsyncChannel for Lazuli {
    type Tx = Arc<Queue<u64>>;
    type Rx = Arc<Queue<u64>>;
    fn channel(consumers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        let queue = Arc::new(Queue::new());
        let rxs = (0..consumers).map(|_| Arc::clone(&queue)).collect();
        (queue, rxs)
    }
    fn send(tx: &Self::Tx, value: u64) {
        tx.push(value).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> impl std::future::Future<Output = Option<u64>> + Send + '_ {
        rx.recv()
    }
    fn close(tx: Self::Tx) {
        tx.close();
    }
}

/// Implements [`AsyncChannel`] as `$chan` for the unbounded channel of
/// crate `$krate`, whose receiver is cloned for each consumer: `$send`
/// sends, `$recv` receives, and `$close` (of the sender `$tx`) closes.
macro_rules! cloned_receiver_channel {
    ($chan:ident, $krate:ident, $send:ident, $recv:ident, |$tx:ident| $close:expr) => {
        struct $chan;
        impl AsyncChannel for $chan {
            type Tx = $krate::Sender<u64>;
            type Rx = $krate::Receiver<u64>;
            fn channel(consumers: usize) -> (Self::Tx, Vec<Self::Rx>) {
                let (tx, rx) = $krate::unbounded();
                (tx, vec![rx; consumers])
            }
            fn send(tx: &Self::Tx, value: u64) {
                tx.$send(value).unwrap();
            }
            async fn recv(rx: &mut Self::Rx) -> Option<u64> {
                rx.$recv().await.ok()
            }
            fn close($tx: Self::Tx) {
                $close;
            }
        }
    };
}

cloned_receiver_channel!(AsyncChan, async_channel, try_send, recv, |tx| tx.close());
cloned_receiver_channel!(Flume, flume, send, recv_async, |tx| drop(tx));

struct TokioMpsc;
impl AsyncChannel for TokioMpsc {
    type Tx = tokio::sync::mpsc::UnboundedSender<u64>;
    type Rx = tokio::sync::mpsc::UnboundedReceiver<u64>;
    fn channel(consumers: usize) -> (Self::Tx, Vec<Self::Rx>) {
        assert_eq!(consumers, 1, "tokio's mpsc has a single receiver");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (tx, vec![rx])
    }
    fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).unwrap();
    }
    fn recv(rx: &mut Self::Rx) -> impl std::future::Future<Output = Option<u64>> + Send + '_ {
        rx.recv()
    }
    fn close(tx: Self::Tx) {
        drop(tx);
    }
}

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap()
}

/// `iters` wake-ups of a sleeping consumer task; returns their summed
/// push-to-resume time.
fn wake_latency<C: AsyncChannel>(runtime: &tokio::runtime::Runtime, iters: u64) -> Duration {
    let (tx, mut rxs) = C::channel(1);
    let mut rx = rxs.pop().unwrap();
    let base = Instant::now();
    let (ack_tx, ack_rx) = mpsc::channel::<Duration>();
    let consumer = runtime.spawn(async move {
        while let Some(stamp) = C::recv(&mut rx).await {
            // `stamp` is nanoseconds since `base` at the send.
            let resumed = base.elapsed();
            ack_tx.send(resumed - Duration::from_nanos(stamp)).unwrap();
        }
    });
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        // Let the consumer go back to sleep (spinning, so this thread is on
        // a CPU and ready to send).
        let settle = Instant::now();
        while settle.elapsed() < SETTLE {
            std::hint::spin_loop();
        }
        C::send(&tx, base.elapsed().as_nanos() as u64);
        total += ack_rx.recv().unwrap();
    }
    C::close(tx);
    runtime.block_on(consumer).unwrap();
    total
}

fn bench_wake_latency(c: &mut Criterion) {
    let mut group = c.benchmark_group("signal/wake-latency");
    let rt = runtime(1);
    group.bench_function("lazuli", |b| {
        b.iter_custom(|n| wake_latency::<Lazuli>(&rt, n))
    });
    group.bench_function("tokio-mpsc", |b| {
        b.iter_custom(|n| wake_latency::<TokioMpsc>(&rt, n))
    });
    group.bench_function("async-channel", |b| {
        b.iter_custom(|n| wake_latency::<AsyncChan>(&rt, n))
    });
    group.bench_function("flume", |b| {
        b.iter_custom(|n| wake_latency::<Flume>(&rt, n))
    });
    group.finish();
}

/// `producers` threads push `per_producer` elements each while `consumers`
/// tasks receive; returns the time from the start barrier until every
/// consumer has seen the close.
fn mpmc<C: AsyncChannel>(
    runtime: &tokio::runtime::Runtime,
    producers: usize,
    consumers: usize,
    per_producer: u64,
) -> Duration {
    let (tx, rxs) = C::channel(consumers);
    let tx = Arc::new(tx);
    let start = Arc::new(Barrier::new(producers + 1));
    let tasks: Vec<_> = rxs
        .into_iter()
        .map(|mut rx| {
            runtime.spawn(async move {
                let mut received = 0u64;
                while let Some(v) = C::recv(&mut rx).await {
                    black_box(v);
                    received += 1;
                }
                received
            })
        })
        .collect();
    let threads: Vec<_> = (0..producers)
        .map(|_| {
            let tx = Arc::clone(&tx);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                for i in 0..per_producer {
                    C::send(&tx, i);
                }
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for t in threads {
        t.join().unwrap();
    }
    C::close(Arc::into_inner(tx).expect("every producer has finished"));
    let received: u64 = runtime.block_on(async {
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    let elapsed = began.elapsed();
    assert_eq!(
        received,
        producers as u64 * per_producer,
        "lost or duplicated elements"
    );
    elapsed
}

fn bench_mpmc(c: &mut Criterion) {
    const ELEMENTS: u64 = 100_000;
    let mut group = c.benchmark_group("signal/mpmc-async");
    group.throughput(Throughput::Elements(ELEMENTS));
    for (producers, consumers) in [(1, 1), (2, 1), (2, 2), (4, 4)] {
        let rt = runtime(consumers);
        let per_producer = ELEMENTS / producers as u64;
        let id = |name: &str| BenchmarkId::new(name, format!("{producers}Px{consumers}C"));
        // One sample = one full run; criterion's `iters` repeats it.
        macro_rules! run {
            ($name:literal, $chan:ty) => {
                group.bench_function(id($name), |b| {
                    b.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| mpmc::<$chan>(&rt, producers, consumers, per_producer))
                            .sum()
                    })
                });
            };
        }
        run!("lazuli", Lazuli);
        run!("async-channel", AsyncChan);
        run!("flume", Flume);
        if consumers == 1 {
            run!("tokio-mpsc", TokioMpsc);
        }
    }
    group.finish();
}

/// `threads` threads push `per_thread` elements each into a fresh queue that
/// nobody waits on; returns the time from the start barrier to the last join.
fn push_only(threads: usize, per_thread: u64, signalled: bool) -> Duration {
    let queue = Queue::<u64>::new();
    let start = Barrier::new(threads + 1);
    let began = thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                start.wait();
                for i in 0..per_thread {
                    let pushed = if signalled {
                        queue.push(i)
                    } else {
                        queue.push_unsignalled(i)
                    };
                    debug_assert!(pushed.is_ok());
                }
            });
        }
        start.wait();
        Instant::now()
    });
    // The scope has joined every pusher.
    let elapsed = began.elapsed();
    drop(black_box(queue));
    elapsed
}

fn bench_push_no_waiters(c: &mut Criterion) {
    const ELEMENTS: u64 = 200_000;
    let mut group = c.benchmark_group("signal/push-no-waiters");
    group.throughput(Throughput::Elements(ELEMENTS));
    for threads in [1usize, 2] {
        let per_thread = ELEMENTS / threads as u64;
        for (name, signalled) in [("push", true), ("push_unsignalled", false)] {
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &threads| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| push_only(threads, per_thread, signalled))
                        .sum()
                })
            });
        }
    }
    group.finish();
}

common::bench_main!(bench_wake_latency, bench_mpmc, bench_push_no_waiters);
