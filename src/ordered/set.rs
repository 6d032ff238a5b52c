//! [`OrderedSet`]: the public set, written once for every [`Flavour`], with
//! its entry and iterator types.

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Bound, Deref, RangeBounds};
use core::ptr::NonNull;

use super::entry::RawEntry;
use super::iter::{cursor_iterators, Cursor};
use super::map::{clear, for_each_live};
use super::raw::{Flavour, RawOrdered};
use crate::lazy::EntryNode;
use crate::sync::epoch::{self, Guard};

/// The node type of a set's raw structure.
type SetNode<T, F> = <<F as Flavour>::Set<T> as RawOrdered>::Node;

/// A concurrent ordered set over the raw structure `F` (see the
/// [module documentation](super)): use it as [`ListSet`](crate::ListSet)
/// or [`SkipSet`](crate::SkipSet). Same surface as crossbeam-skiplist's
/// `SkipSet`.
///
/// ```
/// use lazuli::SkipSet;
///
/// let set = SkipSet::new();
/// set.insert(3);
/// set.insert(1);
/// assert!(set.contains(&1));
/// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 3]);
/// ```
pub struct OrderedSet<T, F: Flavour> {
    raw: F::Set<T>,
}

impl<T, F: Flavour> OrderedSet<T, F> {
    /// An empty set.
    ///
    /// ```
    /// let set: lazuli::SkipSet<u8> = lazuli::SkipSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        Self { raw: F::Set::new() }
    }

    /// Whether the set is empty (exact when no update is in flight).
    ///
    /// ```
    /// let set = lazuli::ListSet::new();
    /// set.insert(1);
    /// assert!(!set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of elements (exact when no update is in flight).
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [1, 2, 2].into_iter().collect();
    /// assert_eq!(set.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    fn pinned(
        &self,
        op: impl FnOnce(&Guard) -> Option<NonNull<SetNode<T, F>>>,
    ) -> Option<Entry<'_, T, F>> {
        RawEntry::pinned(&self.raw, op).map(Entry::new)
    }
}

impl<T: Ord, F: Flavour> OrderedSet<T, F> {
    /// The smallest element.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap(), 2);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, T, F>> {
        self.lower_bound::<T>(Bound::Unbounded)
    }

    /// The largest element (O(n) on a list).
    ///
    /// ```
    /// let set: lazuli::ListSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.back().unwrap(), 4);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, T, F>> {
        self.upper_bound::<T>(Bound::Unbounded)
    }

    /// Whether `key` is in the set. Wait-free.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [1].into_iter().collect();
    /// assert!(set.contains(&1) && !set.contains(&2));
    /// ```
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let guard = epoch::pin();
        self.raw.get(key, &guard).is_some()
    }

    /// The entry of `key`, if present. Wait-free.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = ["a".to_string()].into_iter().collect();
    /// assert_eq!(*set.get("a").unwrap(), "a");
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, T, F>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.pinned(|guard| self.raw.get(key, guard))
    }

    /// The smallest element above `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::SkipSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.lower_bound(Included(&2)).unwrap(), 5);
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T, F>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.pinned(|guard| self.raw.lower_bound(bound, guard))
    }

    /// The largest element below `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::ListSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.upper_bound(Included(&4)).unwrap(), 1);
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T, F>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.pinned(|guard| self.raw.upper_bound(bound, guard))
    }

    /// The entry of `key`, inserting it first if absent (a present element
    /// is kept).
    ///
    /// ```
    /// let set = lazuli::SkipSet::new();
    /// assert_eq!(*set.get_or_insert(7), 7);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn get_or_insert(&self, key: T) -> Entry<'_, T, F> {
        let guard = epoch::pin();
        let (node, value) = self.raw.insert(
            key,
            Some(()),
            None::<fn()>,
            |node, _, guard| {
                // SAFETY: `node` is what `insert` passes to its callback,
                // under `guard`.
                unsafe { F::Set::<T>::keep_existing(node, guard) }
            },
            &guard,
        );
        // SAFETY: `insert` returned a node that is (or was, after our pin)
        // reachable, and the value it holds for us.
        Entry::new(unsafe { RawEntry::with_value(&self.raw, guard, node, value) })
    }

    /// An iterator over the elements, ascending (weakly consistent,
    /// resuming: see the [iteration semantics](super#iteration-semantics)).
    ///
    /// ```
    /// let set: lazuli::ListSet<_> = [3, 1, 2].into_iter().collect();
    /// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 2, 3]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T, F> {
        Iter {
            cursor: Cursor::new(&self.raw),
        }
    }

    /// An iterator over the elements in `range`, ascending (weakly
    /// consistent, resuming).
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = (0..10).collect();
    /// assert_eq!(set.range(3..6).map(|e| *e).collect::<Vec<_>>(), [3, 4, 5]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, T, F>
    where
        T: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range {
            cursor: Cursor::new(&self.raw),
            range,
            _bound: PhantomData,
        }
    }
}

impl<T, F> OrderedSet<T, F>
where
    T: Ord + Send + 'static,
    F: Flavour,
{
    /// Inserts `key` (a present key is kept) and returns its entry.
    ///
    /// ```
    /// let set = lazuli::SkipSet::new();
    /// set.insert(1);
    /// set.insert(1);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn insert(&self, key: T) -> Entry<'_, T, F> {
        self.get_or_insert(key)
    }

    /// Removes `key`; exactly one of several concurrent removers gets `Some`.
    ///
    /// ```
    /// let set: lazuli::ListSet<_> = [1].into_iter().collect();
    /// assert_eq!(*set.remove(&1).unwrap(), 1);
    /// assert!(set.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Entry<'_, T, F>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.remove(key, guard) })
    }

    /// Removes the smallest element and returns it.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_front().unwrap(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, T, F>> {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.pop_front(guard) })
    }

    /// Removes the largest element and returns it (O(n) on a list).
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_back().unwrap(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, T, F>> {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        self.pinned(|guard| unsafe { self.raw.pop_back(guard) })
    }

    /// Removes every element (elements inserted concurrently may survive).
    ///
    /// ```
    /// let set: lazuli::ListSet<_> = (0..5).collect();
    /// set.clear();
    /// assert!(set.is_empty());
    /// ```
    pub fn clear(&self) {
        clear(&self.raw);
    }
}

impl<T, F: Flavour> Default for OrderedSet<T, F> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the elements, in order (a weakly consistent snapshot).
impl<T: fmt::Debug, F: Flavour> fmt::Debug for OrderedSet<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut set = f.debug_set();
        for_each_live(&self.raw, |n, _| {
            set.entry(n.key());
        });
        set.finish()
    }
}

impl<T, F: Flavour> IntoIterator for OrderedSet<T, F> {
    type Item = T;
    type IntoIter = IntoIter<T, F>;

    /// The elements in ascending order, by value.
    fn into_iter(self) -> IntoIter<T, F> {
        IntoIter { raw: self.raw }
    }
}

impl<'a, T: Ord, F: Flavour> IntoIterator for &'a OrderedSet<T, F> {
    type Item = Entry<'a, T, F>;
    type IntoIter = Iter<'a, T, F>;

    fn into_iter(self) -> Iter<'a, T, F> {
        self.iter()
    }
}

impl<T: Ord, F: Flavour> FromIterator<T> for OrderedSet<T, F> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl<T: Ord, F: Flavour> Extend<T> for OrderedSet<T, F> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for key in iter {
            self.get_or_insert(key);
        }
    }
}

/// A reference to an element of a set; derefs to the element. Guard-scoped
/// like a map's [`Entry`](super::Entry): it pins the epoch while it lives,
/// no reference count; `!Send`.
///
/// ```
/// let set = lazuli::SkipSet::new();
/// let entry = set.insert(5);
/// assert_eq!(*entry, 5);
/// ```
pub struct Entry<'a, T, F: Flavour> {
    inner: RawEntry<'a, F::Set<T>>,
}

impl<'a, T, F: Flavour> Entry<'a, T, F> {
    fn new(inner: RawEntry<'a, F::Set<T>>) -> Self {
        Self { inner }
    }

    /// The element.
    ///
    /// ```
    /// let set = lazuli::ListSet::new();
    /// assert_eq!(*set.insert(5).value(), 5);
    /// ```
    pub fn value(&self) -> &T {
        self.inner.key()
    }

    /// Whether the element has been removed from the set.
    ///
    /// ```
    /// let set = lazuli::SkipSet::new();
    /// let entry = set.insert(5);
    /// set.remove(&5);
    /// assert!(entry.is_removed());
    /// ```
    pub fn is_removed(&self) -> bool {
        self.inner.is_removed()
    }
}

impl<'a, T: Ord, F: Flavour> Entry<'a, T, F> {
    /// Moves to the next element; false (and stays) at the end.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [1, 2].into_iter().collect();
    /// let mut entry = set.front().unwrap();
    /// assert!(entry.move_next());
    /// assert_eq!(*entry, 2);
    /// ```
    pub fn move_next(&mut self) -> bool {
        self.inner.move_next()
    }

    /// Moves to the previous element; false (and stays) at the front.
    ///
    /// ```
    /// let set: lazuli::ListSet<_> = [1, 2].into_iter().collect();
    /// let mut entry = set.back().unwrap();
    /// assert!(entry.move_prev());
    /// assert_eq!(*entry, 1);
    /// ```
    pub fn move_prev(&mut self) -> bool {
        self.inner.move_prev()
    }

    /// The next element (weakly consistent).
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [1, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap().next().unwrap(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, T, F>> {
        self.inner.next().map(Entry::new)
    }

    /// The previous element.
    ///
    /// ```
    /// let set: lazuli::SkipSet<_> = [1, 2].into_iter().collect();
    /// assert_eq!(*set.back().unwrap().prev().unwrap(), 1);
    /// ```
    pub fn prev(&self) -> Option<Entry<'a, T, F>> {
        self.inner.prev().map(Entry::new)
    }
}

impl<T, F> Entry<'_, T, F>
where
    T: Ord + Send + 'static,
    F: Flavour,
{
    /// Removes this element; true if this call removed it.
    ///
    /// ```
    /// let set = lazuli::SkipSet::new();
    /// let entry = set.insert(1);
    /// assert!(entry.remove());
    /// assert!(!entry.remove());
    /// ```
    pub fn remove(&self) -> bool {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        unsafe { self.inner.remove() }
    }
}

impl<T, F: Flavour> Clone for Entry<'_, T, F> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: fmt::Debug, F: Flavour> fmt::Debug for Entry<'_, T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry").field(self.value()).finish()
    }
}

impl<T, F: Flavour> Deref for Entry<'_, T, F> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value()
    }
}

/// An iterator over a set, ascending; weakly consistent and resuming (see
/// the [iteration semantics](super#iteration-semantics)); `!Send`.
///
/// ```
/// let set: lazuli::SkipSet<_> = [2, 1].into_iter().collect();
/// assert_eq!(set.iter().rev().map(|e| *e).collect::<Vec<_>>(), [2, 1]);
/// ```
pub struct Iter<'a, T, F: Flavour> {
    cursor: Cursor<'a, F::Set<T>>,
}

/// An iterator over the elements of a set in a range; weakly consistent and
/// resuming; `!Send`.
///
/// ```
/// let set: lazuli::ListSet<_> = (1..=5).collect();
/// assert_eq!(set.range(2..4).map(|e| *e).collect::<Vec<_>>(), [2, 3]);
/// ```
pub struct Range<'a, Q, R, T, F>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
    F: Flavour,
{
    cursor: Cursor<'a, F::Set<T>>,
    range: R,
    _bound: PhantomData<fn(&Q)>,
}

cursor_iterators!(key: T, params: [T]);

/// An owning iterator over a set, ascending.
///
/// ```
/// let set: lazuli::SkipSet<_> = [2, 1].into_iter().collect();
/// assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct IntoIter<T, F: Flavour> {
    raw: F::Set<T>,
}

impl<T, F: Flavour> Iterator for IntoIter<T, F> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.raw.pop_front_parts().map(|(key, ())| key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.raw.len();
        (len, Some(len))
    }
}

impl<T, F: Flavour> ExactSizeIterator for IntoIter<T, F> {}

impl<T, F: Flavour> fmt::Debug for IntoIter<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.raw.len())
            .finish_non_exhaustive()
    }
}
