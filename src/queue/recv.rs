//! Waiting for an element: [`Queue::recv`], [`Queue::recv_blocking`],
//! [`Queue::recv_timeout`] and [`Queue::stream`]; their owned forms
//! [`Queue::recv_owned`] and [`Queue::stream_owned`] (in `recv/owned.rs`); and
//! the batch forms [`Queue::recv_many`] and [`Queue::recv_many_blocking`] (in
//! `recv/many.rs`).
//!
//! All of them are thin shells around one protocol, the waiter registry in
//! `signal.rs`: take an element if there is one; otherwise register a waker
//! in a slot of one's own, re-check the queue, and sleep until a push (or
//! `close`) wakes exactly this waiter. The async forms hand the task's waker
//! to the registry; the blocking forms hand it a waker that unparks the
//! calling thread, and park. Nothing spins or polls on a timer, no
//! background thread or task exists, and no particular runtime is assumed:
//! the futures run under tokio, smol, `futures::executor` or any other
//! executor, and the blocking forms on plain threads.
//!
//! Every form returns as soon as an element is available and reports the
//! end only once the queue is closed **and** drained: elements pushed before
//! `close` are still delivered.
//!
//! The futures and streams differ only in what their [`Waiter`] holds: a
//! `&Queue` (borrowing forms), an `Arc<Queue>` (owned forms) or a queue and
//! a buffer (`recv_many`). [`Receiving`] is the one future/stream state
//! machine that all of them wrap.

use core::fmt;
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use std::sync::Arc;
#[cfg(not(loom))]
use std::time::Instant;

use super::signal::{Signal, Source, Waiter};
use super::{PushError, Queue, DEFAULT_CHUNK};
use crate::sync::thread;

/// The trait impls of a future or stream that wraps a [`Receiving`] (its
/// field `.0`), written once for the borrowing, owned and batch forms:
///
/// - `future NAME for TYPE`: `Future` resolving to what `poll_once` gives,
///   then `fused`;
/// - `stream NAME for TYPE`: `Stream` over `poll_next` and `size_hint`,
///   then `fused`;
/// - `fused TRAIT, NAME for TYPE`: the fused trait (terminated once the
///   wrapped state machine is done) and an opaque `Debug` named `NAME`.
macro_rules! receiving_impls {
    (future $name:literal for $ty:ty) => {
        impl<T, const CHUNK: usize> ::core::future::Future for $ty {
            type Output = Option<T>;

            fn poll(
                self: ::core::pin::Pin<&mut Self>,
                cx: &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<Option<T>> {
                self.get_mut().0.poll_once(cx)
            }
        }
        receiving_impls!(fused ::futures_core::FusedFuture, $name for $ty);
    };
    (stream $name:literal for $ty:ty) => {
        impl<T, const CHUNK: usize> ::futures_core::Stream for $ty {
            type Item = T;

            fn poll_next(
                self: ::core::pin::Pin<&mut Self>,
                cx: &mut ::core::task::Context<'_>,
            ) -> ::core::task::Poll<Option<T>> {
                self.get_mut().0.poll_next(cx)
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.0.size_hint()
            }
        }
        receiving_impls!(fused ::futures_core::FusedStream, $name for $ty);
    };
    (fused $fused:path, $name:literal for $ty:ty) => {
        impl<T, const CHUNK: usize> $fused for $ty {
            fn is_terminated(&self) -> bool {
                self.0.done
            }
        }

        impl<T, const CHUNK: usize> ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                self.0.debug($name, f)
            }
        }
    };
}

mod many;
mod owned;

pub use many::RecvMany;
pub use owned::{OwnedRecv, OwnedRecvStream};

/// Paths of the readiness protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub use super::signal::paths as signal_paths;

/// [`Source`] for the handles through which a queue is received from.
macro_rules! queue_source {
    ($($handle:ty),*) => {$(
        // SAFETY: the signal is a field of the queue the handle refers to. A
        // borrow or an `Arc` keeps that queue alive for as long as the
        // handle, and never lets it refer to another queue, so it is the same
        // field on every call.
        unsafe impl<T, const CHUNK: usize> Source for $handle {
            type Item = T;

            #[inline]
            fn signal(&self) -> &Signal {
                &self.signal
            }

            #[inline]
            fn try_take(&mut self) -> Option<T> {
                self.try_pop()
            }

            #[inline]
            fn is_closed(&self) -> bool {
                Queue::is_closed(self)
            }
        }
    )*};
}

queue_source!(&Queue<T, CHUNK>, Arc<Queue<T, CHUNK>>);

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Waits for an element: the future resolves to `Some(element)`, or to
    /// `None` once the queue is closed and drained.
    ///
    /// If an element is there already the future is ready on its first poll,
    /// without touching the waiter registry. Otherwise the task is woken by
    /// the push that makes an element available; each push wakes at most one
    /// waiting task, and [`close`](Queue::close) wakes them all.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe. If `recv` is used as the event in a
    /// `tokio::select!` or `futures::select!` statement and some other branch
    /// completes first, it is guaranteed that no element was taken from the
    /// queue. If the dropped future had already been woken for an element,
    /// the wake-up is passed on to another waiting consumer, so that element
    /// is not left behind with every consumer asleep.
    ///
    /// ```
    /// use lazuli::Queue;
    /// use std::sync::Arc;
    ///
    /// let queue = Arc::new(Queue::new());
    /// let producer = {
    ///     let queue = Arc::clone(&queue);
    ///     std::thread::spawn(move || {
    ///         queue.push(7).unwrap();
    ///         queue.close();
    ///     })
    /// };
    /// futures::executor::block_on(async {
    ///     assert_eq!(queue.recv().await, Some(7));
    ///     assert_eq!(queue.recv().await, None); // closed and drained
    /// });
    /// producer.join().unwrap();
    /// ```
    pub fn recv(&self) -> Recv<'_, T, CHUNK> {
        Recv(Receiving::new(self))
    }

    /// Takes an element, parking the calling thread until one is pushed;
    /// `None` once the queue is closed and drained.
    ///
    /// The thread sleeps in [`std::thread::park`] and is unparked by the push
    /// that makes an element available (or by `close`); it uses no CPU while
    /// it waits. Do not call this from an async task: it blocks the executor
    /// thread. Use [`recv`](Queue::recv) there.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         queue.push("job").unwrap();
    ///         queue.close();
    ///     });
    ///     assert_eq!(queue.recv_blocking(), Some("job"));
    ///     assert_eq!(queue.recv_blocking(), None);
    /// });
    /// ```
    pub fn recv_blocking(&self) -> Option<T> {
        if let Some(element) = self.try_pop() {
            return Some(element);
        }
        wait_blocking(self)
    }

    /// Takes an element if there is one, without waiting, and tells an
    /// empty queue from a closed one.
    ///
    /// [`TryRecvError::Closed`] means closed *and* drained: no element will
    /// ever come. Unlike `pop()` followed by `is_closed()`, which may call a
    /// queue closed while an element pushed just before the close is still
    /// in it, this looks once more after seeing the close. Like
    /// [`pop`](Queue::pop), every 256th empty call on a thread yields its
    /// CPU first.
    ///
    /// ```
    /// use lazuli::{queue::TryRecvError, Queue};
    ///
    /// let queue = Queue::new();
    /// assert_eq!(queue.try_recv(), Err(TryRecvError::Empty));
    /// queue.push(1).unwrap();
    /// queue.close();
    /// assert_eq!(queue.try_recv(), Ok(1));
    /// assert_eq!(queue.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        if let Some(element) = self.pop() {
            return Ok(element);
        }
        if !self.is_closed() {
            return Err(TryRecvError::Empty);
        }
        // After `is_closed`, an empty pop means closed and drained (an
        // element pushed before the close is found by this pop).
        self.try_pop().ok_or(TryRecvError::Closed)
    }

    /// Takes an element, parking the calling thread for at most `timeout`.
    ///
    /// Returns [`RecvTimeoutError::Closed`] once the queue is closed and
    /// drained, and [`RecvTimeoutError::Timeout`] if no element arrived in
    /// time. A timeout that expires just as a push picks this thread passes
    /// the wake-up on to another waiter, so no element is stranded.
    ///
    /// The wait ends no earlier than `timeout` after the call (unless an
    /// element or the close arrives); how much later depends on the operating
    /// system's timer slack, typically tens of microseconds.
    ///
    /// Under `cfg(loom)` time does not pass inside a model: the call
    /// registers as a waiter, re-checks the queue once and then times out,
    /// which models a timer that fires at an arbitrary point relative to the
    /// other threads.
    ///
    /// ```
    /// use lazuli::{queue::RecvTimeoutError, Queue};
    /// use std::time::Duration;
    ///
    /// let queue = Queue::new();
    /// assert_eq!(queue.recv_timeout(Duration::from_millis(1)), Err(RecvTimeoutError::Timeout));
    /// queue.push(1).unwrap();
    /// queue.close();
    /// assert_eq!(queue.recv_timeout(Duration::from_secs(1)), Ok(1));
    /// assert_eq!(queue.recv_timeout(Duration::from_secs(1)), Err(RecvTimeoutError::Closed));
    /// ```
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        if let Some(element) = self.try_pop() {
            return Ok(element);
        }
        let deadline = Deadline::after(timeout);
        let waker = unparking_waker();
        let mut waiter = Waiter::new(self);
        loop {
            match waiter.poll(&waker) {
                Poll::Ready(Some(element)) => return Ok(element),
                Poll::Ready(None) => return Err(RecvTimeoutError::Closed),
                // Dropping `waiter` on return passes on a wake-up that raced
                // with the timeout.
                Poll::Pending if deadline.passed_or_park() => {
                    return Err(RecvTimeoutError::Timeout)
                }
                Poll::Pending => {} // unparked, spuriously or not: poll again
            }
        }
    }

    /// The queue's elements as a [`Stream`](futures_core::Stream) that ends
    /// once the queue is closed and drained.
    ///
    /// Between items the stream keeps its waiter slot, so a long-lived
    /// consumer does not re-register each time. Several streams over one
    /// queue share its elements: each element goes to exactly one of them.
    ///
    /// # Cancel safety
    ///
    /// Dropping an unfinished `next()` takes no element from the queue. But
    /// unlike a dropped [`recv`](Queue::recv), it does not give up the
    /// stream's place among the waiters: the stream itself stays registered
    /// while it lives. A push may pick it while nobody polls it, and that
    /// wake-up then waits for the stream's next poll, or for its drop,
    /// which passes the wake-up on to another waiting consumer. So with
    /// several consumers, a stream in a `select!` loop should be polled again
    /// soon after losing a race; for a branch that may not be polled for a
    /// while, use `recv()`, or drop the stream.
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lazuli::Queue;
    ///
    /// let queue: Queue<u32> = (1..=3).collect();
    /// queue.close();
    /// let all: Vec<u32> = futures::executor::block_on(queue.stream().collect());
    /// assert_eq!(all, [1, 2, 3]);
    /// ```
    pub fn stream(&self) -> RecvStream<'_, T, CHUNK> {
        RecvStream(Receiving::new(self))
    }
}

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// `push` without notifying waiters: the baseline against which
    /// `benches/signal.rs` measures what the readiness signal adds to a push
    /// when nobody waits. Not part of the API: a consumer waiting on the
    /// queue is **not** woken by this push.
    #[doc(hidden)]
    pub fn push_unsignalled(&self, value: T) -> Result<(), PushError<T>> {
        self.push_quiet(value)
    }
}

/// When a `recv_timeout` gives up.
#[cfg(not(loom))]
struct Deadline(Option<Instant>);

#[cfg(not(loom))]
impl Deadline {
    fn after(timeout: Duration) -> Self {
        // `None`: a timeout too large to represent, so wait for ever.
        Deadline(Instant::now().checked_add(timeout))
    }

    /// True if the deadline has passed; otherwise parks until unparked or
    /// the deadline, and returns false.
    fn passed_or_park(&self) -> bool {
        match self.0 {
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return true;
                }
                thread::park_timeout(deadline - now);
            }
            None => thread::park(),
        }
        false
    }
}

/// When a `recv_timeout` gives up: under loom, time does not pass, so the
/// timer "fires" at the first check, after one registration and re-check.
#[cfg(loom)]
struct Deadline;

#[cfg(loom)]
impl Deadline {
    fn after(_timeout: Duration) -> Self {
        Deadline
    }

    fn passed_or_park(&self) -> bool {
        true
    }
}

/// Waits on `source` with the calling thread parked between polls; `None`
/// once closed and drained. The blocking form of every receive.
fn wait_blocking<S: Source>(source: S) -> Option<S::Item> {
    let waker = unparking_waker();
    let mut waiter = Waiter::new(source);
    loop {
        match waiter.poll(&waker) {
            Poll::Ready(got) => return got,
            // Spurious unparks are fine: the loop polls again.
            Poll::Pending => thread::park(),
        }
    }
}

/// A waker that unparks the thread that created it.
fn unparking_waker() -> Waker {
    struct Unpark(thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    Waker::from(Arc::new(Unpark(thread::current())))
}

/// The future returned by [`Queue::recv`]: `Some(element)`, or `None` once
/// the queue is closed and drained.
///
/// Dropping it before it completes takes no element from the queue (see
/// *Cancel safety* on [`Queue::recv`]). It implements
/// [`FusedFuture`](futures_core::FusedFuture), so it can be used in
/// `futures::select!` directly; polling it after it completed panics.
///
/// ```
/// use lazuli::Queue;
///
/// let queue = Queue::new();
/// let recv = queue.recv(); // does nothing until polled
/// queue.push('x').unwrap();
/// assert_eq!(futures::executor::block_on(recv), Some('x'));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T, const CHUNK: usize = DEFAULT_CHUNK>(Receiving<&'a Queue<T, CHUNK>>);

receiving_impls!(future "Recv" for Recv<'_, T, CHUNK>);

/// The stream returned by [`Queue::stream`]: every element, in queue order,
/// ending once the queue is closed and drained.
///
/// ```
/// use futures::StreamExt;
/// use lazuli::Queue;
///
/// let queue = Queue::new();
/// futures::executor::block_on(async {
///     let mut stream = queue.stream();
///     queue.push(1).unwrap();
///     assert_eq!(stream.next().await, Some(1));
///     queue.close();
///     assert_eq!(stream.next().await, None);
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct RecvStream<'a, T, const CHUNK: usize = DEFAULT_CHUNK>(Receiving<&'a Queue<T, CHUNK>>);

receiving_impls!(stream "RecvStream" for RecvStream<'_, T, CHUNK>);

/// The state machine behind every receive future and stream: a waiter on
/// its source, and whether the receive has finished.
///
/// As a future ([`poll_once`](Receiving::poll_once)) it gives its slot back
/// as soon as it completes; as a stream ([`poll_next`](Receiving::poll_next))
/// it keeps the slot between items and gives it back at the end. Dropping it
/// releases the slot and passes on a wake-up it had not acted on, which is
/// what makes every receive cancel safe.
struct Receiving<S: Source> {
    waiter: Waiter<S>,
    done: bool,
}

impl<S: Source> Receiving<S> {
    fn new(source: S) -> Self {
        Receiving {
            waiter: Waiter::new(source),
            done: false,
        }
    }

    /// What this receive waits on.
    fn source(&self) -> &S {
        self.waiter.source()
    }

    /// `Future::poll`: one item, or `None` once closed and drained.
    fn poll_once(&mut self, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        assert!(!self.done, "a receive future was polled after it completed");
        let got = self.waiter.poll(cx.waker());
        if got.is_ready() {
            // Give the slot back now rather than when the future is dropped,
            // which may be much later.
            self.waiter.release();
            self.done = true;
        }
        got
    }

    /// `Stream::poll_next`: the next item, or `None` for good once closed
    /// and drained.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let got = self.waiter.poll(cx.waker());
        // On an item keep the slot (now OWNED, not waiting) for the next one.
        if let Poll::Ready(None) = got {
            self.waiter.release();
            self.done = true;
        }
        got
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (0, None)
        }
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("waiter", &self.waiter)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// Why [`Queue::recv_timeout`] returned no element.
///
/// ```
/// use lazuli::{queue::RecvTimeoutError, Queue};
/// use std::time::Duration;
///
/// let queue = Queue::<()>::new();
/// queue.close();
/// let err = queue.recv_timeout(Duration::from_secs(1)).unwrap_err();
/// assert_eq!(err, RecvTimeoutError::Closed);
/// assert_eq!(err.to_string(), "queue closed and drained");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// No element arrived before the timeout.
    Timeout,
    /// The queue is closed and empty; no element will ever arrive.
    Closed,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecvTimeoutError::Timeout => "timed out waiting for an element",
            RecvTimeoutError::Closed => "queue closed and drained",
        })
    }
}

impl std::error::Error for RecvTimeoutError {}

/// Why [`Queue::try_recv`] returned no element.
///
/// ```
/// use lazuli::{queue::TryRecvError, Queue};
///
/// let queue = Queue::<u8>::new();
/// assert_eq!(queue.try_recv().unwrap_err().to_string(), "queue empty");
/// queue.close();
/// assert_eq!(queue.try_recv().unwrap_err().to_string(), "queue closed and drained");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// The queue is empty for now; it is not closed.
    Empty,
    /// The queue is closed and empty; no element will ever arrive.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("queue empty"),
            // The same words as a `recv_timeout` that found the close.
            TryRecvError::Closed => RecvTimeoutError::Closed.fmt(f),
        }
    }
}

impl std::error::Error for TryRecvError {}
