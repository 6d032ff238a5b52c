//! [`SkipMap`] and [`SkipSet`]: a concurrent skiplist with wait-free
//! lookups, fine-grained locking for updates, and epoch reclamation. A
//! drop-in for crossbeam-skiplist 0.1's `SkipMap` and `SkipSet`.
//!
//! # Guarantees
//!
//! - `get`, `contains_key`/`contains` are **wait-free**: no lock, no retry,
//!   no read-modify-write, no reference count; one descent of the towers.
//! - Every single-key operation (`insert`, `get_or_insert(_with)`,
//!   `compare_insert`, `get`, `contains_key`, `remove`) and `front`, `back`,
//!   `pop_front`, `pop_back`, `lower_bound`, `upper_bound` is
//!   **linearizable**. Of several concurrent removers of one key, exactly
//!   one gets `Some`. A replacing `insert` changes the value in place, under
//!   the node's lock, so a `get` never misses a key that is present
//!   throughout.
//! - Updates are **blocking**: they lock a handful of nodes, always in
//!   decreasing key order, so they cannot deadlock. The lock (parking_lot's
//!   1-byte `RawMutex`) spins briefly and then parks, so threads that
//!   outnumber the cores do not burn their slices spinning.
//! - Iteration (`iter`, `range`, `Entry::next`) is **weakly consistent**:
//!   keys come out strictly increasing (decreasing backwards), every key
//!   present throughout the iteration is yielded, and a key inserted or
//!   removed meanwhile may or may not be. Iterators resume after `None`
//!   (see [Iteration semantics](#iteration-semantics)).
//! - `len` is a striped counter: exact when no update is in flight.
//!
//! # The algorithm
//!
//! Herlihy, Lev, Luchangco and Shavit, *A Simple Optimistic Skiplist
//! Algorithm* (SIROCCO 2007): every level of the skiplist is a lazy list
//! (Heller et al. 2005, [`crate::list`]), and the skiplist reuses the lazy
//! list's pieces (the crate-private `lazy` module: node lock, `marked` and
//! `fully_linked` flags, the validation rule, value slots, retirement and
//! guard-scoped entries). Each node has a tower of `next` links, one per
//! level it belongs to.
//!
//! ```text
//!  level 2  head ───────────────────────────► [9] ──────────────► null
//!  level 1  head ──────────► [3] ───────────► [9] ──► [12] ─────► null
//!  level 0  head ──► [1] ──► [3] ──► [5] ──► [9] ──► [12] ──► [15] ──► null
//!
//!  find(7): start at the top level in use; at each level walk right while
//!  the next key is < 7, record the window, then drop a level:
//!     level 2: preds[2] = head, succs[2] = [9]
//!     level 1: preds[1] = [3],  succs[1] = [9]
//!     level 0: preds[0] = [5],  succs[0] = [9]
//! ```
//!
//! **Insert** `k` of height `h` (absent): lock the distinct `preds[0..h]`
//! bottom-up, validating each level (`!pred.marked && !succ.marked &&
//! pred.next[l] == succ`); if any level fails, unlock and search again.
//! Otherwise point the new node's links at `succs`, link it into each level
//! bottom-up (Release stores), then set `fully_linked`: the linearization
//! point. The inserter holds the new node's own lock from before its first
//! link until after `fully_linked`, so a thread that meets a half-linked node
//! waits for it by taking that lock (parking, not spinning).
//!
//! **Remove** `k`: proceed only for a node that is fully linked, unmarked,
//! and was found at its top level (otherwise the key is absent at some
//! moment of the call: not yet inserted, or already being removed). Lock
//! it, check it is still unmarked, mark it (the linearization point; one
//! remover wins), then lock the distinct predecessors bottom-up and validate
//! `!pred.marked && pred.next[l] == victim` at each level; if that fails,
//! search again, keeping the victim locked and marked. Finally unlink it
//! top-down, unlock, and retire it. The victim's own links are left as they
//! are: wait-free readers may be standing on it.
//!
//! **Lookups** descend without locks and, at the first node with the key,
//! answer "present" iff it is fully linked and unmarked.
//!
//! ## Why lookups are wait-free and linearizable
//!
//! A lookup never waits and never retries: it reads each link once, moving
//! right or down, so it takes at most one step per node on its path. Its
//! answer is linearizable because the flags only ever go from false to true:
//! reading `fully_linked == true` and then `marked == false` proves the
//! node was live at the moment of the second read. If it finds a node that
//! is not live, the key is absent at some moment of the call: a node not yet
//! fully linked means its insert has not taken effect, and an older node of
//! the key must have been unlinked before that insert could validate; a
//! marked node was removed, and any newer node of the key is linked only
//! after the marked one is unlinked, which happens after the lookup reached
//! it. If it finds no node at all, a node present throughout would have been
//! met on the level-0 walk (a removed node's links are frozen at successors
//! that were reachable when it was unlinked).
//!
//! Ordered queries (`front`, `back`, bounds, `pop_*`) are linearizable by a
//! validated window: both ends fully linked, the level-0 edge between them
//! re-read, then both ends unmarked; they wait for half-inserted or
//! half-removed ends. `pop_front` marks its node while holding the head's
//! lock, and `pop_back` while the node's own lock keeps anything from being
//! appended after it.
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
//! | state | `fully_linked` | `marked` | reachable | who acts next |
//! |---|---|---|---|---|
//! | private | false | false | no: built by an inserter, outside any lock | the inserter links it under its predecessors' locks |
//! | inserting | false | false | at its lower levels: linked bottom-up, holding its own lock | the same inserter links the rest and sets `fully_linked` |
//! | fully linked (live) | true | false | at every level of its tower | a remover locks it and marks it |
//! | marked | true | true | yes, until its remover (who holds its lock) unlinks it top-down | the same remover, after validating the predecessors |
//! | unlinked | true | true | no, but pinned readers may stand on it and follow its links | the remover retires it (once) |
//! | retired | true | true | no | the epoch collector frees it once every thread pinned before the retirement has unpinned |
//!
//! A node's life: allocated by `insert` (one allocation: header and tower),
//! possibly after its key was compared with others; linked bottom-up and
//! published as fully linked; marked, unlinked top-down and retired by
//! exactly one remover; freed by the collector. A node still in the skiplist
//! when the map is dropped is freed by the map's `Drop`.
//!
//! # Memory layout and the level distribution
//!
//! ```text
//!   one allocation per entry (Layout = header ⊕ [AtomicPtr; height]):
//!   ┌──────────────────────────────────────────────────┬─────────┬─────┬───────────┐
//!   │ key: K                                           │ next[0] │ ... │ next[h-1] │
//!   │ value: AtomicPtr<V> (SkipMap only) ──► Box<V>    │  8 B    │     │   8 B     │
//!   │ lock 1 B, marked 1 B, fully_linked 1 B, height 1 B│         │     │           │
//!   └──────────────────────────────────────────────────┴─────────┴─────┴───────────┘
//! ```
//!
//! A node has height `h` with probability `(3/4)·(1/4)^(h-1)` (p = 1/4, as
//! in the paper's experiments and in Pugh's analysis), so a tower has 4/3
//! links on average, and a search makes about `(1/p)·log_{1/p}(n)` =
//! `4·log4(n)` steps (Pugh): fewer links to follow than p = 1/2 costs in
//! memory, at the price of slightly longer walks per level. Measured against
//! p = 1/2 (crossbeam's choice) on 2 cores: no difference on 65,536 keys at
//! 1%, 10% and 50% updates; on 2^20 keys a lookup is about 20% faster with
//! p = 1/2, whose bottom levels are denser, so a search meets fewer cold nodes.
//! That costs 5.3 bytes per entry (32 instead of 26.7), so p stays 1/4. The height is capped at 20
//! (enough for 10^12 entries; 2 under loom). Each thread draws heights from
//! its own xorshift generator: no shared seed line. Searches start from the
//! highest level in use (a hint that only grows), not from the cap.
//!
//! A `SkipSet<u64>` entry is a 16-byte header plus 8 bytes per level: 26.7
//! bytes on average, one allocation (crossbeam's is 16 + 8 per level with
//! p = 1/2: 32 bytes). A `SkipMap<K, V>` entry adds the value pointer to the
//! header and the value's own box (none for a zero-sized `V`).
//!
//! # Entries, iterators and reclamation
//!
//! An [`Entry`] (and an iterator) pins the epoch for as long as it lives; no
//! reference count is touched. While a thread holds one, nothing retired by
//! any thread after it pinned can be freed, so a long-lived entry or
//! iterator makes removed nodes and replaced values accumulate until it is
//! dropped. Entries and iterators are therefore neither `Send` nor `Sync`.
//!
//! Why a pinned reader is safe: every node a search stands on at level `l`
//! was linked at level `l` at some moment after the reader pinned. The head
//! always is; moving right reads a link that either still belongs to a
//! linked node or was frozen when that node was unlinked, pointing at a
//! node linked at that moment; moving down stays on a node that was linked
//! at the level above, hence (bottom-up linking, top-down unlinking) at this
//! one. A node is retired only after it is unlinked at every level, so none
//! of these is freed while the reader pins.
//!
//! # Panics in user code
//!
//! A panicking `Ord`, `value_fn` or `compare_fn` runs with no lock held, so
//! it leaves the skiplist as it was. A panicking `Drop` of a removed key or
//! value runs inside the epoch collector, where it is contained (the rest of
//! the node is still dropped and freed). Dropping the map or an owning
//! iterator drops every remaining element even if one `Drop` panics, then
//! propagates the panic.
//!
//! # Coming from crossbeam-skiplist
//!
//! Change the import; the surface is the same. What you can observe:
//!
//! - Of concurrent removers of one key, exactly one gets `Some` (crossbeam
//!   0.1.3 can give it to two).
//! - A replacing `insert` keeps the key's node and swaps the value under the
//!   node's lock: a concurrent `get` never misses the key, an older entry is
//!   not reported removed and keeps showing the value it was made with.
//!   `SkipSet::insert` of a present key keeps the present element.
//! - Entries and iterators pin the epoch instead of holding a reference
//!   count, so they are `!Send` and a long-lived one delays reclamation of
//!   everything retired meanwhile.
//! - Updates lock (briefly, parking under contention) instead of being
//!   lock-free; lookups are wait-free and never write shared memory.

use core::borrow::Borrow;
use core::fmt;
use core::ops::{Bound, RangeBounds};

use crate::lazy::ValueSlot;
use crate::sync::epoch;

/// Runs `op` (a raw operation returning a node) under a fresh pin and makes
/// an entry of the node it returns: `pinned!(raw_list, |guard| op)`.
macro_rules! pinned {
    ($raw:expr, |$guard:ident| $op:expr) => {{
        let $guard = $crate::sync::epoch::pin();
        let node = $op.map($crate::skiplist::node::NodeRef::ptr);
        node.map(|n| $crate::skiplist::entry::entry_for($raw, $guard, n))
    }};
}

/// `pinned!` for the ordered queries of a map (`front`, `back`,
/// `lower_bound`, `upper_bound`): the query picks a node at one instant, and a
/// value loaded later could belong to a moment when another key was the
/// answer. So: query, load the value pointer, query again, and keep the
/// result only if the same node comes back with the same value pointer (a
/// value box cannot be reused while pinned, so the value held throughout,
/// including at the second query's linearization point). Retries only when an
/// update raced the query (lock-free).
macro_rules! snapshot {
    ($raw:expr, |$guard:ident| $op:expr) => {{
        let $guard = $crate::sync::epoch::pin();
        loop {
            let Some(node) = $op.map($crate::skiplist::node::NodeRef::ptr) else {
                break None;
            };
            // SAFETY: returned by a `RawSkipList` query under this guard, so
            // allocated while it lives.
            let node_ref = unsafe { node.as_ref() };
            let value = $crate::lazy::EntryNode::load_value(node_ref, &$guard);
            let same_node = $op.map($crate::skiplist::node::NodeRef::ptr) == Some(node);
            let same_value = $crate::lazy::EntryNode::load_value(node_ref, &$guard) == value;
            if same_node && same_value {
                // SAFETY: as above; `value` was in the node's slot after the pin.
                break Some(unsafe {
                    $crate::skiplist::entry::RawEntry::with_value($raw, $guard, node, value)
                });
            }
        }
    }};
}

mod entry;
mod iter;
mod node;
mod ordered;
mod raw;
pub mod set;

pub use entry::Entry;
pub use iter::{IntoIter, Iter, Range};
pub use set::SkipSet;

use entry::RawEntry;
use node::NodeRef;
use raw::{Existing, RawSkipList};

/// Paths of the skiplist protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    pub use crate::lazy::paths::*;
    use crate::sync::coverage::Path;
    /// An insert found its key's node marked and waited for the remover.
    pub static INSERT_WAITED_FOR_REMOVER: Path =
        Path::new("an insert found its key's node marked and waited for the remover");
    /// An insert found its key's node not yet fully linked and waited for its
    /// inserter.
    pub static INSERT_WAITED_FOR_INSERTER: Path =
        Path::new("an insert found its key's node half-linked and waited for the inserter");
    /// A present key's value was replaced under its node's lock.
    pub static VALUE_REPLACED: Path = Path::new("a value was replaced under the node lock");
    /// A replacement found, under the lock, the node marked or its value
    /// changed since it decided, and retried.
    pub static REPLACE_SAW_CHANGE: Path =
        Path::new("a replacement found the node marked or its value changed, and retried");
    /// A wait-free lookup stopped at its key's node and found it not live.
    pub static LOOKUP_SAW_NOT_LIVE: Path =
        Path::new("a lookup found its key's node half-linked or marked");
    /// A remove found its key's node not live (half-linked or marked) and
    /// reported the key absent.
    pub static REMOVE_SAW_NOT_LIVE: Path =
        Path::new("a remove found its key's node half-linked or marked");
    /// A remover locked its candidate and found it marked by another.
    pub static REMOVE_LOST_RACE: Path =
        Path::new("a remover found its candidate marked under the lock");
    /// A remover's predecessor validation failed after marking; it searched
    /// again keeping the mark.
    pub static REMOVE_REVALIDATED: Path =
        Path::new("a remover revalidated its predecessors after marking");
    /// An ordered query found an end of its window half-linked, marked or
    /// moved, and retried.
    pub static ORDERED_QUERY_RETRIED: Path =
        Path::new("an ordered query found its window changing and retried");
    /// `Entry::remove` reached another node of its key and searched again.
    pub static ENTRY_REMOVE_STALE: Path = Path::new("Entry::remove met a stale path");
    /// `pop_front`/`pop_back` waited for a node being inserted or removed.
    pub static POP_WAITED: Path = Path::new("a pop waited for an end being updated");
}

/// A concurrent ordered map: a lazy skiplist (see the
/// [module documentation](self)).
///
/// ```
/// use lazuli::skiplist::SkipMap;
///
/// let map = SkipMap::new();
/// map.insert(2, "two");
/// map.insert(1, "one");
/// assert_eq!(*map.get(&1).unwrap().value(), "one");
/// let keys: Vec<i32> = map.iter().map(|e| *e.key()).collect();
/// assert_eq!(keys, [1, 2]);
/// ```
pub struct SkipMap<K, V> {
    raw: RawSkipList<K, ValueSlot<V>>,
}

impl<K, V> SkipMap<K, V> {
    /// An empty map.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<u32, u32> = lazuli::skiplist::SkipMap::new();
    /// assert!(map.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            raw: RawSkipList::new(),
        }
    }

    /// Whether the map has no entries (exact when no update is in flight).
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
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
    /// let map = lazuli::skiplist::SkipMap::new();
    /// map.insert(1, 'a');
    /// map.insert(2, 'b');
    /// assert_eq!(map.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }
}

impl<K: Ord, V> SkipMap<K, V> {
    /// The entry with the smallest key.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().key(), 3);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, K, V>> {
        snapshot!(&self.raw, |guard| self
            .raw
            .lower_bound::<K>(Bound::Unbounded, &guard))
        .map(Entry::new)
    }

    /// The entry with the largest key.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().key(), 5);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, K, V>> {
        snapshot!(&self.raw, |guard| self
            .raw
            .upper_bound::<K>(Bound::Unbounded, &guard))
        .map(Entry::new)
    }

    /// Whether `key` is present. Wait-free.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
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
    /// let map = lazuli::skiplist::SkipMap::new();
    /// map.insert(7, "seven");
    /// assert_eq!(*map.get(&7).unwrap().value(), "seven");
    /// assert!(map.get(&8).is_none());
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        pinned!(&self.raw, |guard| self.raw.get(key, &guard)).map(Entry::new)
    }

    /// The first entry whose key is above `bound` (`Included(k)`: the
    /// smallest key `>= k`; `Excluded(k)`: `> k`; `Unbounded`: the front).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.lower_bound(Included(&2)).unwrap().key(), 4);
    /// assert!(map.lower_bound(Excluded(&4)).is_none());
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        snapshot!(&self.raw, |guard| self.raw.lower_bound(bound, &guard)).map(Entry::new)
    }

    /// The last entry whose key is below `bound` (`Included(k)`: the largest
    /// key `<= k`; `Excluded(k)`: `< k`; `Unbounded`: the back).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.upper_bound(Included(&3)).unwrap().key(), 1);
    /// assert!(map.upper_bound(Excluded(&1)).is_none());
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        snapshot!(&self.raw, |guard| self.raw.upper_bound(bound, &guard)).map(Entry::new)
    }

    /// The entry of `key`; if absent, inserts `value` first. A present value
    /// is kept (and `value` dropped).
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.get_or_insert(1, "b").value(), "a");
    /// assert_eq!(*map.get_or_insert(2, "c").value(), "c");
    /// ```
    pub fn get_or_insert(&self, key: K, value: V) -> Entry<'_, K, V> {
        self.insert_raw(key, Some(value), None::<fn() -> V>, keep_existing)
    }

    /// The entry of `key`; if absent, inserts `value_fn()` first. `value_fn`
    /// is called at most once, with no lock held, and only if the key was
    /// found absent.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// assert_eq!(*map.get_or_insert_with(1, || "made").value(), "made");
    /// assert_eq!(*map.get_or_insert_with(1, || unreachable!()).value(), "made");
    /// ```
    pub fn get_or_insert_with<F>(&self, key: K, value_fn: F) -> Entry<'_, K, V>
    where
        F: FnOnce() -> V,
    {
        self.insert_raw(key, None, Some(value_fn), keep_existing)
    }

    fn insert_raw<F: FnOnce() -> V>(
        &self,
        key: K,
        value: Option<V>,
        value_fn: Option<F>,
        existing: impl for<'g> FnMut(
            NodeRef<'g, K, ValueSlot<V>>,
            &mut Option<V>,
            &'g epoch::Guard,
        ) -> Existing<V>,
    ) -> Entry<'_, K, V> {
        let guard = epoch::pin();
        let (node, value) = self.raw.insert(key, value, value_fn, existing, &guard);
        // SAFETY: `insert` returned a node that is (or was, after our pin)
        // reachable, and a value that was in its slot after our pin.
        Entry::new(unsafe { RawEntry::with_value(&self.raw, guard, node, value) })
    }

    /// An iterator over the entries in ascending key order (weakly
    /// consistent: see the module doc).
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
    /// let pairs: Vec<_> = map.iter().map(|e| (*e.key(), *e.value())).collect();
    /// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter::new(&self.raw)
    }

    /// An iterator over the entries whose keys are in `range`, ascending
    /// (weakly consistent).
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = (0..10).map(|k| (k, k * k)).collect();
    /// let squares: Vec<_> = map.range(3..6).map(|e| *e.value()).collect();
    /// assert_eq!(squares, [9, 16, 25]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, K, V>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range::new(&self.raw, range)
    }
}

/// The `existing` callback of `get_or_insert(_with)`: keep the present value.
fn keep_existing<'g, K, V>(
    node: NodeRef<'g, K, ValueSlot<V>>,
    _: &mut Option<V>,
    guard: &'g epoch::Guard,
) -> Existing<V> {
    // SAFETY: a node found by a search: not the head.
    let value = unsafe { node.node().payload_unchecked() }.load(guard);
    // The value was read while the node was unmarked (the flag is read after
    // it): the key was present with that value then.
    if node.state().is_marked() {
        crate::sync::cover!(paths::INSERT_WAITED_FOR_REMOVER);
        // A remover won: wait for it to unlink the node, then search again.
        drop(node.state().lock());
        Existing::Retry
    } else {
        Existing::Done(value)
    }
}

/// Lock `node`, and if it is still live, replace its value with `value` when
/// `decide(current value)` says so.
///
/// # Safety
/// `V: Send + 'static` (the old value is retired).
unsafe fn replace_value<'g, K, V>(
    node: NodeRef<'g, K, ValueSlot<V>>,
    value: &mut Option<V>,
    mut decide: impl FnMut(&V) -> bool,
    guard: &'g epoch::Guard,
) -> Existing<V> {
    // SAFETY: a node found by a search: not the head.
    let slot = unsafe { node.node().payload_unchecked() };
    let seen = slot.load(guard);
    // SAFETY: the slot's box is protected by our pin. `decide` is user code
    // and runs without any lock held.
    if !decide(unsafe { seen.as_ref() }) {
        if node.state().is_marked() {
            crate::sync::cover!(paths::INSERT_WAITED_FOR_REMOVER);
            drop(node.state().lock());
            return Existing::Retry;
        }
        return Existing::Done(seen);
    }
    let boxed = Box::new(value.take().expect("the value is present"));
    let held = node.state().lock();
    // Under the lock only other writers could change the slot, and they hold
    // the lock too.
    let unchanged = slot.load(guard) == seen;
    if node.state().is_marked() || !unchanged {
        drop(held);
        crate::sync::cover!(paths::REPLACE_SAW_CHANGE);
        *value = Some(*boxed);
        return Existing::Retry;
    }
    // SAFETY: the caller guarantees `V: Send + 'static`; the node is live and
    // we hold its lock.
    let new = unsafe { slot.replace(boxed, &held, guard) };
    drop(held);
    crate::sync::cover!(paths::VALUE_REPLACED);
    Existing::Done(new)
}

impl<K, V> SkipMap<K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    /// Inserts `key` with `value`, replacing (and retiring) the value of a
    /// present key in place, under the key's node lock; returns the entry,
    /// showing `value`.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.insert(1, "b").value(), "b");
    /// assert_eq!(*map.get(&1).unwrap().value(), "b");
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn insert(&self, key: K, value: V) -> Entry<'_, K, V> {
        self.insert_raw(key, Some(value), None::<fn() -> V>, |node, value, guard| {
            // SAFETY: `V: Send + 'static` by this impl's bounds.
            unsafe { replace_value(node, value, |_| true, guard) }
        })
    }

    /// Inserts `key` with `value` if absent; if present, replaces the value
    /// only if `compare_fn(current value)` returns true, and otherwise
    /// returns the present entry (dropping `value`). `compare_fn` runs with
    /// no lock held, possibly more than once under contention; the
    /// replacement happens only if the value it approved is still current.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
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
            unsafe { replace_value(node, value, &compare_fn, guard) }
        })
    }

    /// Removes `key`; returns its entry if this call removed it. Of several
    /// concurrent removers of one key, exactly one gets `Some`.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
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
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.remove(key, &guard) }).map(Entry::new)
    }

    /// Removes the entry with the smallest key and returns it.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_front().unwrap().key(), 1);
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, K, V>> {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.pop_front(&guard) }).map(Entry::new)
    }

    /// Removes the entry with the largest key and returns it.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_back().unwrap().key(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, K, V>> {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.pop_back(&guard) }).map(Entry::new)
    }

    /// Removes every entry (one by one from the front; entries inserted
    /// concurrently may survive).
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = (0..5).map(|k| (k, ())).collect();
    /// map.clear();
    /// assert!(map.is_empty());
    /// ```
    pub fn clear(&self) {
        loop {
            // A fresh pin per removal, so that a long clear does not hold
            // back reclamation.
            let guard = epoch::pin();
            // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
            if unsafe { self.raw.pop_front(&guard) }.is_none() {
                return;
            }
        }
    }
}

impl<K, V> Default for SkipMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the entries, in order (a weakly consistent snapshot).
impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for SkipMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = epoch::pin();
        let mut map = f.debug_map();
        let mut node = RawSkipList::live_from(self.raw.first(&guard), &guard);
        while let Some(n) = node {
            // SAFETY: a node reached through links: not the head; its value
            // box is protected by our pin.
            let (key, value) =
                unsafe { (n.key(), n.node().payload_unchecked().load(&guard).as_ref()) };
            map.entry(key, value);
            node = RawSkipList::live_after(n, &guard);
        }
        map.finish()
    }
}

impl<K, V> IntoIterator for SkipMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;

    /// The entries in ascending key order, by value.
    fn into_iter(self) -> IntoIter<K, V> {
        IntoIter::new(self.raw)
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a SkipMap<K, V> {
    type Item = Entry<'a, K, V>;
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Iter<'a, K, V> {
        self.iter()
    }
}

/// Collects with [`SkipMap::get_or_insert`]: of repeated keys, the first
/// value is kept (as crossbeam-skiplist does).
impl<K: Ord, V> FromIterator<(K, V)> for SkipMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

/// Extends with [`SkipMap::get_or_insert`]: a key already present keeps its
/// value, as in [`FromIterator`].
impl<K: Ord, V> Extend<(K, V)> for SkipMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.get_or_insert(key, value);
        }
    }
}
