//! Entries: [`Entry`] of an [`OrderedMap`](super::OrderedMap), and
//! `RawEntry`, the same over any raw structure, which the set's entry wraps
//! too.

use core::fmt;
use core::ops::Bound;
use core::ptr::NonNull;

use super::raw::{Flavour, RawOrdered};
use crate::lazy::PinnedEntry;
use crate::sync::epoch::{self, Guard};

/// An entry of a raw structure: the structure, and a pinned node and value
/// (no reference count).
pub(crate) struct RawEntry<'a, R: RawOrdered> {
    raw: &'a R,
    inner: PinnedEntry<R::Node>,
}

impl<'a, R: RawOrdered> RawEntry<'a, R> {
    /// An entry for `node`, showing its current value.
    ///
    /// # Safety
    /// `node` was returned by an operation of `raw` run under `guard` (so it
    /// stays allocated while `guard` pins).
    pub(crate) unsafe fn new(raw: &'a R, guard: Guard, node: NonNull<R::Node>) -> Self {
        Self {
            raw,
            // SAFETY: the caller's contract is `PinnedEntry::new`'s.
            inner: unsafe { PinnedEntry::new(guard, node) },
        }
    }

    /// An entry for `node` showing `value`, which this thread installed or
    /// read from it.
    ///
    /// # Safety
    /// As for [`new`](Self::new), and `value` was in the node after the pin.
    pub(crate) unsafe fn with_value(
        raw: &'a R,
        guard: Guard,
        node: NonNull<R::Node>,
        value: NonNull<R::Value>,
    ) -> Self {
        Self {
            raw,
            // SAFETY: forwarded contract.
            inner: unsafe { PinnedEntry::with_value(guard, node, value) },
        }
    }

    /// Runs `op` (a raw operation returning a node) under a fresh pin and
    /// makes an entry of the node it returns.
    pub(crate) fn pinned(
        raw: &'a R,
        op: impl FnOnce(&Guard) -> Option<NonNull<R::Node>>,
    ) -> Option<Self> {
        let guard = epoch::pin();
        let node = op(&guard)?;
        // SAFETY: `op` is a raw operation of `raw` run under `guard`.
        Some(unsafe { Self::new(raw, guard, node) })
    }

    /// [`pinned`](Self::pinned) for the ordered queries of a map (`front`,
    /// `back`, `lower_bound`, `upper_bound`): the query picks a node at one
    /// instant, and a value loaded later could belong to a moment when
    /// another key was the answer (the linearizability checker found exactly
    /// that). So: query, load the value pointer, query again, and keep the
    /// result only if the same node comes back with the same value pointer
    /// (a value box cannot be reused while pinned, so the value held
    /// throughout, including at the second query's linearization point).
    /// Retries only when an update raced the query. Not lock-free: the
    /// query itself may wait, on the node's lock, for an end of its window
    /// that is being inserted or removed (`stable_window`).
    pub(crate) fn snapshot(
        raw: &'a R,
        query: impl Fn(&Guard) -> Option<NonNull<R::Node>>,
    ) -> Option<Self> {
        let guard = epoch::pin();
        loop {
            let node = query(&guard)?;
            // SAFETY: returned by a query of `raw` under `guard`, so
            // allocated while it lives.
            let node_ref = unsafe { node.as_ref() };
            let value = crate::lazy::EntryNode::load_value(node_ref, &guard);
            let same_node = query(&guard) == Some(node);
            let same_value = crate::lazy::EntryNode::load_value(node_ref, &guard) == value;
            if same_node && same_value {
                // SAFETY: as above; `value` was in the node's slot after the
                // pin.
                return Some(unsafe { Self::with_value(raw, guard, node, value) });
            }
        }
    }

    pub(crate) fn key(&self) -> &'_ R::Key {
        self.inner.key()
    }

    pub(crate) fn value(&self) -> &'_ R::Value {
        self.inner.value()
    }

    pub(crate) fn is_removed(&self) -> bool {
        self.inner.is_removed()
    }

    /// The next live entry: the smallest key above this one, following the
    /// bottom level from this node, or searching by its key if it has been
    /// removed (see [`RawOrdered::successor`]).
    pub(crate) fn next(&self) -> Option<Self>
    where
        R::Key: Ord,
    {
        // SAFETY: the node was returned by `self.raw` under the entry's
        // guard, which still pins.
        let next = unsafe {
            self.raw
                .successor(self.inner.node_ptr(), self.inner.guard())
        }?;
        Some(Self {
            raw: self.raw,
            // SAFETY: returned by `self.raw` while this entry's guard pins.
            inner: unsafe { self.inner.neighbour(next) },
        })
    }

    /// The previous live entry: the largest key below this one, by a search.
    pub(crate) fn prev(&self) -> Option<Self>
    where
        R::Key: Ord,
    {
        Self::pinned(self.raw, |guard| {
            self.raw
                .upper_bound::<R::Key>(Bound::Excluded(self.key()), guard)
        })
    }

    pub(crate) fn move_next(&mut self) -> bool
    where
        R::Key: Ord,
    {
        self.next().map(|next| *self = next).is_some()
    }

    pub(crate) fn move_prev(&mut self) -> bool
    where
        R::Key: Ord,
    {
        self.prev().map(|prev| *self = prev).is_some()
    }

    /// Remove this entry's node; true if this call removed it.
    ///
    /// # Safety
    /// `R::Key` and `R::Value` are `Send + 'static` (the node is retired).
    pub(crate) unsafe fn remove(&self) -> bool
    where
        R::Key: Ord,
    {
        // SAFETY: forwarded contract; the node is pinned by this entry and
        // was live when the entry was made.
        unsafe {
            self.raw
                .remove_node(self.inner.node_ptr(), self.inner.guard())
        }
    }
}

impl<R: RawOrdered> Clone for RawEntry<'_, R> {
    fn clone(&self) -> Self {
        Self {
            raw: self.raw,
            inner: self.inner.clone(),
        }
    }
}

/// A reference to an entry of a map: its key and the value it held when the
/// entry was made.
///
/// The entry pins the epoch while it lives (no reference count), so its key
/// and value stay valid even if the entry is removed or its value replaced
/// meanwhile; see the [module documentation](super) for what a long-lived
/// entry does to reclamation. Entries are neither `Send` nor `Sync`.
///
/// ```
/// let map = lazuli::SkipMap::new();
/// map.insert(1, "a");
/// let entry = map.get(&1).unwrap();
/// map.insert(1, "b");
/// assert_eq!(*entry.value(), "a"); // the entry keeps the value it was made with
/// assert_eq!(*map.get(&1).unwrap().value(), "b");
/// ```
pub struct Entry<'a, K, V, F: Flavour> {
    raw: RawEntry<'a, F::Map<K, V>>,
}

impl<'a, K, V, F: Flavour> Entry<'a, K, V, F> {
    pub(crate) fn new(raw: RawEntry<'a, F::Map<K, V>>) -> Self {
        Self { raw }
    }

    /// The key.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// assert_eq!(*map.insert(3, ()).key(), 3);
    /// ```
    pub fn key(&self) -> &K {
        self.raw.key()
    }

    /// The value this entry was made with (a later replacement does not
    /// change it).
    ///
    /// ```
    /// let map = lazuli::ListMap::new();
    /// assert_eq!(*map.insert(3, 'x').value(), 'x');
    /// ```
    pub fn value(&self) -> &V {
        self.raw.value()
    }

    /// Whether the entry has been removed from the map.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// let entry = map.insert(3, ());
    /// assert!(!entry.is_removed());
    /// map.remove(&3);
    /// assert!(entry.is_removed());
    /// ```
    pub fn is_removed(&self) -> bool {
        self.raw.is_removed()
    }
}

impl<'a, K: Ord, V, F: Flavour> Entry<'a, K, V, F> {
    /// Moves to the next entry; returns false (and stays) at the end.
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
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
    /// let map: lazuli::ListMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// let mut entry = map.back().unwrap();
    /// assert!(entry.move_prev());
    /// assert_eq!(*entry.key(), 1);
    /// assert!(!entry.move_prev());
    /// ```
    pub fn move_prev(&mut self) -> bool {
        self.raw.move_prev()
    }

    /// The next live entry (the smallest key above this one): following the
    /// structure from this node, or, if it has been removed, searching again
    /// by its key (weakly consistent).
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().next().unwrap().key(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, K, V, F>> {
        self.raw.next().map(Entry::new)
    }

    /// The previous live entry (the largest key below this one), by a
    /// search (O(log n) on a skiplist, O(n) on a list).
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().prev().unwrap().key(), 1);
    /// ```
    pub fn prev(&self) -> Option<Entry<'a, K, V, F>> {
        self.raw.prev().map(Entry::new)
    }
}

impl<K, V, F> Entry<'_, K, V, F>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
    F: Flavour,
{
    /// Removes this entry's node from the map; returns true if this call
    /// removed it (false if it was already removed).
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
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

impl<K, V, F: Flavour> Clone for Entry<'_, K, V, F> {
    /// Another entry for the same node and value (pins again on this thread;
    /// no reference count).
    fn clone(&self) -> Self {
        Self {
            raw: self.raw.clone(),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug, F: Flavour> fmt::Debug for Entry<'_, K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry")
            .field(self.key())
            .field(self.value())
            .finish()
    }
}
