//! Iterators over a [`SkipMap`](super::SkipMap): [`Iter`], [`Range`]
//! (borrowing, weakly consistent, double-ended) and [`IntoIter`] (owning);
//! and the cursor they share with the set's iterators.
//!
//! A borrowing iterator holds one epoch guard for its whole life, plus the
//! last node it yielded from each end. Forwards it follows level-0 links
//! from the last yielded node while that node is unmarked, skipping nodes
//! that are not live; from a removed last node it searches again by its
//! key. Backwards it searches from the top for the largest key below the
//! last one yielded (O(log n) per step). Neither end ever stops for good:
//! see the module doc's [iteration semantics](super#iteration-semantics).

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;

use super::entry::{Entry, RawEntry};
use super::node::{Node, NodeRef, Payload};
use super::raw::RawSkipList;
use crate::lazy::ValueSlot;
use crate::sync::epoch::{self, Guard};

/// The shared state of every borrowing iterator.
pub(crate) struct Cursor<'a, K, S> {
    list: &'a RawSkipList<K, S>,
    /// Pins every node the cursor points to.
    guard: Guard,
    /// The last node yielded from the front.
    front: Option<NonNull<Node<K, S>>>,
    /// The last node yielded from the back.
    back: Option<NonNull<Node<K, S>>>,
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

impl<'a, K: Ord, S: Payload> Cursor<'a, K, S> {
    pub(crate) fn new(list: &'a RawSkipList<K, S>) -> Self {
        Self {
            list,
            guard: epoch::pin(),
            front: None,
            back: None,
        }
    }

    fn node(&self, node: NonNull<Node<K, S>>) -> NodeRef<'_, K, S> {
        // SAFETY: cursor nodes were reached while `self.guard` pins, through
        // links (full provenance).
        unsafe { NodeRef::new(node) }
    }

    fn key(&self, node: NonNull<Node<K, S>>) -> &K {
        // SAFETY: cursor nodes are live nodes returned by searches: not the
        // head.
        unsafe { self.node(node).key() }
    }

    fn yield_node(&self, node: NonNull<Node<K, S>>) -> RawEntry<'a, K, S> {
        // SAFETY: reached while `self.guard` pins; a nested pin on this
        // thread keeps that epoch.
        unsafe { RawEntry::new(self.list, epoch::pin(), node) }
    }

    pub(crate) fn next_in<Q>(
        &mut self,
        start: Bound<&Q>,
        end: Bound<&Q>,
    ) -> Option<RawEntry<'a, K, S>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.front {
            None => self.list.lower_bound(start, &self.guard),
            Some(front) => {
                let last = self.node(front);
                let after = RawSkipList::live_after(last, &self.guard);
                // The walk read `last.next[0]` before this flag. Unmarked now,
                // `last` was unmarked (so linked) when that link was read: the
                // walk started from a real edge. Marked, its links may be
                // frozen since long before this call (a resumed iterator), so
                // search again from its key instead.
                if last.state().is_marked() {
                    self.list
                        .lower_bound::<K>(Bound::Excluded(self.key(front)), &self.guard)
                } else {
                    after
                }
            }
        }
        .map(NodeRef::ptr);
        let candidate = candidate.filter(|&c| {
            below(self.key(c).borrow(), end) && self.back.is_none_or(|b| self.key(c) < self.key(b))
        });
        let node = candidate?;
        self.front = Some(node);
        Some(self.yield_node(node))
    }

    pub(crate) fn next_back_in<Q>(
        &mut self,
        start: Bound<&Q>,
        end: Bound<&Q>,
    ) -> Option<RawEntry<'a, K, S>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.back {
            None => self.list.upper_bound(end, &self.guard),
            Some(back) => self
                .list
                .upper_bound::<K>(Bound::Excluded(self.key(back)), &self.guard),
        }
        .map(NodeRef::ptr);
        let candidate = candidate.filter(|&c| {
            above(self.key(c).borrow(), start)
                && self.front.is_none_or(|f| self.key(c) > self.key(f))
        });
        let node = candidate?;
        self.back = Some(node);
        Some(self.yield_node(node))
    }
}

/// An iterator over the entries of a [`SkipMap`](super::SkipMap), in
/// ascending key order. Weakly consistent; holds an epoch pin while it
/// lives; `!Send`.
///
/// ```
/// let map: lazuli::skiplist::SkipMap<_, _> = (1..=3).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.iter().rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [3, 2, 1]);
/// ```
pub struct Iter<'a, K, V> {
    cursor: Cursor<'a, K, ValueSlot<V>>,
}

impl<'a, K: Ord, V> Iter<'a, K, V> {
    pub(super) fn new(list: &'a RawSkipList<K, ValueSlot<V>>) -> Self {
        Self {
            cursor: Cursor::new(list),
        }
    }
}

impl<'a, K: Ord, V> Iterator for Iter<'a, K, V> {
    type Item = Entry<'a, K, V>;

    fn next(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor
            .next_in::<K>(Bound::Unbounded, Bound::Unbounded)
            .map(Entry::new)
    }
}

impl<'a, K: Ord, V> DoubleEndedIterator for Iter<'a, K, V> {
    fn next_back(&mut self) -> Option<Entry<'a, K, V>> {
        self.cursor
            .next_back_in::<K>(Bound::Unbounded, Bound::Unbounded)
            .map(Entry::new)
    }
}

impl<K, V> fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// An iterator over the entries of a [`SkipMap`](super::SkipMap) whose keys
/// lie in a range. Weakly consistent; holds an epoch pin while it lives;
/// `!Send`.
///
/// ```
/// let map: lazuli::skiplist::SkipMap<_, _> = (1..=5).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.range(2..=4).rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [4, 3, 2]);
/// ```
pub struct Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    cursor: Cursor<'a, K, ValueSlot<V>>,
    range: R,
    _bound: PhantomData<fn(&Q)>,
}

impl<'a, Q, R, K, V> Range<'a, Q, R, K, V>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
{
    pub(super) fn new(list: &'a RawSkipList<K, ValueSlot<V>>, range: R) -> Self {
        Self {
            cursor: Cursor::new(list),
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
            .map(Entry::new)
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
            .map(Entry::new)
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

/// An owning iterator over the entries of a [`SkipMap`](super::SkipMap), in
/// ascending key order. Dropping it drops the remaining entries.
///
/// ```
/// let map: lazuli::skiplist::SkipMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
/// let pairs: Vec<_> = map.into_iter().collect();
/// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
/// ```
pub struct IntoIter<K, V> {
    raw: RawSkipList<K, ValueSlot<V>>,
}

impl<K, V> IntoIter<K, V> {
    pub(super) fn new(raw: RawSkipList<K, ValueSlot<V>>) -> Self {
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
