//! The `&mut self` side of the queue: `push_mut`, `pop_mut`, `Drop`,
//! `FromIterator`, `Extend` and the owning iterator.
//!
//! Exclusive access means no other thread is inside an operation, so none
//! can hold a pointer to a chunk: these paths claim with plain (Relaxed)
//! loads and stores instead of read-modify-writes. A lap's end, once per
//! `CHUNK` operations, runs the shared hand-over code.

use core::fmt;
use core::ptr;

use super::chunk::Chunk;
use super::{PushError, Queue, CLOSED, DEFAULT_CHUNK, STEP};
use crate::sync::atomic::Ordering;

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Appends `value` through an exclusive reference: plain loads and
    /// stores instead of read-modify-writes.
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
    pub fn push_mut(&mut self, value: T) -> Result<(), PushError<T>> {
        loop {
            // memory ordering: Relaxed throughout: `&mut self` excludes every
            // other thread, and the handover of `&mut` synchronised already.
            let tail = self.tail.index.load(Ordering::Relaxed);
            if tail & CLOSED != 0 {
                return Err(PushError(value));
            }
            let (lap, offset) = Self::split(tail);
            let chunk = self.tail.block.load(Ordering::Relaxed);
            if chunk.is_null() {
                self.install_first_chunk();
                continue;
            }
            if offset == CHUNK {
                // A lap end left pending (a thread unwound in between): the
                // shared path finishes it.
                // SAFETY: exclusive access: nobody can retire the chunk.
                unsafe { self.end_tail_lap(chunk, lap) };
                continue;
            }
            self.tail.index.store(tail + STEP, Ordering::Relaxed);
            // SAFETY: exclusive access; `offset` is the slot just claimed,
            // past the tail, so no consumer has touched it in this lap.
            unsafe { (*chunk).publish_exclusive(offset, value) };
            if offset + 1 == CHUNK {
                // SAFETY: as above.
                unsafe { self.end_tail_lap(chunk, lap) };
            }
            return Ok(());
        }
    }

    /// Removes the front element through an exclusive reference: plain loads
    /// and stores instead of read-modify-writes. A finished chunk is reused
    /// at once.
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
            let head = self.head.index.load(Ordering::Relaxed);
            let (lap, offset) = Self::split(head);
            let chunk = self.head.block.load(Ordering::Relaxed);
            if offset == CHUNK {
                // SAFETY: exclusive access (see `push_mut`).
                unsafe { self.end_head_lap(chunk, lap) };
                continue;
            }
            let tail = self.tail.index.load(Ordering::Relaxed);
            if Self::position(head) >= Self::position(tail) {
                return None;
            }
            self.head.index.store(head + STEP, Ordering::Relaxed);
            if offset + 1 == CHUNK {
                // SAFETY: exclusive access.
                unsafe { self.end_head_lap(chunk, lap) };
            }
            // SAFETY: exclusive access; `offset` lies between head and tail.
            let value = unsafe { (*chunk).take_exclusive(offset) };
            if offset + 1 == CHUNK {
                // SAFETY: both ends moved past the chunk above, and every slot
                // of the lap was claimed by both sides.
                unsafe { self.lap_done(chunk) };
            }
            if value.is_some() {
                return value;
            }
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

    /// The number of elements in the queue, exactly: the slots of every
    /// linked chunk that hold an element no consumer has taken. Unlike
    /// [`len`](Queue::len) it leaves out the slots a `push_iter` gave up.
    /// One look at each slot's state byte.
    fn live_elements(&mut self) -> usize {
        // memory ordering: Relaxed; exclusive access.
        let mut chunk = self.head.block.load(Ordering::Relaxed);
        let mut live = 0;
        while !chunk.is_null() {
            // SAFETY: linked chunks are allocated (a chunk is rewound or
            // freed only once it is out of the list); `&mut self` keeps
            // every other thread out.
            let this = unsafe { &*chunk };
            // Only the slots between head and tail can hold one: those
            // before the head are finished (`TAKEN`), those after the
            // tail are clear (rewound or fresh).
            live += this.live_values();
            // memory ordering: Relaxed; exclusive access.
            chunk = this.next.load(Ordering::Relaxed);
        }
        live
    }

    /// Drops the live elements of every linked chunk (idempotent).
    ///
    /// # Safety
    /// Exclusive access.
    unsafe fn drop_values(&mut self) {
        // memory ordering: Relaxed; exclusive access.
        let mut chunk = self.head.block.load(Ordering::Relaxed);
        while !chunk.is_null() {
            // SAFETY: linked chunks are allocated; exclusive access.
            let this = unsafe { &*chunk };
            // SAFETY: exclusive access; marks before dropping.
            unsafe { this.drop_live_values() };
            chunk = this.next.load(Ordering::Relaxed);
        }
    }

    /// Frees every linked chunk, the spares and the waiting list.
    ///
    /// # Safety
    /// Exclusive access, and no live element left.
    unsafe fn free_chunks(&mut self) {
        // memory ordering: Relaxed; exclusive access.
        let mut chunk = self.head.block.swap(ptr::null_mut(), Ordering::Relaxed);
        self.tail.block.store(ptr::null_mut(), Ordering::Relaxed);
        while !chunk.is_null() {
            // SAFETY: linked chunks are allocated; exclusive access.
            let next = unsafe { &*chunk }.next.load(Ordering::Relaxed);
            // SAFETY: linked, so never retired; empty; unreachable now.
            unsafe { Chunk::free(chunk) };
            chunk = next;
        }
        for slot in &self.spares {
            // memory ordering: Relaxed; exclusive access.
            let spare = slot.swap(ptr::null_mut(), Ordering::Relaxed);
            if !spare.is_null() {
                // SAFETY: the spare slot owned it; nobody else can reach it.
                unsafe { Chunk::free(spare) };
            }
        }
        let mut waiting = self.waiting.swap(ptr::null_mut(), Ordering::Relaxed);
        while !waiting.is_null() {
            // SAFETY: the waiting list owned it; exclusive access, so every
            // slot is finished by now, and nobody else can reach it.
            let next = unsafe { &*waiting }.waiting_next.load(Ordering::Relaxed);
            // SAFETY: as above; its values were all moved out.
            unsafe { Chunk::free(waiting) };
            waiting = next;
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
/// Its length is exact: the elements are counted when the iterator is
/// made (one look at each slot's state byte; [`len`](Queue::len) would
/// also count slots that a [`push_iter`](Queue::push_iter) gave up), and
/// each item yielded takes one off.
///
/// ```
/// use lazuli::Queue;
///
/// let queue: Queue<_> = ["a", "b"].into_iter().collect();
/// let iter = queue.into_iter();
/// assert_eq!(iter.len(), 2);
/// assert_eq!(iter.collect::<Vec<_>>(), ["a", "b"]);
/// ```
pub struct IntoIter<T, const CHUNK: usize = DEFAULT_CHUNK> {
    queue: Queue<T, CHUNK>,
    /// The elements not yielded yet.
    remaining: usize,
}

impl<T, const CHUNK: usize> Iterator for IntoIter<T, CHUNK> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let value = self.queue.pop_mut();
        if value.is_some() {
            debug_assert!(self.remaining > 0, "IntoIter yielded more than it counted");
            self.remaining = self.remaining.saturating_sub(1);
        } else {
            debug_assert_eq!(self.remaining, 0, "IntoIter ended before its count");
        }
        value
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // Exact: counted when the iterator was made, and nobody else can
        // touch the queue.
        (self.remaining, Some(self.remaining))
    }
}

impl<T, const CHUNK: usize> ExactSizeIterator for IntoIter<T, CHUNK> {}

impl<T, const CHUNK: usize> core::iter::FusedIterator for IntoIter<T, CHUNK> {}

impl<T, const CHUNK: usize> fmt::Debug for IntoIter<T, CHUNK> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.remaining)
            .finish()
    }
}

impl<T, const CHUNK: usize> IntoIterator for Queue<T, CHUNK> {
    type Item = T;
    type IntoIter = IntoIter<T, CHUNK>;

    fn into_iter(mut self) -> IntoIter<T, CHUNK> {
        let remaining = self.live_elements();
        IntoIter {
            queue: self,
            remaining,
        }
    }
}
