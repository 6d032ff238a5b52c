//! [`SkipMap`] and [`SkipSet`]: a concurrent skiplist with wait-free
//! lookups, fine-grained locking for updates, and epoch reclamation. A
//! drop-in for crossbeam-skiplist 0.1's `SkipMap` and `SkipSet`.
//!
//! # Guarantees
//!
//! - `get`, `contains_key`/`contains` are **wait-free**: one descent of the
//!   towers, with no lock, no retry, no reference count and no write to a
//!   node. The call around it pins the epoch: crossbeam-epoch's `pin()`
//!   writes this thread's own participant record (a `lock cmpxchg` on
//!   x86-64), and every 128th pin of a thread also tries to advance the
//!   global epoch and frees a bounded batch of retired nodes.
//! - Every single-key operation (`insert`, `get_or_insert(_with)`,
//!   `compare_insert`, `get`, `contains_key`, `remove`) and `front`, `back`,
//!   `pop_front`, `pop_back`, `lower_bound`, `upper_bound` is
//!   **linearizable**. Of several concurrent removers of one key, exactly
//!   one gets `Some`. A replacing `insert` of a map puts a new node (the
//!   value inline) in the old node's place in one critical section, so a
//!   `get` never misses a key that is present throughout.
//! - Updates are **blocking**: they lock a handful of nodes, always in
//!   decreasing key order, so they cannot deadlock. One caveat for keys
//!   whose `Ord` does more than compare: a `remove` or replacing `insert`
//!   that has marked its node keeps that node locked through the searches it
//!   repeats before unlinking it, and those call `Ord`. A panic there is
//!   handled (the node is still unlinked, `unwind.rs`); an `Ord` that itself
//!   updates the same key of the same map would wait for that lock forever. The lock (parking_lot's
//!   1-byte `RawMutex`) spins briefly and then parks, so threads that
//!   outnumber the cores do not burn their slices spinning.
//! - Iteration (`iter`, `range`, `Entry::next`) is **weakly consistent**:
//!   keys come out strictly increasing (decreasing backwards), every key
//!   present throughout the iteration is yielded, and a key inserted or
//!   removed meanwhile may or may not be. Iterators resume after `None`
//!   (see the [iteration semantics](crate::ordered#iteration-semantics)).
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
//! **Replace** `k` (a map's `insert` or approved `compare_insert` of a
//! present key): lock the node, build a new one of the same height with the
//! new value and the old node's links, point the old node's level-0 link at
//! it, mark the old node *replaced* (the linearization point), then swing
//! every level's predecessor to the new node as a remove unlinks, and
//! retire the old node. `replace.rs` has the steps and the proof.
//!
//! **Lookups** descend without locks and, at the first node with the key,
//! answer "present" iff it is fully linked and unmarked, or, for a node
//! marked *replaced*, report the node its level-0 link points to.
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
//! # Node states
//!
//! | state | `fully_linked` | `marked` | reachable | who acts next |
//! |---|---|---|---|---|
//! | private | false | false | no: built by an inserter, outside any lock | the inserter links it under its predecessors' locks |
//! | inserting | false | false | at its lower levels: linked bottom-up, holding its own lock | the same inserter links the rest and sets `fully_linked` |
//! | fully linked (live) | true | false | at every level of its tower | a remover locks it and marks it |
//! | marked | true | true | yes, until its remover (who holds its lock) unlinks it top-down | the same remover, after validating the predecessors |
//! | marked *replaced* (maps) | true | true, replaced | yes, until its replacer (who holds its lock, and the new node's) swings the predecessors to the new node; its level-0 link points at the new node | the same replacer, after validating the predecessors |
//! | unlinked | true | true | no, but pinned readers may stand on it and follow its links | the remover retires it (once) |
//! | retired | true | true | no | the epoch collector frees it once every thread pinned before the retirement has unpinned |
//!
//! A node's life: allocated by `insert` (one allocation: header and tower),
//! possibly after its key was compared with others; linked bottom-up and
//! published as fully linked; marked, unlinked top-down and retired by
//! exactly one remover (or marked *replaced*, unlinked and retired by one
//! replacing insert); freed by the collector. A node still in the skiplist
//! when the map is dropped is freed by the map's `Drop`.
//!
//! # Memory layout, level distribution and prefetching
//!
//! ```text
//!   one allocation per entry (Layout = header ⊕ [AtomicPtr; height]):
//!   ┌──────────────────────────────────────────────────┬─────────┬─────┬───────────┐
//!   │ key: K                                           │ next[0] │ ... │ next[h-1] │
//!   │ value: V, inline and immutable (SkipMap only)    │  8 B    │     │   8 B     │
//!   │ lock 1 B, marked 1 B, fully_linked 1 B, height 1 B│         │     │           │
//!   └──────────────────────────────────────────────────┴─────────┴─────┴───────────┘
//! ```
//!
//! **Heights.** A node reaches levels 2, 3 and 4 with probability 1/2,
//! 1/4 and 1/8, as with p = 1/2, and each level above with a further 1/4
//! (p = 1/4): `P(height > h)` = 1/2, 1/4, 1/8, 1/32, 1/128, ..., 23/12 ≈
//! 1.92 links per tower on average. The top of the structure is a p = 1/4
//! skiplist (Pugh's analysis and the paper's experiments: `4·log4(n)`
//! steps, fewer links than p = 1/2), and its bottom four levels are as
//! dense as p = 1/2 (crossbeam's choice). The bottom levels are where a
//! large structure misses the cache, and a walk along a dense level passes
//! fewer cold nodes before it steps down (`1/p - 1` on average).
//!
//! **Prefetching.** A search that compares the node after `pred` on level
//! `l` also starts loading `pred`'s successors on levels `l - 1` and
//! `l - 2`: if the node turns out to be past the key, those are the next
//! nodes compared, and their misses overlap the one being waited for
//! instead of following it (`NodeRef::prefetch_below`; a cache hint only,
//! x86-64, compiled out under loom and Miri). Updates always do it: next to
//! their locks and allocation the prefetches cost little, and churn on
//! 65,536 keys at one thread gained 7-17%. Lookups (`get`, `contains`) do
//! it only in a large skiplist (about 2^17 entries or more, told by a
//! count of the nodes of 7 levels or more, one in 512): a smaller one
//! whose hot part stays in the cache would only pay the instructions
//! (10-30% on 8 hot keys of 65,536).
//!
//! Measured on 2 cores, in one process with crossbeam-skiplist interleaved
//! (uniform lookups, half of them of absent keys, 2^20 keys, 9 repetitions
//! of 200 ms, medians, lazuli ÷ crossbeam, four workloads: `SkipSet` and
//! `SkipMap` at 1 and 2 threads): p = 1/4 without prefetching 0.70-0.89;
//! with prefetching 0.85-0.96; bottom levels at p = 1/2 (two to four of
//! them) with prefetching 0.93-1.11, three of them 0.89-1.11 over two
//! runs. On 65,536 keys, where lookups do not prefetch, the heights alone
//! changed nothing beyond the noise.
//!
//! The height is capped at 20 (enough for 10^11 entries; 2 under loom).
//! Each thread draws heights from its own xorshift generator: no shared
//! seed line. Searches start from the highest level in use (a hint that
//! only grows), not from the cap.
//!
//! A `SkipSet<u64>` entry is a 16-byte header plus 8 bytes per level: 31.3
//! bytes on average, one allocation (crossbeam's is 16 + 8 per level with
//! p = 1/2: 32 bytes). A `SkipMap<K, V>` entry adds the value to the header,
//! inline: `SkipMap<u64, u64>` takes 39.3 bytes per entry in one allocation
//! (crossbeam's: 40). The value is never written after the node is built,
//! which is why a replacing insert replaces the node.
//!
//! # Where the code lives
//!
//! This module holds the protocol: `node.rs` (the node and its tower, the
//! level generator), `raw.rs` (the search, lookups, insert),
//! `remove.rs` (remove and the pops), `replace.rs` (a map's replacing
//! insert), `unwind.rs` (finishing an unlink a panicking `Ord` interrupted)
//! and `queries.rs` (level-0 walks and the validated windows of ordered
//! queries), built on the shared pieces of the crate-private `lazy` module;
//! this file implements the raw-structure contract of [`crate::ordered`]
//! for it. The public layer (maps, sets, entries, iterators, ranges) is
//! written once, in [`crate::ordered`], for the list and the skiplist
//! alike; [`SkipMap`], [`SkipSet`] and their entry and iterator types are
//! its types with [`LazySkipList`] plugged in.
//!
//! # Entries, iterators and reclamation
//!
//! An [`Entry`] (and an iterator) pins the epoch for as long as it lives; no
//! reference count is touched (see
//! [`crate::ordered`](crate::ordered#entries-iterators-and-reclamation)).
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
//! A panicking `Ord`, `value_fn` or `compare_fn` leaves the skiplist
//! usable, with nothing locked, leaked or dropped twice. Before an update
//! marks or links a node, user code runs with no lock held and nothing
//! changed yet (an insert's built but unlinked node is freed, with its key
//! and value). After a remove or a replacing insert has marked its node,
//! the only user code is a new search when a neighbour moved; if `Ord`
//! panics there, the node is unlinked by walking the links instead
//! (`unwind.rs`), and the panic goes on once it is out of the skiplist: the
//! remove or replacement has taken effect. A panicking `Drop` of a removed key or
//! value runs inside the epoch collector, where it is contained (the rest of
//! the node is still dropped and freed). Dropping the map or an owning
//! iterator drops every remaining element even if one `Drop` panics, then
//! propagates the panic.
//!
//! # Coming from crossbeam-skiplist
//!
//! Change the import: `crossbeam_skiplist::{SkipMap, SkipSet}` and the
//! modules `map` and `set` are `lazuli::skiplist::{SkipMap, SkipSet, map,
//! set}`, with the same methods and traits (crossbeam's low-level
//! `base::SkipList` has no counterpart). What you can observe:
//!
//! - Of concurrent removers of one key, exactly one gets `Some` (crossbeam
//!   0.1.3 can give it to two).
//! - A replacing `insert` puts a new node in the old one's place, as
//!   crossbeam does (an older entry is reported removed, keeps showing the
//!   value it was made with, and its `remove` removes nothing), but in one
//!   critical section: a concurrent `get` or `remove` never misses the key
//!   (crossbeam 0.1.3's `get` can, its #1023). `SkipSet::insert` of a
//!   present key keeps the present element.
//! - Entries and iterators pin the epoch instead of holding a reference
//!   count, so they are `!Send` and a long-lived one delays reclamation of
//!   everything retired meanwhile.
//! - Updates lock (briefly, parking under contention) instead of being
//!   lock-free; lookups are wait-free and write no node (only the epoch
//!   pin above).

use core::borrow::Borrow;
use core::ptr::NonNull;

use crate::lazy::Existing;
use crate::ordered::raw::{Flavour, RawMap, RawOrdered, Window};
use crate::ordered::{self, OrderedMap};
use crate::sync::epoch::Guard;

mod node;
mod queries;
mod raw;
mod remove;
mod replace;
mod unwind;

use node::{Inline, NoValue, Node, NodeRef, Payload};
use raw::RawSkipList;

/// Paths of the skiplist protocol that loom models assert they reach.
#[cfg(loom)]
#[doc(hidden)]
pub mod paths {
    pub use crate::lazy::paths::*;
    crate::sync::paths! {
        /// An insert found its key's node not yet fully linked and waited for its
        /// inserter.
        INSERT_WAITED_FOR_INSERTER: "an insert found its key's node half-linked and waited for the inserter";
        /// A wait-free lookup stopped at its key's node and found it not live.
        LOOKUP_SAW_NOT_LIVE: "a lookup found its key's node half-linked or marked";
        /// A remove found its key's node not live (half-linked or marked) and
        /// reported the key absent.
        REMOVE_SAW_NOT_LIVE: "a remove found its key's node half-linked or marked";
        /// A remover locked its candidate and found it marked by another.
        REMOVE_LOST_RACE: "a remover found its candidate marked under the lock";
        /// A remover's predecessor validation failed after marking; it searched
        /// again keeping the mark.
        REMOVE_REVALIDATED: "a remover revalidated its predecessors after marking";
        /// An ordered query found an end of its window half-linked, marked or
        /// moved, and retried.
        ORDERED_QUERY_RETRIED: "an ordered query found its window changing and retried";
        /// `Entry::remove` reached another node of its key and searched again.
        ///
        /// Reachable in the skiplist only through a replacement in progress:
        /// an entry of the replacing node, taken while that node is still
        /// reachable only through the old one (step 4 of `replace.rs`), then
        /// removed (or `pop_back` choosing it), finds the old node first, and
        /// retries until the replacer has unlinked it. No skiplist model
        /// makes such an entry, so none claims this path (the list's model
        /// reaches it); `entry_remove_races_a_remove` checks the outcome on
        /// both structures.
        ENTRY_REMOVE_STALE: "Entry::remove met a stale path";
        /// A level-0 walk (an iterator's `next`) met a node still being
        /// inserted and waited for its inserter instead of passing it.
        WALK_WAITED_FOR_INSERTER: "a level-0 walk met a half-linked node and waited for its inserter";
        /// `pop_front`/`pop_back` waited for a node being inserted or removed.
        POP_WAITED: "a pop waited for an end being updated";
        /// A lookup found its key's node replaced and followed the link to
        /// the replacing node.
        LOOKUP_FOLLOWED_REPLACEMENT: "a lookup followed a replaced node to its replacement";
        /// A remove found its key's node replaced and searched again.
        REMOVE_SAW_REPLACED: "a remove found its key's node replaced and searched again";
        /// A replacing insert locked its node and found it marked by another.
        REPLACE_FOUND_MARKED: "a replacing insert found its node marked under the lock";
        /// A replacing insert's predecessor validation failed after marking.
        REPLACE_REVALIDATED: "a replacing insert revalidated its predecessors";
        /// A replacing insert put a new node in the old one's place.
        NODE_REPLACED: "a node was replaced by a new one";
        /// The user's `Ord` panicked in the search a remove or a replacing
        /// insert repeats after its mark, and the marked node's windows were
        /// found by walking the links from the head instead (`unwind.rs`).
        UNLINKED_BY_POINTER: "a search after the mark panicked; the node was unlinked by pointer";
        /// An insert unwound (its retried search panicked) holding the node
        /// it had built and not linked, and freed it with its key and value.
        UNPUBLISHED_NODE_FREED: "an unwinding insert freed the node it had built";
    }
}

/// The lazy skiplist, as the structure behind an [`OrderedMap`] or an
/// [`OrderedSet`](crate::ordered::OrderedSet): [`SkipMap`] is
/// `OrderedMap<K, V, LazySkipList>`. Never constructed.
#[derive(Debug)]
pub enum LazySkipList {}

impl Flavour for LazySkipList {
    type Map<K, V> = RawSkipList<K, Inline<V>>;
    type Set<T> = RawSkipList<T, NoValue>;
}

/// A concurrent ordered map: a lazy skiplist (see the
/// [module documentation](self)), a drop-in for crossbeam-skiplist's
/// `SkipMap`. Its methods are [`OrderedMap`]'s.
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
pub type SkipMap<K, V> = OrderedMap<K, V, LazySkipList>;
/// An entry of a [`SkipMap`]: see [`ordered::Entry`].
pub type Entry<'a, K, V> = ordered::Entry<'a, K, V, LazySkipList>;
/// An iterator over a [`SkipMap`]: see [`ordered::Iter`].
pub type Iter<'a, K, V> = ordered::Iter<'a, K, V, LazySkipList>;
/// An iterator over a range of a [`SkipMap`]: see [`ordered::Range`].
pub type Range<'a, Q, R, K, V> = ordered::Range<'a, Q, R, K, V, LazySkipList>;
/// An owning iterator over a [`SkipMap`]: see [`ordered::IntoIter`].
pub type IntoIter<K, V> = ordered::IntoIter<K, V, LazySkipList>;

/// [`SkipMap`] and its entry and iterator types under the path
/// crossbeam-skiplist gives them: `crossbeam_skiplist::map::Entry` is
/// `lazuli::skiplist::map::Entry`.
pub mod map {
    pub use super::{Entry, IntoIter, Iter, Range, SkipMap};
}

/// [`SkipSet`]: the lazy skiplist as an ordered set, and its entry and
/// iterator types. Its nodes carry no value at all (not even a pointer), so
/// an entry of a `SkipSet<u64>` is a 16-byte header plus its tower.
pub mod set {
    use super::LazySkipList;
    use crate::ordered::{set, OrderedSet};

    /// A concurrent ordered set: a lazy skiplist (see the
    /// [module documentation](super)), a drop-in for crossbeam-skiplist's
    /// `SkipSet`. Its methods are [`OrderedSet`]'s.
    ///
    /// ```
    /// use lazuli::skiplist::SkipSet;
    ///
    /// let set = SkipSet::new();
    /// set.insert(3);
    /// set.insert(1);
    /// assert!(set.contains(&1));
    /// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 3]);
    /// ```
    pub type SkipSet<T> = OrderedSet<T, LazySkipList>;
    /// An entry of a [`SkipSet`]: see [`set::Entry`].
    pub type Entry<'a, T> = set::Entry<'a, T, LazySkipList>;
    /// An iterator over a [`SkipSet`]: see [`set::Iter`].
    pub type Iter<'a, T> = set::Iter<'a, T, LazySkipList>;
    /// An iterator over a range of a [`SkipSet`]: see [`set::Range`].
    pub type Range<'a, Q, R, T> = set::Range<'a, Q, R, T, LazySkipList>;
    /// An owning iterator over a [`SkipSet`]: see [`set::IntoIter`].
    pub type IntoIter<T> = set::IntoIter<T, LazySkipList>;
}

pub use set::SkipSet;

/// The node behind a pointer the skiplist handed out.
///
/// # Safety
/// `node` was returned by a `RawSkipList` operation (through
/// [`NodeRef::ptr`], so with its allocation's provenance) under a guard
/// that still pins.
unsafe fn node_ref<'g, K, S>(node: NonNull<Node<K, S>>) -> NodeRef<'g, K, S> {
    // SAFETY: the caller's contract is `NodeRef::new`'s.
    unsafe { NodeRef::new(node) }
}

impl<K, S: Payload> RawOrdered for RawSkipList<K, S> {
    type Key = K;
    type Value = S::Value;
    type Node = Node<K, S>;

    fn new() -> Self {
        RawSkipList::new()
    }

    fn len(&self) -> usize {
        RawSkipList::len(self)
    }

    fn get<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Node<K, S>>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        RawSkipList::get(self, key, guard).map(NodeRef::ptr)
    }

    fn stable_window(&self, before: impl FnMut(&K) -> bool, guard: &Guard) -> Window<Node<K, S>> {
        let (pred, curr) = RawSkipList::stable_window(self, before, guard);
        (pred.map(NodeRef::ptr), curr.map(NodeRef::ptr))
    }

    fn first_live(&self, guard: &Guard) -> Option<NonNull<Node<K, S>>> {
        RawSkipList::live_from(self.first(guard), guard).map(NodeRef::ptr)
    }

    unsafe fn live_after(node: NonNull<Node<K, S>>, guard: &Guard) -> Option<NonNull<Node<K, S>>> {
        // SAFETY: forwarded contract.
        RawSkipList::live_after(unsafe { node_ref(node) }, guard).map(NodeRef::ptr)
    }

    fn insert<F, E>(
        &self,
        key: K,
        value: Option<S::Value>,
        value_fn: Option<F>,
        mut existing: E,
        guard: &Guard,
    ) -> (NonNull<Node<K, S>>, NonNull<S::Value>)
    where
        K: Ord,
        F: FnOnce() -> S::Value,
        E: FnMut(NonNull<Node<K, S>>, &mut Option<S::Value>, &Guard) -> Existing<S::Value>,
    {
        let existing =
            |n: NodeRef<'_, K, S>, v: &mut Option<S::Value>, g: &Guard| existing(n.ptr(), v, g);
        RawSkipList::insert(self, key, value, value_fn, existing, guard)
    }

    unsafe fn remove<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Node<K, S>>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: forwarded contract.
        unsafe { RawSkipList::remove(self, key, guard) }.map(NodeRef::ptr)
    }

    unsafe fn remove_node(&self, node: NonNull<Node<K, S>>, guard: &Guard) -> bool
    where
        K: Ord,
    {
        // SAFETY: forwarded contract (an entry's node was fully linked).
        unsafe { RawSkipList::remove_node(self, node_ref(node), guard) }
    }

    unsafe fn pop_front(&self, guard: &Guard) -> Option<NonNull<Node<K, S>>> {
        // SAFETY: forwarded contract.
        unsafe { RawSkipList::pop_front(self, guard) }.map(NodeRef::ptr)
    }

    unsafe fn pop_back(&self, guard: &Guard) -> Option<NonNull<Node<K, S>>>
    where
        K: Ord,
    {
        // SAFETY: forwarded contract.
        unsafe { RawSkipList::pop_back(self, guard) }.map(NodeRef::ptr)
    }

    fn pop_front_parts(&mut self) -> Option<(K, S::Value)> {
        RawSkipList::pop_front_parts(self)
    }
}

impl<K, V> RawMap for RawSkipList<K, Inline<V>> {}
