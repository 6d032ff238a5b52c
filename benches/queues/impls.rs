//! The one queue interface every queue benchmark drives, implemented once
//! for lazuli's `Queue` and its peers. Shared by `benches/queue.rs` and the
//! `scaling` example (which includes this file by path).
//!
//! None of these queues is ever closed or bounded, so every push succeeds.
//! Only `Queue` has batch calls of its own (`push_iter`, `pop_into`);
//! `Mutex<VecDeque>` takes its lock once per batch; the others loop over
//! `push` and `pop`.

use std::collections::VecDeque;
use std::sync::Mutex;

/// What the queue benchmarks need from a queue of `u64`.
pub trait QueueUnderTest: Sync {
    /// Pushes `value`.
    fn push(&self, value: u64);
    /// Pops the oldest element, if any.
    fn pop(&self) -> Option<u64>;
}

/// Batch calls: what `batch32` needs beyond [`QueueUnderTest`].
pub trait BatchQueue: QueueUnderTest {
    /// Pushes `values` (the default loops over `push`).
    fn push_batch(&self, values: std::ops::Range<u64>) {
        for value in values {
            self.push(value);
        }
    }
    /// Pops up to `max` into `out`, returning how many (the default loops
    /// over `pop`).
    fn pop_batch(&self, out: &mut Vec<u64>, max: usize) -> usize {
        let before = out.len();
        while out.len() - before < max {
            match self.pop() {
                Some(value) => out.push(value),
                None => break,
            }
        }
        out.len() - before
    }
}

/// Implements [`QueueUnderTest`] for a queue whose `push` returns a
/// `Result` (`Err` only once closed or full, which never happens here) and
/// whose `pop` is written `$pop` of `$queue`.
macro_rules! fallible_push_queue {
    ($($ty:ty => |$queue:ident| $pop:expr),* $(,)?) => {$(
        impl QueueUnderTest for $ty {
            #[inline]
            fn push(&self, value: u64) {
                let pushed = <$ty>::push(self, value);
                debug_assert!(pushed.is_ok());
            }
            #[inline]
            fn pop(&self) -> Option<u64> {
                let $queue = self;
                $pop
            }
        }
    )*};
}

fallible_push_queue!(
    lazuli::Queue<u64> => |queue| lazuli::Queue::pop(queue),
    concurrent_queue::ConcurrentQueue<u64> => |queue| {
        concurrent_queue::ConcurrentQueue::pop(queue).ok()
    },
);

impl QueueUnderTest for crossbeam_queue::SegQueue<u64> {
    #[inline]
    fn push(&self, value: u64) {
        crossbeam_queue::SegQueue::push(self, value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::SegQueue::pop(self)
    }
}

impl QueueUnderTest for Mutex<VecDeque<u64>> {
    #[inline]
    fn push(&self, value: u64) {
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(value)
    }
    #[inline]
    fn pop(&self) -> Option<u64> {
        self.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
}

impl BatchQueue for lazuli::Queue<u64> {
    #[inline]
    fn push_batch(&self, values: std::ops::Range<u64>) {
        let pushed = self.push_iter(values);
        debug_assert!(pushed.is_ok());
    }
    #[inline]
    fn pop_batch(&self, out: &mut Vec<u64>, max: usize) -> usize {
        self.pop_into(out, max)
    }
}

impl BatchQueue for crossbeam_queue::SegQueue<u64> {}
impl BatchQueue for concurrent_queue::ConcurrentQueue<u64> {}

impl BatchQueue for Mutex<VecDeque<u64>> {
    fn push_batch(&self, values: std::ops::Range<u64>) {
        self.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(values);
    }
    fn pop_batch(&self, out: &mut Vec<u64>, max: usize) -> usize {
        let mut queue = self.lock().unwrap_or_else(|e| e.into_inner());
        let n = max.min(queue.len());
        out.extend(queue.drain(..n));
        n
    }
}
