//! The `&mut self` side of the queue: `push_mut`, `pop_mut`, `Drop`,
//! `FromIterator`, `Extend` and the owning iterator.
//!
//! Exclusive access means no other thread is inside an operation, so none
//! can hold a pointer to a chunk: these paths need no epoch pin, use plain
//! (Relaxed) loads and stores instead of read-modify-writes, and recycle an
//! exhausted chunk at once.

use core::fmt;
use core::ptr;

use super::chunk::{Chunk, CLOSED, INDEX};
use super::{PushError, Queue, DEFAULT_CHUNK};
use crate::sync::atomic::Ordering;

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Appends `value` through an exclusive reference: no pinning and no
    /// read-modify-write instructions.
    ///
    /// # Errors
    /// Fails only once the queue is closed, handing `value` back.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let mut queue = Queue::new();
    /// queue.push_mut(1).unwrap();
    /// assert_eq!(queue.pop_mut(), Some(1));
    /// ```
    pub fn push_mut(&mut self, mut value: T) -> Result<(), PushError<T>> {
        loop {
            // memory ordering: Relaxed throughout: `&mut self` excludes every
            // other thread, and the handover of `&mut` synchronised already.
            let tail = self.tail.load(Ordering::Relaxed);
            if tail.is_null() {
                self.install_first_chunk();
                continue;
            }
            // SAFETY: chunks in the list stay allocated while the queue lives
            // and no other thread can retire one during `&mut self`.
            let chunk = unsafe { &*tail };
            let claim = chunk.enqueue_index.load(Ordering::Relaxed);
            if claim & CLOSED != 0 {
                return Err(PushError(value));
            }
            if claim < CHUNK {
                chunk.enqueue_index.store(claim + 1, Ordering::Relaxed);
                // SAFETY: exclusive access; `claim` is the slot just claimed.
                match unsafe { chunk.publish_exclusive(claim, value) } {
                    Ok(()) => return Ok(()),
                    Err(back) => {
                        value = back;
                        continue;
                    }
                }
            }
            let next = chunk.next.load(Ordering::Relaxed);
            if next == Chunk::sealed() {
                return Err(PushError(value));
            }
            if next.is_null() {
                let fresh = self.take_chunk();
                // SAFETY: `fresh` is exclusively ours and empty.
                unsafe { Chunk::prepare(fresh, chunk.position().wrapping_add(CHUNK), value) };
                chunk.next.store(fresh, Ordering::Relaxed);
                self.tail.store(fresh, Ordering::Relaxed);
                return Ok(());
            }
            self.tail.store(next, Ordering::Relaxed);
        }
    }

    /// Removes the front element through an exclusive reference: no pinning
    /// and no read-modify-write instructions. Exhausted chunks are recycled
    /// at once, without waiting for the epoch.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let mut queue: Queue<_> = (1..=3).collect();
    /// assert_eq!(queue.pop_mut(), Some(1));
    /// ```
    pub fn pop_mut(&mut self) -> Option<T> {
        loop {
            // memory ordering: Relaxed throughout, as in `push_mut`.
            let head = self.head.load(Ordering::Relaxed);
            if head.is_null() {
                return None;
            }
            // SAFETY: as in `push_mut`.
            let chunk = unsafe { &*head };
            let dequeued = chunk.dequeue_index.load(Ordering::Relaxed);
            let enqueued = chunk.enqueue_index.load(Ordering::Relaxed) & INDEX;
            if dequeued < enqueued.min(CHUNK) {
                chunk.dequeue_index.store(dequeued + 1, Ordering::Relaxed);
                // SAFETY: exclusive access; `dequeued` is the slot just claimed.
                if let Some(value) = unsafe { chunk.take_exclusive(dequeued) } {
                    return Some(value);
                }
                continue;
            }
            if dequeued < CHUNK {
                return None;
            }
            let next = chunk.next.load(Ordering::Relaxed);
            if next.is_null() || next == Chunk::sealed() {
                return None;
            }
            if self.tail.load(Ordering::Relaxed) == head {
                self.tail.store(next, Ordering::Relaxed);
            }
            self.head.store(next, Ordering::Relaxed);
            // SAFETY: unlinked, and with `&mut self` no other thread can hold
            // a pointer to it: no grace period is needed. It is empty.
            unsafe { self.give_back_unpublished(head) };
        }
    }

    /// Drops every element still in the queue and frees every chunk.
    ///
    /// # Safety
    /// Called once, from `Drop`, with exclusive access.
    pub(super) unsafe fn drop_everything(&mut self) {
        /// Frees the chunks even if an element's `Drop` panics, after
        /// dropping the remaining elements. A second panic aborts, as in std.
        struct Rest<'a, T, const CHUNK: usize>(&'a mut Queue<T, CHUNK>);
        impl<T, const CHUNK: usize> Drop for Rest<'_, T, CHUNK> {
            fn drop(&mut self) {
                // SAFETY: exclusive access; `drop_values` skips what it
                // already dropped.
                unsafe {
                    self.0.drop_values();
                    self.0.free_chunks();
                }
            }
        }
        let rest = Rest(self);
        // SAFETY: exclusive access. If this panics, `rest` finishes the job.
        unsafe { rest.0.drop_values() };
    }

    /// Drops the live elements of every linked chunk (idempotent).
    ///
    /// # Safety
    /// Exclusive access.
    unsafe fn drop_values(&mut self) {
        // memory ordering: Relaxed; exclusive access.
        let mut chunk = self.head.load(Ordering::Relaxed);
        while !chunk.is_null() && chunk != Chunk::sealed() {
            // SAFETY: linked chunks are allocated; exclusive access.
            let this = unsafe { &*chunk };
            // SAFETY: exclusive access; marks before dropping.
            unsafe { this.drop_live_values() };
            chunk = this.next.load(Ordering::Relaxed);
        }
    }

    /// Frees every linked chunk and the spare.
    ///
    /// # Safety
    /// Exclusive access, and no live element left.
    unsafe fn free_chunks(&mut self) {
        // memory ordering: Relaxed; exclusive access.
        let mut chunk = self.head.swap(ptr::null_mut(), Ordering::Relaxed);
        self.tail.store(ptr::null_mut(), Ordering::Relaxed);
        while !chunk.is_null() && chunk != Chunk::sealed() {
            // SAFETY: linked chunks are allocated; exclusive access.
            let next = unsafe { &*chunk }.next.load(Ordering::Relaxed);
            // SAFETY: linked, so never retired; empty; unreachable now.
            unsafe { Chunk::free(chunk) };
            chunk = next;
        }
        let spare = self.spare.swap(ptr::null_mut(), Ordering::Relaxed);
        if !spare.is_null() {
            // SAFETY: the spare slot's reference, given up for good.
            unsafe { Chunk::abandon(spare) };
        }
    }
}

impl<T, const CHUNK: usize> Drop for Queue<T, CHUNK> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` in `drop`: exclusive, and called once.
        unsafe { self.drop_everything() }
    }
}

impl<T, const CHUNK: usize> FromIterator<T> for Queue<T, CHUNK> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut queue = Self::with_chunk_size();
        queue.extend(iter);
        queue
    }
}

/// Appends every element through `&mut self` (no pinning, no atomic RMW).
///
/// # Panics
/// If the queue is closed: `Extend` has no way to hand the values back. Check
/// [`is_closed`](Queue::is_closed) first, or use [`push_mut`](Queue::push_mut).
impl<T, const CHUNK: usize> Extend<T> for Queue<T, CHUNK> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            if self.push_mut(value).is_err() {
                panic!("Extend on a closed lazuli::Queue");
            }
        }
    }
}

/// The owning iterator of a [`Queue`]: pops every element in FIFO order.
///
/// ```
/// use lazuli::Queue;
///
/// let queue: Queue<_> = ["a", "b"].into_iter().collect();
/// assert_eq!(queue.into_iter().collect::<Vec<_>>(), ["a", "b"]);
/// ```
pub struct IntoIter<T, const CHUNK: usize = DEFAULT_CHUNK> {
    queue: Queue<T, CHUNK>,
}

impl<T, const CHUNK: usize> Iterator for IntoIter<T, CHUNK> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.queue.pop_mut()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Exact: nobody else can touch the queue.
        let len = self.queue.len();
        (len, Some(len))
    }
}

impl<T, const CHUNK: usize> ExactSizeIterator for IntoIter<T, CHUNK> {}

impl<T, const CHUNK: usize> core::iter::FusedIterator for IntoIter<T, CHUNK> {}

impl<T, const CHUNK: usize> fmt::Debug for IntoIter<T, CHUNK> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.queue.len())
            .finish()
    }
}

impl<T, const CHUNK: usize> IntoIterator for Queue<T, CHUNK> {
    type Item = T;
    type IntoIter = IntoIter<T, CHUNK>;

    fn into_iter(self) -> IntoIter<T, CHUNK> {
        IntoIter { queue: self }
    }
}
