//! The lazy-skiplist protocol itself (Herlihy, Lev, Luchangco and Shavit
//! 2007): the lock-free search that records predecessors and successors at
//! every level, lookups, and the lock-validate-retry insert (removal is in
//! `remove.rs`, replacement in `replace.rs`). Every operation takes an
//! epoch guard and returns nodes that stay valid while that guard pins; the
//! public layers in [`super`] wrap them into guard-scoped entries.

use core::borrow::Borrow;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

use super::node::{random_height, Node, NodeRef, Payload, MAX_HEIGHT};
#[cfg(loom)]
use super::paths;
use super::unwind::Unpublished;
use crate::lazy::{self, Existing, Length, NodeLockGuard};
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// What a search found: for each level below `levels`, the window
/// `preds[l] → succs[l]` with `preds[l].key < key <= succs[l].key` (the head
/// plays −∞, null +∞).
pub(super) struct Search<'g, K, S> {
    pub(super) preds: [NodeRef<'g, K, S>; MAX_HEIGHT],
    pub(super) succs: [*mut Node<K, S>; MAX_HEIGHT],
    /// The levels searched (from `levels - 1` down to 0).
    pub(super) levels: usize,
    /// The highest level at which `succs[level]` has the key.
    pub(super) found: Option<usize>,
}

impl<'g, K, S> Search<'g, K, S> {
    /// The predecessor at `level`.
    pub(super) fn pred(&self, level: usize) -> NodeRef<'g, K, S> {
        self.preds[level]
    }

    /// The successor at `level` (`None`: the end of that level).
    pub(super) fn succ(&self, level: usize) -> Option<NodeRef<'g, K, S>> {
        // SAFETY: read from a link of a node reached while pinned, as in
        // `NodeRef::next_ref`.
        NonNull::new(self.succs[level]).map(|p| unsafe { NodeRef::new(p) })
    }
}

/// The node a link read while `guard` pins points to (null: none).
#[inline]
pub(super) fn linked<'g, K, S>(
    ptr: *mut Node<K, S>,
    _guard: &'g Guard,
) -> Option<NodeRef<'g, K, S>> {
    // SAFETY: `ptr` was read from a link of a node reached while `_guard`
    // pins, so the node was reachable at some moment after the pin and is
    // not freed while the guard lives (see "Entries, iterators and reclamation" in the module doc);
    // the pointer came from an allocation, with its provenance.
    NonNull::new(ptr).map(|p| unsafe { NodeRef::new(p) })
}

/// Nodes of at least this many levels are counted in `RawSkipList::tall`:
/// one node in [`TALL_ONE_IN`], as `P(height > 6)` = (1/2)^3 · (1/4)^3
/// (`node::random_height`).
const TALL: usize = 7;
/// How many nodes one tall node stands for.
const TALL_ONE_IN: usize = 1 << 9;
/// From about this many entries on, lookups prefetch: 2^17 nodes of 30-40
/// bytes take 4-5 MiB, more than a core's L2 cache (2 MiB on the
/// development VM's AMD EPYC cores, 1-2 MiB on most server cores).
const LARGE: usize = 1 << 17;

/// The skiplist: a head tower, the highest level in use, the count, and
/// ownership of the nodes.
pub struct RawSkipList<K, S> {
    head: NonNull<Node<K, S>>,
    /// The number of levels in use (a hint, only ever raised): searches start
    /// from its top level rather than from `MAX_HEIGHT`.
    levels: AtomicUsize,
    /// The number of linked nodes of at least [`TALL`] levels: about one
    /// node in 512, so a size estimate that updates rarely (it shares
    /// `levels`' cache line, which every search reads anyway). Only
    /// [`is_large`](Self::is_large) reads it, as a hint.
    tall: AtomicUsize,
    len: Length,
    /// Owns the nodes (drop check); the `Send`/`Sync` rules are written out
    /// below.
    _owns: PhantomData<(K, S)>,
}

impl<K, S> core::fmt::Debug for RawSkipList<K, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawSkipList")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

// SAFETY: sending the list moves ownership of its keys and values to the
// receiving thread, which drops them (`K: Send`, `S: Send`). The bounds also
// ask for `Sync`, as crossbeam-skiplist does, which keeps the crates
// interchangeable.
unsafe impl<K: Send + Sync, S: Send + Sync> Send for RawSkipList<K, S> {}
// SAFETY: sharing the list lets any thread read keys and values through
// entries (`Sync`) and remove them, so that they are dropped on another
// thread (`Send`). All shared mutation goes through atomics and node locks.
unsafe impl<K: Send + Sync, S: Send + Sync> Sync for RawSkipList<K, S> {}

/// Lock guards for the distinct predecessors of one update, indexed by level
/// (`None` where the level's predecessor is a lower level's).
type PredLocks<'g> = [Option<NodeLockGuard<'g>>; MAX_HEIGHT];

impl<K, S> RawSkipList<K, S> {
    pub(crate) fn new() -> Self {
        Self {
            head: Node::new_head(),
            levels: AtomicUsize::new(1),
            tall: AtomicUsize::new(0),
            len: Length::new(),
            _owns: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    #[inline]
    pub(super) fn head<'g>(&'g self, _guard: &'g Guard) -> NodeRef<'g, K, S> {
        // SAFETY: the head lives as long as the list, and its pointer came
        // from the allocation.
        unsafe { NodeRef::new(self.head) }
    }

    #[inline]
    pub(super) fn is_head(&self, node: NodeRef<'_, K, S>) -> bool {
        node.ptr() == self.head
    }

    /// The number of levels to search: the levels in use, and at least
    /// `at_least`.
    #[inline]
    pub(super) fn search_levels(&self, at_least: usize) -> usize {
        // memory ordering: a hint. A search that starts too low is still
        // correct (every node is at level 0); `remove` searches again from
        // its victim's top level when it matters.
        self.levels.load(Ordering::Relaxed).max(at_least)
    }

    /// Whether the skiplist is large enough (about [`LARGE`] entries or more)
    /// that its lower levels cannot stay in a core's cache, so a lookup
    /// prefetches (`NodeRef::prefetch_below`; "Memory layout, level
    /// distribution and prefetching" in the module doc). On a structure
    /// that fits in the cache the prefetches only cost instructions: 10-30%
    /// of a `get` on 8 hot keys of 65,536. Updates (`find`) prefetch at
    /// any size: there they cost little next to the locks and the
    /// allocation, and churn on 65,536 keys at one thread gained 7-17%.
    #[inline]
    fn is_large(&self) -> bool {
        // memory ordering: a hint for speed, never for correctness.
        self.tall.load(Ordering::Relaxed) >= LARGE / TALL_ONE_IN
    }

    /// Counts a node of `height` levels in or out of the linked ones: the
    /// length, and the tall-node sample behind [`is_large`](Self::is_large).
    #[inline]
    pub(super) fn count(&self, height: usize, linked: bool) {
        if linked {
            self.len.increment();
        } else {
            self.len.decrement();
        }
        if height >= TALL {
            // memory ordering: Relaxed, a statistic. An inserter counts its
            // node in after unlocking it, so a remover that overtakes it can
            // count the node out first: the count then wraps below zero for
            // a moment, which at worst makes a search prefetch needlessly.
            if linked {
                self.tall.fetch_add(1, Ordering::Relaxed);
            } else {
                self.tall.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Wait until the thread holding `node`'s lock leaves its critical
    /// section: an inserter (which holds its new node's lock until it is
    /// fully linked) or a remover (which holds its victim's lock until it is
    /// unlinked). Waiting on the lock parks instead of spinning on the list.
    pub(super) fn wait_for_owner(node: NodeRef<'_, K, S>) {
        drop(node.state().lock());
    }

    /// The paper's `findNode`: search without locks from the top level in use
    /// (at least `at_least` levels), recording the window at every level.
    #[inline(always)]
    pub(super) fn find<'g, Q>(
        &'g self,
        key: &Q,
        at_least: usize,
        guard: &'g Guard,
    ) -> Search<'g, K, S>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let head = self.head(guard);
        let levels = self.search_levels(at_least);
        let mut search = Search {
            preds: [head; MAX_HEIGHT],
            succs: [ptr::null_mut(); MAX_HEIGHT],
            levels,
            found: None,
        };
        let mut pred = head;
        for level in (0..levels).rev() {
            let mut curr = pred.next(level);
            while let Some(c) = linked(curr, guard) {
                // Always, unlike `get`: an update's own work dwarfs the
                // prefetches, and even a mid-sized skiplist under churn
                // misses the cache (see `is_large`).
                pred.prefetch_below(level);
                // SAFETY: reached through a link: not the head.
                let order = unsafe { c.key() }.borrow().cmp(key);
                // Tested with `is_lt`/`is_eq`, not a `match`: for integer
                // keys the compiler then branches on the comparison itself,
                // where a three-armed `match` first turns it into an
                // `Ordering` byte and tests that (four instructions more per
                // step). One comparison per step either way.
                if order.is_lt() {
                    pred = c;
                    curr = c.next(level);
                    continue;
                }
                if order.is_eq() {
                    search.found.get_or_insert(level);
                }
                break;
            }
            search.preds[level] = pred;
            search.succs[level] = curr;
        }
        search
    }

    /// Wait-free lookup (the paper's `contains`): the node of `key` if it was
    /// live when its flags were read. No lock, no retry, no RMW.
    ///
    /// Each step branches on one `cmp` tested with `is_lt`/`is_gt` (see
    /// `find`): 327 instead of 433 instructions per `get` of 8 hot keys of
    /// 65,536 `u64` keys (cachegrind), with the same comparisons as before.
    #[inline]
    pub(crate) fn get<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> Option<NodeRef<'g, K, S>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut pred = self.head(guard);
        let levels = self.search_levels(1);
        let prefetch = self.is_large();
        for level in (0..levels).rev() {
            let mut curr = pred.next_ref(level);
            while let Some(c) = curr {
                if prefetch {
                    pred.prefetch_below(level);
                }
                // SAFETY: reached through a link: not the head.
                let order = unsafe { c.key() }.borrow().cmp(key);
                // `is_lt`/`is_gt` rather than a `match` (see `find`).
                if order.is_lt() {
                    pred = c;
                    curr = c.next_ref(level);
                } else if order.is_gt() {
                    break;
                } else {
                    return if c.is_live() {
                        Some(c)
                    } else if c.state().is_replaced() {
                        // The key stayed present: it is in the node that
                        // replaced this one (`replace.rs`), linked from it
                        // at level 0 before the mark we just read.
                        cover!(paths::LOOKUP_FOLLOWED_REPLACEMENT);
                        c.next_ref(0)
                    } else {
                        cover!(paths::LOOKUP_SAW_NOT_LIVE);
                        None
                    };
                }
            }
        }
        None
    }

    /// Lock the distinct predecessors of levels `0..height` bottom-up and
    /// validate each level with `lazy::validate`: `expect(level)` is the
    /// successor the level must still have, and `check_succ` says whether
    /// that successor must be unmarked (inserts) or not (removes, whose
    /// victim is already marked). On failure the locks are released, and if
    /// a marked node was the cause, this waits for its remover to finish
    /// (its lock is held until it is unlinked) instead of letting the caller
    /// spin through searches that would meet it again.
    pub(super) fn lock_preds<'g>(
        search: &Search<'g, K, S>,
        height: usize,
        expect: impl Fn(usize) -> *mut Node<K, S>,
        check_succ: bool,
    ) -> Option<PredLocks<'g>> {
        let mut locks: PredLocks<'g> = Default::default();
        let mut previous: Option<NodeRef<'g, K, S>> = None;
        // On a failed validation: `Some(node)` when `node` (a predecessor or
        // successor) was found marked, `None` when a link had changed.
        let mut failed: Option<Option<NodeRef<'g, K, S>>> = None;
        for (level, lock) in locks.iter_mut().enumerate().take(height) {
            let pred = search.preds[level];
            // Predecessors go leftwards (to smaller keys) as levels go up, so
            // a repeated predecessor is the one of the level below. Locks are
            // taken in decreasing key order, as everywhere in the skiplist.
            if previous != Some(pred) {
                *lock = Some(pred.state().lock());
                previous = Some(pred);
            }
            let succ_raw = expect(level);
            // SAFETY: the successor was read from a link while pinned.
            let succ = NonNull::new(succ_raw).map(|p| unsafe { NodeRef::new(p) });
            let succ_state = if check_succ {
                succ.map(NodeRef::state)
            } else {
                None
            };
            if !lazy::validate(pred.state(), pred.link(level), succ_raw, succ_state) {
                failed = Some(if pred.state().is_marked() {
                    Some(pred)
                } else {
                    succ.filter(|s| check_succ && s.state().is_marked())
                });
                break;
            }
        }
        let Some(marked) = failed else {
            return Some(locks);
        };
        // The locks are released before waiting.
        drop(locks);
        cover!(crate::lazy::paths::VALIDATION_FAILED);
        if let Some(node) = marked {
            Self::wait_for_owner(node);
        }
        None
    }

    /// Insert `key` if absent; otherwise do what `existing` says with the
    /// present node. Returns the node and the value it holds for the caller.
    pub(crate) fn insert<'g>(
        &'g self,
        key: K,
        value: Option<S::Value>,
        make_value: Option<impl FnOnce() -> S::Value>,
        mut existing: impl FnMut(
            NodeRef<'g, K, S>,
            &mut Option<S::Value>,
            &'g Guard,
        ) -> Existing<S::Value>,
        guard: &'g Guard,
    ) -> (NonNull<Node<K, S>>, NonNull<S::Value>)
    where
        K: Ord,
        S: Payload,
    {
        let height = random_height();
        let mut key = Some(key);
        let mut value = value;
        let mut make_value = make_value;
        // The new node, once built: private until linked; freed (keeping the
        // key and value) if the key turns out to be present after all, and
        // with them if a retry search's `Ord` panics.
        let mut node = Unpublished(None);
        loop {
            let search = {
                // SAFETY: `n` is our private node, which holds a key.
                let search_key = node.0.map_or_else(
                    || key.as_ref().expect("the key or the node"),
                    |n| unsafe { n.key() },
                );
                self.find(search_key, height, guard)
            };
            if let Some(level) = search.found {
                let found = search.succ(level).expect("found implies a node");
                if let Some(n) = node.0.take() {
                    // SAFETY: never published: only this thread has it.
                    let (k, v) = unsafe { Node::into_parts(n.ptr()) };
                    key = Some(k);
                    value = Some(v);
                }
                if found.state().is_marked() {
                    cover!(paths::INSERT_WAITED_FOR_REMOVER);
                    Self::wait_for_owner(found);
                    continue;
                }
                if !found.state().is_fully_linked() {
                    cover!(paths::INSERT_WAITED_FOR_INSERTER);
                    Self::wait_for_owner(found);
                    continue;
                }
                match existing(found, &mut value, guard) {
                    Existing::Done(v) => return (found.ptr(), v),
                    Existing::Retry => continue,
                    Existing::Replace(_, retirable) => {
                        // The node's value is immutable, so "still the
                        // value `existing` approved" is "still unmarked",
                        // which `replace` checks under the node's lock.
                        let k = key.take().expect("the key is ours again");
                        let v = value.take().expect("a replacing insert has a value");
                        // SAFETY: `found` was fully linked under `guard` and
                        // holds `k`'s key.
                        match unsafe { self.replace(search, found, k, v, retirable, guard) } {
                            Ok(replaced) => return replaced,
                            Err((k, v)) => {
                                key = Some(k);
                                value = Some(v);
                                continue;
                            }
                        }
                    }
                }
            }
            // Absent: build the node outside any lock (`make_value` is user
            // code and may panic or use this map).
            let new = *node.0.get_or_insert_with(|| {
                let v = value
                    .take()
                    .unwrap_or_else(|| (make_value.take().expect("a value is made once"))());
                let k = key.take().expect("the key moves once");
                // SAFETY: a fresh allocation, private to this thread until
                // linked, freed only by its remover or the list's drop.
                unsafe { NodeRef::new(Node::new(k, v, height)) }
            });
            let Some(pred_locks) =
                Self::lock_preds(&search, height, |level| search.succs[level], true)
            else {
                continue;
            };
            // The new node's lock is held from before its first link until it
            // is fully linked, so that whoever meets it half-linked can wait
            // for it (`wait_for_owner`). It is private, so this never blocks.
            let new_lock = new.state().lock();
            for level in 0..height {
                // memory ordering: the node is private; the Release stores
                // below publish these.
                new.link(level)
                    .store(search.succs[level], Ordering::Relaxed);
            }
            // The entry shows the value this call inserted, read before the
            // node is published (a concurrent replacement may follow at once).
            // SAFETY: the node holds a payload (not the head).
            let value = unsafe { new.node().payload_unchecked() }.load(guard);
            // memory ordering: the load and the `fetch_max` are a hint (see
            // `search_levels`).
            if height > self.levels.load(Ordering::Relaxed) {
                self.levels.fetch_max(height, Ordering::Relaxed);
            }
            for level in 0..height {
                // memory ordering: Release publishes the node's key, value
                // and tower to traversals' Acquire loads of this link.
                search.preds[level]
                    .link(level)
                    .store(new.raw(), Ordering::Release);
            }
            // The linearization point of a successful insert: from here on
            // lookups that reach the node report the key present.
            new.state().set_fully_linked();
            node.0 = None; // published: no longer ours to free
            drop(new_lock);
            drop(pred_locks);
            self.count(height, true);
            return (new.ptr(), value);
        }
    }

    /// Unlink and hand out the first node, with exclusive access.
    pub(crate) fn pop_front_mut(&mut self) -> Option<NonNull<Node<K, S>>> {
        // SAFETY: with `&mut self` no other thread can reach the list; the
        // head is alive.
        let head = unsafe { NodeRef::<K, S>::new(self.head) };
        let first = head.next_ref(0)?;
        for level in 0..first.height() {
            // memory ordering: `&mut self`: no concurrent access. With no
            // update in flight the first node at level 0 is first at each of
            // its levels.
            let succ = first.link(level).load(Ordering::Relaxed);
            head.link(level).store(succ, Ordering::Relaxed);
        }
        self.count(first.height(), false);
        Some(first.ptr())
    }

    /// Take the first node's key and value, with exclusive access.
    pub(crate) fn pop_front_parts(&mut self) -> Option<(K, S::Value)>
    where
        S: Payload,
    {
        let node = self.pop_front_mut()?;
        // SAFETY: unlinked with exclusive access: ours alone.
        Some(unsafe { Node::into_parts(node) })
    }
}

/// Retire a removed node's allocation.
///
/// # Safety
/// `node` was unlinked at every level by the caller, who won its mark; its
/// contents may be dropped on any thread.
pub(super) unsafe fn retire_node<K, S>(node: *mut Node<K, S>, guard: &Guard) {
    /// # Safety
    /// `node` is unreachable, retired once, not the head.
    unsafe fn destroy<K, S>(node: *mut Node<K, S>) {
        // SAFETY: forwarded contract.
        unsafe { Node::destroy(node) }
    }
    // SAFETY: the caller's contract: no thread pinning later can reach the
    // node, it is retired once, and `K`, `S` may be dropped anywhere.
    unsafe { lazy::retire(guard, node, destroy::<K, S>) }
}

impl<K, S> Drop for RawSkipList<K, S> {
    fn drop(&mut self) {
        /// # Safety
        /// `node` was unlinked with exclusive access: no one else can reach
        /// it, and it is destroyed once.
        unsafe fn destroy<K, S>(node: NonNull<Node<K, S>>) {
            // SAFETY: the caller's contract; `node` is not the head.
            unsafe { Node::destroy(node.as_ptr()) }
        }
        /// # Safety
        /// Called once, with no node linked.
        unsafe fn destroy_head<K, S>(list: &mut RawSkipList<K, S>) {
            // SAFETY: the caller's contract; the head came from `new_head`.
            unsafe { Node::destroy_head(list.head) }
        }
        // SAFETY: `pop_front_mut` unlinks each node with exclusive access
        // before handing it out; `drain` calls `destroy_head` once, when
        // nothing is left linked.
        unsafe { lazy::drain(self, Self::pop_front_mut, destroy, destroy_head) }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::lazy::EntryNode;
    use crate::skiplist::node::NoValue;
    use crate::sync::epoch;

    fn insert(list: &RawSkipList<u64, NoValue>, key: u64) {
        let guard = epoch::pin();
        list.insert(
            key,
            Some(()),
            None::<fn()>,
            |node, _, guard| Existing::Done(node.node().load_value(guard)),
            &guard,
        );
    }

    /// The tall-node sample behind `is_large` follows inserts, removes and
    /// both kinds of pop, so the prefetch switch tracks the size and does
    /// not drift: large at 2^18 entries, back to a count of zero when empty.
    #[test]
    #[cfg_attr(miri, ignore = "2^18 inserts")]
    fn the_tall_node_sample_tracks_the_size() {
        let mut list = RawSkipList::<u64, NoValue>::new();
        let n = 1u64 << 18;
        for key in 0..n {
            insert(&list, key);
        }
        let tall = list.tall.load(Ordering::Relaxed);
        let expected = n as usize / TALL_ONE_IN;
        assert!(
            tall > expected / 2 && tall < expected * 2,
            "{tall} tall nodes among {n}, expected about {expected}"
        );
        assert!(list.is_large(), "2^18 entries are not large");
        let guard = epoch::pin();
        for key in (0..n).step_by(2) {
            // SAFETY: `u64` and `NoValue` may be dropped on any thread.
            assert!(unsafe { list.remove(&key, &guard) }.is_some());
        }
        for _ in 0..n / 4 {
            // SAFETY: as above.
            assert!(unsafe { list.pop_front(&guard) }.is_some());
        }
        drop(guard);
        assert!(!list.is_large(), "2^16 entries are large");
        while list.pop_front_parts().is_some() {}
        assert_eq!(list.tall.load(Ordering::Relaxed), 0);
        assert_eq!(list.len(), 0);
    }
}
