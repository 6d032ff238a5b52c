//! [`Entry`]: a guard-scoped reference to one key and value of a
//! [`SkipMap`](super::SkipMap); and `RawEntry`, the same for any payload, which the set's
//! entry wraps too.

use core::fmt;
use core::ops::Bound;
use core::ptr::NonNull;

use super::node::{Node, NodeRef, Payload};
use super::raw::RawSkipList;
use crate::lazy::{PinnedEntry, ValueSlot};
use crate::sync::epoch::{self, Guard};

/// An entry of a skiplist with payload `S`: the list, and a pinned node and
/// value (no reference count).
pub(crate) struct RawEntry<'a, K, S: Payload> {
    list: &'a RawSkipList<K, S>,
    inner: PinnedEntry<Node<K, S>>,
}

impl<'a, K, S: Payload> RawEntry<'a, K, S> {
    /// An entry for `node`, showing its current value.
    ///
    /// # Safety
    /// `node` was returned by an operation of `list` run under `guard` (so it
    /// is not the head and stays allocated while `guard` pins).
    pub(crate) unsafe fn new(
        list: &'a RawSkipList<K, S>,
        guard: Guard,
        node: NonNull<Node<K, S>>,
    ) -> Self {
        Self {
            list,
            // SAFETY: the caller's contract is `PinnedEntry::new`'s.
            inner: unsafe { PinnedEntry::new(guard, node) },
        }
    }

    /// An entry for `node` showing `value`, which this thread installed.
    ///
    /// # Safety
    /// As for [`new`](Self::new), and `value` was in the node after the pin.
    pub(crate) unsafe fn with_value(
        list: &'a RawSkipList<K, S>,
        guard: Guard,
        node: NonNull<Node<K, S>>,
        value: NonNull<S::Value>,
    ) -> Self {
        Self {
            list,
            // SAFETY: forwarded contract.
            inner: unsafe { PinnedEntry::with_value(guard, node, value) },
        }
    }

    /// The node, for as long as this entry pins.
    fn node(&self) -> NodeRef<'_, K, S> {
        // SAFETY: the node stays allocated while `self.inner`'s guard pins,
        // and the pointer came from a link or an allocation.
        unsafe { NodeRef::new(self.inner.node_ptr()) }
    }

    pub(crate) fn key(&self) -> &K {
        self.inner.key()
    }

    pub(crate) fn value(&self) -> &S::Value {
        self.inner.value()
    }

    pub(crate) fn is_removed(&self) -> bool {
        self.inner.is_removed()
    }

    /// The next live entry, following level 0 from this node even if it has
    /// been removed (weakly consistent).
    pub(crate) fn next(&self) -> Option<Self> {
        let next = RawSkipList::live_after(self.node(), self.inner.guard())?;
        Some(Self {
            list: self.list,
            // SAFETY: reached by links from this entry's node while its guard
            // pins.
            inner: unsafe { self.inner.neighbour(next.ptr()) },
        })
    }

    /// The previous live entry: the largest key below this one (O(log n)).
    pub(crate) fn prev(&self) -> Option<Self>
    where
        K: Ord,
    {
        let guard = epoch::pin();
        let node = self
            .list
            .upper_bound::<K>(Bound::Excluded(self.key()), &guard)?
            .ptr();
        // SAFETY: returned by an operation under `guard`.
        Some(unsafe { Self::new(self.list, guard, node) })
    }

    pub(crate) fn move_next(&mut self) -> bool {
        match self.next() {
            Some(next) => {
                *self = next;
                true
            }
            None => false,
        }
    }

    pub(crate) fn move_prev(&mut self) -> bool
    where
        K: Ord,
    {
        match self.prev() {
            Some(prev) => {
                *self = prev;
                true
            }
            None => false,
        }
    }

    /// Remove this entry's node; true if this call removed it.
    ///
    /// # Safety
    /// `K` and `S` are `Send + 'static` (the node is retired).
    pub(crate) unsafe fn remove(&self) -> bool
    where
        K: Ord,
    {
        // SAFETY: forwarded contract; the node is pinned by this entry and
        // was fully linked when the entry was made.
        unsafe { self.list.remove_node(self.node(), self.inner.guard()) }
    }
}

impl<K, S: Payload> Clone for RawEntry<'_, K, S> {
    fn clone(&self) -> Self {
        Self {
            list: self.list,
            inner: self.inner.clone(),
        }
    }
}

/// A reference to an entry of a [`SkipMap`](super::SkipMap): its key and the value it held
/// when the entry was made.
///
/// The entry pins the epoch while it lives (no reference count), so its key
/// and value stay valid even if the entry is removed or its value replaced
/// meanwhile; see the [module documentation](super) for what a long-lived
/// entry does to reclamation. Entries are neither `Send` nor `Sync`.
///
/// ```
/// let map = lazuli::skiplist::SkipMap::new();
/// map.insert(1, "a");
/// let entry = map.get(&1).unwrap();
/// map.insert(1, "b");
/// assert_eq!(*entry.value(), "a"); // the entry keeps the value it was made with
/// assert_eq!(*map.get(&1).unwrap().value(), "b");
/// ```
pub struct Entry<'a, K, V> {
    raw: RawEntry<'a, K, ValueSlot<V>>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub(super) fn new(raw: RawEntry<'a, K, ValueSlot<V>>) -> Self {
        Self { raw }
    }

    /// The key.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// assert_eq!(*map.insert(3, ()).key(), 3);
    /// ```
    pub fn key(&self) -> &K {
        self.raw.key()
    }

    /// The value this entry was made with (a later replacement does not
    /// change it).
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// assert_eq!(*map.insert(3, 'x').value(), 'x');
    /// ```
    pub fn value(&self) -> &V {
        self.raw.value()
    }

    /// Whether the entry has been removed from the map.
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// let entry = map.insert(3, ());
    /// assert!(!entry.is_removed());
    /// map.remove(&3);
    /// assert!(entry.is_removed());
    /// ```
    pub fn is_removed(&self) -> bool {
        self.raw.is_removed()
    }
}

impl<'a, K: Ord, V> Entry<'a, K, V> {
    /// Moves to the next entry; returns false (and stays) at the end.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// let mut entry = map.front().unwrap();
    /// assert!(entry.move_next());
    /// assert_eq!(*entry.key(), 2);
    /// assert!(!entry.move_next());
    /// ```
    pub fn move_next(&mut self) -> bool {
        self.raw.move_next()
    }

    /// Moves to the previous entry; returns false (and stays) at the front.
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// let mut entry = map.back().unwrap();
    /// assert!(entry.move_prev());
    /// assert_eq!(*entry.key(), 1);
    /// assert!(!entry.move_prev());
    /// ```
    pub fn move_prev(&mut self) -> bool {
        self.raw.move_prev()
    }

    /// The next live entry (the smallest key above this one), following the
    /// skiplist from this node even if it has been removed (weakly
    /// consistent).
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().next().unwrap().key(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, K, V>> {
        self.raw.next().map(Entry::new)
    }

    /// The previous live entry (the largest key below this one), by a search
    /// from the top (O(log n)).
    ///
    /// ```
    /// let map: lazuli::skiplist::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().prev().unwrap().key(), 1);
    /// ```
    pub fn prev(&self) -> Option<Entry<'a, K, V>> {
        self.raw.prev().map(Entry::new)
    }
}

impl<K, V> Entry<'_, K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    /// Removes this entry's node from the map; returns true if this call
    /// removed it (false if it was already removed).
    ///
    /// ```
    /// let map = lazuli::skiplist::SkipMap::new();
    /// let entry = map.insert(1, ());
    /// assert!(entry.remove());
    /// assert!(!entry.remove());
    /// assert!(map.is_empty());
    /// ```
    pub fn remove(&self) -> bool {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        unsafe { self.raw.remove() }
    }
}

impl<K, V> Clone for Entry<'_, K, V> {
    /// Another entry for the same node and value (pins again on this thread;
    /// no reference count).
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for Entry<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry")
            .field(self.key())
            .field(self.value())
            .finish()
    }
}

/// Used by the map and set layers: an entry for a node a raw operation
/// returned under `guard`.
pub(crate) fn entry_for<'a, K, S: Payload>(
    list: &'a RawSkipList<K, S>,
    guard: Guard,
    node: NonNull<Node<K, S>>,
) -> RawEntry<'a, K, S> {
    // SAFETY: every caller passes a node returned by a `RawSkipList`
    // operation run under `guard`.
    unsafe { RawEntry::new(list, guard, node) }
}
