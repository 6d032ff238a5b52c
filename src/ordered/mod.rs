//! The public layer of the ordered structures, written once: maps, sets,
//! entries, iterators and ranges, generic over the raw structure behind
//! them.
//!
//! | public type | is | backed by |
//! |---|---|---|
//! | [`ListMap<K, V>`](crate::ListMap), [`ListSet<T>`](crate::ListSet) | [`OrderedMap<K, V, LazyList>`](OrderedMap), [`OrderedSet<T, LazyList>`](OrderedSet) | [`crate::list`]: the lazy list (Heller et al. 2005) |
//! | [`SkipMap<K, V>`](crate::SkipMap), [`SkipSet<T>`](crate::SkipSet) | [`OrderedMap<K, V, LazySkipList>`](OrderedMap), [`OrderedSet<T, LazySkipList>`](OrderedSet) | [`crate::skiplist`]: the lazy skiplist (Herlihy et al. 2007) |
//!
//! (`LazyList` is [`crate::list::LazyList`], `LazySkipList` is
//! [`crate::skiplist::LazySkipList`].) Their entry, iterator and range types
//! are aliases of this module's too, so a fix here lands in all four.
//!
//! # Where what lives
//!
//! - **The protocols** live with each structure: `list/raw.rs` (the lazy
//!   list) and `skiplist/raw.rs` with `skiplist/queries.rs` (the lazy
//!   skiplist), on top of the pieces both share in the crate-private `lazy`
//!   module (node lock, flags, validation, value slots, retirement, pinned
//!   entries). Each structure's module doc explains its algorithm.
//! - **The contract** between the two layers is the crate-private trait
//!   `RawOrdered` (`ordered/raw.rs`): lookups, bounds, insert with an
//!   `existing` decision, removals, pops and the weakly consistent walk, all
//!   under a caller's epoch guard, handing back node pointers that stay
//!   allocated while that guard pins. `RawMap` adds in-place value
//!   replacement; a [`Flavour`] names the raw structure of a map and of a
//!   set.
//! - **The public layer** is here: [`OrderedMap`] (`map.rs`), [`OrderedSet`]
//!   and its entry and iterators (`set.rs`), the map's [`Entry`]
//!   (`entry.rs`) and [`Iter`], [`Range`], [`IntoIter`] (`iter.rs`). It adds
//!   what no raw structure knows about: guard-scoped entries, the value
//!   snapshot of ordered queries, and resuming iterators.
//!
//! # Entries, iterators and reclamation
//!
//! An [`Entry`] (and an iterator) pins the epoch for as long as it lives; no
//! reference count is touched. While a thread holds one, nothing retired by
//! any thread after it pinned can be freed, so a long-lived entry or
//! iterator makes removed nodes and replaced values accumulate until it is
//! dropped. For the same reason entries and iterators are neither `Send`
//! nor `Sync`: the pin belongs to the thread (crossbeam-skiplist's entries
//! hold a reference count instead).
//!
//! # Iteration semantics
//!
//! An [`Iter`] or [`Range`] (of a map or a [set](set::Iter)) remembers the last entry it returned from each
//! end, and every call searches again from there; it never decides once and
//! for all that it is finished. Exactly:
//!
//! - **`next()`** returns an entry whose key is above the last key returned
//!   from the front (before the first call: within the range's start
//!   bound), below the last key returned from the back (and within the
//!   range's end bound), and present at some moment of the call. No key of
//!   that interval that is present throughout the call is skipped: the key
//!   returned is at most any such key. If the interval holds no such key,
//!   `next()` returns `None` and the iterator stays where it was.
//! - **Nothing skipped behind a later insert, while nothing on the way is
//!   removed**: if `next()` returns key `b`, no key `a` of the interval
//!   below `b` whose insert completed before `b`'s insert began (and still
//!   present) is skipped, provided no key from the last one returned up to
//!   `b` is removed during the call. (A walk standing on a node that is
//!   being removed follows that node's frozen link, which can point past a
//!   key inserted behind it: with 10, 30 and 50 present and 10 returned, a
//!   `next()` that has read 10's link to 30 and is delayed while 20 is
//!   inserted, then 40, then 30 removed, returns 40 and skips 20.) A walk
//!   that meets a node still being inserted waits for its inserter instead
//!   of passing it. So an iterator that follows a writer appending keys in
//!   order, and removing none, yields every key, in order.
//! - **A resumed iterator**: a later `next()` searches the same interval
//!   again, so a key inserted after a `None`, past the last key returned
//!   (and before the back), comes out. A key inserted behind the front
//!   never does: keys from the front strictly increase.
//! - **`next_back()`** is the mirror image: keys strictly decrease, and it
//!   resumes the same way below the last key it returned.
//! - **The ends never cross**: a key comes out at most once per iterator;
//!   once the two ends have met, only a key inserted between them later
//!   comes out (of either end).
//! - **While alive**, an iterator holds one epoch pin and a pointer to the
//!   last node returned from each end: no copy of a key, no reference
//!   count. The pin keeps those two nodes allocated even after they are
//!   removed (and holds back the reclamation of everything retired
//!   meanwhile). From a last node that is still in the structure, `next()`
//!   follows its links; from one that has been removed, whose links may be
//!   frozen since long before the call, it searches again by its key.
//!
//! [`Entry::next`] and [`Entry::move_next`] (and a set entry's) find the
//! next key the same way as `next()`: by the entry's links while its node is
//! in the structure, by a search for its key once it has been removed.
//!
//! A weakly consistent iteration follows: a key present from the iterator's
//! creation to its end is yielded exactly once, and a key inserted or
//! removed meanwhile may or may not be.
//!

mod entry;
mod iter;
mod map;
pub(crate) mod raw;
pub mod set;

pub use entry::Entry;
pub use iter::{IntoIter, Iter, Range};
pub use map::OrderedMap;
pub use raw::Flavour;
pub use set::OrderedSet;
