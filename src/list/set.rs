//! [`ListSet`]: the lazy list as an ordered set, a [`ListMap`] with `()`
//! values (which cost no allocation). Its entry and iterator types live here.

use core::borrow::Borrow;
use core::fmt;
use core::ops::{Bound, Deref, RangeBounds};

use super::ListMap;

/// A concurrent ordered set: a lazy sorted linked list (see the
/// [list module](super)). Same surface as crossbeam-skiplist's `SkipSet`.
///
/// ```
/// use lazuli::list::ListSet;
///
/// let set = ListSet::new();
/// set.insert(3);
/// set.insert(1);
/// assert!(set.contains(&1));
/// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 3]);
/// ```
pub struct ListSet<T> {
    map: ListMap<T, ()>,
}

impl<T> ListSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<u8> = lazuli::list::ListSet::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        Self {
            map: ListMap::new(),
        }
    }

    /// Whether the set is empty (exact when no update is in flight).
    ///
    /// ```
    /// let set = lazuli::list::ListSet::new();
    /// set.insert(1);
    /// assert!(!set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The number of elements (exact when no update is in flight).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = (0..4).collect();
    /// assert_eq!(set.len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

impl<T: Ord> ListSet<T> {
    /// The smallest element.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap(), 2);
    /// ```
    pub fn front(&self) -> Option<Entry<'_, T>> {
        self.map.front().map(Entry::new)
    }

    /// The largest element (O(n)).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [4, 2].into_iter().collect();
    /// assert_eq!(*set.back().unwrap(), 4);
    /// ```
    pub fn back(&self) -> Option<Entry<'_, T>> {
        self.map.back().map(Entry::new)
    }

    /// Whether `key` is in the set. Wait-free.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [1].into_iter().collect();
    /// assert!(set.contains(&1) && !set.contains(&2));
    /// ```
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.contains_key(key)
    }

    /// The entry of `key`, if present. Wait-free.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = ["a".to_string()].into_iter().collect();
    /// assert_eq!(*set.get("a").unwrap(), "a");
    /// ```
    pub fn get<Q>(&self, key: &Q) -> Option<Entry<'_, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.get(key).map(Entry::new)
    }

    /// The smallest element above `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::list::ListSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.lower_bound(Included(&2)).unwrap(), 5);
    /// ```
    pub fn lower_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.lower_bound(bound).map(Entry::new)
    }

    /// The largest element below `bound`.
    ///
    /// ```
    /// use std::ops::Bound::Included;
    /// let set: lazuli::list::ListSet<_> = [1, 5].into_iter().collect();
    /// assert_eq!(*set.upper_bound(Included(&4)).unwrap(), 1);
    /// ```
    pub fn upper_bound<'a, Q>(&'a self, bound: Bound<&Q>) -> Option<Entry<'a, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.upper_bound(bound).map(Entry::new)
    }

    /// The entry of `key`, inserting it first if absent.
    ///
    /// ```
    /// let set = lazuli::list::ListSet::new();
    /// assert_eq!(*set.get_or_insert(7), 7);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn get_or_insert(&self, key: T) -> Entry<'_, T> {
        Entry::new(self.map.get_or_insert(key, ()))
    }

    /// The elements in ascending order (weakly consistent).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(set.iter().map(|e| *e).collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        Iter {
            inner: self.map.iter(),
        }
    }

    /// The elements in `range`, ascending (weakly consistent).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = (0..10).collect();
    /// assert_eq!(set.range(7..).map(|e| *e).collect::<Vec<_>>(), [7, 8, 9]);
    /// ```
    pub fn range<Q, R>(&self, range: R) -> Range<'_, Q, R, T>
    where
        T: Borrow<Q>,
        R: RangeBounds<Q>,
        Q: Ord + ?Sized,
    {
        Range {
            inner: self.map.range(range),
        }
    }
}

impl<T> ListSet<T>
where
    T: Ord + Send + 'static,
{
    /// Inserts `key` (a present key is kept) and returns its entry.
    ///
    /// ```
    /// let set = lazuli::list::ListSet::new();
    /// set.insert(1);
    /// set.insert(1);
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn insert(&self, key: T) -> Entry<'_, T> {
        Entry::new(self.map.insert(key, ()))
    }

    /// Removes `key`; exactly one of several concurrent removers gets `Some`.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [1].into_iter().collect();
    /// assert_eq!(*set.remove(&1).unwrap(), 1);
    /// assert!(set.remove(&1).is_none());
    /// ```
    pub fn remove<Q>(&self, key: &Q) -> Option<Entry<'_, T>>
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.map.remove(key).map(Entry::new)
    }

    /// Removes and returns the smallest element.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_front().unwrap(), 1);
    /// ```
    pub fn pop_front(&self) -> Option<Entry<'_, T>> {
        self.map.pop_front().map(Entry::new)
    }

    /// Removes and returns the largest element (O(n)).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [2, 1].into_iter().collect();
    /// assert_eq!(*set.pop_back().unwrap(), 2);
    /// ```
    pub fn pop_back(&self) -> Option<Entry<'_, T>> {
        self.map.pop_back().map(Entry::new)
    }

    /// Removes every element.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = (0..3).collect();
    /// set.clear();
    /// assert!(set.is_empty());
    /// ```
    pub fn clear(&self) {
        self.map.clear();
    }
}

impl<T> Default for ListSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Prints the elements, in order (a weakly consistent snapshot).
impl<T: fmt::Debug> fmt::Debug for ListSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Reuse the map's walk, printing keys only.
        struct Keys<'a, T>(&'a ListMap<T, ()>);
        impl<T: fmt::Debug> fmt::Debug for Keys<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt_keys(f)
            }
        }
        Keys(&self.map).fmt(f)
    }
}

impl<T> IntoIterator for ListSet<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;

    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            inner: self.map.into_iter(),
        }
    }
}

impl<'a, T: Ord> IntoIterator for &'a ListSet<T> {
    type Item = Entry<'a, T>;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T: Ord> FromIterator<T> for ListSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

impl<T: Ord> Extend<T> for ListSet<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for key in iter {
            self.get_or_insert(key);
        }
    }
}

/// A reference to an element of a [`ListSet`]; derefs to the element.
/// Guard-scoped like [`super::Entry`].
///
/// ```
/// let set = lazuli::list::ListSet::new();
/// let entry = set.insert(5);
/// assert_eq!(*entry, 5);
/// assert_eq!(*entry.value(), 5);
/// ```
pub struct Entry<'a, T> {
    inner: super::Entry<'a, T, ()>,
}

impl<'a, T> Entry<'a, T> {
    fn new(inner: super::Entry<'a, T, ()>) -> Self {
        Self { inner }
    }

    /// The element.
    ///
    /// ```
    /// let set = lazuli::list::ListSet::new();
    /// assert_eq!(*set.insert('x').value(), 'x');
    /// ```
    pub fn value(&self) -> &T {
        self.inner.key()
    }

    /// Whether the element has been removed from the set.
    ///
    /// ```
    /// let set = lazuli::list::ListSet::new();
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
    /// let set: lazuli::list::ListSet<_> = [1, 2].into_iter().collect();
    /// let mut e = set.front().unwrap();
    /// assert!(e.move_next() && *e == 2);
    /// ```
    pub fn move_next(&mut self) -> bool {
        self.inner.move_next()
    }

    /// Moves to the previous element; false (staying) at the front.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [1, 2].into_iter().collect();
    /// let mut e = set.back().unwrap();
    /// assert!(e.move_prev() && *e == 1);
    /// ```
    pub fn move_prev(&mut self) -> bool {
        self.inner.move_prev()
    }

    /// The next element.
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [1, 2].into_iter().collect();
    /// assert_eq!(*set.front().unwrap().next().unwrap(), 2);
    /// ```
    pub fn next(&self) -> Option<Entry<'a, T>> {
        self.inner.next().map(Entry::new)
    }

    /// The previous element (O(n)).
    ///
    /// ```
    /// let set: lazuli::list::ListSet<_> = [1, 2].into_iter().collect();
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
    /// let set = lazuli::list::ListSet::new();
    /// assert!(set.insert(1).remove());
    /// assert!(set.is_empty());
    /// ```
    pub fn remove(&self) -> bool {
        self.inner.remove()
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

/// An iterator over a [`ListSet`], ascending; weakly consistent, `!Send`.
///
/// ```
/// let set: lazuli::list::ListSet<_> = [1, 2].into_iter().collect();
/// assert_eq!(set.iter().next_back().map(|e| *e), Some(2));
/// ```
pub struct Iter<'a, T> {
    inner: super::Iter<'a, T, ()>,
}

impl<'a, T: Ord> Iterator for Iter<'a, T> {
    type Item = Entry<'a, T>;

    fn next(&mut self) -> Option<Entry<'a, T>> {
        self.inner.next().map(Entry::new)
    }
}

impl<'a, T: Ord> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<Entry<'a, T>> {
        self.inner.next_back().map(Entry::new)
    }
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// An iterator over the elements of a [`ListSet`] in a range.
///
/// ```
/// let set: lazuli::list::ListSet<_> = (0..5).collect();
/// assert_eq!(set.range(..2).map(|e| *e).collect::<Vec<_>>(), [0, 1]);
/// ```
pub struct Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    inner: super::Range<'a, Q, R, T, ()>,
}

impl<'a, Q, R, T> Iterator for Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    type Item = Entry<'a, T>;

    fn next(&mut self) -> Option<Entry<'a, T>> {
        self.inner.next().map(Entry::new)
    }
}

impl<'a, Q, R, T> DoubleEndedIterator for Range<'a, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    fn next_back(&mut self) -> Option<Entry<'a, T>> {
        self.inner.next_back().map(Entry::new)
    }
}

impl<Q, R, T> fmt::Debug for Range<'_, Q, R, T>
where
    T: Ord + Borrow<Q>,
    R: RangeBounds<Q> + fmt::Debug,
    Q: Ord + ?Sized,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Range").field("inner", &self.inner).finish()
    }
}

/// An owning iterator over a [`ListSet`], ascending.
///
/// ```
/// let set: lazuli::list::ListSet<_> = [2, 1].into_iter().collect();
/// assert_eq!(set.into_iter().collect::<Vec<_>>(), [1, 2]);
/// ```
pub struct IntoIter<T> {
    inner: super::IntoIter<T, ()>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.inner.next().map(|(key, ())| key)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}

impl<T> fmt::Debug for IntoIter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("inner", &self.inner)
            .finish()
    }
}
