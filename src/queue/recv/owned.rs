//! Owned receives: [`Queue::recv_owned`] and [`Queue::stream_owned`].
//!
//! They are [`Queue::recv`] and [`Queue::stream`] with an `Arc<Queue>` in
//! place of the `&Queue`, so the future or stream is `'static` (and `Send`
//! when `T` is) and can be handed to `tokio::spawn` or stored in a struct.
//! The naming follows tokio's owned forms (`Semaphore::acquire_owned`,
//! `Notify::notified_owned`): the method takes the `Arc` by value, and the
//! caller clones it first if it wants to keep one.
//!
//! The protocol is the same [`Receiving`] state machine, so the guarantees
//! are the same, cancel safety included.

use std::sync::Arc;

use super::Receiving;
use crate::queue::{Queue, DEFAULT_CHUNK};

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Waits for an element, owning a handle to the queue: [`recv`]
    /// for a future that must be `'static`.
    ///
    /// The future resolves to `Some(element)`, or to `None` once the queue is
    /// closed and drained. It is `Send` when `T` is, so it can be spawned.
    ///
    /// # Cancel safety
    ///
    /// As for [`recv`]: dropping the future before it completes takes no
    /// element from the queue, and a wake-up it had received is passed on to
    /// another waiting consumer.
    ///
    /// ```
    /// use lazuli::Queue;
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Arc::new(Queue::new());
    /// // The spawned task owns its future; `queue` stays usable here.
    /// let consumer = tokio::spawn(Arc::clone(&queue).recv_owned());
    /// queue.push("hello").unwrap();
    /// assert_eq!(consumer.await.unwrap(), Some("hello"));
    /// # }
    /// ```
    ///
    /// [`recv`]: Queue::recv
    pub fn recv_owned(self: Arc<Self>) -> OwnedRecv<T, CHUNK> {
        OwnedRecv(Receiving::new(self))
    }

    /// The queue's elements as a `'static` [`Stream`](futures_core::Stream), owning a handle to
    /// the queue: [`stream`] for a consumer that is spawned or stored.
    ///
    /// The stream ends once the queue is closed and drained. Like
    /// [`stream`], it keeps its waiter slot between items, and several
    /// streams over one queue share its elements: each element goes to
    /// exactly one of them.
    ///
    /// # Cancel safety
    ///
    /// As for [`stream`]: dropping an unfinished `next()` takes no element
    /// from the queue, but the stream stays registered among the waiters
    /// while it lives, so a wake-up sent to it waits for its next poll (or
    /// its drop, which passes the wake-up on).
    ///
    /// ```
    /// use futures::StreamExt;
    /// use lazuli::Queue;
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let queue = Arc::new(Queue::new());
    /// let sum = tokio::spawn(
    ///     Arc::clone(&queue)
    ///         .stream_owned()
    ///         .fold(0, |sum, x: u64| async move { sum + x }),
    /// );
    /// queue.push_iter(1..=10).unwrap();
    /// queue.close();
    /// assert_eq!(sum.await.unwrap(), 55);
    /// # }
    /// ```
    ///
    /// [`recv`]: Queue::recv
    /// [`stream`]: Queue::stream
    pub fn stream_owned(self: Arc<Self>) -> OwnedRecvStream<T, CHUNK> {
        OwnedRecvStream(Receiving::new(self))
    }
}

/// The future returned by [`Queue::recv_owned`]: [`Recv`](super::Recv)
/// holding an `Arc<Queue>` instead of a borrow.
///
/// `'static`, and `Send` and `Sync` when `T` is `Send`. Dropping it before it
/// completes takes no element from the queue. It implements
/// [`FusedFuture`](futures_core::FusedFuture); polling it after it completed panics.
///
/// ```
/// use lazuli::{OwnedRecv, Queue};
/// use std::sync::Arc;
///
/// struct Worker {
///     next: OwnedRecv<u32>, // storable: no lifetime
/// }
///
/// let queue = Arc::new(Queue::new());
/// let worker = Worker { next: Arc::clone(&queue).recv_owned() };
/// queue.push(5).unwrap();
/// assert_eq!(futures::executor::block_on(worker.next), Some(5));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedRecv<T, const CHUNK: usize = DEFAULT_CHUNK>(Receiving<Arc<Queue<T, CHUNK>>>);

receiving_impls!(future "OwnedRecv" for OwnedRecv<T, CHUNK>);

impl<T, const CHUNK: usize> OwnedRecv<T, CHUNK> {
    /// The queue this future receives from.
    pub fn queue(&self) -> &Arc<Queue<T, CHUNK>> {
        self.0.source()
    }
}

/// The stream returned by [`Queue::stream_owned`]:
/// [`RecvStream`](super::RecvStream) holding an `Arc<Queue>` instead of a
/// borrow.
///
/// Every element it receives, in queue order, ending once the queue is
/// closed and drained. `'static`, and `Send` and `Sync` when `T` is `Send`.
///
/// ```
/// use futures::StreamExt;
/// use lazuli::Queue;
/// use std::sync::Arc;
///
/// let queue = Arc::new(Queue::new());
/// let mut stream = Arc::clone(&queue).stream_owned();
/// futures::executor::block_on(async {
///     queue.push('a').unwrap();
///     assert_eq!(stream.next().await, Some('a'));
///     queue.close();
///     assert_eq!(stream.next().await, None);
/// });
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct OwnedRecvStream<T, const CHUNK: usize = DEFAULT_CHUNK>(Receiving<Arc<Queue<T, CHUNK>>>);

receiving_impls!(stream "OwnedRecvStream" for OwnedRecvStream<T, CHUNK>);

impl<T, const CHUNK: usize> OwnedRecvStream<T, CHUNK> {
    /// The queue this stream receives from.
    pub fn queue(&self) -> &Arc<Queue<T, CHUNK>> {
        self.0.source()
    }
}
