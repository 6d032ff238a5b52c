//! Receiving a burst: [`Queue::recv_many`] and [`Queue::recv_many_blocking`].
//!
//! A consumer that handles messages one by one pays for a wake-up per
//! message when the queue keeps running empty. Taking everything that is
//! there (up to a limit) per wake-up amortises that, and the burst is taken
//! the way [`Queue::pop_into`] takes one, claiming a run of slots with one
//! compare-and-swap, but without counting towards `pop_into`'s yield
//! (`Queue::try_pop_into`): a receive waits as a registered waiter, it
//! does not spin.
//!
//! The wait is the same [`Receiving`] state machine as for `recv`, with a
//! [`Batch`] as its source: "take" means "move up to `limit` elements into
//! the buffer", and it counts as success only if it moved at least one. So
//! the caller waits only while the queue is empty, and gets 0 only once it is
//! closed and drained.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::FusedFuture;

use super::{wait_blocking, Receiving};
use crate::queue::signal::{Signal, Source};
use crate::queue::{Queue, DEFAULT_CHUNK};

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Waits until the queue holds an element, then appends up to `limit`
    /// elements to `buf` and returns how many it appended.
    ///
    /// It waits only while the queue is empty: once there is an element it
    /// takes what is there, up to `limit`, without waiting for more. The
    /// result is 0 only once the queue is closed and drained (or if `limit`
    /// is 0, which returns 0 at once). `buf` is appended to, never cleared.
    /// The burst is taken as [`pop_into`](Queue::pop_into) takes one (one
    /// claim per run of slots, no epoch pin), but its polls of an empty
    /// queue never yield the CPU and do not count towards `pop_into`'s
    /// yield: while the queue is empty it waits as a registered waiter.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe, like [`recv`](Queue::recv): elements are
    /// moved into `buf` only in the poll that completes the future, so a
    /// future dropped before it completed took nothing from the queue, and a
    /// wake-up it had received is passed on to another waiting consumer.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push_iter(1..=5).unwrap();
    /// queue.close();
    /// let mut buf = Vec::new();
    /// futures::executor::block_on(async {
    ///     assert_eq!(queue.recv_many(&mut buf, 3).await, 3);
    ///     assert_eq!(queue.recv_many(&mut buf, 3).await, 2); // what is left
    ///     assert_eq!(queue.recv_many(&mut buf, 3).await, 0); // closed and drained
    /// });
    /// assert_eq!(buf, [1, 2, 3, 4, 5]);
    /// ```
    ///
    /// A worker that handles a burst per wake-up:
    ///
    /// ```
    /// use lazuli::Queue;
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Arc::new(Queue::new());
    /// let worker = tokio::spawn({
    ///     let queue = Arc::clone(&queue);
    ///     async move {
    ///         let (mut buf, mut total) = (Vec::with_capacity(64), 0);
    ///         while queue.recv_many(&mut buf, 64).await > 0 {
    ///             total += buf.drain(..).sum::<u64>();
    ///         }
    ///         total
    ///     }
    /// });
    /// queue.push_iter(1..=100).unwrap();
    /// queue.close();
    /// assert_eq!(worker.await.unwrap(), 5050);
    /// # }
    /// ```
    pub fn recv_many<'a, 'b>(
        &'a self,
        buf: &'b mut Vec<T>,
        limit: usize,
    ) -> RecvMany<'a, 'b, T, CHUNK> {
        RecvMany(Receiving::new(Batch {
            queue: self,
            buf,
            limit,
        }))
    }

    /// [`recv_many`](Queue::recv_many) for a thread: parks the calling
    /// thread while the queue is empty, then appends up to `limit` elements
    /// to `buf` and returns how many. 0 only once the queue is closed and
    /// drained, or if `limit` is 0.
    ///
    /// Do not call this from an async task: it blocks the executor thread.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         queue.push_iter(0..1000).unwrap();
    ///         queue.close();
    ///     });
    ///     let mut buf = Vec::new();
    ///     while queue.recv_many_blocking(&mut buf, 100) > 0 {}
    ///     assert_eq!(buf, (0..1000).collect::<Vec<_>>());
    /// });
    /// ```
    pub fn recv_many_blocking(&self, buf: &mut Vec<T>, limit: usize) -> usize {
        let mut batch = Batch {
            queue: self,
            buf,
            limit,
        };
        // The fast path: no registry, no waker, when there is something.
        if let Some(taken) = batch.try_take() {
            return taken;
        }
        wait_blocking(batch).unwrap_or(0)
    }
}

/// A queue and a buffer to move bursts into: the source `recv_many` waits on.
struct Batch<'a, 'b, T, const CHUNK: usize> {
    queue: &'a Queue<T, CHUNK>,
    buf: &'b mut Vec<T>,
    limit: usize,
}

// SAFETY: the signal is a field of the borrowed queue, which outlives the
// borrow, and it is the same field on every call.
unsafe impl<T, const CHUNK: usize> Source for Batch<'_, '_, T, CHUNK> {
    /// How many elements were appended, at least 1 (or 0 for a zero limit).
    type Item = usize;

    fn signal(&self) -> &Signal {
        &self.queue.signal
    }

    fn try_take(&mut self) -> Option<usize> {
        if self.limit == 0 {
            // Nothing asked, nothing to wait for.
            return Some(0);
        }
        match self.queue.try_pop_into(self.buf, self.limit) {
            0 => None,
            taken => Some(taken),
        }
    }

    fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

/// The future returned by [`Queue::recv_many`]: how many elements it
/// appended to the buffer, 0 once the queue is closed and drained.
///
/// Dropping it before it completes takes no element from the queue and
/// leaves the buffer as it was. It implements [`FusedFuture`]; polling it
/// after it completed panics.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct RecvMany<'a, 'b, T, const CHUNK: usize = DEFAULT_CHUNK>(
    Receiving<Batch<'a, 'b, T, CHUNK>>,
);

impl<T, const CHUNK: usize> Future for RecvMany<'_, '_, T, CHUNK> {
    type Output = usize;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.get_mut()
            .0
            .poll_once(cx)
            .map(|taken| taken.unwrap_or(0))
    }
}

receiving_impls!(fused FusedFuture, "RecvMany" for RecvMany<'_, '_, T, CHUNK>);
