//! The one place where lazuli picks its synchronisation primitives.
//!
//! Every atomic, cell, thread operation and waker in the crate comes from this
//! module, never from `std` directly. Under `cfg(loom)` the module swaps in
//! [loom]'s instrumented versions, so that a loom model (ours in `loom-tests/`,
//! or a user's own model of code that uses lazuli) explores every interleaving
//! of lazuli's internals too.
//!
//! | primitive | normal build | `--cfg loom` |
//! |---|---|---|
//! | atomics, `fence` | `core::sync::atomic` | `loom::sync::atomic` |
//! | [`UnsafeCell`] | a `core::cell::UnsafeCell` wrapper with loom's `with`/`with_mut` API | `loom::cell::UnsafeCell` |
//! | [`thread`] | `std::thread` | `loom::thread` |
//! | [`thread_local!`] | `std::thread_local!` | `loom::thread_local!` |
//! | [`AtomicWaker`] | the `atomic-waker` crate | `loom::future::AtomicWaker` |
//! | [`spin_loop`] | `core::hint::spin_loop` | `loom::thread::yield_now` (loom must be told that a spinning thread waits) |
//! | [`contention_pause`] | `n` × `core::hint::spin_loop` (nothing under Miri) | nothing: a fixed delay waits for no condition, so it changes no interleaving loom must explore |
//! | [`idle_poll`] | every [`POLLS_PER_YIELD`]-th call on a thread: `std::thread::yield_now` | nothing: a courtesy to the OS scheduler, not an event of the algorithm |
//! | [`epoch`] | crossbeam-epoch | crossbeam-epoch; modelled by loom only with `--cfg crossbeam_loom` as well |
//!
//! Two kinds of primitives do not come from here. The per-node lock of the
//! lazy list and skiplist is `parking_lot`'s raw mutex in normal builds and
//! a loom `AtomicBool` under loom, switched in `src/lazy/lock.rs`; and
//! per-thread state in `thread_local!`s (the skiplist's level generator,
//! the idle-poll count) uses plain `core::cell::Cell`s, which no other
//! thread can reach. One documented exception: the queue's slot state byte
//! (`Slot::state` in `src/queue/chunk.rs`) is a `core::cell::UnsafeCell<u8>`
//! outside loom, because an `AtomicU8` may not sit in the packed slot; it is
//! only ever accessed as an `AtomicU8` (through `AtomicU8::from_ptr`), never
//! through the cell. Under loom it is a `loom::sync::atomic::AtomicU8` from
//! this module, so the models see every access to it.
//!
//! [loom]: https://docs.rs/loom

#![allow(dead_code, unused_imports)] // not every item is used by every configuration

/// Atomic types and fences.
pub(crate) mod atomic {
    #[cfg(not(loom))]
    pub(crate) use core::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    #[cfg(loom)]
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
}

/// Threads: `yield_now`, `park`, `current`, `spawn`.
pub(crate) mod thread {
    #[cfg(loom)]
    pub(crate) use loom::thread::{current, park, yield_now, Thread};
    #[cfg(not(loom))]
    pub(crate) use std::thread::{current, park, park_timeout, yield_now, Thread};
}

#[cfg(loom)]
pub(crate) use loom::thread_local;
/// `thread_local!`: std's normally; loom's under loom, where every model
/// thread runs on one OS thread and a std thread-local would leak state
/// between model threads and executions.
#[cfg(not(loom))]
pub(crate) use std::thread_local;

/// The epoch-based reclamation crate.
///
/// Under `--cfg loom` alone this is the real collector (its atomics are not
/// modelled, and it is conservative, so models stay sound). Under
/// `--cfg loom --cfg crossbeam_loom` the collector is loom's own per-execution
/// instance and every epoch transition is explored.
pub(crate) use crossbeam_epoch as epoch;

/// True when deferred functions run inside the loom execution that deferred
/// them, so they may touch loom objects. With `--cfg loom` alone the real
/// collector can run a deferred function during a *later* execution, where a
/// loom atomic of an earlier one must not be touched; code that recycles
/// memory through the epoch checks this and falls back to leaking.
pub(crate) const DEFERRED_IN_MODEL: bool = cfg!(any(not(loom), crossbeam_loom));

/// Tell the scheduler that this thread is busy-waiting.
///
/// Under loom this yields, which is how loom learns that the spinning thread
/// cannot make progress until another thread runs.
#[inline]
pub(crate) fn spin_loop() {
    #[cfg(not(loom))]
    core::hint::spin_loop();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Pause for `n` spin-loop hints: contention management, not waiting.
///
/// Unlike [`spin_loop`] this does not wait for another thread to do
/// something; it only delays the caller so that the thread it collided with
/// finds the contended cache lines still in its own cache. Under loom and
/// Miri it does nothing: a delay is not an event, the checkers' schedules
/// already include every order the delay could produce, and under Miri
/// each hint costs an interpreted step (the queue's claim backoff is 256
/// of them).
#[inline]
pub(crate) fn contention_pause(n: u32) {
    #[cfg(not(any(loom, miri)))]
    for _ in 0..n {
        core::hint::spin_loop();
    }
    #[cfg(any(loom, miri))]
    let _ = n;
}

/// How many polls that found nothing a thread makes between two yields of
/// its CPU (see [`idle_poll`]).
pub(crate) const POLLS_PER_YIELD: u32 = 256;

#[cfg(not(loom))]
std::thread_local! {
    /// How many polls that found nothing the calling thread has made
    /// (modulo 2^32): the count behind [`idle_poll`].
    static IDLE_POLLS: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
}

/// Records that the calling thread polled and found nothing to take; every
/// [`POLLS_PER_YIELD`]-th such call on a thread yields its CPU to the OS
/// scheduler. Returns whether this call yielded.
///
/// A consumer that spins on `pop` while more threads are runnable than
/// there are CPUs burns the time slices that the producers it waits for
/// need. One yield per 256 empty polls (a few µs of spinning) hands the CPU
/// over; with nothing else runnable the yield returns at once (a system
/// call, well under a microsecond), so a spinning consumer on an idle
/// machine gives up nothing it was using. The count is per thread, shared
/// by every queue the thread polls, and is never reset (a successful pop
/// does not reset it either): at most one yield per 256 empty polls,
/// however far apart they are. Nothing under loom, where a scheduling
/// courtesy is not an event the model needs. The queue's module docs
/// ("Polling an empty queue") have the measurements.
#[inline]
pub(crate) fn idle_poll() -> bool {
    #[cfg(not(loom))]
    {
        let due = IDLE_POLLS
            .try_with(|polls| {
                let count = polls.get().wrapping_add(1);
                polls.set(count);
                count % POLLS_PER_YIELD == 0
            })
            // Cannot fail: a const-initialised `Cell<u32>` has no
            // destructor, so std never tears its slot down, not even while
            // the thread exits. `try_with` only keeps a panic path out of
            // `pop`.
            .unwrap_or(false);
        if due {
            std::thread::yield_now();
            #[cfg(test)]
            test_hooks::after_yield();
        }
        due
    }
    #[cfg(loom)]
    false
}

/// Hooks for the unit tests of [`idle_poll`] and of the queue's polling
/// (`cfg(test)` only, and never under loom: outside tests `idle_poll`
/// carries no trace of them).
#[cfg(all(test, not(loom)))]
pub(crate) mod test_hooks {
    use core::cell::Cell;

    std::thread_local! {
        /// What the calling thread's next yield in `idle_poll` runs.
        static AFTER_YIELD: Cell<Option<Box<dyn FnOnce()>>> = const { Cell::new(None) };
    }

    /// The calling thread's count of polls that found nothing (see
    /// `idle_poll`).
    pub(crate) fn idle_polls() -> u32 {
        super::IDLE_POLLS.with(Cell::get)
    }

    /// Runs `hook` right after the calling thread's next yield in
    /// `idle_poll` (once), as if another thread had run while this one
    /// was away.
    pub(crate) fn on_next_yield(hook: impl FnOnce() + 'static) {
        AFTER_YIELD.with(|slot| slot.set(Some(Box::new(hook))));
    }

    /// True if a hook set by [`on_next_yield`] has not run yet.
    pub(crate) fn yield_hook_pending() -> bool {
        AFTER_YIELD.with(|slot| {
            let hook = slot.take();
            let pending = hook.is_some();
            slot.set(hook);
            pending
        })
    }

    /// Called by `idle_poll` right after it yielded.
    pub(super) fn after_yield() {
        if let Some(hook) = AFTER_YIELD.with(Cell::take) {
            hook();
        }
    }
}

/// Loads `atomic` (one of the queue's claim indices, which are 64-bit on
/// every target) for a decision that a read-modify-write later validates
/// (or that concludes "empty"): a plain load normally, `fetch_add(0)` under
/// loom.
///
/// loom 0.7's DPOR adds a backtracking point when a load follows another
/// thread's store, but not when a store follows another thread's load, so a
/// model whose first schedule runs a consumer's loads before a producer's
/// claim never tries the claim first (such models report one execution). An
/// RMW is a store to loom, so the producer's later claim is seen to
/// conflict with it and both orders are explored. The RMW reads the newest
/// value, so loom no longer explores a stale read at these sites: at the
/// index loads a stale value only makes the validating CAS fail, and at the
/// emptiness check the real load is SeqCst and ordered by the readiness
/// handshake's fences. Because the RMW also synchronizes with the push's
/// claim, the queue's signal models cannot see those fences; the handshake
/// is checked over a plain-load source instead (`src/queue/handshake.rs`
/// and its `handshake_*` models).
#[inline(always)]
pub(crate) fn load_decisive(atomic: &atomic::AtomicU64, order: atomic::Ordering) -> u64 {
    #[cfg(not(loom))]
    {
        atomic.load(order)
    }
    #[cfg(loom)]
    {
        let order = match order {
            atomic::Ordering::Relaxed => atomic::Ordering::Relaxed,
            atomic::Ordering::Acquire => atomic::Ordering::Acquire,
            _ => atomic::Ordering::SeqCst,
        };
        atomic.fetch_add(0, order)
    }
}

/// Path counters for loom models (`cfg(loom)` only).
///
/// loom reports how many executions it explored, not which paths of the
/// algorithm they reached, and its DPOR can prune more than one expects (a
/// thread whose first access to an atomic is a load misses schedules). A
/// model therefore asserts that the paths it claims to cover were taken at
/// least once. The counters are plain std atomics, invisible to loom, and
/// count across all executions of the process.
#[cfg(loom)]
#[doc(hidden)]
pub mod coverage {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// One path of an algorithm that a model may claim to reach.
    #[derive(Debug)]
    pub struct Path {
        /// What the path is, for messages.
        pub name: &'static str,
        hits: AtomicUsize,
    }

    impl Path {
        /// A path not taken yet.
        pub const fn new(name: &'static str) -> Self {
            Path {
                name,
                hits: AtomicUsize::new(0),
            }
        }
        /// Records that the path was taken.
        pub fn hit(&self) {
            // memory ordering: Relaxed: a tally that publishes no data; it
            // is read (`hits`) around a model run, not during one.
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        /// How many times it was taken so far, in all executions.
        pub fn hits(&self) -> usize {
            // memory ordering: Relaxed: loom runs every model thread as a
            // coroutine on the OS thread that runs the model, so each `hit`
            // of a run is sequenced before a read made after it returned
            // (runs on other OS threads are ordered by whatever serialises
            // them: `explore` in loom-tests holds a lock).
            self.hits.load(Ordering::Relaxed)
        }
    }
}

/// Declares the path counters of a protocol's `paths` module: each entry is
/// its doc comment, its name and the text models print for it.
#[cfg(loom)]
macro_rules! paths {
    ($($(#[$doc:meta])* $name:ident: $text:literal;)*) => {
        $($(#[$doc])* pub static $name: $crate::sync::coverage::Path =
            $crate::sync::coverage::Path::new($text);)*
    };
}
#[cfg(loom)]
pub(crate) use paths;

/// Records that a path was taken (loom builds only; nothing otherwise).
macro_rules! cover {
    ($path:path) => {
        #[cfg(loom)]
        $path.hit();
    };
}
pub(crate) use cover;

pub(crate) use cell::UnsafeCell;

#[cfg(loom)]
mod cell {
    pub(crate) use loom::cell::UnsafeCell;
}

#[cfg(not(loom))]
mod cell {
    /// `core::cell::UnsafeCell` behind loom's closure-based API, so the same
    /// code compiles for both. Under loom each `with`/`with_mut` is checked
    /// for conflicting concurrent access.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T: ?Sized>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        #[inline(always)]
        pub(crate) const fn new(value: T) -> Self {
            Self(core::cell::UnsafeCell::new(value))
        }

        #[inline(always)]
        pub(crate) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Read access through a raw pointer.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Write access through a raw pointer.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

pub(crate) use waker::AtomicWaker;

#[cfg(not(loom))]
mod waker {
    pub(crate) use atomic_waker::AtomicWaker;
}

#[cfg(loom)]
mod waker {
    use core::task::Waker;

    /// loom's `AtomicWaker` behind atomic-waker's API (`register(&Waker)`,
    /// `take()`), so that the readiness signal compiles unchanged.
    #[derive(Debug)]
    pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

    impl AtomicWaker {
        pub(crate) fn new() -> Self {
            Self(loom::future::AtomicWaker::new())
        }

        pub(crate) fn register(&self, waker: &Waker) {
            self.0.register_by_ref(waker);
        }

        pub(crate) fn wake(&self) {
            self.0.wake();
        }

        pub(crate) fn take(&self) -> Option<Waker> {
            self.0.take_waker()
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::test_hooks::{idle_polls, on_next_yield, yield_hook_pending};
    use super::{idle_poll, POLLS_PER_YIELD};
    use crate::Queue;
    use std::sync::Arc;

    #[test]
    fn an_idle_poller_yields_once_every_polls_per_yield() {
        // A fresh thread: its count starts at zero.
        std::thread::spawn(|| {
            let yielded: Vec<u32> = (1..=3 * POLLS_PER_YIELD).filter(|_| idle_poll()).collect();
            let expected: Vec<u32> = (1..=3).map(|round| round * POLLS_PER_YIELD).collect();
            assert_eq!(yielded, expected);
        })
        .join()
        .unwrap();
    }

    /// Asserts that `call` leaves the calling thread's idle-poll count as it
    /// found it.
    fn counts_nothing<R>(what: &str, call: impl FnOnce() -> R) -> R {
        let before = idle_polls();
        let result = call();
        assert_eq!(idle_polls(), before, "{what} counted towards a yield");
        result
    }

    /// Polls `future` once, with a waker that does nothing.
    fn poll_once<F: core::future::Future + Unpin>(future: &mut F) -> core::task::Poll<F::Output> {
        use core::future::Future;
        let waker = futures::task::noop_waker();
        core::pin::Pin::new(future).poll(&mut core::task::Context::from_waker(&waker))
    }

    #[test]
    fn empty_pops_count_towards_a_yield_and_receiving_calls_do_not() {
        use crate::queue::RecvTimeoutError;
        use core::task::Poll;
        use futures::executor::block_on;
        use futures::StreamExt;
        use std::time::Duration;

        // A fresh thread, so that no other test's polls are in its count.
        std::thread::spawn(|| {
            let queue = Arc::new(Queue::<u8>::new());
            let mut sink = Vec::new();

            // Each empty `pop` and `pop_into` adds exactly one; a `max` of 0
            // asks for nothing and adds nothing.
            let start = idle_polls();
            assert_eq!(queue.pop(), None);
            assert_eq!(idle_polls(), start.wrapping_add(1), "an empty pop");
            assert_eq!(queue.pop_into(&mut sink, 4), 0);
            assert_eq!(idle_polls(), start.wrapping_add(2), "an empty pop_into");
            counts_nothing("pop_into with max 0", || queue.pop_into(&mut sink, 0));

            // The receiving calls poll the open, empty queue (before they
            // register and in the re-check after) without counting.
            counts_nothing("recv_timeout", || {
                assert_eq!(
                    queue.recv_timeout(Duration::ZERO),
                    Err(RecvTimeoutError::Timeout)
                );
            });
            counts_nothing("recv", || {
                assert_eq!(poll_once(&mut queue.recv()), Poll::Pending);
            });
            counts_nothing("recv_owned", || {
                assert_eq!(
                    poll_once(&mut Arc::clone(&queue).recv_owned()),
                    Poll::Pending
                );
            });
            counts_nothing("recv_many", || {
                assert_eq!(poll_once(&mut queue.recv_many(&mut sink, 4)), Poll::Pending);
            });
            counts_nothing("stream", || {
                assert_eq!(poll_once(&mut queue.stream().next()), Poll::Pending);
            });
            counts_nothing("stream_owned", || {
                let mut stream = Arc::clone(&queue).stream_owned();
                assert_eq!(poll_once(&mut stream.next()), Poll::Pending);
            });

            // Closed and empty: the blocking forms return at once, after
            // polling (twice: before and after seeing the close).
            assert!(queue.close());
            counts_nothing("recv_blocking", || assert_eq!(queue.recv_blocking(), None));
            counts_nothing("recv_many_blocking", || {
                assert_eq!(queue.recv_many_blocking(&mut sink, 4), 0);
            });
            counts_nothing("recv_timeout (closed)", || {
                assert_eq!(
                    queue.recv_timeout(Duration::from_secs(60)),
                    Err(RecvTimeoutError::Closed)
                );
            });
            counts_nothing("recv (closed)", || {
                assert_eq!(block_on(queue.recv()), None);
            });
            counts_nothing("recv_many (closed)", || {
                assert_eq!(block_on(queue.recv_many(&mut sink, 4)), 0);
            });
            counts_nothing("stream (closed)", || {
                assert_eq!(block_on(queue.stream().next()), None);
            });

            // And `pop` still counts on a closed queue.
            let before = idle_polls();
            assert_eq!(queue.pop(), None);
            assert_eq!(idle_polls(), before.wrapping_add(1), "an empty pop");
            assert!(sink.is_empty());
        })
        .join()
        .unwrap();
    }

    /// Makes empty polls until the calling thread's next one yields.
    fn poll_until_a_yield_is_next() {
        while idle_polls().wrapping_add(1) % POLLS_PER_YIELD != 0 {
            idle_poll();
        }
    }

    #[test]
    fn an_empty_pop_that_yields_looks_again_before_it_reports_empty() {
        std::thread::spawn(|| {
            let queue = Arc::new(Queue::<u32>::new());
            poll_until_a_yield_is_next();
            // While this thread is away, another pushes.
            let producer = Arc::clone(&queue);
            on_next_yield(move || producer.push(7).unwrap());
            assert_eq!(
                queue.pop(),
                Some(7),
                "pop reported an answer from before its yield"
            );
            assert!(!yield_hook_pending(), "pop did not yield");
            // The element was taken once: the next pop finds nothing.
            assert_eq!(queue.pop(), None);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn an_empty_pop_into_that_yields_looks_again_before_it_reports_empty() {
        std::thread::spawn(|| {
            let queue = Arc::new(Queue::<u32>::new());
            let mut out = Vec::new();
            poll_until_a_yield_is_next();
            let producer = Arc::clone(&queue);
            on_next_yield(move || producer.push_iter([7, 8]).unwrap());
            assert_eq!(
                queue.pop_into(&mut out, 4),
                2,
                "pop_into reported an answer from before its yield"
            );
            assert_eq!(out, [7, 8]);
            assert!(!yield_hook_pending(), "pop_into did not yield");
        })
        .join()
        .unwrap();
    }
}
