//! Iterators over a [`ListMap`]: [`Iter`], [`Range`] (borrowing, weakly
//! consistent, double-ended) and [`IntoIter`] (owning).
//!
//! A borrowing iterator holds one epoch guard for its whole life, plus the
//! last node it yielded from each end. Forwards it follows `next` pointers
//! from the last yielded node while that node is unmarked, skipping marked
//! nodes; from a removed last node it searches again by its key. Backwards
//! it searches from the head for the largest key below the last one yielded
//! (O(n) per step on a list). Neither end ever stops for good: see the
//! module doc's [iteration semantics](super#iteration-semantics).

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;

use super::raw::{Node, RawList};
use super::{Entry, ListMap};
use crate::lazy::PinnedEntry;
use crate::sync::epoch::{self, Guard};

/// The shared state of [`Iter`] and [`Range`].
struct Cursor<'a, K, V> {
    map: &'a ListMap<K, V>,
    /// Pins every node the cursor points to.
    guard: Guard,
    /// The last node yielded from the front.
    front: Option<NonNull<Node<K, V>>>,
    /// The last node yielded from the back.
    back: Option<NonNull<Node<K, V>>>,
}

/// Whether `key` is at or after `bound`, as a lower bound.
fn above<Q: Ord + ?Sized>(key: &Q, bound: Bound<&Q>) -> bool {
    match bound {
        Bound::Included(b) => key >= b,
        Bound::Excluded(b) => key > b,
        Bound::Unbounded => true,
    }
}

/// Whether `key` is at or before `bound`, as an upper bound.
fn below<Q: Ord + ?Sized>(key: &Q, bound: Bound<&Q>) -> bool {
    match bound {
        Bound::Included(b) => key <= b,
        Bound::Excluded(b) => key < b,
        Bound::Unbounded => true,
    }
}

impl<'a, K: Ord, V> Cursor<'a, K, V> {
    fn new(map: &'a ListMap<K, V>) -> Self {
        Self {
            map,
            guard: epoch::pin(),
            front: None,
            back: None,
        }
    }

    fn node(&self, node: NonNull<Node<K, V>>) -> &Node<K, V> {
        // SAFETY: cursor nodes were reached while `self.guard` pins.
        unsafe { node.as_ref() }
    }

    fn yield_node(&self, node: NonNull<Node<K, V>>) -> Entry<'a, K, V> {
        // SAFETY: reached while `self.guard` pins (a nested pin on this
        // thread keeps that epoch).
        let inner = unsafe { PinnedEntry::new(epoch::pin(), node) };
        Entry::new(self.map, inner)
    }

    fn next_in<Q>(&mut self, start: Bound<&Q>, end: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.front {
            None => self.map.raw.lower_bound(start, &self.guard),
            Some(front) => {
                let last = self.node(front);
                let after = RawList::live_after(last, &self.guard);
                // The walk read `last.next` before this flag. Unmarked now,
                // `last` was unmarked (so in the list) when its `next` was
                // read: the walk started from a real edge. Marked, `last.next`
                // may be frozen since long before this call (a resumed
                // iterator), so search again from its key instead.
                if last.links.state.is_marked() {
                    self.map
                        .raw
                        .lower_bound::<K>(Bound::Excluded(&last.key), &self.guard)
                } else {
                    after
                }
            }
        };
        let candidate = candidate.filter(|c| {
            below(c.key.borrow(), end) && self.back.is_none_or(|b| c.key < self.node(b).key)
        });
        let node = candidate.map(NonNull::from)?;
        self.front = Some(node);
        Some(self.yield_node(node))
    }

    fn next_back_in<Q>(&mut self, start: Bound<&Q>, end: Bound<&Q>) -> Option<Entry<'a, K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.back {
            None => self.map.raw.upper_bound(end, &self.guard),
            Some(back) => self
                .map
                .raw
                .upper_bound::<K>(Bound::Excluded(&self.node(back).key), &self.guard),
        };
        let candidate = candidate.filter(|c| {
            above(c.key.borrow(), start) && self.front.is_none_or(|f| c.key > self.node(f).key)
        });
        let node = candidate.map(NonNull::from)?;
        self.back = Some(node);
        Some(self.yield_node(node))
    }
}

/// An iterator over the entries of a [`ListMap`], in ascending key order.
/// Weakly consistent; holds an epoch pin while it lives; `!Send`.
///
/// ```
/// let map: lazuli::list::ListMap<_, _> = (1..=3).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.iter().rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [3, 2, 1]);
/// ```
pub struct Iter<'a, K, V> {
    cursor: Cursor<'a, K, V>,
}

impl<'a, K: Ord, V> Iter<'a, K, V> {
    pub(super) fn new(map: &'a ListMap<K, V>) -> Self {
        Self {
            cursor: Cursor::new(map),
        }
    }
}

impl<'a, K: Ord, V> Iterator for Iter<'a, K, V> {
    type Item = Entry<'a, K, V>;

    fn next(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor.next_in::<K>(Bound::Unbounded, Bound::Unbounded)
    }
}

impl<'a, K: Ord, V> DoubleEndedIterator for Iter<'a, K, V> {
    fn next_back(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor
            .next_back_in::<K>(Bound::Unbounded, Bound::Unbounded)
    }
}

impl<K, V> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// An iterator over the entries of a [`ListMap`] whose keys lie in a range.
/// Weakly consistent; holds an epoch pin while it lives; `!Send`.
///
/// ```
/// let map: lazuli::list::ListMap<_, _> = (1..=5).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.range(2..=4).rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [4, 3, 2]);
/// ```
pub struct Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    cursor: Cursor<'a, K, V>,
    range: R,
    _bound: PhantomData<fn(&Q)>,
}

impl<'a, Q, R, K, V> Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    pub(super) fn new(map: &'a ListMap<K, V>, range: R) -> Self {
        Self {
            cursor: Cursor::new(map),
            range,
            _bound: PhantomData,
        }
    }
}

impl<'a, Q, R, K, V> Iterator for Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    type Item = Entry<'a, K, V>;

    fn next(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor
            .next_in(self.range.start_bound(), self.range.end_bound())
    }
}

impl<'a, Q, R, K, V> DoubleEndedIterator for Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    fn next_back(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor
            .next_back_in(self.range.start_bound(), self.range.end_bound())
    }
}

impl<Q, R, K, V> fmt::Debug for Range<'_, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q> + fmt::Debug,
    Q: Ord + ?Sized,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Range")
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// An owning iterator over the entries of a [`ListMap`], in ascending key
/// order. Dropping it drops the remaining entries.
///
/// ```
/// let map: lazuli::list::ListMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
/// let pairs: Vec<_> = map.into_iter().collect();
/// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
/// ```
pub struct IntoIter<K, V> {
    raw: RawList<K, V>,
}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new(raw: RawList<K, V>) -> Self {
        Self { raw }
    }
}

impl<K, V> Iterator for IntoIter<K, V> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        self.raw.pop_front_parts()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.raw.len();
        (len, Some(len))
    }
}

impl<K, V> ExactSizeIterator for IntoIter<K, V> {}

impl<K, V> fmt::Debug for IntoIter<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.raw.len())
            .finish_non_exhaustive()
    }
}
