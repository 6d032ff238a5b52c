//! The raw-structure contract: what a concurrent sorted structure must
//! provide for the public layer of [`crate::ordered`] to be built on it.
//!
//! [`crate::list`]'s `RawList` and [`crate::skiplist`]'s `RawSkipList`
//! implement it. A raw structure owns its nodes and runs the whole
//! protocol (search, lock, validate, link, mark, unlink, retire) under a
//! caller's epoch guard; it hands back node pointers that stay allocated
//! while that guard pins. It knows nothing of entries or iterators: those,
//! and every public type, are written once in this module's siblings.

use core::borrow::Borrow;
use core::ops::Bound;
use core::ptr::NonNull;

use crate::lazy::{self, EntryNode, Existing};
use crate::sync::epoch::Guard;

/// Whether `key` is at or after `bound`, as a lower bound.
pub(crate) fn above<Q: Ord + ?Sized>(key: &Q, bound: Bound<&Q>) -> bool {
    match bound {
        Bound::Included(b) => key >= b,
        Bound::Excluded(b) => key > b,
        Bound::Unbounded => true,
    }
}

/// Whether `key` is at or before `bound`, as an upper bound.
pub(crate) fn below<Q: Ord + ?Sized>(key: &Q, bound: Bound<&Q>) -> bool {
    match bound {
        Bound::Included(b) => key <= b,
        Bound::Excluded(b) => key < b,
        Bound::Unbounded => true,
    }
}

/// A validated bottom-level window `(pred, curr)`: `None` stands for the
/// head and for the end.
pub type Window<N> = (Option<NonNull<N>>, Option<NonNull<N>>);

/// A concurrent sorted structure of the lazy family, seen by the public
/// layer.
///
/// Every node pointer a method returns (or passes to a callback) was
/// reachable at some moment after the `guard` it was called with pinned, so
/// it stays allocated while that guard (or a nested pin on the same thread)
/// lives: the contract of [`PinnedEntry`](crate::lazy::PinnedEntry).
pub trait RawOrdered: Sized {
    /// The key type.
    type Key;
    /// The value type (`()` for sets).
    type Value;
    /// The node type.
    type Node: EntryNode<Key = Self::Key, Value = Self::Value>;

    /// An empty structure.
    fn new() -> Self;

    /// The element count (exact when no update is in flight).
    fn len(&self) -> usize;

    /// Wait-free lookup: the node of `key`, if it was live when checked.
    fn get<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Borrow<Q>,
        Q: Ord + ?Sized;

    /// The bottom-level window `(pred, curr)` where `before` turns false:
    /// `before(pred.key) && !before(curr.key)` (`None` for the head and for
    /// the end), validated at one moment with both ends live, so it is
    /// linearizable. `before` holds for a prefix of the key order.
    fn stable_window(
        &self,
        before: impl FnMut(&Self::Key) -> bool,
        guard: &Guard,
    ) -> Window<Self::Node>;

    /// The first live node within `bound` from below (linearizable).
    fn lower_bound<Q>(&self, bound: Bound<&Q>, guard: &Guard) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.stable_window(|key| !above(key.borrow(), bound), guard)
            .1
    }

    /// The last live node within `bound` from above (linearizable).
    fn upper_bound<Q>(&self, bound: Bound<&Q>, guard: &Guard) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.stable_window(|key| below(key.borrow(), bound), guard)
            .0
    }

    /// The first live node, following links from the head (weakly
    /// consistent; for `Debug`).
    fn first_live(&self, guard: &Guard) -> Option<NonNull<Self::Node>>;

    /// The first live node after `node`, following the bottom-level links
    /// from it even if it has been removed (weakly consistent).
    ///
    /// # Safety
    /// `node` was returned by a method of this structure under `guard` (or
    /// reached from such a node by this method), and `guard` still pins.
    unsafe fn live_after(node: NonNull<Self::Node>, guard: &Guard) -> Option<NonNull<Self::Node>>;

    /// The first live node with a key above `node`'s: from a node still in
    /// the structure, by following its bottom-level link (no key present
    /// throughout the call is skipped); from a removed one, whose links may
    /// have been frozen long before the call, by a search for its key.
    ///
    /// # Safety
    /// As for [`live_after`](Self::live_after).
    unsafe fn successor(
        &self,
        node: NonNull<Self::Node>,
        guard: &Guard,
    ) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Ord,
    {
        // SAFETY: forwarded contract.
        let after = unsafe { Self::live_after(node, guard) };
        // SAFETY: as above, the node stays allocated while `guard` pins.
        let last = unsafe { node.as_ref() };
        // The walk read `node`'s link before this flag. Unmarked now, the
        // node was unmarked (so linked) when that link was read: the walk
        // started from a real edge.
        if last.state().is_marked() {
            return self.lower_bound::<Self::Key>(Bound::Excluded(last.key()), guard);
        }
        // A skiplist map node replaced after its link was read forwards to
        // its replacement, of the same key: not a successor.
        // SAFETY: as above.
        match after.map(|a| unsafe { a.as_ref() }) {
            Some(a) if a.key() == last.key() => {
                self.lower_bound::<Self::Key>(Bound::Excluded(last.key()), guard)
            }
            _ => after,
        }
    }

    /// Inserts `key` if absent, with `value` or else `value_fn()` (called at
    /// most once, with no lock held); if present, does what `existing`
    /// decides for the present node (called with no lock held;
    /// [`Existing::Retry`] searches again, [`Existing::Replace`] replaces
    /// the value with `value`, see [`RawMap`]). Returns the node and the
    /// value it holds for the caller: after a replacement in the skiplist,
    /// the new node.
    fn insert<F, E>(
        &self,
        key: Self::Key,
        value: Option<Self::Value>,
        value_fn: Option<F>,
        existing: E,
        guard: &Guard,
    ) -> (NonNull<Self::Node>, NonNull<Self::Value>)
    where
        Self::Key: Ord,
        F: FnOnce() -> Self::Value,
        E: FnMut(NonNull<Self::Node>, &mut Option<Self::Value>, &Guard) -> Existing<Self::Value>;

    /// The `existing` decision of `get_or_insert`: keep the present node's
    /// value if it is live; if a remover has marked it, wait for the
    /// remover and retry.
    ///
    /// # Safety
    /// `node` was passed to an `existing` callback under `guard`.
    unsafe fn keep_existing(node: NonNull<Self::Node>, guard: &Guard) -> Existing<Self::Value> {
        // SAFETY: the caller's contract keeps the node allocated while
        // `guard` pins.
        lazy::keep_existing(unsafe { node.as_ref() }, guard)
    }

    /// Removes the live node of `key`; the node returned was marked,
    /// unlinked and retired by this call.
    ///
    /// # Safety
    /// `Key` and `Value` are `Send + 'static` (the node is retired and may
    /// be dropped on another thread).
    unsafe fn remove<Q>(&self, key: &Q, guard: &Guard) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Borrow<Q>,
        Q: Ord + ?Sized;

    /// Removes exactly `node` if it is still live; true if this call did.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove), and `node` was returned by this
    /// structure under `guard` as a live node.
    unsafe fn remove_node(&self, node: NonNull<Self::Node>, guard: &Guard) -> bool
    where
        Self::Key: Ord;

    /// Removes the first node (linearizable).
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    unsafe fn pop_front(&self, guard: &Guard) -> Option<NonNull<Self::Node>>;

    /// Removes the last node (linearizable).
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    unsafe fn pop_back(&self, guard: &Guard) -> Option<NonNull<Self::Node>>
    where
        Self::Key: Ord;

    /// Takes the first node's key and value, with exclusive access.
    fn pop_front_parts(&mut self) -> Option<(Self::Key, Self::Value)>;
}

/// A raw structure that backs maps: a present key's value can be replaced.
/// Its `insert` acts on [`Existing::Replace`] in its own way, under the
/// node's lock: the list swaps the node's value slot in place, the skiplist
/// puts a new node (with the value inline) in the old node's place.
pub trait RawMap: RawOrdered {
    /// The `existing` decision of `insert` and `compare_insert`: replace the
    /// present value if `decide(current value)` approves (see the shared
    /// `lazy::decide_replace`).
    ///
    /// # Safety
    /// `node` was passed to an `existing` callback under `guard`.
    unsafe fn decide_replace(
        node: NonNull<Self::Node>,
        decide: impl FnMut(&Self::Value) -> bool,
        guard: &Guard,
    ) -> Existing<Self::Value>
    where
        Self::Key: Send + 'static,
        Self::Value: Send + 'static,
    {
        // SAFETY: the caller's contract keeps the node allocated while
        // `guard` pins.
        lazy::decide_replace(unsafe { node.as_ref() }, decide, guard)
    }
}

/// A family of raw structures: which one backs a map, which one a set.
///
/// Implemented by [`LazyList`](crate::list::LazyList) and
/// [`LazySkipList`](crate::skiplist::LazySkipList) only; it names the
/// structure behind an [`OrderedMap`](super::OrderedMap) or
/// [`OrderedSet`](super::OrderedSet).
pub trait Flavour: 'static {
    /// The raw structure of a map.
    type Map<K, V>: RawMap<Key = K, Value = V>;
    /// The raw structure of a set (no value: `()`).
    type Set<T>: RawOrdered<Key = T, Value = ()>;
}
