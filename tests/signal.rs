//! The readiness signal as a consumer sees it: `recv().await` in `select!`,
//! blocking receives, timeouts, streams, close, and what idle waiters cost.
//!
//! Under Miri the tests that need tokio's timers or `/proc` are ignored (the
//! timer wheel is too slow there and `/proc` is isolated); every other test
//! runs, scaled down, on `futures::executor` and plain threads.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use futures::{FutureExt, StreamExt};
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

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let count = Arc::new(CountingWaker::default());
    (count.clone(), Waker::from(count))
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
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = Arc::clone(&queue);
            thread::spawn(move || {
                for i in 0..per_producer {
                    queue.push(p * per_producer + i).unwrap();
                    if i % 4096 == 0 {
                        // Let the consumers catch up now and then, so that
                        // the queue runs empty and they really wait; and now
                        // and then long enough (tokio's timer has 1 ms
                        // granularity) for the timer arm to win and cancel
                        // waiting `recv`s while elements are still to come.
                        let pause = if i % 32768 == 0 { 3_000 } else { 50 };
                        thread::sleep(Duration::from_micros(pause));
                    }
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
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
        let producers: Vec<_> = (0..2u64)
            .map(|p| {
                let queue = &queue;
                s.spawn(move || {
                    for i in 0..per_producer {
                        queue.push(p * per_producer + i).unwrap();
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
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
    assert!(first
        .poll_unpin(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .poll_unpin(&mut Context::from_waker(&second_waker))
        .is_pending());
    queue.push("only").unwrap();
    let woken = |c: &CountingWaker| c.0.load(Ordering::SeqCst);
    assert_eq!(
        woken(&first_woken) + woken(&second_woken),
        1,
        "one push, one wake-up"
    );
    // Cancel whichever was woken, as select! does to a losing arm.
    let (mut survivor, survivor_waker, survivor_woken) = if woken(&first_woken) == 1 {
        drop(first);
        (second, second_waker, second_woken)
    } else {
        drop(second);
        (first, first_waker, first_woken)
    };
    assert_eq!(
        woken(&survivor_woken),
        1,
        "the cancelled waiter must pass its wake-up on"
    );
    let got = survivor.poll_unpin(&mut Context::from_waker(&survivor_waker));
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
        assert!(recv
            .poll_unpin(&mut Context::from_waker(&waker))
            .is_pending());
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
