//! [`ListMap`] and [`ListSet`]: a concurrent sorted linked list with
//! wait-free lookups, fine-grained locking for updates, and epoch
//! reclamation. The API is that of crossbeam-skiplist 0.1's `SkipMap` and
//! `SkipSet`.
//!
//! # Guarantees
//!
//! - `get`, `contains_key`/`contains` are **wait-free**: one pass over the
//!   list, with no lock, no retry and no write to a node; the call around it
//!   pins the epoch (see the same point in [`crate::skiplist`]).
//! - Every single-key operation (`insert`, `get_or_insert(_with)`,
//!   `compare_insert`, `get`, `contains_key`, `remove`) and `front`, `back`,
//!   `pop_front`, `pop_back`, `lower_bound`, `upper_bound` is
//!   **linearizable**. Of several concurrent removers of one key, exactly one
//!   gets `Some`.
//! - Updates are **blocking** (they lock at most two adjacent nodes, in list
//!   order, so they cannot deadlock). The lock spins briefly and then parks,
//!   so threads that outnumber the cores do not burn their slices spinning.
//! - Iteration (`iter`, `range`, `Entry::next`) is **weakly consistent**: keys
//!   come out strictly increasing (strictly decreasing backwards), every key
//!   present throughout the iteration is yielded, and a key inserted or
//!   removed meanwhile may or may not be. Iterators resume after `None`
//!   (see the [iteration semantics](crate::ordered#iteration-semantics)).
//! - `len` is exact when no update is in flight.
//!
//! A list is O(n) per operation; it is the right structure for small sets and
//! the building block of [`crate::skiplist`], which reuses its protocol pieces.
//!
//! # The algorithm
//!
//! Heller, Herlihy, Luchangco, Moir, Scherer and Shavit, *A Lazy Concurrent
//! List-Based Set Algorithm* (OPODIS 2005). Each node has a lock and a
//! `marked` flag (the crate-private `lazy` module holds these shared pieces). The head is a
//! sentinel with key −∞; the null pointer at the end plays +∞.
//!
//! **Search** (no locks): walk from the head to the window `pred → curr` with
//! `pred.key < key <= curr.key`.
//!
//! **Insert** `k` (absent): lock `pred`, validate, link.
//!
//! ```text
//!   search:    head ─► [3] ─► [5] ─► [9] ─► null         insert 7
//!                            pred   curr
//!   lock pred, validate: !pred.marked && !curr.marked && pred.next == curr
//!   new.next = curr; pred.next = new (Release)  ◄── linearization point
//!              head ─► [3] ─► [5] ─► [7] ─► [9] ─► null
//! ```
//!
//! **Remove** `k`: lock `pred` then `curr`, validate, mark `curr` (the
//! linearization point: from here on the key is absent), then unlink it.
//! `curr.next` is left pointing forward, so a reader standing on `curr`
//! continues safely.
//!
//! ```text
//!   search:    head ─► [3] ─► [5] ─► [7] ─► [9] ─► null    remove 7
//!                            pred   curr
//!   lock pred, lock curr, validate; curr.marked = true  ◄── linearization point
//!   pred.next = curr.next (Release)
//!              head ─► [3] ─► [5] ─────────► [9] ─► null
//!                                    [7]×────┘   (marked; next kept)
//!   unlock; retire [7] to the epoch (this thread won the mark: exactly once)
//! ```
//!
//! **Validation** `!pred.marked && !curr.marked && pred.next == curr`, under
//! the locks, is what makes the optimistic search safe: an unmarked node is
//! reachable (nodes are marked before they are unlinked, and both happen in
//! one critical section), `pred`'s lock keeps it from being unlinked and its
//! `next` from changing, and `curr`'s lock (for removes) keeps it from being
//! removed by someone else. So the window is a real, stable edge of the list
//! while the locks are held. If validation fails, the updater unlocks and
//! searches again.
//!
//! **Lookups** walk without locks and answer "present" iff they stop at a node
//! with the key whose `marked` flag reads false. Marks are never cleared, so
//! that node was live when the flag was read; if a node of the key stayed live
//! throughout the lookup, the walk passes it (a removed node's `next` is
//! frozen at a successor that was reachable when it was unlinked), so "absent"
//! means the key was absent at some moment of the lookup.
//!
//! **Value replacement.** `insert` of a present key locks that key's node,
//! checks it is unmarked, and swaps its value pointer; the old value is
//! retired through the epoch. An [`Entry`] keeps the value it was created
//! with, intact, however often the key's value is replaced afterwards.
//!
//! # Node states
//!
//! | state | `marked` | reachable | who acts next |
//! |---|---|---|---|
//! | private | false | no: built by an inserter, outside any lock | the inserter links it with one Release store, under `pred`'s lock |
//! | live | false | yes | a remover holding `pred`'s and its lock marks it |
//! | marked | true | yes, briefly: the remover still holds the locks | the same remover unlinks it in the same critical section |
//! | unlinked | true | no, but pinned readers may stand on it and follow its `next` | the remover retires it (once) |
//! | retired | true | no | the epoch collector frees it once every thread pinned before the retirement has unpinned |
//!
//! A node's life: allocated (`Box`) by `insert`, possibly after its key
//! compared against others; linked; marked, unlinked and retired by exactly
//! one remover; freed by the collector. A node still in the list when the map
//! is dropped is freed by the map's `Drop`.
//!
//! # Memory layout
//!
//! ```text
//!   ListMap ─ head: Links ─┐        (plus a striped length counter, boxed)
//!                          ▼
//!   Node<K, V> ┌──────────────────────────────┐
//!              │ next: AtomicPtr<Node>  8 B   │──► next node (or null)
//!              │ lock: RawMutex         1 B   │
//!              │ marked, fully_linked   2 B   │ (+5 B padding)
//!              │ key: K                       │
//!              │ value: AtomicPtr<V>    8 B   │──► Box<V> (no allocation when V is zero-sized)
//!              └──────────────────────────────┘
//! ```
//!
//! A `ListSet<u64>` entry is one 32-byte allocation (`tests/list.rs` checks
//! this with a counting allocator); a `ListMap<K, V>` entry with a non-empty
//! `V` adds the value's box.
//!
//! # Where the code lives
//!
//! This module holds the protocol: `raw.rs` is the list itself (search,
//! lock and validate, link, mark, unlink, retire), built on the shared
//! pieces of the crate-private `lazy` module, and this file implements the
//! raw-structure contract of [`crate::ordered`] for it. The public layer
//! (maps, sets, entries, iterators, ranges) is written once, in
//! [`crate::ordered`], for the list and the skiplist alike; [`ListMap`],
//! [`ListSet`] and their entry and iterator types are its types with
//! [`LazyList`] plugged in. An [`Entry`] (and an iterator) pins the epoch
//! while it lives, no reference count: see
//! [`crate::ordered`](crate::ordered#entries-iterators-and-reclamation).
//!
//! # Panics in user code
//!
//! A panicking `Ord`, `value_fn` or `compare_fn` runs with no lock held, so
//! it leaves the list as it was. A panicking `Drop` of a removed key or value
//! runs inside the epoch collector; it is contained there (the rest of the
//! node is still dropped and freed). Dropping the map or an owning iterator
//! drops every remaining element even if one `Drop` panics, then propagates
//! the panic.
//!
//! # Coming from crossbeam-skiplist
//!
//! The surface is the same; the observable differences are: a replacing
//! `insert` keeps the key's node (an old entry is not reported removed and
//! keeps showing its value); a concurrent `get` never misses a key that is
//! present throughout; exactly one concurrent remover wins; entries and
//! iterators are `!Send`; `next_back`/`prev` are O(n) on a list.

use core::borrow::Borrow;
use core::ptr::NonNull;

use crate::lazy::Existing;
use crate::ordered::raw::{Flavour, RawMap, RawOrdered, Window};
use crate::ordered::{self, OrderedMap};
use crate::sync::epoch::Guard;

mod raw;

use raw::{Node, RawList};

/// Paths of the list protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    pub use crate::lazy::paths::*;
    crate::sync::paths! {
        /// A wait-free lookup stopped at its key's node and found it marked.
        LOOKUP_SAW_MARKED: "a lookup found its key's node marked";
        /// `front`/`back`/a bound found an end of its window marked and retried.
        ORDERED_QUERY_RETRIED: "an ordered query found its window's end marked and retried";
        /// `Entry::remove` reached another node of its key and searched again.
        ENTRY_REMOVE_STALE: "Entry::remove met a stale path";
        /// `pop_back` found a node appended after the last one and retried.
        POP_BACK_APPENDED: "pop_back found a node appended after the last";
    }
}

/// The lazy list, as the structure behind an [`OrderedMap`] or an
/// [`OrderedSet`](crate::ordered::OrderedSet): [`ListMap`] is
/// `OrderedMap<K, V, LazyList>`. Never constructed.
#[derive(Debug)]
pub enum LazyList {}

impl Flavour for LazyList {
    type Map<K, V> = RawList<K, V>;
    type Set<T> = RawList<T, ()>;
}

/// A concurrent ordered map: a lazy sorted linked list (see the
/// [module documentation](self)), with crossbeam-skiplist's `SkipMap` API.
/// Its methods are [`OrderedMap`]'s.
///
/// ```
/// use lazuli::list::ListMap;
///
/// let map = ListMap::new();
/// map.insert(2, "two");
/// map.insert(1, "one");
/// assert_eq!(*map.get(&1).unwrap().value(), "one");
/// let keys: Vec<i32> = map.iter().map(|e| *e.key()).collect();
/// assert_eq!(keys, [1, 2]);
/// ```
pub type ListMap<K, V> = OrderedMap<K, V, LazyList>;
/// An entry of a [`ListMap`]: see [`ordered::Entry`].
pub type Entry<'a, K, V> = ordered::Entry<'a, K, V, LazyList>;
/// An iterator over a [`ListMap`]: see [`ordered::Iter`].
pub type Iter<'a, K, V> = ordered::Iter<'a, K, V, LazyList>;
/// An iterator over a range of a [`ListMap`]: see [`ordered::Range`].
pub type Range<'a, Q, R, K, V> = ordered::Range<'a, Q, R, K, V, LazyList>;
/// An owning iterator over a [`ListMap`]: see [`ordered::IntoIter`].
pub type IntoIter<K, V> = ordered::IntoIter<K, V, LazyList>;

/// [`ListMap`] and its entry and iterator types, in a module named like
/// crossbeam-skiplist's `map` (as [`skiplist::map`](crate::skiplist::map)).
pub mod map {
    pub use super::{Entry, IntoIter, Iter, ListMap, Range};
}

/// [`ListSet`]: the lazy list as an ordered set, and its entry and iterator
/// types.
pub mod set {
    use super::LazyList;
    use crate::ordered::{set, OrderedSet};

    /// A concurrent ordered set: a lazy sorted linked list (see the
    /// [module documentation](super)), with crossbeam-skiplist's `SkipSet`
    /// API. Its methods are [`OrderedSet`]'s.
    ///
    /// ```
    /// use lazuli::list::ListSet;
    ///
    /// let set = ListSet::new();
    /// set.insert(3);
    /// set.insert(1);
    /// assert!(set.contains(&1));
    /// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 3]);
    /// ```
    pub type ListSet<T> = OrderedSet<T, LazyList>;
    /// An entry of a [`ListSet`]: see [`set::Entry`].
    pub type Entry<'a, T> = set::Entry<'a, T, LazyList>;
    /// An iterator over a [`ListSet`]: see [`set::Iter`].
    pub type Iter<'a, T> = set::Iter<'a, T, LazyList>;
    /// An iterator over a range of a [`ListSet`]: see [`set::Range`].
    pub type Range<'a, Q, R, T> = set::Range<'a, Q, R, T, LazyList>;
    /// An owning iterator over a [`ListSet`]: see [`set::IntoIter`].
    pub type IntoIter<T> = set::IntoIter<T, LazyList>;
}

pub use set::ListSet;

/// The node behind a pointer the list handed out.
///
/// # Safety
/// `node` was returned by a `RawList` operation under a guard that still
/// pins.
unsafe fn node<'g, K, V>(node: NonNull<Node<K, V>>) -> &'g Node<K, V> {
    // SAFETY: the caller's contract keeps the node allocated.
    unsafe { node.as_ref() }
}

impl<K, V> RawOrdered for RawList<K, V> {
    type Key = K;
    type Value = V;
    type Node = Node<K, V>;

    fn new() -> Self {
        RawList::new()
    }

    fn len(&self) -> usize {
        RawList::len(self)
    }

    fn get<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Node<K, V>>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        RawList::get(self, key, guard).map(NonNull::from)
    }

    fn stable_window(&self, before: impl FnMut(&K) -> bool, guard: &Guard) -> Window<Node<K, V>> {
        let window = RawList::stable_window(self, before, guard);
        (
            window.pred_node.map(NonNull::from),
            window.curr.map(NonNull::from),
        )
    }

    fn first_live(&self, guard: &Guard) -> Option<NonNull<Node<K, V>>> {
        RawList::live_from(self.first(guard), guard).map(NonNull::from)
    }

    unsafe fn live_after(n: NonNull<Node<K, V>>, guard: &Guard) -> Option<NonNull<Node<K, V>>> {
        // SAFETY: forwarded contract.
        RawList::live_after(unsafe { node(n) }, guard).map(NonNull::from)
    }

    fn insert<F, E>(
        &self,
        key: K,
        value: Option<V>,
        value_fn: Option<F>,
        mut existing: E,
        guard: &Guard,
    ) -> (NonNull<Node<K, V>>, NonNull<V>)
    where
        K: Ord,
        F: FnOnce() -> V,
        E: FnMut(NonNull<Node<K, V>>, &mut Option<V>, &Guard) -> Existing<V>,
    {
        let existing =
            |n: &Node<K, V>, v: &mut Option<V>, g: &Guard| existing(NonNull::from(n), v, g);
        RawList::insert(self, key, value, value_fn, existing, guard)
    }

    unsafe fn remove<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Node<K, V>>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: forwarded contract.
        unsafe { RawList::remove(self, key, guard) }.map(NonNull::from)
    }

    unsafe fn remove_node(&self, n: NonNull<Node<K, V>>, guard: &Guard) -> bool
    where
        K: Ord,
    {
        // SAFETY: forwarded contract.
        unsafe { RawList::remove_node(self, node(n), guard) }
    }

    unsafe fn pop_front(&self, guard: &Guard) -> Option<NonNull<Node<K, V>>> {
        // SAFETY: forwarded contract.
        unsafe { RawList::pop_front(self, guard) }.map(NonNull::from)
    }

    unsafe fn pop_back(&self, guard: &Guard) -> Option<NonNull<Node<K, V>>>
    where
        K: Ord,
    {
        // SAFETY: forwarded contract.
        unsafe { RawList::pop_back(self, guard) }.map(NonNull::from)
    }

    fn pop_front_parts(&mut self) -> Option<(K, V)> {
        RawList::pop_front_parts(self)
    }
}

impl<K, V> RawMap for RawList<K, V> {}
