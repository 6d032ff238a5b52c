//! [`Entry`]: a guard-scoped reference to one key and value of a [`ListMap`].

use core::fmt;
use core::ops::Bound;

use super::raw::{Node, RawList};
use super::ListMap;
use crate::lazy::PinnedEntry;

/// A reference to an entry of a [`ListMap`]: its key and the value it held
/// when the entry was made.
///
/// The entry pins the epoch while it lives (no reference count), so its key
/// and value stay valid even if the entry is removed or its value replaced
/// meanwhile; see the [module documentation](super) for what a long-lived
/// entry does to reclamation. Entries are neither `Send` nor `Sync`.
///
/// ```
/// let map = lazuli::list::ListMap::new();
/// map.insert(1, "a");
/// let entry = map.get(&1).unwrap();
/// map.insert(1, "b");
/// assert_eq!(*entry.value(), "a"); // the entry keeps the value it was made with
/// assert_eq!(*map.get(&1).unwrap().value(), "b");
/// ```
pub struct Entry<'a, K, V> {
    map: &'a ListMap<K, V>,
    inner: PinnedEntry<Node<K, V>>,
}

impl<'a, K, V> Entry<'a, K, V> {
    pub(super) fn new(map: &'a ListMap<K, V>, inner: PinnedEntry<Node<K, V>>) -> Self {
        Self { map, inner }
    }

    /// The key.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// assert_eq!(*map.insert(3, ()).key(), 3);
    /// ```
    pub fn key(&self) -> &K {
        self.inner.key()
    }

    /// The value this entry was made with (a later replacement does not
    /// change it).
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// assert_eq!(*map.insert(3, 'x').value(), 'x');
    /// ```
    pub fn value(&self) -> &V {
        self.inner.value()
    }

    /// Whether the entry has been removed from the map.
    ///
    /// ```
    /// let map = lazuli::list::ListMap::new();
    /// let entry = map.insert(3, ());
    /// assert!(!entry.is_removed());
    /// map.remove(&3);
    /// assert!(entry.is_removed());
    /// ```
    pub fn is_removed(&self) -> bool {
        self.inner.is_removed()
    }
}

impl<'a, K: Ord, V> Entry<'a, K, V> {
    /// Moves to the next entry; returns false (and stays) at the end.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// let mut entry = map.front().unwrap();
    /// assert!(entry.move_next());
    /// assert_eq!(*entry.key(), 2);
    /// assert!(!entry.move_next());
    /// ```
    pub fn move_next(&mut self) -> bool {
        match self.next() {
            Some(next) => {
                *self = next;
                true
            }
            None => false,
        }
    }

    /// Moves to the previous entry; returns false (and stays) at the front.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// let mut entry = map.back().unwrap();
    /// assert!(entry.move_prev());
    /// assert_eq!(*entry.key(), 1);
    /// assert!(!entry.move_prev());
    /// ```
    pub fn move_prev(&mut self) -> bool {
        match self.prev() {
            Some(prev) => {
                *self = prev;
                true
            }
            None => false,
        }
    }

    /// The next live entry (the smallest key above this one), following the
    /// list from this node even if it has been removed (weakly consistent).
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().next().unwrap().key(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, K, V>> {
        let next = RawList::live_after(self.inner.node(), self.inner.guard())?;
        // SAFETY: reached by `next` pointers from this entry's node while its
        // guard pins.
        let inner = unsafe { self.inner.neighbour(next.into()) };
        Some(Entry::new(self.map, inner))
    }

    /// The previous live entry (the largest key below this one). O(n): a
    /// search from the head.
    ///
    /// ```
    /// let map: lazuli::list::ListMap<_, _> = [(1, ()), (2, ())].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().prev().unwrap().key(), 1);
    /// ```
    pub fn prev(&self) -> Option<Entry<'a, K, V>> {
        self.map.upper_bound(Bound::Excluded(self.key()))
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
    /// let map = lazuli::list::ListMap::new();
    /// let entry = map.insert(1, ());
    /// assert!(entry.remove());
    /// assert!(!entry.remove());
    /// assert!(map.is_empty());
    /// ```
    pub fn remove(&self) -> bool {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds; the node
        // is protected by this entry's guard.
        unsafe {
            self.map
                .raw
                .remove_node(self.inner.node(), self.inner.guard())
        }
    }
}

impl<K, V> Clone for Entry<'_, K, V> {
    /// Another entry for the same node and value (pins again on this thread;
    /// no reference count).
    fn clone(&self) -> Self {
        Self {
            map: self.map,
            inner: self.inner.clone(),
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
