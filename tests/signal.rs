//! The readiness signal as a consumer sees it: `recv().await` in `select!`,
//! blocking receives, timeouts, streams, close, and what idle waiters cost.
//!
//! Under Miri the tests that need tokio's timers or `/proc` are ignored (the
//! timer wheel is too slow there and `/proc` is isolated); every other test
//! runs, scaled down, on `futures::executor` and plain threads.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use futures::{FutureExt, Stream, StreamExt};
use lazuli::queue::RecvTimeoutError;
use lazuli::Queue;
use support::scaled;

/// A waker that counts how often it was woken.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    /// How often it was woken so far.
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let count = Arc::new(CountingWaker::default());
    (count.clone(), Waker::from(count))
}

/// Polls `future` once, with `waker` to wake it.
fn poll_with<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
    future.poll_unpin(&mut Context::from_waker(waker))
}

/// Polls `stream` for its next item once, with `waker` to wake it.
fn poll_next_with<S: Stream + Unpin>(stream: &mut S, waker: &Waker) -> Poll<Option<S::Item>> {
    stream.poll_next_unpin(&mut Context::from_waker(waker))
}

/// Checks that `received` holds every value of `0..total` exactly once.
fn assert_each_exactly_once(mut received: Vec<u64>, total: u64) {
    received.sort_unstable();
    let dups = received.windows(2).filter(|w| w[0] == w[1]).count();
    assert_eq!(dups, 0, "{dups} items were delivered twice");
    assert_eq!(
        received.len() as u64,
        total,
        "{} of {total} items were lost",
        total - received.len() as u64
    );
    assert!(
        received.iter().copied().eq(0..total),
        "an item outside 0..{total} was delivered"
    );
}

/// Pushes `0..producers * per_producer` from `producers` threads, each its
/// own run of `per_producer` values in order, calling `pace(i)` after its
/// `i`-th push (to pause now and then); returns once every thread is done.
fn push_from_producers(
    queue: &Queue<u64>,
    producers: u64,
    per_producer: u64,
    pace: impl Fn(u64) + Sync,
) {
    thread::scope(|s| {
        for p in 0..producers {
            let pace = &pace;
            s.spawn(move || {
                for i in 0..per_producer {
                    queue.push(p * per_producer + i).unwrap();
                    pace(i);
                }
            });
        }
    });
}

#[test]
#[cfg_attr(miri, ignore = "tokio's timer wheel is too slow under Miri")]
fn select_with_a_timer_delivers_every_item_exactly_once_and_every_consumer_ends() {
    const PRODUCERS: u64 = 2;
    const CONSUMERS: usize = 4;
    let per_producer = 100_000u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    let queue = Arc::new(Queue::<u64>::new());
    let timer_wins = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let timer_wins = Arc::clone(&timer_wins);
            runtime.spawn(async move {
                let mut got = Vec::new();
                loop {
                    tokio::select! {
                        v = queue.recv() => match v {
                            Some(v) => got.push(v),
                            None => return got,
                        },
                        _ = tokio::time::sleep(Duration::from_micros(20)) => {
                            timer_wins.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    push_from_producers(&queue, PRODUCERS, per_producer, |i| {
        if i % 4096 == 0 {
            // Let the consumers catch up now and then, so that the queue
            // runs empty and they really wait; and now and then long enough
            // (tokio's timer has 1 ms granularity) for the timer arm to win
            // and cancel waiting `recv`s while elements are still to come.
            let pause = if i % 32768 == 0 { 3_000 } else { 50 };
            thread::sleep(Duration::from_micros(pause));
        }
    });
    assert!(queue.close(), "nobody else closes the queue");
    let received = runtime.block_on(async {
        let mut all = Vec::new();
        for c in consumers {
            let got = tokio::time::timeout(Duration::from_secs(30), c)
                .await
                .expect("a consumer did not end after close")
                .unwrap();
            all.extend(got);
        }
        all
    });
    assert_each_exactly_once(received, PRODUCERS * per_producer);
    assert!(
        timer_wins.load(Ordering::Relaxed) > 0,
        "the timer arm never won, so cancellation was not exercised"
    );
}

#[test]
fn futures_select_with_a_shutdown_signal_loses_nothing() {
    let total = scaled(20_000) as u64;
    let queue = Queue::<u64>::new();
    let (shutdown_tx, shutdown_rx) = futures::channel::oneshot::channel::<()>();
    let received = thread::scope(|s| {
        s.spawn(|| {
            for i in 0..total {
                queue.push(i).unwrap();
            }
            shutdown_tx.send(()).unwrap();
        });
        futures::executor::block_on(async {
            let mut got = Vec::new();
            let mut shutdown = shutdown_rx.fuse();
            loop {
                futures::select! {
                    v = queue.recv() => got.push(v.expect("the queue is never closed here")),
                    _ = shutdown => break,
                }
            }
            got
        })
    });
    // Whatever the select! left behind is still in the queue.
    let mut received = received;
    received.extend(std::iter::from_fn(|| queue.pop()));
    assert_each_exactly_once(received, total);
}

#[test]
fn blocking_consumers_receive_every_item_and_end_on_close() {
    const CONSUMERS: usize = 3;
    let per_producer = scaled(50_000) as u64;
    let queue = Queue::<u64>::new();
    let received = thread::scope(|s| {
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| s.spawn(|| std::iter::from_fn(|| queue.recv_blocking()).collect::<Vec<_>>()))
            .collect();
        push_from_producers(&queue, 2, per_producer, |_| {});
        queue.close();
        consumers
            .into_iter()
            .flat_map(|c| c.join().expect("a blocking consumer panicked"))
            .collect::<Vec<_>>()
    });
    assert_each_exactly_once(received, 2 * per_producer);
}

#[test]
fn close_wakes_threads_blocked_on_an_empty_queue() {
    let queue = Queue::<u8>::new();
    let ended = AtomicUsize::new(0);
    thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                assert_eq!(queue.recv_blocking(), None, "only close can end this wait");
                ended.fetch_add(1, Ordering::SeqCst);
            });
        }
        thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 50 }));
        assert_eq!(
            ended.load(Ordering::SeqCst),
            0,
            "a consumer returned from an empty open queue"
        );
        queue.close();
    });
    assert_eq!(
        ended.load(Ordering::SeqCst),
        4,
        "every blocked consumer must end"
    );
}

#[test]
#[cfg_attr(miri, ignore = "measures wall-clock time")]
fn recv_timeout_waits_for_the_timeout_and_not_much_longer() {
    let queue = Queue::<u8>::new();
    for timeout_ms in [1u64, 20, 50] {
        let timeout = Duration::from_millis(timeout_ms);
        let start = Instant::now();
        assert_eq!(queue.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
        let waited = start.elapsed();
        assert!(
            waited >= timeout,
            "returned after {waited:?}, before the {timeout:?} timeout"
        );
        // Generous: the machine is shared, so the wake-up may be late.
        assert!(
            waited < timeout + Duration::from_millis(100),
            "returned {:?} after a {timeout:?} timeout",
            waited
        );
    }
}

#[test]
fn recv_timeout_returns_as_soon_as_an_element_or_the_close_arrives() {
    let queue = Queue::<u8>::new();
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(5));
            queue.push(9).unwrap();
            thread::sleep(Duration::from_millis(5));
            queue.close();
        });
        let start = Instant::now();
        assert_eq!(queue.recv_timeout(Duration::from_secs(60)), Ok(9));
        assert_eq!(
            queue.recv_timeout(Duration::from_secs(60)),
            Err(RecvTimeoutError::Closed)
        );
        if !cfg!(miri) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "woken late: {:?}",
                start.elapsed()
            );
        }
    });
    assert_eq!(
        queue.recv_timeout(Duration::ZERO),
        Err(RecvTimeoutError::Closed)
    );
}

#[test]
fn stream_collects_every_element_in_order_until_close() {
    let total = scaled(50_000) as u64;
    let queue = Queue::<u64>::new();
    let collected = thread::scope(|s| {
        s.spawn(|| {
            for i in 0..total {
                queue.push(i).unwrap();
            }
            queue.close();
        });
        futures::executor::block_on(queue.stream().collect::<Vec<_>>())
    });
    assert!(
        collected.iter().copied().eq(0..total),
        "a single producer's elements must stream out complete and in order"
    );
    let mut stream = queue.stream();
    assert_eq!(
        futures::executor::block_on(stream.next()),
        None,
        "closed and drained"
    );
    assert!(futures::stream::FusedStream::is_terminated(&stream));
}

#[test]
fn eight_tasks_waiting_on_an_empty_queue_are_each_woken_by_one_push() {
    let queue = Queue::<usize>::new();
    let wakers: Vec<_> = (0..8).map(|_| counting_waker()).collect();
    let mut recvs: Vec<_> = (0..8).map(|_| Some(queue.recv())).collect();
    for (recv, (_, waker)) in recvs.iter_mut().zip(&wakers) {
        let poll = recv
            .as_mut()
            .unwrap()
            .poll_unpin(&mut Context::from_waker(waker));
        assert!(poll.is_pending(), "the queue is empty");
    }
    let woken = |wakers: &[(Arc<CountingWaker>, Waker)]| -> Vec<usize> {
        wakers
            .iter()
            .map(|(c, _)| c.0.load(Ordering::SeqCst))
            .collect()
    };
    let mut delivered = Vec::new();
    for push in 0..8 {
        queue.push(push).unwrap();
        let counts = woken(&wakers);
        assert_eq!(
            counts.iter().sum::<usize>(),
            push + 1,
            "push {push} must wake exactly one task (no herd, no lost wake-up): {counts:?}"
        );
        // Run the task that was woken, as an executor would.
        let task = (0..8)
            .find(|&t| counts[t] == 1 && recvs[t].is_some())
            .expect("the woken task is one still waiting");
        let mut cx = Context::from_waker(&wakers[task].1);
        match recvs[task].as_mut().unwrap().poll_unpin(&mut cx) {
            Poll::Ready(Some(v)) => delivered.push(v),
            other => panic!("woken task {task} got {other:?} instead of the element"),
        }
        recvs[task] = None;
    }
    assert_eq!(woken(&wakers), vec![1; 8], "each task woken exactly once");
    assert_eq!(delivered, (0..8).collect::<Vec<_>>());
}

#[test]
fn a_recv_dropped_after_its_wakeup_passes_the_element_to_another_waiter() {
    let queue = Queue::<&str>::new();
    let (first_woken, first_waker) = counting_waker();
    let (second_woken, second_waker) = counting_waker();
    let mut first = queue.recv();
    let mut second = queue.recv();
    assert!(poll_with(&mut first, &first_waker).is_pending());
    assert!(poll_with(&mut second, &second_waker).is_pending());
    queue.push("only").unwrap();
    assert_eq!(
        first_woken.count() + second_woken.count(),
        1,
        "one push, one wake-up"
    );
    // Cancel whichever was woken, as select! does to a losing arm.
    let (mut survivor, survivor_waker, survivor_woken) = if first_woken.count() == 1 {
        drop(first);
        (second, second_waker, second_woken)
    } else {
        drop(second);
        (first, first_waker, first_woken)
    };
    assert_eq!(
        survivor_woken.count(),
        1,
        "the cancelled waiter must pass its wake-up on"
    );
    let got = poll_with(&mut survivor, &survivor_waker);
    assert_eq!(
        got,
        Poll::Ready(Some("only")),
        "the element must not be lost"
    );
}

#[test]
fn a_recv_dropped_before_completion_takes_nothing() {
    let queue = Queue::<u8>::new();
    let (_, waker) = counting_waker();
    for _ in 0..scaled(1000) {
        let mut recv = queue.recv();
        assert!(poll_with(&mut recv, &waker).is_pending());
        queue.push(1).unwrap();
        drop(recv);
        assert_eq!(
            queue.pop(),
            Some(1),
            "a cancelled recv must leave the element in the queue"
        );
    }
}

/// The kernel's id of the calling thread, from `/proc/thread-self`.
#[cfg(target_os = "linux")]
fn current_tid() -> String {
    let link = std::fs::read_link("/proc/thread-self").unwrap();
    link.file_name().unwrap().to_str().unwrap().to_owned()
}

/// CPU time the threads `tids` of this process have consumed so far, from
/// `/proc/self/task/<tid>/schedstat` (nanoseconds on a CPU). Only these
/// threads: other tests run in the same process at the same time.
#[cfg(target_os = "linux")]
fn cpu_time_of(tids: &[String]) -> Duration {
    let mut total = 0u64;
    for tid in tids {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
            .unwrap_or_else(|e| panic!("thread {tid} exited while waiting: {e}"));
        total += stat
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap();
    }
    Duration::from_nanos(total)
}

#[test]
#[cfg(target_os = "linux")]
#[cfg_attr(miri, ignore = "reads /proc, which Miri isolates")]
fn idle_waiters_use_no_cpu() {
    let queue = Arc::new(Queue::<u8>::new());
    let tids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let runtime = {
        let tids = Arc::clone(&tids);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .on_thread_start(move || tids.lock().unwrap().push(current_tid()))
            .build()
            .unwrap()
    };
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let queue = Arc::clone(&queue);
            runtime.spawn(async move { queue.recv().await })
        })
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let queue = Arc::clone(&queue);
            let tids = Arc::clone(&tids);
            thread::spawn(move || {
                tids.lock().unwrap().push(current_tid());
                queue.recv_blocking()
            })
        })
        .collect();
    // Let every waiter reach its sleep.
    thread::sleep(Duration::from_millis(100));
    let tids = tids.lock().unwrap().clone();
    assert_eq!(tids.len(), 6, "2 runtime workers and 4 blocked threads");
    let before = cpu_time_of(&tids);
    thread::sleep(Duration::from_secs(1));
    let used = cpu_time_of(&tids) - before;
    queue.close();
    for t in threads {
        assert_eq!(t.join().unwrap(), None);
    }
    for t in tasks {
        assert_eq!(runtime.block_on(t).unwrap(), None);
    }
    // 8 waiters and an idle runtime: a spinning or sleep-polling waiter
    // would burn hundreds of milliseconds here.
    assert!(
        used < Duration::from_millis(10),
        "8 idle waiters used {used:?} of CPU in 1 s"
    );
}

/// Compiles only for futures and streams that `tokio::spawn` accepts.
fn assert_spawnable<F: Send + 'static>(_: &F) {}

#[test]
#[cfg_attr(miri, ignore = "a multi-threaded tokio runtime is too slow under Miri")]
fn owned_futures_and_streams_in_spawned_tasks_receive_every_item_exactly_once() {
    let per_producer = 50_000u64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let queue = Arc::new(Queue::<u64>::new());
    let mut consumers = Vec::new();
    for _ in 0..2 {
        // A task that owns a stream.
        let stream = Arc::clone(&queue).stream_owned();
        assert_spawnable(&stream);
        consumers.push(runtime.spawn(stream.collect::<Vec<_>>()));
        // A task that makes a fresh owned future per element.
        let queue = Arc::clone(&queue);
        assert_spawnable(&Arc::clone(&queue).recv_owned());
        consumers.push(runtime.spawn(async move {
            let mut got = Vec::new();
            while let Some(v) = Arc::clone(&queue).recv_owned().await {
                got.push(v);
            }
            got
        }));
    }
    push_from_producers(&queue, 2, per_producer, |i| {
        if i % 8192 == 0 {
            thread::sleep(Duration::from_micros(200)); // let them wait
        }
    });
    queue.close();
    let received = runtime.block_on(async {
        let mut all = Vec::new();
        for c in consumers {
            all.extend(c.await.expect("a consumer task panicked"));
        }
        all
    });
    assert_each_exactly_once(received, 2 * per_producer);
    assert_eq!(
        Arc::strong_count(&queue),
        1,
        "finished owned receives must not keep the queue alive"
    );
}

#[test]
fn an_owned_recv_dropped_after_its_wakeup_passes_the_element_on() {
    let queue = Arc::new(Queue::<&str>::new());
    let (first_woken, first_waker) = counting_waker();
    let (second_woken, second_waker) = counting_waker();
    let mut first = Arc::clone(&queue).recv_owned();
    let mut second = Arc::clone(&queue).stream_owned();
    assert!(poll_with(&mut first, &first_waker).is_pending());
    assert!(poll_next_with(&mut second, &second_waker).is_pending());
    queue.push("only").unwrap();
    assert_eq!(first_woken.count(), 1, "the first waiter is woken first");
    assert_eq!(second_woken.count(), 0, "one push, one wake-up");
    drop(first); // as select! drops a losing arm
    assert_eq!(
        second_woken.count(),
        1,
        "the cancelled owned future must pass its wake-up on"
    );
    assert_eq!(
        poll_next_with(&mut second, &second_waker),
        Poll::Ready(Some("only")),
        "the element must not be lost"
    );
    queue.close();
    assert_eq!(
        futures::executor::block_on(second.next()),
        None,
        "closed and drained"
    );
    assert!(futures::stream::FusedStream::is_terminated(&second));
    drop(second);
    assert_eq!(Arc::strong_count(&queue), 1, "no handle leaked");
}

#[test]
fn recv_many_waits_only_while_empty_and_takes_at_most_the_limit() {
    let queue = Queue::<u32>::new();
    let (woken, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let mut buf = vec![100];
    {
        let mut batch = queue.recv_many(&mut buf, 4);
        assert!(batch.poll_unpin(&mut cx).is_pending(), "empty: it waits");
        queue.push_iter(0..10).unwrap();
        assert_eq!(woken.0.load(Ordering::SeqCst), 1, "the push woke it");
        assert_eq!(batch.poll_unpin(&mut cx), Poll::Ready(4), "up to the limit");
    }
    assert_eq!(buf, [100, 0, 1, 2, 3], "appended after what was there");
    let once = |buf: &mut Vec<u32>, limit| futures::executor::block_on(queue.recv_many(buf, limit));
    assert_eq!(
        once(&mut buf, 100),
        6,
        "takes what is there, waits for no more"
    );
    assert_eq!(buf.len(), 11);
    assert_eq!(once(&mut buf, 0), 0, "a zero limit returns at once");
    queue.push(10).unwrap();
    queue.close();
    assert_eq!(
        once(&mut buf, 5),
        1,
        "elements pushed before close still come"
    );
    assert_eq!(once(&mut buf, 5), 0, "0 once closed and drained");
    assert_eq!(queue.recv_many_blocking(&mut buf, 5), 0);
    assert_eq!(buf, [100, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
}

#[test]
fn a_recv_many_dropped_before_completion_takes_nothing() {
    let queue = Queue::<u8>::new();
    let (_, waker) = counting_waker();
    let mut buf = Vec::new();
    for _ in 0..scaled(1000) {
        let mut batch = queue.recv_many(&mut buf, 8);
        assert!(poll_with(&mut batch, &waker).is_pending());
        queue.push_iter([1, 2]).unwrap();
        drop(batch);
        assert!(
            buf.is_empty(),
            "a cancelled recv_many must not touch the buffer"
        );
        assert_eq!(queue.len(), 2, "a cancelled recv_many must take nothing");
        assert_eq!(queue.pop_into(&mut buf, 8), 2);
        buf.clear();
    }
}

#[test]
fn recv_many_consumers_in_select_and_on_threads_receive_every_item_exactly_once() {
    let per_producer = scaled(50_000) as u64;
    let queue = Queue::<u64>::new();
    let (shutdown_tx, shutdown_rx) = futures::channel::oneshot::channel::<()>();
    let (mut received, batches) = thread::scope(|s| {
        let blocking: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let (mut got, mut buf, mut batches) = (Vec::new(), Vec::new(), 0usize);
                    while queue.recv_many_blocking(&mut buf, 32) > 0 {
                        assert!(buf.len() <= 32, "more than the limit");
                        got.append(&mut buf);
                        batches += 1;
                    }
                    (got, batches)
                })
            })
            .collect();
        let selecting = s.spawn(|| {
            futures::executor::block_on(async {
                let (mut got, mut buf, mut batches) = (Vec::new(), Vec::new(), 0usize);
                let mut shutdown = shutdown_rx.fuse();
                loop {
                    futures::select! {
                        n = queue.recv_many(&mut buf, 16) => {
                            assert_eq!(n, buf.len(), "the count is what was appended");
                            assert!(n <= 16, "more than the limit");
                            if n == 0 { break; }
                            got.append(&mut buf);
                            batches += 1;
                        }
                        _ = shutdown => break,
                    }
                }
                (got, batches)
            })
        });
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let queue = &queue;
                s.spawn(move || {
                    for i in (0..per_producer).step_by(4) {
                        let end = (i + 4).min(per_producer);
                        queue
                            .push_iter(p * per_producer + i..p * per_producer + end)
                            .unwrap();
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        shutdown_tx.send(()).unwrap();
        let (mut all, mut batches) = selecting.join().unwrap();
        queue.close();
        for c in blocking {
            let (got, n) = c.join().unwrap();
            all.extend(got);
            batches += n;
        }
        (all, batches)
    });
    // What the cancelled select! arm left behind is still in the queue.
    received.extend(std::iter::from_fn(|| queue.pop()));
    let total = received.len();
    assert_each_exactly_once(received, 2 * per_producer);
    // Under Miri's scheduler and its 100 items every burst may be of one.
    assert!(
        cfg!(miri) || batches < total,
        "{batches} batches for {total} items: recv_many never took a burst"
    );
}

#[test]
fn owned_and_batch_receives_are_send_sync_and_debug_without_bounds_on_t() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    /// Send but not Sync, and not Debug: the handles must need neither (a
    /// `RecvMany` holds a `&mut Vec<T>`, so it is `Sync` only if `T` is).
    struct NotDebug(std::cell::Cell<u8>);
    let queue = Arc::new(Queue::<NotDebug>::new());
    let recv = Arc::clone(&queue).recv_owned();
    let stream = Arc::clone(&queue).stream_owned();
    let mut buf = Vec::new();
    let batch = queue.recv_many(&mut buf, 4);
    send_sync(&recv);
    send_sync(&stream);
    send(&batch);
    assert!(format!("{recv:?}").starts_with("OwnedRecv"));
    assert!(format!("{stream:?}").starts_with("OwnedRecvStream"));
    assert!(format!("{batch:?}").starts_with("RecvMany"));
    drop(batch);
    assert!(Arc::ptr_eq(recv.queue(), &queue));
    assert!(Arc::ptr_eq(stream.queue(), &queue));
    queue.push(NotDebug(std::cell::Cell::new(3))).unwrap();
    let got = futures::executor::block_on(recv).expect("one element");
    assert_eq!(got.0.get(), 3);
}

/// A waker made by hand, so that its `clone` or `wake` can panic (a waker
/// made from `Wake` cannot: its clone is an `Arc` clone).
mod touchy {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::task::{RawWaker, RawWakerVTable, Waker};

    /// What the waker does: `clone` or `wake` panics while the flag is set;
    /// `woken` counts the wake-ups that did not panic.
    pub struct Touchy {
        pub clone_panics: AtomicBool,
        pub wake_panics: AtomicBool,
        pub woken: AtomicUsize,
    }

    pub const MESSAGE: &str = "a waker panics on purpose";

    /// A waker over `touchy`, which must outlive it and its clones.
    pub fn waker(touchy: &'static Touchy) -> Waker {
        fn clone(data: *const ()) -> RawWaker {
            // SAFETY: `data` is the `&'static Touchy` the waker was made from.
            let touchy = unsafe { &*data.cast::<Touchy>() };
            if touchy.clone_panics.load(Ordering::SeqCst) {
                panic!("{MESSAGE}");
            }
            RawWaker::new(data, &VTABLE)
        }
        fn wake(data: *const ()) {
            // SAFETY: as in `clone`.
            let touchy = unsafe { &*data.cast::<Touchy>() };
            if touchy.wake_panics.load(Ordering::SeqCst) {
                panic!("{MESSAGE}");
            }
            touchy.woken.fetch_add(1, Ordering::SeqCst);
        }
        fn drop(_: *const ()) {}
        static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);
        let data: *const Touchy = touchy;
        // SAFETY: the vtable's functions uphold `RawWaker`'s contract for a
        // `&'static` pointer (clone copies it, drop does nothing).
        unsafe { Waker::from_raw(RawWaker::new(data.cast(), &VTABLE)) }
    }

    /// A fresh `Touchy`, leaked so that wakers may borrow it for `'static`.
    pub fn leaked() -> &'static Touchy {
        Box::leak(Box::new(Touchy {
            clone_panics: AtomicBool::new(false),
            wake_panics: AtomicBool::new(false),
            woken: AtomicUsize::new(0),
        }))
    }
}

/// A waker whose `clone` panics while the registry stores it breaks that
/// registry slot for good (atomic-waker ignores every later registration
/// there). The slot must not go to the next consumer, whose wake-up would
/// then be spent on a slot with no waker: the next waiter is woken by the
/// next push.
#[test]
fn a_waker_that_panics_when_registered_costs_no_later_waiter_its_wake_up() {
    let queue = Queue::<u32>::new();
    let bad = touchy::leaked();
    bad.clone_panics.store(true, Ordering::SeqCst);
    let mut first = queue.recv();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        poll_with(&mut first, &touchy::waker(bad))
    }));
    assert!(panicked.is_err(), "the waker's clone must panic");
    drop(first);
    let (woken, waker) = counting_waker();
    let mut second = queue.recv();
    assert!(poll_with(&mut second, &waker).is_pending());
    queue.push(7).unwrap();
    assert_eq!(
        woken.count(),
        1,
        "the waiting consumer must be woken by the push"
    );
    assert_eq!(poll_with(&mut second, &waker), Poll::Ready(Some(7)));
}

/// A waker that panics when `close` wakes it must not keep the other
/// waiters asleep on a closed queue: every waiter is woken, then the panic
/// goes on out of `close`.
#[test]
fn a_waker_that_panics_in_close_leaves_no_other_waiter_asleep() {
    let queue = Queue::<u32>::new();
    let bad = touchy::leaked();
    let mut first = queue.recv();
    assert!(poll_with(&mut first, &touchy::waker(bad)).is_pending());
    let (woken, waker) = counting_waker();
    let mut second = queue.recv();
    assert!(poll_with(&mut second, &waker).is_pending());
    bad.wake_panics.store(true, Ordering::SeqCst);
    let closed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| queue.close()));
    assert!(
        closed.is_err(),
        "the first waiter's wake must panic out of close"
    );
    assert!(queue.is_closed());
    assert_eq!(
        woken.count(),
        1,
        "the second waiter must be woken all the same"
    );
    assert_eq!(poll_with(&mut second, &waker), Poll::Ready(None));
    bad.wake_panics.store(false, Ordering::SeqCst);
    assert_eq!(
        poll_with(&mut first, &touchy::waker(bad)),
        Poll::Ready(None)
    );
}

/// A receive on `queue` polled once (pending), with its own counting waker.
type PendingWaiter<'a> = (lazuli::Recv<'a, u32>, Arc<CountingWaker>, Waker);

/// `n` receives on `queue`, each polled once and pending.
fn pending_waiters(queue: &Queue<u32>, n: usize) -> Vec<PendingWaiter<'_>> {
    (0..n)
        .map(|_| {
            let (count, waker) = counting_waker();
            let mut recv = queue.recv();
            assert!(poll_with(&mut recv, &waker).is_pending());
            (recv, count, waker)
        })
        .collect()
}

/// How many wake-ups `waiters` have had in all.
fn wake_ups(waiters: &[PendingWaiter<'_>]) -> usize {
    waiters.iter().map(|(_, count, _)| count.count()).sum()
}

/// `push_iter` wakes one waiting consumer per element, once per run of
/// slots rather than after each element: three waiters and a batch of
/// three wake all three, a batch of two wakes two.
#[test]
fn a_batch_wakes_one_waiter_per_element() {
    let queue = Queue::<u32>::new();
    let mut waiters = pending_waiters(&queue, 4);
    queue.push_iter([1, 2]).unwrap();
    assert_eq!(wake_ups(&waiters), 2, "two elements, two wake-ups");
    queue.push_iter([3, 4]).unwrap();
    assert_eq!(wake_ups(&waiters), 4, "four elements, four waiters woken");
    let mut got: Vec<u32> = waiters
        .iter_mut()
        .map(|(waiter, _, waker)| match poll_with(waiter, waker) {
            Poll::Ready(Some(v)) => v,
            other => panic!("a woken waiter found {other:?}"),
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3, 4]);
}

/// An iterator that panics after yielding two elements: the two are in the
/// queue, and the waiters they were pushed for are woken all the same.
#[test]
fn a_batch_whose_iterator_panics_still_wakes_a_waiter_per_element_pushed() {
    let queue = Queue::<u32>::new();
    let waiters = pending_waiters(&queue, 3);
    /// Yields 1 and 2, then panics; promises three elements, so that
    /// `push_iter` claims one run of three slots.
    struct PanicsOnThird(u32);
    impl Iterator for PanicsOnThird {
        type Item = u32;
        fn next(&mut self) -> Option<u32> {
            self.0 += 1;
            assert!(self.0 <= 2, "the iterator panics on purpose");
            Some(self.0)
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            let left = 3 - self.0 as usize;
            (left, Some(left))
        }
    }
    let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = queue.push_iter(PanicsOnThird(0));
    }));
    assert!(pushed.is_err());
    assert_eq!(
        wake_ups(&waiters),
        2,
        "one wake-up per element pushed before the panic"
    );
}
