//! [`ListMap`] and [`ListSet`]: a concurrent sorted linked list with
//! wait-free lookups, fine-grained locking for updates, and epoch
//! reclamation. The API is that of crossbeam-skiplist 0.1's `SkipMap` and
//! `SkipSet`.
//!
//! # Guarantees
//!
//! - `get`, `contains_key`/`contains` are **wait-free**: no lock, no retry, no
//!   read-modify-write; one pass over the list.
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
//!   (see [Iteration semantics](#iteration-semantics)).
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
//! # Iteration semantics
//!
//! An [`Iter`] or [`Range`] remembers the last entry it returned from each
//! end, and every call searches again from there; it never decides once and
//! for all that it is finished. Exactly:
//!
//! - **`next()`** returns an entry whose key is above the last key returned
//!   from the front (before the first call: within the range's start
//!   bound), below the last key returned from the back (and within the
//!   range's end bound), and present at some moment of the call. No key of
//!   that interval that is present throughout the call is skipped: the key
//!   returned is at most any such key. If the interval holds no such key,
//!   `next()` returns `None` and the iterator stays where it was.
//! - **A resumed iterator**: a later `next()` searches the same interval
//!   again, so a key inserted after a `None`, past the last key returned
//!   (and before the back), comes out. A key inserted behind the front
//!   never does: keys from the front strictly increase.
//! - **`next_back()`** is the mirror image: keys strictly decrease, and it
//!   resumes the same way below the last key it returned.
//! - **The ends never cross**: a key comes out at most once per iterator;
//!   once the two ends have met, only a key inserted between them later
//!   comes out (of either end).
//! - **While alive**, an iterator holds one epoch pin and a pointer to the
//!   last node returned from each end: no copy of a key, no reference
//!   count. The pin keeps those two nodes allocated even after they are
//!   removed (and holds back the reclamation of everything retired
//!   meanwhile). From a last node that is still in the structure, `next()`
//!   follows its links; from one that has been removed, whose links may be
//!   frozen since long before the call, it searches again by its key.
//!
//! A weakly consistent iteration follows: a key present from the iterator's
//! creation to its end is yielded exactly once, and a key inserted or
//! removed meanwhile may or may not be.
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
//! # Entries, iterators and reclamation
//!
//! An [`Entry`] (and an iterator) pins the epoch for as long as it lives; no
//! reference count is touched. While a thread holds one, nothing retired by
//! any thread after it pinned can be freed, so a long-lived entry or iterator
//! makes removed nodes and replaced values accumulate until it is dropped. For
//! the same reason, entries and iterators are neither `Send` nor `Sync`: the
//! pin belongs to the thread (this differs from crossbeam-skiplist, whose
//! entries hold a reference count).
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
use core::fmt;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;

use crate::lazy::{EntryNode, PinnedEntry};
use crate::sync::epoch;

mod entry;
mod iter;
mod raw;
pub mod set;

pub use entry::Entry;

/// Paths of the list protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    pub use crate::lazy::paths::*;
    use crate::sync::coverage::Path;
    /// An insert found its key's node marked and waited for the remover.
    pub static INSERT_WAITED_FOR_REMOVER: Path =
        Path::new("an insert found its key's node marked and waited for the remover");
    /// A present key's value was replaced under its node's lock.
    pub static VALUE_REPLACED: Path = Path::new("a value was replaced under the node lock");
    /// A replacement found, under the lock, the node marked or its value
    /// changed since it decided, and retried.
    pub static REPLACE_SAW_CHANGE: Path =
        Path::new("a replacement found the node marked or its value changed, and retried");
    /// A wait-free lookup stopped at its key's node and found it marked.
    pub static LOOKUP_SAW_MARKED: Path = Path::new("a lookup found its key's node marked");
    /// `front`/`back`/a bound found an end of its window marked and retried.
    pub static ORDERED_QUERY_RETRIED: Path =
        Path::new("an ordered query found its window's end marked and retried");
    /// `Entry::remove` reached another node of its key and searched again.
    pub static ENTRY_REMOVE_STALE: Path = Path::new("Entry::remove met a stale path");
    /// `pop_back` found a node appended after the last one and retried.
    pub static POP_BACK_APPENDED: Path = Path::new("pop_back found a node appended after the last");
}
pub use iter::{IntoIter, Iter, Range};
pub use set::ListSet;

use raw::{Existing, Node, RawList};

/// A concurrent ordered map: a lazy sorted linked list (see the
/// [module documentation](self)).
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
pub struct ListMap<K, V> {
    raw: RawList<K, V>,
}

impl<K, V> ListMap<K, V> {
    /// An empty map.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<u32, u32> = lazuli::list::ListMap::new();
    /// assert!(map.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            raw: RawList::new(),
        }
    }

    /// Whether the map has no entries (exact when no update is in flight).
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(1, ());
    /// assert!(!map.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of entries: exact when no update is in flight, otherwise a
    /// snapshot that may count updates in flight or not.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(1, 'a');
    /// map.insert(2, 'b');
    /// assert_eq!(map.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    fn entry(&self, guard: epoch::Guard, node: NonNull<Node<K, V>>) -> Entry<'_, K, V> {
        // SAFETY: every caller passes a node returned by a `RawList`
        // operation run under `guard`, which is reachable-after-pin.
        Entry::new(self, unsafe { PinnedEntry::new(guard, node) })
    }

    /// The entry an ordered query (`front`, `back`, `lower_bound`,
    /// `upper_bound`) finds, with a value that its key held *while* it was the
    /// answer. `find` picks the node at one instant; loading the value later
    /// could pair it with a value written after another key had become the
    /// answer (the linearizability checker found exactly that). So: find,
    /// load the value pointer, find again, and keep the result only if the
    /// same node comes back and the value pointer is unchanged. A value box
    /// cannot be reused while we are pinned, so the value was that box
    /// throughout, including at the second query's linearization point.
    /// Retries only when an update raced the query (lock-free).
    fn snapshot_entry(
        &self,
        find: impl Fn(&epoch::Guard) -> Option<NonNull<Node<K, V>>>,
    ) -> Option<Entry<'_, K, V>> {
        let guard = epoch::pin();
        loop {
            let node = find(&guard)?;
            // SAFETY: found by a `RawList` query under `guard`, so allocated
            // while `guard` lives.
            let value = unsafe { node.as_ref() }.load_value(&guard);
            // SAFETY: as above.
            let still =
                find(&guard) == Some(node) && unsafe { node.as_ref() }.load_value(&guard) == value;
            if still {
                // SAFETY: reachable-after-pin (as above), and `value` was in
                // the node's slot after `guard` pinned.
                return Some(Entry::new(self, unsafe {
                    PinnedEntry::with_value(guard, node, value)
                }));
            }
        }
    }
}

impl<K: Ord, V> ListMap<K, V> {
    /// The entry with the smallest key.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().key(), 3);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, K, V>> {
        self.snapshot_entry(|guard| {
            self.raw
                .lower_bound::<K>(Bound::Unbounded, guard)
                .map(NonNull::from)
        })
    }

    /// The entry with the largest key (O(n)).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().key(), 5);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, K, V>> {
        self.snapshot_entry(|guard| {
            self.raw
                .upper_bound::<K>(Bound::Unbounded, guard)
                .map(NonNull::from)
        })
    }

    /// Whether `key` is present. Wait-free.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert("k".to_string(), 1);
    /// assert!(map.contains_key("k"));
    /// ```
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let guard = epoch::pin();
        self.raw.get(key, &guard).is_some()
    }

    /// The entry of `key`, if present. Wait-free.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(7, "seven");
    /// assert_eq!(*map.get(&7).unwrap().value(), "seven");
    /// assert!(map.get(&8).is_none());
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let guard = epoch::pin();
        let node = self.raw.get(key, &guard).map(NonNull::from);
        node.map(|n| self.entry(guard, n))
    }

    /// The first entry whose key is above `bound` (`Included(k)`: the
    /// smallest key `>= k`; `Excluded(k)`: `> k`; `Unbounded`: the front).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.lower_bound(Included(&2)).unwrap().key(), 4);
    /// assert!(map.lower_bound(Excluded(&4)).is_none());
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.snapshot_entry(|guard| self.raw.lower_bound(bound, guard).map(NonNull::from))
    }

    /// The last entry whose key is below `bound` (`Included(k)`: the largest
    /// key `<= k`; `Excluded(k)`: `< k`; `Unbounded`: the back).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.upper_bound(Included(&3)).unwrap().key(), 1);
    /// assert!(map.upper_bound(Excluded(&1)).is_none());
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.snapshot_entry(|guard| self.raw.upper_bound(bound, guard).map(NonNull::from))
    }

    /// The entry of `key`; if absent, inserts `value` first. A present value
    /// is kept (and `value` dropped).
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.get_or_insert(1, "b").value(), "a");
    /// assert_eq!(*map.get_or_insert(2, "c").value(), "c");
    /// ```
    pub fn get_or_insert(&self, key: K, value: V) -> Entry<'_, K, V> {
        self.insert_raw(key, Some(value), None::<fn() -> V>, Self::keep_existing)
    }

    /// The entry of `key`; if absent, inserts `value_fn()` first. `value_fn`
    /// is called at most once, with no lock held, and only if the key was
    /// found absent.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// assert_eq!(*map.get_or_insert_with(1, || "made").value(), "made");
    /// assert_eq!(*map.get_or_insert_with(1, || unreachable!()).value(), "made");
    /// ```
    pub fn get_or_insert_with<F>(&self, key: K, value_fn: F) -> Entry<'_, K, V>
    where
        F: FnOnce() -> V,
    {
        self.insert_raw(key, None, Some(value_fn), Self::keep_existing)
    }

    fn keep_existing<'g>(
        node: &'g Node<K, V>,
        _: &mut Option<V>,
        guard: &'g epoch::Guard,
    ) -> Existing<V> {
        let value = node.value.load(guard);
        // The value was read while the node was unmarked (the flag is read
        // after it): the key was present with that value then.
        if node.links.state.is_marked() {
            crate::sync::cover!(paths::INSERT_WAITED_FOR_REMOVER);
            // A remover won: wait for it to unlink the node, then search again.
            drop(node.links.state.lock());
            Existing::Retry
        } else {
            Existing::Done(value)
        }
    }

    fn insert_raw<F: FnOnce() -> V>(
        &self,
        key: K,
        value: Option<V>,
        value_fn: Option<F>,
        existing: impl for<'g> FnMut(&'g Node<K, V>, &mut Option<V>, &'g epoch::Guard) -> Existing<V>,
    ) -> Entry<'_, K, V> {
        let guard = epoch::pin();
        let (node, value) = self.raw.insert(key, value, value_fn, existing, &guard);
        // SAFETY: `insert` returned a node that is (or was, after our pin)
        // reachable, and a value that was in its slot after our pin.
        Entry::new(self, unsafe { PinnedEntry::with_value(guard, node, value) })
    }

    /// An iterator over the entries in ascending key order (weakly consistent:
    /// see the module doc).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
    /// let pairs: Vec<_> = map.iter().map(|e| (*e.key(), *e.value())).collect();
    /// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(self)
    }

    /// An iterator over the entries whose keys are in `range`, ascending
    /// (weakly consistent).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = (0..10).map(|k| (k, k * k)).collect();
    /// let squares: Vec<_> = map.range(3..6).map(|e| *e.value()).collect();
    /// assert_eq!(squares, [9, 16, 25]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, K, V>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range::new(self, range)
    }
}

impl<K, V> ListMap<K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    /// Inserts `key` with `value`, replacing (and retiring) the value of a
    /// present key; returns the entry, showing `value`.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.insert(1, "b").value(), "b");
    /// assert_eq!(*map.get(&1).unwrap().value(), "b");
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn insert(&self, key: K, value: V) -> Entry<'_, K, V> {
        self.insert_raw(key, Some(value), None::<fn() -> V>, |node, value, guard| {
            // SAFETY: `V: Send + 'static` by this impl's bounds.
            unsafe { RawList::replace_value(node, value, |_| true, guard) }
        })
    }

    /// Inserts `key` with `value` if absent; if present, replaces the value
    /// only if `compare_fn(current value)` returns true, and otherwise
    /// returns the present entry (dropping `value`). `compare_fn` runs with no
    /// lock held, possibly more than once under contention; the replacement
    /// happens only if the value it approved is still current.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert("k", 5);
    /// assert_eq!(*map.compare_insert("k", 3, |old| *old < 3).value(), 5);
    /// assert_eq!(*map.compare_insert("k", 9, |old| *old < 9).value(), 9);
    /// ```
    pub fn compare_insert<F>(&self, key: K, value: V, compare_fn: F) -> Entry<'_, K, V>
    where
        F: Fn(&V) -> bool,
    {
        self.insert_raw(key, Some(value), None::<fn() -> V>, |node, value, guard| {
            // SAFETY: `V: Send + 'static` by this impl's bounds.
            unsafe { RawList::replace_value(node, value, &compare_fn, guard) }
        })
    }

    /// Removes `key`; returns its entry if this call removed it. Of several
    /// concurrent removers of one key, exactly one gets `Some`.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// map.insert(1, "a");
    /// let removed = map.remove(&1).unwrap();
    /// assert!(removed.is_removed());
    /// assert_eq!(*removed.value(), "a");
    /// assert!(map.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Entry<'_, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let guard = epoch::pin();
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        let node = unsafe { self.raw.remove(key, &guard) }.map(NonNull::from);
        node.map(|n| self.entry(guard, n))
    }

    /// Removes the entry with the smallest key and returns it.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_front().unwrap().key(), 1);
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, K, V>> {
        let guard = epoch::pin();
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        let node = unsafe { self.raw.pop_front(&guard) }.map(NonNull::from);
        node.map(|n| self.entry(guard, n))
    }

    /// Removes the entry with the largest key and returns it (O(n)).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_back().unwrap().key(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, K, V>> {
        let guard = epoch::pin();
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        let node = unsafe { self.raw.pop_back(&guard) }.map(NonNull::from);
        node.map(|n| self.entry(guard, n))
    }

    /// Removes every entry (one by one from the front; entries inserted
    /// concurrently may survive).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = (0..5).map(|k| (k, ())).collect();
    /// map.clear();
    /// assert!(map.is_empty());
    /// ```
    pub fn clear(&self) {
        loop {
            // A fresh pin per removal, so that a long clear does not hold back
            // reclamation.
            let guard = epoch::pin();
            // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
            if unsafe { self.raw.pop_front(&guard) }.is_none() {
                return;
            }
        }
    }
}

impl<K, V> Default for ListMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the entries, in order (a weakly consistent snapshot).
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for ListMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = epoch::pin();
        let mut map = f.debug_map();
        let mut node = RawList::live_from(self.raw.first(&guard), &guard);
        while let Some(n) = node {
            // SAFETY: the value box is protected by our pin.
            map.entry(&n.key, unsafe { n.value.load(&guard).as_ref() });
            node = RawList::live_after(n, &guard);
        }
        map.finish()
    }
}

impl<K: fmt::Debug, V> ListMap<K, V> {
    /// Prints the keys as a set (for [`ListSet`]'s `Debug`).
    fn fmt_keys(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = epoch::pin();
        let mut set = f.debug_set();
        let mut node = RawList::live_from(self.raw.first(&guard), &guard);
        while let Some(n) = node {
            set.entry(&n.key);
            node = RawList::live_after(n, &guard);
        }
        set.finish()
    }
}

impl<K, V> IntoIterator for ListMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    /// The entries in ascending key order, by value.
    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter::new(self.raw)
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a ListMap<K, V> {
    type Item = Entry<'a, K, V>;
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

/// Collects with [`ListMap::get_or_insert`]: of repeated keys, the first
/// value is kept (as crossbeam-skiplist does).
impl<K: Ord, V> FromIterator<(K, V)> for ListMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

/// Extends with [`ListMap::get_or_insert`]: a key already present keeps its
/// value, as in [`FromIterator`].
impl<K: Ord, V> Extend<(K, V)> for ListMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.get_or_insert(key, value);
        }
    }
}
