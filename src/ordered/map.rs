//! [`OrderedMap`]: the public map, written once for every [`Flavour`].

use core::borrow::Borrow;
use core::fmt;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;

use super::entry::{Entry, RawEntry};
use super::iter::{IntoIter, Iter, Range};
use super::raw::{Flavour, RawMap, RawOrdered};
use crate::lazy::{EntryNode, Existing};
use crate::sync::epoch::{self, Guard};

/// A concurrent ordered map over the raw structure `F` (see the
/// [module documentation](super)): use it as [`ListMap`](crate::ListMap) (a
/// lazy list) or [`SkipMap`](crate::SkipMap) (a lazy skiplist). The API is
/// that of crossbeam-skiplist 0.1's `SkipMap`.
///
/// ```
/// use lazuli::SkipMap;
///
/// let map = SkipMap::new();
/// map.insert(2, "two");
/// map.insert(1, "one");
/// assert_eq!(*map.get(&1).unwrap().value(), "one");
/// let keys: Vec<i32> = map.iter().map(|e| *e.key()).collect();
/// assert_eq!(keys, [1, 2]);
/// ```
pub struct OrderedMap<K, V, F: Flavour> {
    raw: F::Map<K, V>,
}

impl<K, V, F: Flavour> OrderedMap<K, V, F> {
    /// An empty map.
    ///
    /// ```
    /// let map: lazuli::SkipMap<u32, u32> = lazuli::SkipMap::new();
    /// assert!(map.is_empty());
    /// ```
    pub fn new() -> Self {
        Self { raw: F::Map::new() }
    }

    /// Whether the map has no entries (exact when no update is in flight).
    ///
    /// ```
    /// let map = lazuli::ListMap::new();
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
    /// let map = lazuli::SkipMap::new();
    /// map.insert(1, 'a');
    /// map.insert(2, 'b');
    /// assert_eq!(map.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    fn pinned(
        &self,
        op: impl FnOnce(&Guard) -> Option<NonNull<<F::Map<K, V> as RawOrdered>::Node>>,
    ) -> Option<Entry<'_, K, V, F>> {
        RawEntry::pinned(&self.raw, op).map(Entry::new)
    }
}

impl<K: Ord, V, F: Flavour> OrderedMap<K, V, F> {
    /// The entry with the smallest key.
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.front().unwrap().key(), 3);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, K, V, F>> {
        self.lower_bound::<K>(Bound::Unbounded)
    }

    /// The entry with the largest key (O(n) on a list).
    ///
    /// ```
    /// let map: lazuli::ListMap<_, _> = [(5, 'a'), (3, 'b')].into_iter().collect();
    /// assert_eq!(*map.back().unwrap().key(), 5);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, K, V, F>> {
        self.upper_bound::<K>(Bound::Unbounded)
    }

    /// Whether `key` is present. Wait-free.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
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

    /// The entry of `key`, if present. Wait-free: no lock, no retry, no
    /// reference count.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// map.insert(7, "seven");
    /// assert_eq!(*map.get(&7).unwrap().value(), "seven");
    /// assert!(map.get(&8).is_none());
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, K, V, F>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.pinned(|guard| self.raw.get(key, guard))
    }

    /// The first entry whose key is above `bound` (`Included(k)`: the
    /// smallest key `>= k`; `Excluded(k)`: `> k`; `Unbounded`: the front).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::SkipMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.lower_bound(Included(&2)).unwrap().key(), 4);
    /// assert!(map.lower_bound(Excluded(&4)).is_none());
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V, F>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        RawEntry::snapshot(&self.raw, |guard| self.raw.lower_bound(bound, guard)).map(Entry::new)
    }

    /// The last entry whose key is below `bound` (`Included(k)`: the largest
    /// key `<= k`; `Excluded(k)`: `< k`; `Unbounded`: the back).
    ///
    /// ```
    /// use std::ops::Bound::*;
    /// let map: lazuli::ListMap<_, _> = [(1, ()), (4, ())].into_iter().collect();
    /// assert_eq!(*map.upper_bound(Included(&3)).unwrap().key(), 1);
    /// assert!(map.upper_bound(Excluded(&1)).is_none());
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, K, V, F>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        RawEntry::snapshot(&self.raw, |guard| self.raw.upper_bound(bound, guard)).map(Entry::new)
    }

    /// The entry of `key`; if absent, inserts `value` first. A present value
    /// is kept (and `value` dropped).
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.get_or_insert(1, "b").value(), "a");
    /// assert_eq!(*map.get_or_insert(2, "c").value(), "c");
    /// ```
    pub fn get_or_insert(&self, key: K, value: V) -> Entry<'_, K, V, F> {
        self.insert_raw(key, Some(value), None::<fn() -> V>, |node, _, guard| {
            // SAFETY: `node` is what `insert` passes to its callback, under
            // `guard`.
            unsafe { F::Map::<K, V>::keep_existing(node, guard) }
        })
    }

    /// The entry of `key`; if absent, inserts `value_fn()` first. `value_fn`
    /// is called at most once, with no lock held, and only if the key was
    /// found absent.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// assert_eq!(*map.get_or_insert_with(1, || "made").value(), "made");
    /// assert_eq!(*map.get_or_insert_with(1, || unreachable!()).value(), "made");
    /// ```
    pub fn get_or_insert_with<G>(&self, key: K, value_fn: G) -> Entry<'_, K, V, F>
    where
        G: FnOnce() -> V,
    {
        self.insert_raw(key, None, Some(value_fn), |node, _, guard| {
            // SAFETY: as in `get_or_insert`.
            unsafe { F::Map::<K, V>::keep_existing(node, guard) }
        })
    }

    fn insert_raw<G: FnOnce() -> V>(
        &self,
        key: K,
        value: Option<V>,
        value_fn: Option<G>,
        existing: impl FnMut(
            NonNull<<F::Map<K, V> as RawOrdered>::Node>,
            &mut Option<V>,
            &Guard,
        ) -> Existing<V>,
    ) -> Entry<'_, K, V, F> {
        let guard = epoch::pin();
        let (node, value) = self.raw.insert(key, value, value_fn, existing, &guard);
        // SAFETY: `insert` returned a node that is (or was, after our pin)
        // reachable, and a value that was in its slot after our pin.
        Entry::new(unsafe { RawEntry::with_value(&self.raw, guard, node, value) })
    }

    /// An iterator over the entries in ascending key order (weakly
    /// consistent, resuming: see the
    /// [iteration semantics](super#iteration-semantics)).
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
    /// let pairs: Vec<_> = map.iter().map(|e| (*e.key(), *e.value())).collect();
    /// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
    /// ```
    pub fn iter(&self) -> Iter<'_, K, V, F> {
        Iter::new(&self.raw)
    }

    /// An iterator over the entries whose keys are in `range`, ascending
    /// (weakly consistent, resuming).
    ///
    /// ```
    /// let map: lazuli::ListMap<_, _> = (0..10).map(|k| (k, k * k)).collect();
    /// let squares: Vec<_> = map.range(3..6).map(|e| *e.value()).collect();
    /// assert_eq!(squares, [9, 16, 25]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, K, V, F>
    where
        K: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range::new(&self.raw, range)
    }
}

impl<K, V, F> OrderedMap<K, V, F>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
    F: Flavour,
{
    /// Inserts `key` with `value`, replacing (and retiring) the value of a
    /// present key under the key's node lock; returns the entry, showing
    /// `value`. The list replaces the value in the key's node; the skiplist,
    /// whose values are inline, puts a new node in the old one's place (an
    /// older entry then reports itself removed), in one critical section
    /// either way, so a concurrent lookup never misses the key.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// map.insert(1, "a");
    /// assert_eq!(*map.insert(1, "b").value(), "b");
    /// assert_eq!(*map.get(&1).unwrap().value(), "b");
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn insert(&self, key: K, value: V) -> Entry<'_, K, V, F> {
        self.compare_insert(key, value, |_| true)
    }

    /// Inserts `key` with `value` if absent; if present, replaces the value
    /// only if `compare_fn(current value)` returns true, and otherwise
    /// returns the present entry (dropping `value`). `compare_fn` runs with
    /// no lock held, possibly more than once under contention; the
    /// replacement happens only if the value it approved is still current.
    ///
    /// ```
    /// let map = lazuli::ListMap::new();
    /// map.insert("k", 5);
    /// assert_eq!(*map.compare_insert("k", 3, |old| *old < 3).value(), 5);
    /// assert_eq!(*map.compare_insert("k", 9, |old| *old < 9).value(), 9);
    /// ```
    pub fn compare_insert<C>(&self, key: K, value: V, compare_fn: C) -> Entry<'_, K, V, F>
    where
        C: Fn(&V) -> bool,
    {
        self.insert_raw(key, Some(value), None::<fn() -> V>, |node, _, guard| {
            // SAFETY: `node` is what `insert` passes to its callback, under
            // `guard`.
            unsafe { F::Map::<K, V>::decide_replace(node, &compare_fn, guard) }
        })
    }

    /// Removes `key`; returns its entry if this call removed it. Of several
    /// concurrent removers of one key, exactly one gets `Some`.
    ///
    /// ```
    /// let map = lazuli::SkipMap::new();
    /// map.insert(1, "a");
    /// let removed = map.remove(&1).unwrap();
    /// assert!(removed.is_removed());
    /// assert_eq!(*removed.value(), "a");
    /// assert!(map.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Entry<'_, K, V, F>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.remove(key, guard) })
    }

    /// Removes the entry with the smallest key and returns it.
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_front().unwrap().key(), 1);
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, K, V, F>> {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.pop_front(guard) })
    }

    /// Removes the entry with the largest key and returns it (O(n) on a
    /// list).
    ///
    /// ```
    /// let map: lazuli::ListMap<_, _> = [(2, ()), (1, ())].into_iter().collect();
    /// assert_eq!(*map.pop_back().unwrap().key(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, K, V, F>> {
        // SAFETY: `K`, `V` are `Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.pop_back(guard) })
    }

    /// Removes every entry (one by one from the front; entries inserted
    /// concurrently may survive).
    ///
    /// ```
    /// let map: lazuli::SkipMap<_, _> = (0..5).map(|k| (k, ())).collect();
    /// map.clear();
    /// assert!(map.is_empty());
    /// ```
    pub fn clear(&self) {
        clear(&self.raw);
    }
}

/// Removes every node of `raw`, one by one from the front.
///
/// `R::Key` and `R::Value` must be `Send + 'static`: every caller's impl
/// block requires it.
pub(crate) fn clear<R: RawOrdered>(raw: &R) {
    loop {
        // A fresh pin per removal, so that a long clear does not hold back
        // reclamation.
        let guard = epoch::pin();
        // SAFETY: the callers (`clear` of maps and sets) require the key
        // and value types to be `Send + 'static`.
        if unsafe { raw.pop_front(&guard) }.is_none() {
            return;
        }
    }
}

/// Calls `visit` on every live node of `raw`, in order (a weakly
/// consistent snapshot, for `Debug`).
pub(crate) fn for_each_live<R: RawOrdered>(raw: &R, mut visit: impl FnMut(&R::Node, &Guard)) {
    let guard = epoch::pin();
    let mut node = raw.first_live(&guard);
    while let Some(n) = node {
        // SAFETY: returned by `raw` under `guard`.
        visit(unsafe { n.as_ref() }, &guard);
        // SAFETY: as above.
        node = unsafe { R::live_after(n, &guard) };
    }
}

impl<K, V, F: Flavour> Default for OrderedMap<K, V, F> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the entries, in order (a weakly consistent snapshot).
impl<K: fmt::Debug, V: fmt::Debug, F: Flavour> fmt::Debug for OrderedMap<K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for_each_live(&self.raw, |n, guard| {
            // SAFETY: the value box is protected by the pin `guard` holds.
            map.entry(n.key(), unsafe { n.load_value(guard).as_ref() });
        });
        map.finish()
    }
}

impl<K, V, F: Flavour> IntoIterator for OrderedMap<K, V, F> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V, F>;

    /// The entries in ascending key order, by value.
    fn into_iter(self) -> IntoIter<K, V, F> {
        IntoIter::new(self.raw)
    }
}

impl<'a, K: Ord, V, F: Flavour> IntoIterator for &'a OrderedMap<K, V, F> {
    type Item = Entry<'a, K, V, F>;
    type IntoIter = Iter<'a, K, V, F>;

    fn into_iter(self) -> Iter<'a, K, V, F> {
        self.iter()
    }
}

/// Collects with [`OrderedMap::get_or_insert`]: of repeated keys, the first
/// value is kept (as crossbeam-skiplist does).
impl<K: Ord, V, F: Flavour> FromIterator<(K, V)> for OrderedMap<K, V, F> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Self::new();
        map.extend(iter);
        map
    }
}

/// Extends with [`OrderedMap::get_or_insert`]: a key already present keeps
/// its value, as in [`FromIterator`].
impl<K: Ord, V, F: Flavour> Extend<(K, V)> for OrderedMap<K, V, F> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.get_or_insert(key, value);
        }
    }
}
