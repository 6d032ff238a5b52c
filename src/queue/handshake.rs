//! The readiness handshake over a bare counter: the signal's unit tests
//! (`signal_tests.rs`) and a loom check that the waiter's side of the
//! handshake is ordered as `signal.rs` argues.
//!
//! Under loom the queue's emptiness check is a read-modify-write
//! (`load_decisive` in `src/sync.rs`, which keeps loom's DPOR from pruning
//! schedules). An RMW reads the newest value and synchronizes with the
//! push's claim by itself, so the queue's own signal models would pass even
//! with the waiter's fence removed or its increment of `armed` moved after
//! the fence: they cannot see the handshake.
//!
//! [`Tokens`] pairs the same [`Signal`] and [`Waiter`] with a source whose
//! emptiness check is a plain SeqCst load, which loom may read stale, as
//! hardware may. The `handshake_*` models in `loom-tests/tests/signal.rs`
//! run a taker on the spawned thread (so that its load-first side is not
//! pruned) against a putter, and fail with a deadlock on a lost wake-up.
//!
//! ```text
//!  Tokens
//!  +-------------+
//!  | count: 0    |   put: count += 1 (SeqCst RMW, as a push's claim), notify_one
//!  | closed: no  |   close: set once, then notify_all (as `Queue::close`)
//!  | signal -----+-> the registry of `signal.rs`, unchanged
//!  +-------------+   take: a Waiter whose try_take loads count, then CASes it down
//! ```

#[cfg(loom)]
use core::future::Future;

#[cfg(loom)]
use super::signal::Waiter;
use super::signal::{Signal, Source};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A counter of tokens with the queue's readiness signal in front of it.
#[derive(Debug)]
pub struct Tokens {
    count: AtomicUsize,
    closed: AtomicBool,
    pub(super) signal: Signal,
}

impl Default for Tokens {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokens {
    /// No tokens, nobody waiting.
    pub fn new() -> Self {
        Tokens {
            count: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            signal: Signal::new(),
        }
    }

    /// Closes the counter, as `Queue::close` does: waiters see the end once
    /// no token is left.
    pub fn close(&self) {
        // memory ordering: SeqCst, as `is_closed` must be true before the
        // closer's `notify_all` (signal.rs), and only the first closer wakes.
        if !self.closed.swap(true, Ordering::SeqCst) {
            self.signal.notify_all();
        }
    }

    /// Adds a token and wakes one waiter, as a push does.
    pub fn put(&self) {
        // memory ordering: SeqCst RMW: the producer's half of the handshake,
        // in the place of a push's claiming CAS.
        self.count.fetch_add(1, Ordering::SeqCst);
        self.signal.notify_one();
    }

    /// Takes a token, waiting in the signal's registry while there is none:
    /// `Some(())`, or `None` once closed with no token left.
    #[cfg(loom)]
    pub fn take(&self) -> impl Future<Output = Option<()>> + '_ {
        let mut waiter = Waiter::new(self);
        core::future::poll_fn(move |cx| waiter.poll(cx.waker()))
    }

    /// How many waiters the signal counts; 0 once every wait has ended.
    #[cfg(loom)]
    pub fn armed_waiters(&self) -> usize {
        self.signal.armed()
    }
}

// SAFETY: the signal is a field of the `Tokens` the borrow refers to, so it
// is the same one on every call and lives as long as the borrow.
unsafe impl Source for &Tokens {
    type Item = ();

    fn signal(&self) -> &Signal {
        &self.signal
    }

    fn try_take(&mut self) -> Option<()> {
        // memory ordering: SeqCst, as the queue's emptiness check; a plain
        // load under loom too, so that loom may read a stale 0 here.
        let mut count = self.count.load(Ordering::SeqCst);
        while count > 0 {
            // memory ordering: as above; the CAS only decides who takes.
            match self
                .count
                .compare_exchange(count, count - 1, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return Some(()),
                Err(now) => count = now,
            }
        }
        None
    }

    fn is_closed(&self) -> bool {
        // memory ordering: SeqCst, the waiter's side of `close`.
        self.closed.load(Ordering::SeqCst)
    }
}
