//! Batches: [`Queue::push_iter`] and [`Queue::pop_into`].
//!
//! A batch claims up to the rest of a lap with one CAS (`claim.rs`) and then
//! works slot by slot through a [`Run`] (producers) or a [`Drain`]
//! (consumers). Both are drop guards: a panic in the user's iterator or
//! `Extend` leaves no claimed slot unfinished, so no chunk is kept from
//! reuse and no element is lost or dropped twice. A run wakes waiting
//! consumers once, as it ends: `Signal::notify_many` with the number of
//! elements it published (also when the iterator panicked mid-run).

use super::chunk::{Chunk, Published};
use super::claim::Claim;
#[cfg(loom)]
use super::paths;
use super::{PushError, Queue};
use crate::sync::cover;

impl<T, const CHUNK: usize> Queue<T, CHUNK> {
    /// Appends every element of `values` at the back, in order, claiming up
    /// to a lap's worth of slots with one compare-and-swap. Never blocks.
    ///
    /// Each element is its own linearizable push, and this thread's elements
    /// keep their order; elements of other producers may come between them.
    /// How many slots are claimed at once follows `values.size_hint()`'s
    /// lower bound, so a `Vec`, an array or a range is pushed in lap-sized
    /// runs. Each element wakes one waiting consumer, as `push` does; a run
    /// sends its wake-ups together once its elements are published (one
    /// check of the waiter count, not one per element).
    ///
    /// # Errors
    /// Fails only once the queue is [closed](Queue::close): the first element
    /// that found it closed is handed back, and the rest of `values` is not
    /// consumed. Elements before it were pushed.
    ///
    /// If the iterator panics, the elements it yielded before are pushed and
    /// slots claimed for later ones are given up (consumers skip them). So
    /// are the slots left over when the iterator yields fewer elements than
    /// its `size_hint` lower bound promised. A given-up slot counts in
    /// [`len`](Queue::len) until a consumer passes it.
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push_iter(0..5).unwrap();
    /// let mut out = Vec::new();
    /// assert_eq!(queue.pop_into(&mut out, 3), 3);
    /// assert_eq!(out, [0, 1, 2]);
    ///
    /// queue.close();
    /// let err = queue.push_iter([7, 8]).unwrap_err();
    /// assert_eq!(err.into_inner(), 7);
    /// ```
    pub fn push_iter<I: IntoIterator<Item = T>>(&self, values: I) -> Result<(), PushError<T>> {
        let mut values = values.into_iter();
        let mut carried = values.next();
        while let Some(first) = carried.take() {
            let want = values.size_hint().0.saturating_add(1);
            let Some(claim) = self.claim_tail(want) else {
                return Err(PushError(first));
            };
            let mut run = Run {
                queue: self,
                claim,
                next: claim.offset,
                unannounced: 0,
            };
            carried = run.fill(first, &mut values);
        }
        Ok(())
    }

    /// Moves up to `max` elements from the front into `dst`, in FIFO order,
    /// and returns how many it moved. Never waits for a producer: 0 means
    /// the queue was empty (or `max` was 0).
    ///
    /// Up to a lap's worth of slots is claimed with one compare-and-swap, so
    /// a batch of 32 costs one claim instead of 32. Each element is its own
    /// linearizable pop.
    ///
    /// Every 256th empty `pop_into` or [`pop`](Queue::pop) on a thread
    /// yields the CPU ([`std::thread::yield_now`]) and then looks once more
    /// before it returns 0. The count is per thread, shared by all queues,
    /// and not reset by a successful pop; a call with `max` 0 asks for
    /// nothing and is not counted.
    ///
    /// If `dst`'s `Extend` panics, the elements of the claimed run that it
    /// had not taken yet are dropped (they are out of the queue by then).
    ///
    /// ```
    /// use lazuli::Queue;
    ///
    /// let queue = Queue::new();
    /// queue.push_iter(["a", "b", "c"]).unwrap();
    /// let mut batch = Vec::with_capacity(32);
    /// assert_eq!(queue.pop_into(&mut batch, 32), 3);
    /// assert_eq!(batch, ["a", "b", "c"]);
    /// assert_eq!(queue.pop_into(&mut batch, 32), 0);
    /// ```
    pub fn pop_into<E: Extend<T>>(&self, dst: &mut E, max: usize) -> usize {
        match self.try_pop_into(dst, max) {
            // As in `pop`: after a yield, look again.
            0 if max > 0 && crate::sync::idle_poll() => self.try_pop_into(dst, max),
            moved => moved,
        }
    }

    /// [`pop_into`](Queue::pop_into) without the count and the yield on an
    /// empty queue: how `recv_many` and `recv_many_blocking` poll (see
    /// `Queue::try_pop`).
    pub(super) fn try_pop_into<E: Extend<T>>(&self, dst: &mut E, max: usize) -> usize {
        let mut moved = 0;
        while moved < max {
            let Some(claim) = self.claim_head(max - moved) else {
                break;
            };
            let mut run = Drain {
                queue: self,
                chunk: claim.chunk,
                next: claim.offset,
                end: claim.offset + claim.count,
                skipped: 0,
            };
            dst.extend(&mut run);
            // An `Extend` that stopped early still gets every element, one
            // at a time; what it does with them is its own business.
            for value in run.by_ref() {
                dst.extend(Some(value));
            }
            moved += claim.count - run.skipped;
        }
        moved
    }
}

/// A run of tail slots being filled by `push_iter`. Dropping it (a panic in
/// the user's iterator) gives up the slots it has not filled.
struct Run<'a, T, const CHUNK: usize> {
    queue: &'a Queue<T, CHUNK>,
    claim: Claim<T, CHUNK>,
    /// The next slot to fill.
    next: usize,
    /// Elements published and not yet announced to waiting consumers: the
    /// run wakes them once, as it ends (`notify`).
    unannounced: usize,
}

impl<T, const CHUNK: usize> Run<'_, T, CHUNK> {
    /// Fills the run: `value` first, then from `values`. Returns the next
    /// value that needs a slot once the run is full (a value that came back
    /// from a skipped slot, or the iterator's next), or `None` when the
    /// iterator is done.
    fn fill(&mut self, value: T, values: &mut impl Iterator<Item = T>) -> Option<T> {
        let end = self.claim.offset + self.claim.count;
        let mut carried = Some(value);
        while self.next < end {
            let Some(value) = carried.take().or_else(|| values.next()) else {
                self.notify();
                return None; // `Drop` gives up the rest
            };
            let slot = self.next;
            self.next += 1;
            // SAFETY: our claim holds the chunk alive while a slot of the run
            // is unfinished, and `slot` is one of them.
            let chunk = unsafe { &*self.claim.chunk };
            // SAFETY: `slot` is ours, in the chunk's current lap.
            match unsafe { chunk.publish(slot, value) } {
                Published::Done => self.unannounced += 1,
                Published::Skipped(value) => {
                    // Skipped: the value goes into our next slot (still after
                    // this one), or into the next run.
                    cover!(paths::PRODUCER_RETRIED);
                    carried = Some(value);
                }
            }
        }
        self.notify();
        // The run is full: the next value, if any, needs the next run.
        carried.or_else(|| values.next())
    }

    /// Wakes a waiting consumer for each element published since the last
    /// call (one load of `armed` if nobody waits).
    fn notify(&mut self) {
        self.queue
            .signal
            .notify_many(core::mem::take(&mut self.unannounced));
    }
}

impl<T, const CHUNK: usize> Drop for Run<'_, T, CHUNK> {
    fn drop(&mut self) {
        if self.unannounced > 0 {
            // Only when the user's iterator panicked mid-run: its elements
            // are in the queue and their waiters must wake. A waker that
            // panics here would be a panic during that panic (an abort), so
            // its panic is dropped.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notify()));
        }
        let end = self.claim.offset + self.claim.count;
        while self.next < end {
            let slot = self.next;
            self.next += 1;
            cover!(paths::SLOT_GIVEN_UP);
            // SAFETY: as in `fill`: the unfinished slots keep the chunk alive.
            let chunk = unsafe { &*self.claim.chunk };
            // SAFETY: `slot` is ours and unfinished.
            unsafe { chunk.give_up(slot) };
        }
    }
}

/// A run of head slots being emptied by `pop_into`. Dropping it (a panic in
/// the user's `Extend`) drops the elements it has not handed out.
struct Drain<'a, T, const CHUNK: usize> {
    queue: &'a Queue<T, CHUNK>,
    chunk: *mut Chunk<T, CHUNK>,
    /// The next slot to take.
    next: usize,
    /// One past the run's last slot.
    end: usize,
    /// Slots of the run found without an element (skipped or given up):
    /// the run hands out `end - offset - skipped` elements once exhausted.
    skipped: usize,
}

impl<T, const CHUNK: usize> Iterator for Drain<'_, T, CHUNK> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        while self.next < self.end {
            let slot = self.next;
            self.next += 1;
            // SAFETY: the run's unfinished slots keep the chunk alive.
            let chunk = unsafe { &*self.chunk };
            // SAFETY: `slot` is ours, in the chunk's current lap.
            let value = unsafe { chunk.take(slot) };
            // SAFETY: we just took that slot.
            unsafe { self.queue.after_take(self.chunk, slot) };
            if value.is_some() {
                return value;
            }
            cover!(paths::SLOT_SKIPPED);
            self.skipped += 1;
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.end - self.next))
    }
}

impl<T, const CHUNK: usize> Drop for Drain<'_, T, CHUNK> {
    fn drop(&mut self) {
        for value in self.by_ref() {
            drop(value);
        }
    }
}
