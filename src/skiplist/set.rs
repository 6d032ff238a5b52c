//! [`SkipSet`]: the lazy skiplist as an ordered set. Its nodes carry no
//! value at all (not even a pointer), so an entry of a `SkipSet<u64>` is a
//! 16-byte header plus its tower. Its entry and iterator types live here.

use core::borrow::Borrow;
use core::fmt;
use core::ops::{Bound, Deref, RangeBounds};
use core::ptr::NonNull;

use super::entry::RawEntry;
use super::iter::Cursor;
use super::node::NoValue;
use super::raw::{Existing, RawSkipList};
use crate::sync::epoch;

/// A concurrent ordered set: a lazy skiplist (see the
/// [module documentation](super)). Same surface as crossbeam-skiplist's
/// `SkipSet`.
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
pub struct SkipSet<T> {
    raw: RawSkipList<T, NoValue>,
}

impl<T> SkipSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<u8> = lazuli::skiplist::SkipSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            raw: RawSkipList::new(),
        }
    }

    /// Whether the set is empty (exact when no update is in flight).
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// set.insert(1);
    /// assert!(!set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of elements (exact when no update is in flight).
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = (0..4).collect();
    /// assert_eq!(set.len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.raw.len()
    }
}

impl<T: Ord> SkipSet<T> {
    /// The smallest element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap(), 2);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, T>> {
        pinned!(&self.raw, |guard| self
            .raw
            .lower_bound::<T>(Bound::Unbounded, &guard))
        .map(Entry::new)
    }

    /// The largest element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.back().unwrap(), 4);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, T>> {
        pinned!(&self.raw, |guard| self
            .raw
            .upper_bound::<T>(Bound::Unbounded, &guard))
        .map(Entry::new)
    }

    /// Whether `key` is in the set. Wait-free.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1].into_iter().collect();
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
    /// let set: lazuli::skiplist::SkipSet<_> = ["a".to_string()].into_iter().collect();
    /// assert_eq!(*set.get("a").unwrap(), "a");
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        pinned!(&self.raw, |guard| self.raw.get(key, &guard)).map(Entry::new)
    }

    /// The smallest element above `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.lower_bound(Included(&2)).unwrap(), 5);
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        pinned!(&self.raw, |guard| self.raw.lower_bound(bound, &guard)).map(Entry::new)
    }

    /// The largest element below `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.upper_bound(Included(&4)).unwrap(), 1);
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        pinned!(&self.raw, |guard| self.raw.upper_bound(bound, &guard)).map(Entry::new)
    }

    /// The entry of `key`, inserting it first if absent.
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// assert_eq!(*set.get_or_insert(7), 7);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn get_or_insert(&self, key: T) -> Entry<'_, T> {
        let guard = epoch::pin();
        let (node, value) = self.raw.insert(
            key,
            Some(()),
            None::<fn()>,
            // Present (found fully linked and unmarked just before): a set
            // keeps the present element.
            |_, _, _| Existing::Done(NonNull::dangling()),
            &guard,
        );
        // SAFETY: `insert` returned a node that is (or was, after our pin)
        // reachable; a set's value is `()`, valid anywhere.
        Entry::new(unsafe { RawEntry::with_value(&self.raw, guard, node, value) })
    }

    /// The elements in ascending order (weakly consistent).
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            cursor: Cursor::new(&self.raw),
        }
    }

    /// The elements in `range`, ascending (weakly consistent).
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = (0..10).collect();
    /// assert_eq!(set.range(7..).map(|e| *e).collect::<Vec<_>>(), [7, 8, 9]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, T>
    where
        T: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range {
            cursor: Cursor::new(&self.raw),
            range,
            _bound: core::marker::PhantomData,
        }
    }
}

impl<T> SkipSet<T>
where
    T: Ord + Send + 'static,
{
    /// Inserts `key` (a present key is kept) and returns its entry.
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// set.insert(1);
    /// set.insert(1);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn insert(&self, key: T) -> Entry<'_, T> {
        self.get_or_insert(key)
    }

    /// Removes `key`; exactly one of several concurrent removers gets `Some`.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1].into_iter().collect();
    /// assert_eq!(*set.remove(&1).unwrap(), 1);
    /// assert!(set.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Entry<'_, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.remove(key, &guard) }).map(Entry::new)
    }

    /// Removes and returns the smallest element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_front().unwrap(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, T>> {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.pop_front(&guard) }).map(Entry::new)
    }

    /// Removes and returns the largest element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_back().unwrap(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, T>> {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        pinned!(&self.raw, |guard| unsafe { self.raw.pop_back(&guard) }).map(Entry::new)
    }

    /// Removes every element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = (0..3).collect();
    /// set.clear();
    /// assert!(set.is_empty());
    /// ```
    pub fn clear(&self) {
        loop {
            // A fresh pin per removal, so that a long clear does not hold
            // back reclamation.
            let guard = epoch::pin();
            // SAFETY: `T: Send + 'static` by this impl's bounds.
            if unsafe { self.raw.pop_front(&guard) }.is_none() {
                return;
            }
        }
    }
}

impl<T> Default for SkipSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the elements, in order (a weakly consistent snapshot).
impl<T: fmt::Debug> fmt::Debug for SkipSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let guard = epoch::pin();
        let mut set = f.debug_set();
        let mut node = RawSkipList::live_from(self.raw.first(&guard), &guard);
        while let Some(n) = node {
            // SAFETY: reached through links: not the head.
            set.entry(unsafe { n.key() });
            node = RawSkipList::live_after(n, &guard);
        }
        set.finish()
    }
}

impl<T> IntoIterator for SkipSet<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter { raw: self.raw }
    }
}

impl<'a, T: Ord> IntoIterator for &'a SkipSet<T> {
    type Item = Entry<'a, T>;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: Ord> FromIterator<T> for SkipSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl<T: Ord> Extend<T> for SkipSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for key in iter {
            self.get_or_insert(key);
        }
    }
}

/// A reference to an element of a [`SkipSet`]; derefs to the element.
/// Guard-scoped like [`super::Entry`]: it pins the epoch while it lives, no
/// reference count; `!Send`.
///
/// ```
/// let set = lazuli::skiplist::SkipSet::new();
/// let entry = set.insert(5);
/// assert_eq!(*entry, 5);
/// assert_eq!(*entry.value(), 5);
/// ```
pub struct Entry<'a, T> {
    inner: RawEntry<'a, T, NoValue>,
}

impl<'a, T> Entry<'a, T> {
    fn new(inner: RawEntry<'a, T, NoValue>) -> Self {
        Self { inner }
    }

    /// The element.
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// assert_eq!(*set.insert('x').value(), 'x');
    /// ```
    pub fn value(&self) -> &T {
        self.inner.key()
    }

    /// Whether the element has been removed from the set.
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// let entry = set.insert(1);
    /// set.remove(&1);
    /// assert!(entry.is_removed());
    /// ```
    pub fn is_removed(&self) -> bool {
        self.inner.is_removed()
    }
}

impl<'a, T: Ord> Entry<'a, T> {
    /// Moves to the next element; false (staying) at the end.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 2].into_iter().collect();
    /// let mut e = set.front().unwrap();
    /// assert!(e.move_next() && *e == 2);
    /// ```
    pub fn move_next(&mut self) -> bool {
        self.inner.move_next()
    }

    /// Moves to the previous element; false (staying) at the front.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 2].into_iter().collect();
    /// let mut e = set.back().unwrap();
    /// assert!(e.move_prev() && *e == 1);
    /// ```
    pub fn move_prev(&mut self) -> bool {
        self.inner.move_prev()
    }

    /// The next element.
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap().next().unwrap(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, T>> {
        self.inner.next().map(Entry::new)
    }

    /// The previous element (a search from the top: O(log n)).
    ///
    /// ```
    /// let set: lazuli::skiplist::SkipSet<_> = [1, 2].into_iter().collect();
    /// assert_eq!(*set.back().unwrap().prev().unwrap(), 1);
    /// ```
    pub fn prev(&self) -> Option<Entry<'a, T>> {
        self.inner.prev().map(Entry::new)
    }
}

impl<T> Entry<'_, T>
where
    T: Ord + Send + 'static,
{
    /// Removes this element; true if this call removed it.
    ///
    /// ```
    /// let set = lazuli::skiplist::SkipSet::new();
    /// assert!(set.insert(1).remove());
    /// assert!(set.is_empty());
    /// ```
    pub fn remove(&self) -> bool {
        // SAFETY: `T: Send + 'static` by this impl's bounds.
        unsafe { self.inner.remove() }
    }
}

impl<T> Clone for Entry<'_, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Entry<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Entry").field(self.value()).finish()
    }
}

impl<T> Deref for Entry<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value()
    }
}

/// An iterator over a [`SkipSet`], ascending; weakly consistent, `!Send`.
///
/// ```
/// let set: lazuli::skiplist::SkipSet<_> = [1, 2].into_iter().collect();
/// assert_eq!(set.iter().next_back().map(|e| *e), Some(2));
/// ```
pub struct Iter<'a, T> {
    cursor: Cursor<'a, T, NoValue>,
}

impl<'a, T: Ord> Iterator for Iter<'a, T> {
    type Item = Entry<'a, T>;

    fn next(&mut self) -> Option<Entry<'a, T>> {
        self.cursor
            .next_in::<T>(Bound::Unbounded, Bound::Unbounded)
            .map(Entry::new)
    }
}

impl<'a, T: Ord> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<Entry<'a, T>> {
        self.cursor
            .next_back_in::<T>(Bound::Unbounded, Bound::Unbounded)
            .map(Entry::new)
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// An iterator over the elements of a [`SkipSet`] in a range.
///
/// ```
/// let set: lazuli::skiplist::SkipSet<_> = (0..5).collect();
/// assert_eq!(set.range(..2).map(|e| *e).collect::<Vec<_>>(), [0, 1]);
/// ```
pub struct Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    cursor: Cursor<'a, T, NoValue>,
    range: R,
    _bound: core::marker::PhantomData<fn(&Q)>,
}

impl<'a, Q, R, T> Iterator for Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    type Item = Entry<'a, T>;

    fn next(&mut self) -> Option<Entry<'a, T>> {
        self.cursor
            .next_in(self.range.start_bound(), self.range.end_bound())
            .map(Entry::new)
    }
}

impl<'a, Q, R, T> DoubleEndedIterator for Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    fn next_back(&mut self) -> Option<Entry<'a, T>> {
        self.cursor
            .next_back_in(self.range.start_bound(), self.range.end_bound())
            .map(Entry::new)
    }
}

impl<Q, R, T> fmt::Debug for Range<'_, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q> + fmt::Debug,
    Q: Ord + ?Sized,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Range")
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// An owning iterator over a [`SkipSet`], ascending.
///
/// ```
/// let set: lazuli::skiplist::SkipSet<_> = [2, 1].into_iter().collect();
/// assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct IntoIter<T> {
    raw: RawSkipList<T, NoValue>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.raw.pop_front_parts().map(|(key, ())| key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.raw.len();
        (len, Some(len))
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.raw.len())
            .finish_non_exhaustive()
    }
}
