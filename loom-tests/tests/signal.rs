//! loom models of the readiness signal (`src/queue/signal.rs`): the
//! push/register handshake, one wake-up per push, passing a cancelled
//! wake-up on, and close; for `recv`, `recv_blocking`, `recv_timeout` and
//! the batch waits `recv_many`/`recv_many_blocking`. (The owned forms run the
//! same state machine over an `Arc`; `tests/signal.rs` covers them.)
//!
//! Waiting is real inside these models: async consumers run under
//! `loom::future::block_on` with loom's waker, blocking ones park loom
//! threads. A lost wake-up leaves a consumer asleep for ever, which loom
//! reports as a deadlock, so every model below fails on one.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test signal
//! ```
//!
//! Each model prints its execution count and time. Under loom the registry's
//! first page has two slots, and a queue chunk two elements.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use lazuli::queue::handshake::Tokens;
use lazuli::queue::signal_paths::*;
use lazuli::queue::{Recv, RecvTimeoutError};
use lazuli::Queue;
use lazuli_loom_tests::{explore, spawn_on};
use loom::future::block_on;
use loom::sync::Arc;

/// Every wait in the model has ended: the signal counts no waiter (a
/// count never taken back, or taken back twice, would show here).
fn waits_balanced(queue: &Queue<u32>) {
    assert_eq!(
        queue.armed_waiters(),
        0,
        "the waiter count does not balance"
    );
}

/// Polls a receive future once; if it is pending, waits to be woken and
/// then drops it without polling again: a `select!` whose other arm won just
/// as this one was woken. Returns what the first poll got, or the output's
/// default (`None`, 0) if it was cancelled.
struct CancelAfterWake<F> {
    recv: Option<F>,
    polled: bool,
}

impl<F> CancelAfterWake<F> {
    fn new(recv: F) -> Self {
        CancelAfterWake {
            recv: Some(recv),
            polled: false,
        }
    }
}

impl<F: Future + Unpin> Future for CancelAfterWake<F>
where
    F::Output: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some(recv) = this.recv.as_mut() else {
            unreachable!("polled after completion")
        };
        if this.polled {
            // Woken: cancel, as select! drops its losing arm.
            this.recv = None;
            return Poll::Ready(F::Output::default());
        }
        let got = Pin::new(recv).poll(cx);
        if got.is_ready() {
            this.recv = None;
        } else {
            this.polled = true;
        }
        got
    }
}

#[test]
fn one_producer_one_consumer_no_lost_wakeup() {
    explore(
        "signal: push || recv().await",
        3,
        &[&WOKE_ONE, &RECHECK_READY],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let producer = spawn_on(&queue, |queue| queue.push(1).unwrap());
            assert_eq!(
                block_on(queue.recv()),
                Some(1),
                "woken, but without the element"
            );
            producer.join().unwrap();
            waits_balanced(&queue);
            assert_eq!(queue.pop(), None);
        },
    );
}

#[test]
fn one_producer_one_blocking_consumer_no_lost_wakeup() {
    explore(
        "signal: push || recv_blocking",
        3,
        &[&WOKE_ONE, &RECHECK_READY],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let producer = spawn_on(&queue, |queue| queue.push(1).unwrap());
            assert_eq!(queue.recv_blocking(), Some(1));
            producer.join().unwrap();
            waits_balanced(&queue);
        },
    );
}

/// The body of the two-waiter models: a consumer thread and the main thread
/// each `recv().await` while `produce` (on a third thread) pushes 1 and 2;
/// each waiter must get one of them.
fn two_waiters_each_get_one(produce: fn(&Queue<u32>)) {
    let queue = Arc::new(Queue::<u32>::new());
    let consumer = spawn_on(&queue, |queue| block_on(queue.recv()));
    let producer = spawn_on(&queue, produce);
    let mine = block_on(queue.recv()).expect("the queue is never closed");
    let theirs = consumer.join().unwrap().expect("the queue is never closed");
    producer.join().unwrap();
    waits_balanced(&queue);
    let mut got = [mine, theirs];
    got.sort_unstable();
    assert_eq!(got, [1, 2], "each element pushed must reach one waiter");
}

#[test]
fn two_pushes_two_waiters_each_gets_one() {
    explore(
        "signal: push; push || recv || recv",
        2,
        &[
            &WOKE_ONE,
            &FOUND_NONE,
            &REARMED,
            &PAGE_RACE_LOST,
            &RECHECK_PASSED_ON,
        ],
        || {
            two_waiters_each_get_one(|queue| {
                queue.push(1).unwrap();
                queue.push(2).unwrap();
            })
        },
    );
}

/// `push_iter` publishes its run of slots and then wakes one waiter per
/// element with one `notify_many`: both waiters must get one element each.
#[test]
fn a_batch_of_two_wakes_two_waiters() {
    explore(
        "signal: push_iter([1, 2]) || recv || recv",
        2,
        &[&WOKE_ONE, &BATCH_WOKE_ANOTHER, &RECHECK_READY],
        || two_waiters_each_get_one(|queue| queue.push_iter([1, 2]).unwrap()),
    );
}

#[test]
fn a_consumer_cancelled_after_its_wakeup_does_not_strand_the_element() {
    explore(
        "signal: push || recv-then-cancel || recv",
        2,
        &[&WOKE_ONE, &CANCEL_PASSED_ON, &RECHECK_PASSED_ON],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let canceller = spawn_on(&queue, |queue| {
                let got = block_on(CancelAfterWake::new(queue.recv()));
                if got.is_some() {
                    // It took the element on its first poll; give the other
                    // consumer something to finish on.
                    queue.push(2).unwrap();
                }
                got
            });
            let producer = spawn_on(&queue, |queue| queue.push(1).unwrap());
            // If the canceller was woken for element 1 and dropped its Recv, this
            // consumer must still get 1: the wake-up is passed on.
            let got = block_on(queue.recv()).expect("the queue is closed only below");
            // If this consumer took 1 in its own re-check, the canceller may still
            // be asleep with nothing to wake it for; the close ends its wait.
            queue.close();
            let cancelled_got = canceller.join().unwrap();
            producer.join().unwrap();
            waits_balanced(&queue);
            match cancelled_got {
                Some(1) => assert_eq!(got, 2),
                None => assert_eq!(got, 1, "the cancelled consumer took nothing"),
                other => panic!("the cancelled consumer got {other:?}"),
            }
            assert_eq!(queue.pop(), None, "exactly once");
        },
    );
}

#[test]
fn close_races_with_registration() {
    explore(
        "signal: close || recv().await",
        3,
        &[&CLOSE_WOKE, &RECHECK_READY],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let closer = spawn_on(&queue, |queue| assert!(queue.close()));
            assert_eq!(block_on(queue.recv()), None, "closed and empty");
            closer.join().unwrap();
            waits_balanced(&queue);
        },
    );
}

#[test]
fn close_wakes_an_async_and_a_blocking_waiter() {
    explore(
        "signal: close || recv().await || recv_blocking",
        2,
        &[&CLOSE_WOKE],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let blocking = spawn_on(&queue, |queue| queue.recv_blocking());
            let closer = spawn_on(&queue, |queue| assert!(queue.close()));
            assert_eq!(block_on(queue.recv()), None);
            assert_eq!(blocking.join().unwrap(), None);
            closer.join().unwrap();
            waits_balanced(&queue);
        },
    );
}

#[test]
fn a_timeout_racing_a_push_does_not_strand_the_element() {
    explore(
        "signal: push || recv_timeout || recv",
        2,
        &[&WOKE_ONE, &CANCEL_PASSED_ON],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let consumer = spawn_on(&queue, |queue| {
                block_on(queue.recv()).expect("the queue is never closed")
            });
            let producer = spawn_on(&queue, |queue| queue.push(1).unwrap());
            // Under loom the timer fires right after the registration and
            // re-check: a cancel at an arbitrary point of the race. If the push
            // picked this waiter, the wake-up must reach the consumer above.
            let timed = queue.recv_timeout(Duration::from_millis(1));
            if timed.is_ok() {
                // It took the element; give the other consumer one to end on.
                queue.push(2).unwrap();
            }
            let got = consumer.join().unwrap();
            producer.join().unwrap();
            waits_balanced(&queue);
            match timed {
                Ok(1) => assert_eq!(got, 2),
                Err(RecvTimeoutError::Timeout) => {
                    assert_eq!(got, 1, "the timed-out consumer took nothing")
                }
                other => panic!("recv_timeout returned {other:?}"),
            }
            assert_eq!(queue.pop(), None, "exactly once");
        },
    );
}

/// A waker that does nothing: for polling by hand.
struct Noop;

impl Wake for Noop {
    fn wake(self: StdArc<Self>) {}
}

/// A `recv()` polled once on an empty queue: it waits in a registry slot
/// until dropped, and is never polled again.
fn pending_recv(queue: &Queue<u32>) -> Recv<'_, u32> {
    let waker = Waker::from(StdArc::new(Noop));
    let mut recv = queue.recv();
    let polled = Pin::new(&mut recv).poll(&mut Context::from_waker(&waker));
    assert!(polled.is_pending(), "the queue is empty");
    recv
}

#[test]
fn a_waiter_in_a_grown_registry_gets_a_wakeup_passed_on() {
    explore(
        "signal: grow || push; cancel; cancel",
        2,
        &[&GREW, &CANCEL_PASSED_ON],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            // Under loom the first page has two slots: fill it with waiters
            // that will never run again, so the consumer below must link page
            // 1, and the push is likely to pick an abandoned waiter first.
            // (Two consumers racing to link a page: the models above, where
            // the first page is linked lazily.)
            let abandoned = [pending_recv(&queue), pending_recv(&queue)];
            let consumer = spawn_on(&queue, |queue| block_on(queue.recv()));
            queue.push(1).unwrap();
            // Cancelling them passes a wake-up on to the real consumer.
            drop(abandoned);
            assert_eq!(
                consumer.join().unwrap(),
                Some(1),
                "the push must reach the consumer"
            );
            waits_balanced(&queue);
        },
    );
}

#[test]
fn recv_many_takes_a_burst_without_losing_a_wakeup() {
    explore(
        "signal: push; push || recv_many(2)",
        3,
        &[&WOKE_ONE, &RECHECK_READY],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let producer = spawn_on(&queue, |queue| {
                queue.push(1).unwrap();
                queue.push(2).unwrap();
            });
            let mut buf = Vec::new();
            let taken = block_on(queue.recv_many(&mut buf, 2));
            assert!(taken >= 1, "woken without an element");
            assert_eq!(taken, buf.len(), "the count is what was appended");
            producer.join().unwrap();
            waits_balanced(&queue);
            buf.extend(queue.pop());
            assert_eq!(buf, [1, 2], "each element once, in order");
        },
    );
}

#[test]
fn recv_many_blocking_returns_zero_only_when_closed_and_drained() {
    explore(
        "signal: push; close || recv_many_blocking loop",
        3,
        &[&WOKE_ONE, &CLOSE_WOKE, &RECHECK_READY],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let producer = spawn_on(&queue, |queue| {
                queue.push(1).unwrap();
                assert!(queue.close());
            });
            let mut buf = Vec::new();
            while queue.recv_many_blocking(&mut buf, 4) > 0 {}
            assert_eq!(buf, [1], "0 came before the element was taken");
            producer.join().unwrap();
            waits_balanced(&queue);
        },
    );
}

#[test]
fn a_recv_many_cancelled_after_its_wakeup_does_not_strand_the_element() {
    explore(
        "signal: push || recv_many-then-cancel || recv_many",
        2,
        &[&WOKE_ONE, &CANCEL_PASSED_ON],
        || {
            let queue = Arc::new(Queue::<u32>::new());
            let canceller = spawn_on(&queue, |queue| {
                let mut buf = Vec::new();
                let taken = block_on(CancelAfterWake::new(queue.recv_many(&mut buf, 2)));
                assert_eq!(taken, buf.len(), "cancelled: the buffer is untouched");
                if taken > 0 {
                    // It took the element on its first poll; give the
                    // other consumer something to finish on.
                    queue.push(2).unwrap();
                }
                buf
            });
            let producer = spawn_on(&queue, |queue| queue.push(1).unwrap());
            let mut buf = Vec::new();
            let taken = block_on(queue.recv_many(&mut buf, 2));
            assert!(taken >= 1, "the queue is closed only below");
            // If this consumer took 1 in its own re-check, the canceller may
            // still be asleep with nothing to wake it for; the close ends it.
            queue.close();
            let cancelled_got = canceller.join().unwrap();
            producer.join().unwrap();
            waits_balanced(&queue);
            match cancelled_got[..] {
                [1] => assert_eq!(buf, [2]),
                [] => assert_eq!(buf, [1], "the cancelled consumer took nothing"),
                _ => panic!("the cancelled consumer got {cancelled_got:?}"),
            }
            assert_eq!(queue.pop(), None, "exactly once");
        },
    );
}

// The handshake itself. Under loom the queue's emptiness check is an RMW
// (`load_decisive`), which synchronizes with the push's claim whatever the
// waiter's fence does, so the models above cannot see a waiter that arms in
// the wrong order. `Tokens` runs the same signal over a plain-load
// emptiness check; the taker is the spawned thread, so loom does not prune
// its load-first schedules. Moving the waiter's fence before its increment
// of `armed`, or dropping the fence, makes these models deadlock.

#[test]
fn handshake_put_meets_a_taker_arming() {
    explore(
        "signal handshake: put || take (plain-load emptiness check)",
        3,
        &[&WOKE_ONE, &RECHECK_READY],
        || {
            let tokens = Arc::new(Tokens::new());
            let taker = spawn_on(&tokens, |tokens| {
                block_on(tokens.take()).expect("never closed")
            });
            tokens.put();
            taker.join().unwrap();
            assert_eq!(tokens.armed_waiters(), 0, "the waiter count balances");
        },
    );
}

#[test]
fn handshake_two_puts_meet_two_takers() {
    explore(
        "signal handshake: put; put || take || take (plain-load emptiness check)",
        2,
        &[&WOKE_ONE, &FOUND_NONE, &REARMED, &RECHECK_READY],
        || {
            let tokens = Arc::new(Tokens::new());
            let first = spawn_on(&tokens, |tokens| {
                block_on(tokens.take()).expect("never closed")
            });
            let second = spawn_on(&tokens, |tokens| {
                block_on(tokens.take()).expect("never closed")
            });
            tokens.put();
            tokens.put();
            first.join().unwrap();
            second.join().unwrap();
            assert_eq!(tokens.armed_waiters(), 0, "the waiter count balances");
        },
    );
}
