//! Iterators over an [`OrderedMap`](super::OrderedMap): [`Iter`], [`Range`]
//! (borrowing, weakly consistent, double-ended, resuming) and [`IntoIter`]
//! (owning); and the cursor, and the iterator impls written once by
//! `cursor_iterators!`, that they share with the set's iterators.
//!
//! A borrowing iterator holds one epoch guard for its whole life, plus the
//! last node it yielded from each end. Forwards it follows bottom-level
//! links from the last yielded node while that node is unmarked, skipping
//! removed nodes (and, on the skiplist, waiting for a node still being
//! linked, whose insert is in its critical section); from a removed last
//! node it searches again by its key. Backwards it searches for the largest key below the last one
//! yielded (O(log n) per step on a skiplist, O(n) on a list). Neither end
//! ever stops for good: see the [iteration semantics](super#iteration-semantics).

use core::borrow::Borrow;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds};
use core::ptr::NonNull;

use super::entry::{Entry, RawEntry};
use super::raw::{above, below, Flavour, RawOrdered};
use crate::lazy::{pin_again, EntryNode};
use crate::sync::epoch::{self, Guard};

/// The shared state of every borrowing iterator.
pub(crate) struct Cursor<'a, R: RawOrdered> {
    raw: &'a R,
    /// Pins every node the cursor points to.
    guard: Guard,
    /// The last node yielded from the front.
    front: Option<NonNull<R::Node>>,
    /// The last node yielded from the back.
    back: Option<NonNull<R::Node>>,
}

impl<'a, R: RawOrdered> Cursor<'a, R>
where
    R::Key: Ord,
{
    pub(crate) fn new(raw: &'a R) -> Self {
        Self {
            raw,
            guard: epoch::pin(),
            front: None,
            back: None,
        }
    }

    fn node(&self, node: NonNull<R::Node>) -> &R::Node {
        // SAFETY: cursor nodes were returned by `self.raw` while
        // `self.guard` pins.
        unsafe { node.as_ref() }
    }

    fn key(&self, node: NonNull<R::Node>) -> &R::Key {
        self.node(node).key()
    }

    fn yield_node(&self, node: NonNull<R::Node>) -> RawEntry<'a, R> {
        // SAFETY: returned by `self.raw` while `self.guard` pins, and that
        // guard lives through this call.
        let guard = unsafe { pin_again(node, None) };
        // SAFETY: `pin_again`'s guard protects `node`.
        unsafe { RawEntry::new(self.raw, guard, node) }
    }

    pub(crate) fn next_in<Q>(&mut self, start: Bound<&Q>, end: Bound<&Q>) -> Option<RawEntry<'a, R>>
    where
        R::Key: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.front {
            None => self.raw.lower_bound(start, &self.guard),
            // SAFETY: `last` was returned by `self.raw` under `self.guard`,
            // which still pins.
            Some(last) => unsafe { self.raw.successor(last, &self.guard) },
        };
        let node = candidate.filter(|&c| {
            below(self.key(c).borrow(), end) && self.back.is_none_or(|b| self.key(c) < self.key(b))
        })?;
        self.front = Some(node);
        Some(self.yield_node(node))
    }

    pub(crate) fn next_back_in<Q>(
        &mut self,
        start: Bound<&Q>,
        end: Bound<&Q>,
    ) -> Option<RawEntry<'a, R>>
    where
        R::Key: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let candidate = match self.back {
            None => self.raw.upper_bound(end, &self.guard),
            Some(last) => self
                .raw
                .upper_bound::<R::Key>(Bound::Excluded(self.key(last)), &self.guard),
        };
        let node = candidate.filter(|&c| {
            above(self.key(c).borrow(), start)
                && self.front.is_none_or(|f| self.key(c) > self.key(f))
        })?;
        self.back = Some(node);
        Some(self.yield_node(node))
    }
}

/// Writes the `Iterator`, `DoubleEndedIterator` and `Debug` impls of a
/// borrowing `Iter` and `Range` once, for the map's (`params: [K, V]`, keys
/// `K`) here and the set's (`params: [T]`, keys `T`) in `set.rs`: both hold
/// a [`Cursor`] (a range also its bounds) and turn each raw entry into the
/// `Entry` of the module that invokes the macro.
macro_rules! cursor_iterators {
    (key: $K:ident, params: [$($P:ident),+]) => {
        impl<'a, $($P,)+ F: $crate::ordered::Flavour> Iterator for Iter<'a, $($P,)+ F>
        where
            $K: Ord,
        {
            type Item = Entry<'a, $($P,)+ F>;

            fn next(&mut self) -> Option<Self::Item> {
                self.cursor
                    .next_in::<$K>(::core::ops::Bound::Unbounded, ::core::ops::Bound::Unbounded)
                    .map(Entry::new)
            }
        }

        impl<$($P,)+ F: $crate::ordered::Flavour> DoubleEndedIterator for Iter<'_, $($P,)+ F>
        where
            $K: Ord,
        {
            fn next_back(&mut self) -> Option<Self::Item> {
                self.cursor
                    .next_back_in::<$K>(::core::ops::Bound::Unbounded, ::core::ops::Bound::Unbounded)
                    .map(Entry::new)
            }
        }

        impl<$($P,)+ F: $crate::ordered::Flavour> ::core::fmt::Debug for Iter<'_, $($P,)+ F> {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("Iter").finish_non_exhaustive()
            }
        }

        impl<'a, Q, R, $($P,)+ F> Iterator for Range<'a, Q, R, $($P,)+ F>
        where
            $K: Ord + ::core::borrow::Borrow<Q>,
            R: ::core::ops::RangeBounds<Q>,
            Q: Ord + ?Sized,
            F: $crate::ordered::Flavour,
        {
            type Item = Entry<'a, $($P,)+ F>;

            fn next(&mut self) -> Option<Self::Item> {
                self.cursor
                    .next_in(self.range.start_bound(), self.range.end_bound())
                    .map(Entry::new)
            }
        }

        impl<Q, R, $($P,)+ F> DoubleEndedIterator for Range<'_, Q, R, $($P,)+ F>
        where
            $K: Ord + ::core::borrow::Borrow<Q>,
            R: ::core::ops::RangeBounds<Q>,
            Q: Ord + ?Sized,
            F: $crate::ordered::Flavour,
        {
            fn next_back(&mut self) -> Option<Self::Item> {
                self.cursor
                    .next_back_in(self.range.start_bound(), self.range.end_bound())
                    .map(Entry::new)
            }
        }

        impl<Q, R, $($P,)+ F> ::core::fmt::Debug for Range<'_, Q, R, $($P,)+ F>
        where
            $K: Ord + ::core::borrow::Borrow<Q>,
            R: ::core::ops::RangeBounds<Q> + ::core::fmt::Debug,
            Q: Ord + ?Sized,
            F: $crate::ordered::Flavour,
        {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct("Range")
                    .field("range", &self.range)
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use cursor_iterators;

/// An iterator over the entries of a map, in ascending key order. Weakly
/// consistent and resuming (see the
/// [iteration semantics](super#iteration-semantics)); holds an epoch pin
/// while it lives; `!Send`.
///
/// ```
/// let map: lazuli::SkipMap<_, _> = (1..=3).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.iter().rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [3, 2, 1]);
/// ```
pub struct Iter<'a, K, V, F: Flavour> {
    cursor: Cursor<'a, F::Map<K, V>>,
}

impl<'a, K: Ord, V, F: Flavour> Iter<'a, K, V, F> {
    pub(crate) fn new(raw: &'a F::Map<K, V>) -> Self {
        Self {
            cursor: Cursor::new(raw),
        }
    }
}

/// An iterator over the entries of a map whose keys lie in a range. Weakly
/// consistent and resuming (see the
/// [iteration semantics](super#iteration-semantics)); holds an epoch pin
/// while it lives; `!Send`.
///
/// ```
/// let map: lazuli::ListMap<_, _> = (1..=5).map(|k| (k, ())).collect();
/// let keys: Vec<_> = map.range(2..=4).rev().map(|e| *e.key()).collect();
/// assert_eq!(keys, [4, 3, 2]);
/// ```
pub struct Range<'a, Q, R, K, V, F>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
    F: Flavour,
{
    cursor: Cursor<'a, F::Map<K, V>>,
    range: R,
    _bound: PhantomData<fn(&Q)>,
}

impl<'a, Q, R, K, V, F> Range<'a, Q, R, K, V, F>
where
    K: Ord + Borrow<Q>,
    R: RangeBounds<Q>,
    Q: Ord + ?Sized,
    F: Flavour,
{
    pub(crate) fn new(raw: &'a F::Map<K, V>, range: R) -> Self {
        Self {
            cursor: Cursor::new(raw),
            range,
            _bound: PhantomData,
        }
    }
}

cursor_iterators!(key: K, params: [K, V]);

/// An owning iterator over the entries of a map, in ascending key order.
/// Dropping it drops the remaining entries.
///
/// ```
/// let map: lazuli::SkipMap<_, _> = [(2, 'b'), (1, 'a')].into_iter().collect();
/// let pairs: Vec<_> = map.into_iter().collect();
/// assert_eq!(pairs, [(1, 'a'), (2, 'b')]);
/// ```
pub struct IntoIter<K, V, F: Flavour> {
    raw: F::Map<K, V>,
}

impl<K, V, F: Flavour> IntoIter<K, V, F> {
    pub(crate) fn new(raw: F::Map<K, V>) -> Self {
        Self { raw }
    }
}

impl<K, V, F: Flavour> Iterator for IntoIter<K, V, F> {
    type Item = (K, V);

    fn next(&mut self) -> Option<(K, V)> {
        self.raw.pop_front_parts()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.raw.len();
        (len, Some(len))
    }
}

impl<K, V, F: Flavour> ExactSizeIterator for IntoIter<K, V, F> {}

impl<K, V, F: Flavour> fmt::Debug for IntoIter<K, V, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoIter")
            .field("remaining", &self.raw.len())
            .finish_non_exhaustive()
    }
}
