//! The readiness signal: how a consumer sleeps until the queue holds an element.
//!
//! [`Queue::recv`](super::Queue::recv), `recv_blocking`, `recv_timeout`,
//! `stream`, their owned forms and `recv_many` all wait through the one
//! protocol in this module, each as a [`Waiter`] over its [`Source`] (what
//! it takes from, and how). Producers call
//! [`Signal::notify_one`] after every successful push (a `push_iter` run
//! calls [`Signal::notify_many`] once, for all the elements it published)
//! and the `close` call that closed the queue calls [`Signal::notify_all`].
//!
//! # Guarantees
//!
//! * **No lost wake-up.** A consumer that is waiting while an element sits in
//!   the queue is always woken (or finds the element itself).
//! * **One wake-up per push.** A push wakes at most one waiter (a batch, at
//!   most one per element); only `close` wakes them all. There is no herd.
//! * **Nearly free when nobody waits.** With no waiter, `notify_one` is one
//!   load of a counter on a cache line that only changes when a consumer
//!   starts or stops waiting or is woken: no read-modify-write, no fence.
//! * **No runtime.** A waiter is anything with a [`Waker`]: an async task
//!   under any executor, or a parked thread (a waker that unparks it). There
//!   is no background thread or task; a queue whose consumers never wait
//!   owns no memory here at all.
//! * **Lock-free.** Registering, notifying and deregistering are CAS loops
//!   over atomics; no lock is taken anywhere, on the push path or off it.
//!
//! # The waiter registry
//!
//! One [`AtomicWaker`] holds one waker, so a single one shared by several
//! consumers would lose all but the last registration. Every waiting
//! consumer therefore owns a slot of its own: a state byte and an
//! `AtomicWaker`. Slots live in pages that are linked into a list and are
//! never freed before the queue itself; each page is twice as large as the
//! one before it (8, 16, 32, … slots, so `p` pages hold `8 × (2^p − 1)`), so
//! `n` waiters that hold their slots at once fit in `⌈log2(n / 8 + 1)⌉`
//! pages, and a slot given back by one waiter is reused by the next.
//!
//! ```text
//!  Signal (its own cache line)
//!  +-----------------+
//!  | armed: 1        |   number of WAITING slots (and slots about to be)
//!  | pages ----------+--> Page 0 (8 slots)                     Page 1 (16 slots)
//!  +-----------------+    states  [W][N][F][O][F][F][F][F]      [F][F] ... [F]
//!                         wakers  [w][w][ ][w][ ][ ][ ][ ]      ...
//!                         next ------------------------------>  next -> null
//! ```
//!
//! The state bytes of a page sit next to each other, so a producer looking
//! for a waiter reads one cache line per page, not one per slot. Pages are
//! allocated on the first wait (page 0) and when every slot of every page is
//! owned; eight tasks waiting on an empty queue fit in page 0.
//!
//! ## States of a slot
//!
//! | state | meaning | counted in `armed` | left by | to |
//! |---|---|---|---|---|
//! | `FREE` | owned by nobody | no | a consumer about to wait (CAS) | `OWNED` |
//! | `OWNED` | owned by one consumer that is not waiting (it is registering, or it is a stream between items) | no | its owner: arm | `WAITING` |
//! | | | | its owner: release | `FREE` |
//! | `WAITING` | the owner's waker is registered; the owner sleeps until notified | yes | a producer or `close` (CAS) | `NOTIFIED` |
//! | | | | its owner, taking an element or cancelled (CAS) | `OWNED` |
//! | `NOTIFIED` | a producer (or `close`) chose this waiter and woke its waker | no | its owner only, having popped after seeing `NOTIFIED`: it got an element, or the queue is closed | `OWNED` |
//! | | | | its owner only, having found the element taken by someone else | `WAITING` (re-arm) |
//! | | | | its owner only, without popping after seeing `NOTIFIED` (cancelled, timed out, or its re-check had already found an element): it **passes the notification on** | `OWNED` |
//!
//! Only the owner moves a slot out of `NOTIFIED`, `OWNED` or into `FREE`;
//! notifiers only move `WAITING` to `NOTIFIED`. `armed` is incremented by the
//! owner just *before* it stores `WAITING` (arm and re-arm alike) and
//! decremented by whoever moves the slot out of `WAITING`: the notifier whose
//! CAS made it `NOTIFIED`, or the owner that disarmed it. A notifier's CAS
//! reads the `WAITING` store, which the increment precedes, so every
//! decrement follows its own increment in `armed`'s modification order:
//! `armed` is never negative and never less than the number of `WAITING`
//! slots. A slot already `NOTIFIED` is not counted, so the pushes that follow
//! a wake-up, while the woken consumer has not run yet, read 0 and do not
//! scan the registry.
//!
//! ## The life of a wait
//!
//! 1. `recv` first tries `try_pop` (through [`Source::try_take`]; `recv_many`
//!    tries `try_pop_into`): `pop` without the idle-poll count and its
//!    yield. Only if the queue is empty and open does it take a slot
//!    (`FREE → OWNED`, or a new page), register its waker, increment
//!    `armed`, store `WAITING`, issue `fence(SeqCst)`, and **re-check the
//!    queue** (`try_pop`, then `is_closed`). If the re-check finds an
//!    element it disarms at once; otherwise it returns `Pending`.
//! 2. A push publishes its element, then loads `armed`. If it is 0 the push
//!    is done. Otherwise it scans the pages for a `WAITING` slot, moves it to
//!    `NOTIFIED` by CAS, decrements `armed` and wakes that slot's waker. It
//!    stops at the first success, so one push wakes one waiter.
//! 3. The woken consumer sees `NOTIFIED` and tries `try_pop` again. If it
//!    gets an element (or finds the queue closed and drained) it disarms and
//!    gives the slot back. If the element was taken by a consumer that never
//!    slept, the wake-up has done its job; the consumer re-arms (increment,
//!    `NOTIFIED → WAITING`, fence, re-check) and sleeps again.
//!
//! ## Why no wake-up is lost: the handshake
//!
//! The race to rule out is the store-buffering one: the producer reads
//! `armed == 0` (or misses the `WAITING` state in its scan) while the
//! consumer's re-check misses the producer's element. The two sides are
//!
//! ```text
//!  producer P                              consumer W
//!  a: claim e's slot (SeqCst CAS in push)  c: armed += 1
//!  b: load armed (SeqCst),                 w: store WAITING (Release)
//!     then s: scan states (SeqCst loads)   d: fence(SeqCst)
//!                                          e: pop; is_closed
//! ```
//!
//! In the C++20 memory model (which Rust uses), suppose W's `pop` at `e`
//! reads a value that precedes P's claiming CAS `a` in its location's
//! modification order. Then, in the single total order *S* of SeqCst
//! operations, `d` precedes `a` (a SeqCst fence that happens before a load
//! coherence-ordered before the SeqCst write `a`), and `a` precedes `b` and
//! every scan load `s` (sequenced after it, all SeqCst). Now
//!
//! * if `b` read a value of `armed` that precedes W's increment `c`, then
//!   `b` would precede `d` in *S* (a SeqCst operation coherence-ordered
//!   before a write that happens before the fence `d`): a cycle. So `b`
//!   reads `c` or a later value. If that value is 0, W's count has been
//!   taken back, so W's slot has left `WAITING`: another notifier woke W,
//!   or W disarmed by itself. Either way W is not asleep.
//! * if `b` read a value other than 0, P scans. For the same reason its
//!   scan load `s` of W's state cannot read a value that precedes `w`: it
//!   reads `WAITING` (and P claims it unless another notifier does first)
//!   or a later state, in which W has already been woken or has left
//!   waiting by itself.
//!
//! So either W's re-check finds the element, or W does not stay asleep after
//! P's push. Neither `c` nor `w` needs to be SeqCst for this: only P's loads
//! and W's fence are in *S*. `w` is a release so that the notifier's CAS,
//! which reads it, sees W's waker and follows `c` (and so its decrement
//! follows `c` in `armed`'s modification order).
//!
//! **What this asks of the queue:** every value `pop` reads to conclude
//! "empty" must precede, in its location's modification order, a SeqCst
//! read-modify-write that strongly happens before the push's `notify_one`.
//! In `Queue` that is the tail index: a pop concludes "empty" only from a
//! SeqCst load of the tail index whose position equals the head's (its
//! cached `seen_tail` is only a hint to skip that load while a backlog
//! lasts), and every push claims its slot with a SeqCst compare-and-swap
//! on that index before it publishes and notifies. A pop that claims a
//! slot not yet published does not conclude "empty" from it: it skips the
//! slot, and the producer claims a later slot, again with a SeqCst CAS on
//! the tail index. A consumer's `pop` may use any ordering for its loads:
//! its fence orders them. `close` must make `is_closed` true before it
//! calls `notify_all`. The producer side then needs no fence of its own: its
//! SeqCst claim and the SeqCst load of `armed` stand in for one.
//!
//! `close` runs once per queue, so [`Signal::notify_all`] simply starts with
//! `fence(SeqCst)`: with fences on both sides, the closer's scan sees a
//! waiter's `WAITING` or that waiter's `is_closed` sees the close, whatever
//! orderings the accesses themselves use.
//!
//! ### Under loom
//!
//! loom models SeqCst loads and read-modify-writes as Acquire/AcqRel and has
//! no total order *S* for them, so the argument above cannot be checked as
//! it stands: loom would report the store-buffering outcome as a deadlock
//! that real hardware and the C++ model forbid. Under `cfg(loom)`,
//! `notify_one` therefore issues `fence(SeqCst)` before loading `armed`.
//! loom orders SeqCst fences totally, so the model checks the protocol with
//! a fence pair in place of "SeqCst RMW + SeqCst load". That substitution is
//! sound in the other direction too (a fence pair is at least as strong), and
//! the step it hides is exactly the argument above. The consumer side is
//! the same code in both builds.
//!
//! Under loom the queue's emptiness check is itself a read-modify-write
//! (`load_decisive` in `src/sync.rs`), which synchronizes with the push's
//! claim and so hides the consumer's half of the handshake from the queue's
//! models. `handshake.rs` runs this registry over a counter whose emptiness
//! check is a plain load; its models deadlock if the consumer's fence is
//! dropped or put before the increment of `armed`.
//!
//! ### Under ThreadSanitizer
//!
//! TSan builds happens-before from atomic releases and acquires, locks and
//! thread joins; it ignores standalone fences. That is harmless here, because
//! no fence in this protocol is what orders a *data* access. The fences
//! order atomic accesses against each other (the store-buffering handshake
//! above), which decides liveness: who wakes whom. Every element a consumer
//! takes is ordered after its producer's write by the slot's publishing
//! release and the pop's acquire; a slot handed from one owner to the next,
//! by the `FREE` release store and the taking `Acquire` CAS; a waker, inside
//! `AtomicWaker`, by read-modify-writes. So TSan sees every edge that keeps
//! the non-atomic accesses apart, and needs neither a different form of the
//! fences nor a suppression (CI runs the queue, signal, list and skiplist
//! tests under it; `.ci/run`). What TSan cannot check, the handshake itself,
//! is what the loom models and the argument above are for.
//!
//! ## Cancellation
//!
//! A consumer can stop waiting while it holds a notification it has not
//! acted on: a `Recv` dropped by `select!`, a timeout that expires just as a
//! producer picks it, or a consumer that found an element in its re-check
//! after a producer had already chosen it. Such a notification was meant for
//! an element that may still be in the queue, so whoever disarms a
//! `NOTIFIED` slot without having popped after seeing `NOTIFIED` **passes it
//! on**: it issues `fence(SeqCst)` and runs `notify_one` again. The
//! producer's push happens before the pass-on (the `NOTIFIED` CAS is a
//! release, read with acquire), so the fence makes the handshake above hold
//! for the pass-on exactly as for the push. At worst another waiter wakes,
//! finds the queue empty and sleeps again.
//!
//! ## Wakers that panic
//!
//! Registering runs the user's `Waker::clone` and the drop of the waker it
//! replaces; waking runs `Waker::wake`. Either may panic:
//!
//! * A panic while registering leaves that slot's `AtomicWaker`
//!   mid-registration for good (it would ignore every later registration
//!   and hand no waker to a notifier). The owner therefore disarms the slot
//!   (passing on a notification it held), keeps it `OWNED` for ever instead
//!   of freeing it, and lets the panic go on: no later consumer gets the
//!   broken slot, and no notification is spent on it.
//! * A panic in `wake` goes on out of the `push` (or `close`) that woke,
//!   after its element is in the queue (after the queue is closed). `close`
//!   first wakes every other waiting consumer, then resumes the first
//!   panic, so no waiter stays asleep on a closed queue.
//!
//! ## Memory
//!
//! Pages are allocated only when a consumer has to wait and every existing
//! slot is owned, and freed when the queue is dropped. A slot's waker is
//! taken out (dropped) when its owner releases the slot, so an idle registry
//! holds no task or thread alive.

use core::ptr;
use core::task::{Poll, Waker};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crossbeam_utils::CachePadded;

use crate::sync::atomic::{fence, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use crate::sync::{cover, AtomicWaker};

/// Paths of the signal protocol that loom models assert they reach
/// (re-exported as `lazuli::queue::signal_paths` under `cfg(loom)`).
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    crate::sync::paths! {
        /// A push (or a pass-on) moved a `WAITING` slot to `NOTIFIED`.
        WOKE_ONE: "notify_one woke a waiter";
        /// `notify_one` saw `armed != 0` but found no `WAITING` slot.
        FOUND_NONE: "notify_one found nobody waiting";
        /// A waiter's re-check after arming found an element (or the close).
        RECHECK_READY: "re-check after arming was ready";
        /// A waiter whose re-check found an element although it had already
        /// been notified passed the notification on.
        RECHECK_PASSED_ON: "notified waiter ready in re-check passed on";
        /// A waiter dropped (cancelled, timed out) while `NOTIFIED` passed the
        /// notification on.
        CANCEL_PASSED_ON: "cancelled notified waiter passed on";
        /// A notified waiter found its element taken and re-armed.
        REARMED: "notified waiter re-armed";
        /// `close` moved a `WAITING` slot to `NOTIFIED`.
        CLOSE_WOKE: "close woke a waiter";
        /// One `notify_many` (a `push_iter` run) woke a second waiter.
        BATCH_WOKE_ANOTHER: "a batch's notify_many woke a second waiter";
        /// A consumer linked a registry page after the first: the registry grew.
        GREW: "registry grew past its first page";
        /// A consumer lost the race to link a new registry page.
        PAGE_RACE_LOST: "lost the race to link a registry page";
    }
}

/// Slot state: owned by nobody.
const FREE: u8 = 0;
/// Slot state: owned by a consumer that is not waiting.
const OWNED: u8 = 1;
/// Slot state: the owner sleeps until a producer or `close` notifies it.
const WAITING: u8 = 2;
/// Slot state: a producer or `close` chose this waiter and woke its waker.
const NOTIFIED: u8 = 3;

/// Slots in the first page; each later page doubles. Under loom two, so that
/// a third waiter already makes the registry grow inside a model.
const FIRST_PAGE: usize = if cfg!(loom) { 2 } else { 8 };

/// The waiter registry of one queue.
pub(crate) struct Signal {
    /// Both fields are read by every producer that finds a waiter, and
    /// `armed` by every push, so they get a cache line of their own, away from
    /// the queue's indices.
    shared: CachePadded<Shared>,
}

struct Shared {
    /// Number of `WAITING` slots, plus those whose owner has incremented it
    /// and is about to store `WAITING`. Incremented by an owner arming its
    /// slot, decremented by whoever moves a slot out of `WAITING`. Written
    /// only by read-modify-writes.
    armed: AtomicUsize,
    /// First page of the registry; null until a consumer first has to wait.
    /// Pages are appended by CAS on the last page's `next` and freed only in
    /// `Drop`.
    pages: AtomicPtr<Page>,
}

/// A page of waiter slots.
struct Page {
    /// `FREE`, `OWNED`, `WAITING` or `NOTIFIED` for each slot, packed so
    /// that a scan reads few cache lines.
    states: Box<[AtomicU8]>,
    /// The waker registered by each slot's owner.
    wakers: Box<[AtomicWaker]>,
    /// The next, twice larger page, or null.
    next: AtomicPtr<Page>,
}

impl Page {
    /// A page of `capacity` slots whose slot 0 is already `OWNED` by the
    /// caller.
    fn with_first_owned(capacity: usize) -> Box<Page> {
        Box::new(Page {
            states: (0..capacity)
                .map(|i| AtomicU8::new(if i == 0 { OWNED } else { FREE }))
                .collect(),
            wakers: (0..capacity).map(|_| AtomicWaker::new()).collect(),
            next: AtomicPtr::new(ptr::null_mut()),
        })
    }
}

/// One slot of a registry: a handle that `acquire_slot` gives out.
///
/// It is a pointer, not a borrow, so that a waiter can own the queue it waits
/// on (an `Arc`) and its slot side by side. Its invariant: a `SlotRef` is
/// used only while the [`Signal`] that handed it out is alive. `acquire_slot`
/// makes it, and a [`Waiter`] keeps it only next to its [`Source`], whose
/// contract keeps that signal alive; the signal's methods that take one are
/// private to this module.
#[derive(Clone, Copy)]
struct SlotRef {
    page: ptr::NonNull<Page>,
    index: usize,
}

// SAFETY: a `SlotRef` stands for a shared reference to a `Page`, and a
// `Page` is made of atomics and `AtomicWaker`s only, so it is `Sync`:
// sending or sharing such a reference between threads is sound. (Checked by
// `page_is_sync` below.)
unsafe impl Send for SlotRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for SlotRef {}

const _: () = {
    const fn page_is_sync<P: Sync>() {}
    page_is_sync::<Page>();
};

impl SlotRef {
    fn new(page: &Page, index: usize) -> Self {
        SlotRef {
            page: ptr::NonNull::from(page),
            index,
        }
    }

    fn page(&self) -> &Page {
        // SAFETY: the type's invariant: the signal that handed this slot out
        // is alive, and it frees its pages only when it is dropped.
        unsafe { self.page.as_ref() }
    }

    fn state(&self) -> &AtomicU8 {
        &self.page().states[self.index]
    }

    fn waker(&self) -> &AtomicWaker {
        &self.page().wakers[self.index]
    }
}

impl Signal {
    /// An empty registry; allocates nothing.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Signal {
            shared: CachePadded::new(Shared {
                armed: AtomicUsize::new(0),
                pages: AtomicPtr::new(ptr::null_mut()),
            }),
        }
    }

    /// An empty registry; allocates nothing.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Signal {
            shared: CachePadded::new(Shared {
                armed: AtomicUsize::new(0),
                pages: AtomicPtr::new(ptr::null_mut()),
            }),
        }
    }

    /// The number of slots counted as waiting: 0 once every wait has ended
    /// (loom models check that the count balances).
    #[cfg(loom)]
    pub(crate) fn armed(&self) -> usize {
        // memory ordering: read after the model's threads are joined.
        self.shared.armed.load(Ordering::SeqCst)
    }

    /// Wake one waiter, if any waits. Called after every successful push.
    #[inline]
    pub(crate) fn notify_one(&self) {
        self.notify_many(1);
    }

    /// Wake up to `n` waiters, one per element pushed: what `n` calls of
    /// [`notify_one`](Self::notify_one) do, with one load of `armed` when
    /// nobody waits. `push_iter` calls it once per run of slots, after the
    /// run's elements are published, all claimed by the run's one SeqCst CAS.
    #[inline]
    pub(crate) fn notify_many(&self, n: usize) {
        // memory ordering: under loom only, a SeqCst fence stands in for
        // "push's SeqCst RMW + this SeqCst load", which loom cannot model
        // (module doc, "Under loom").
        #[cfg(loom)]
        fence(Ordering::SeqCst);
        let mut left = n;
        // memory ordering: SeqCst, so that it is ordered in S after the
        // push's SeqCst claiming CAS and pairs with the fence a consumer
        // issues after arming (the handshake in the module doc); the scan's
        // SeqCst state loads do the same for each slot. A scan that finds
        // nobody ends the loop: a waiter still arming re-checks the queue
        // after its fence and finds the elements.
        while left > 0 && self.shared.armed.load(Ordering::SeqCst) != 0 && self.notify_one_slow() {
            left -= 1;
            if n - left == 2 {
                cover!(paths::BATCH_WOKE_ANOTHER);
            }
        }
    }

    /// Wake every waiter. Called once, by the `close` call that closed the
    /// queue, after the queue reports `is_closed`.
    pub(crate) fn notify_all(&self) {
        // memory ordering: pairs with the fence every consumer issues after
        // arming: either this scan sees its `WAITING`, or its re-check sees
        // `is_closed` (the store-buffering argument with fences on both
        // sides, which holds whatever the orderings of the accesses).
        fence(Ordering::SeqCst);
        // A waker that panics must not keep the rest asleep on a closed
        // queue: wake them all, then resume the first panic.
        let mut panicked = None;
        for page in self.pages() {
            for (index, state) in page.states.iter().enumerate() {
                if self.claim(state) {
                    cover!(paths::CLOSE_WOKE);
                    let woken = catch_unwind(AssertUnwindSafe(|| page.wakers[index].wake()));
                    if let Err(panic) = woken {
                        panicked.get_or_insert(panic);
                    }
                }
            }
        }
        if let Some(panic) = panicked {
            resume_unwind(panic);
        }
    }

    /// Pass on a notification that a waiter consumed without popping after
    /// it: wake another waiter, as the push that sent it would have.
    #[cold]
    fn pass_on(&self) {
        // memory ordering: the push that sent the notification happens before
        // this point (the NOTIFIED CAS released, the owner acquired), and
        // this fence orders it before the load of `armed` in S, so the
        // handshake holds as for the push itself.
        fence(Ordering::SeqCst);
        self.notify_many(1);
    }

    /// Find one `WAITING` slot, mark it `NOTIFIED` and wake its waker; false
    /// if there was none.
    #[inline(never)]
    fn notify_one_slow(&self) -> bool {
        for page in self.pages() {
            for (index, state) in page.states.iter().enumerate() {
                if self.claim(state) {
                    cover!(paths::WOKE_ONE);
                    page.wakers[index].wake();
                    return true;
                }
            }
        }
        cover!(paths::FOUND_NONE);
        // Another notifier claimed the counted slot first, or its owner has
        // counted it and is still arming, and will re-check the queue after
        // its fence: nobody to wake.
        false
    }

    /// The pages of the registry, first to last.
    fn pages(&self) -> impl Iterator<Item = &Page> + '_ {
        // memory ordering: Acquire, pairs with the AcqRel CAS that linked the
        // page, so its initialised slots are visible.
        let first = self.shared.pages.load(Ordering::Acquire);
        core::iter::successors(
            // SAFETY: a non-null page pointer was linked by `acquire_slot`
            // from a live `Box`, and pages are freed only in `Drop`, which
            // has `&mut self`; so the page outlives this `&self` borrow.
            unsafe { first.as_ref() },
            |page| {
                // memory ordering: as for `first`.
                let next = page.next.load(Ordering::Acquire);
                // SAFETY: as for `first`.
                unsafe { next.as_ref() }
            },
        )
    }

    /// Take a `FREE` slot (it becomes `OWNED`), growing the registry if every
    /// slot is owned.
    fn acquire_slot(&self) -> SlotRef {
        let mut link = &self.shared.pages;
        let mut capacity = FIRST_PAGE;
        loop {
            // memory ordering: Acquire, pairs with the AcqRel CAS that
            // linked the page.
            let page = link.load(Ordering::Acquire);
            // SAFETY: see `pages`: linked pages live as long as `self`.
            let Some(page) = (unsafe { page.as_ref() }) else {
                let new = Box::into_raw(Page::with_first_owned(capacity));
                // memory ordering: AcqRel; the release publishes the page's
                // initialised slots to every later Acquire load of the link.
                match link.compare_exchange(
                    ptr::null_mut(),
                    new,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        if capacity > FIRST_PAGE {
                            cover!(paths::GREW);
                        }
                        // SAFETY: just linked, so it lives as long as `self`
                        // (see `pages`).
                        let page = unsafe { &*new };
                        return SlotRef::new(page, 0);
                    }
                    Err(_) => {
                        // Another consumer linked a page first; ours was never
                        // shared.
                        cover!(paths::PAGE_RACE_LOST);
                        // SAFETY: `new` came from `Box::into_raw` above and
                        // the failed CAS published it nowhere.
                        drop(unsafe { Box::from_raw(new) });
                        continue;
                    }
                }
            };
            for (index, state) in page.states.iter().enumerate() {
                // memory ordering: Relaxed is only a filter; the CAS decides.
                // The CAS acquires the release store of FREE by the previous
                // owner, so that owner's use of the slot happens before ours.
                if state.load(Ordering::Relaxed) == FREE
                    && state
                        .compare_exchange(FREE, OWNED, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                {
                    return SlotRef::new(page, index);
                }
            }
            link = &page.next;
            capacity = page.states.len() * 2;
        }
    }

    /// Count the slot in `armed`, then `OWNED → WAITING` (arm) or
    /// `NOTIFIED → WAITING` (re-arm: the owner's notification turned out to
    /// be for an element somebody else took), then the fence before the
    /// re-check.
    fn arm(&self, slot: SlotRef) {
        // memory ordering: Relaxed; the handshake needs only that the
        // increment happens before the fence below (module doc), and the
        // release store of WAITING orders it before any notifier's decrement.
        self.shared.armed.fetch_add(1, Ordering::Relaxed);
        // memory ordering: Release, so a notifier whose CAS reads WAITING
        // sees the waker registered before it and the increment above.
        slot.state().store(WAITING, Ordering::Release);
        // memory ordering: the consumer half of the handshake: a producer's
        // SeqCst load of `armed` or of this state that misses what is stored
        // above precedes this fence in S, so the re-check sees its element.
        fence(Ordering::SeqCst);
    }

    /// [`disarm`](Self::disarm) for a slot its owner may or may not have
    /// armed: true if a notification must be passed on.
    fn disarm_if_armed(&self, slot: SlotRef) -> bool {
        // memory ordering: only the owner stores OWNED, so reading it needs
        // no synchronization; the other states are handled by `disarm`.
        slot.state().load(Ordering::Relaxed) != OWNED && self.disarm(slot)
    }

    /// `WAITING`/`NOTIFIED → OWNED` by the owner. Returns true if the slot
    /// was `NOTIFIED` and the caller has not popped since seeing it, so the
    /// notification must be passed on.
    fn disarm(&self, slot: SlotRef) -> bool {
        // memory ordering: success Relaxed: no producer chose us, nothing to
        // synchronize with. Failure Acquire: pairs with the notifier's AcqRel
        // CAS, so its push happens before our pass-on (see `pass_on`).
        match slot
            .state()
            .compare_exchange(WAITING, OWNED, Ordering::Relaxed, Ordering::Acquire)
        {
            Ok(_) => {
                self.uncount();
                false
            }
            Err(state) => {
                // The notifier took the slot's count back with its CAS.
                debug_assert_eq!(state, NOTIFIED, "only the owner leaves OWNED");
                // memory ordering: only the owner writes a NOTIFIED slot.
                slot.state().store(OWNED, Ordering::Relaxed);
                true
            }
        }
    }

    /// `NOTIFIED → OWNED` by the owner, which has popped since it saw
    /// `NOTIFIED` (read with Acquire): the notification is used up. (The
    /// notifier has already taken the slot out of `armed`.)
    fn consume_notification(&self, slot: SlotRef) {
        // memory ordering: only the owner writes a NOTIFIED slot.
        slot.state().store(OWNED, Ordering::Relaxed);
    }

    /// The decrement of `armed` by whoever moved a slot out of `WAITING`.
    fn uncount(&self) {
        // memory ordering: only the modification order of `armed` matters,
        // and every decrement follows its own increment in it (the owner's
        // by program order, a notifier's through the WAITING store its CAS
        // read); nobody synchronizes through `armed`.
        let before = self.shared.armed.fetch_sub(1, Ordering::Relaxed);
        if cfg!(any(debug_assertions, loom)) {
            assert_ne!(before, 0, "a slot was taken out of `armed` twice");
        }
    }

    /// `WAITING → NOTIFIED`, if the slot is waiting, taking its count out of
    /// `armed`. True if this call did it.
    fn claim(&self, state: &AtomicU8) -> bool {
        // memory ordering: the SeqCst load is the notifier's half of the
        // handshake for this slot (module doc); the CAS releases the push to
        // the owner (which reads NOTIFIED with Acquire before it pops) and
        // acquires the owner's WAITING store, and with it the increment.
        let claimed = state.load(Ordering::SeqCst) == WAITING
            && state
                .compare_exchange(WAITING, NOTIFIED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok();
        if claimed {
            self.uncount();
        }
        claimed
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        // memory ordering: `&mut self`: no other thread can touch the pages.
        let mut page = self.shared.pages.load(Ordering::Relaxed);
        while !page.is_null() {
            // SAFETY: every linked page came from `Box::into_raw` and is
            // freed only here, once; `&mut self` means no `Waiter` is left
            // (each keeps its `Source`, which keeps this signal alive), so
            // no `SlotRef` is left either.
            let boxed = unsafe { Box::from_raw(page) };
            // memory ordering: as above.
            page = boxed.next.load(Ordering::Relaxed);
        }
    }
}

impl core::fmt::Debug for Signal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Signal")
            // memory ordering: a diagnostic snapshot.
            .field("armed", &self.shared.armed.load(Ordering::Relaxed))
            .field(
                "slots",
                &self.pages().map(|p| p.states.len()).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

/// What a waiter waits on: something to take from, which can be closed, and
/// the registry of the queue behind it.
///
/// A [`Waiter`] owns its source: a `&Queue` for the borrowing futures, an
/// `Arc<Queue>` for the owned ones, a queue and a buffer for `recv_many`.
///
/// # Safety
///
/// [`signal`](Source::signal) returns the same [`Signal`] on every call,
/// and that signal is not dropped before the source is. A `Waiter` keeps
/// pointers into the registry's pages next to its source and relies on this
/// to use them.
pub(crate) unsafe trait Source {
    /// What a successful take yields.
    type Item;
    /// The registry to wait in.
    fn signal(&self) -> &Signal;
    /// Take what there is, if anything; never blocks.
    fn try_take(&mut self) -> Option<Self::Item>;
    /// True once no element can be added any more.
    fn is_closed(&self) -> bool;
}

/// `Some(Some(x))`: got `x`; `Some(None)`: closed and drained; `None`: wait.
fn try_ready<S: Source>(source: &mut S) -> Option<Option<S::Item>> {
    if let Some(item) = source.try_take() {
        return Some(Some(item));
    }
    if source.is_closed() {
        // The queue guarantees that after `is_closed` a `None` from pop means
        // closed and drained; an element pushed before the close is still
        // delivered.
        return Some(source.try_take());
    }
    None
}

/// One consumer's wait: its source, and the slot it owns, if any, across
/// polls.
///
/// Dropping a `Waiter` releases its slot and passes on a notification it
/// had not acted on, so a waiter can be abandoned at any point.
pub(crate) struct Waiter<S: Source> {
    source: S,
    /// Handed out by `source.signal()`, which the `Source` contract keeps
    /// alive as long as `source`: the `SlotRef` invariant holds.
    slot: Option<SlotRef>,
}

impl<S: Source> Waiter<S> {
    /// A waiter on `source` that owns no slot yet.
    pub(crate) fn new(source: S) -> Self {
        Waiter { source, slot: None }
    }

    /// What this waiter waits on.
    pub(crate) fn source(&self) -> &S {
        &self.source
    }

    /// Take an element from the source, or arrange for `waker` to be woken
    /// when one may be there. `Ready(None)` means closed and drained.
    ///
    /// After `Ready` the waiter keeps its slot (`OWNED`) for the next poll;
    /// call [`Waiter::release`] or drop it when done.
    pub(crate) fn poll(&mut self, waker: &Waker) -> Poll<Option<S::Item>> {
        let slot = match self.slot {
            None => {
                if let Some(ready) = try_ready(&mut self.source) {
                    return Poll::Ready(ready);
                }
                let signal = self.source.signal();
                let slot = signal.acquire_slot();
                self.slot = Some(slot);
                self.register(slot, waker);
                self.source.signal().arm(slot);
                slot
            }
            // memory ordering: only the owner moves a slot into or out of
            // OWNED, so reading its own OWNED needs no synchronization.
            Some(slot) if slot.state().load(Ordering::Relaxed) == OWNED => {
                // A stream between items: not armed, so no waker is needed
                // unless it has to wait.
                if let Some(ready) = try_ready(&mut self.source) {
                    return Poll::Ready(ready);
                }
                self.register(slot, waker);
                self.source.signal().arm(slot);
                slot
            }
            Some(slot) => {
                // Register first, then read the state: a notifier that CASes
                // after this read wakes the waker registered here.
                self.register(slot, waker);
                // memory ordering: Acquire, pairs with the notifier's AcqRel
                // CAS, so its push (or close) happens before our pop.
                match slot.state().load(Ordering::Acquire) {
                    WAITING => {} // a spurious poll or a new waker: still armed
                    state => {
                        debug_assert_eq!(state, NOTIFIED, "armed slots are WAITING or NOTIFIED");
                        if let Some(ready) = try_ready(&mut self.source) {
                            // We popped after seeing NOTIFIED: the
                            // notification is used, nothing to pass on.
                            self.source.signal().consume_notification(slot);
                            return Poll::Ready(ready);
                        }
                        // The element we were woken for was taken by another
                        // consumer: the wake-up did its job. Wait again.
                        cover!(paths::REARMED);
                        self.source.signal().arm(slot);
                    }
                }
                slot
            }
        };
        // Armed: the re-check half of the handshake.
        if let Some(ready) = try_ready(&mut self.source) {
            cover!(paths::RECHECK_READY);
            let signal = self.source.signal();
            if signal.disarm(slot) {
                cover!(paths::RECHECK_PASSED_ON);
                signal.pass_on();
            }
            return Poll::Ready(ready);
        }
        Poll::Pending
    }

    /// Registers `waker` in `slot`, this waiter's. If the user's
    /// `Waker::clone`, or the drop of the waker it replaces, panics, the
    /// slot's `AtomicWaker` stays mid-registration for good: the slot is
    /// disarmed (passing on a notification it held) and abandoned, `OWNED`
    /// and never freed, and the panic goes on (module doc, "Wakers that
    /// panic").
    fn register(&mut self, slot: SlotRef, waker: &Waker) {
        let registered = catch_unwind(AssertUnwindSafe(|| slot.waker().register(waker)));
        if let Err(panic) = registered {
            self.slot = None;
            let signal = self.source.signal();
            if signal.disarm_if_armed(slot) {
                signal.pass_on();
            }
            resume_unwind(panic);
        }
    }

    /// Give the slot back (disarming it first and passing on a notification
    /// not acted on). The waiter may be polled again afterwards.
    #[inline]
    pub(crate) fn release(&mut self) {
        // Most receives find an element without ever taking a slot: keep
        // that check inline and the rest out of line.
        if let Some(slot) = self.slot.take() {
            self.release_slot(slot);
        }
    }

    /// [`release`](Self::release) for a waiter that owns `slot`.
    #[inline(never)]
    fn release_slot(&mut self, slot: SlotRef) {
        let signal = self.source.signal();
        let pass_on = signal.disarm_if_armed(slot);
        // Drop the registered waker now, so an idle slot keeps no task or
        // thread alive. A notifier racing with us may take it first and wake
        // it once, spuriously.
        drop(slot.waker().take());
        // memory ordering: Release, pairs with the Acquire CAS of the next
        // owner.
        slot.state().store(FREE, Ordering::Release);
        if pass_on {
            cover!(paths::CANCEL_PASSED_ON);
            signal.pass_on();
        }
    }
}

impl<S: Source> Drop for Waiter<S> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<S: Source> core::fmt::Debug for Waiter<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Waiter")
            .field("registered", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
#[path = "signal_tests.rs"]
mod tests;
