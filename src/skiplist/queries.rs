//! The ordered queries of the skiplist: walks at level 0 (weakly consistent,
//! for iterators) and the validated level-0 windows behind `lower_bound`,
//! `upper_bound`, `front`, `back` and ranges (linearizable).
//!
//! A bound query searches without locks like a lookup, but by a predicate on
//! keys rather than by one key, and then validates the window it ends in at
//! one moment, as the lazy list's updates do, without taking a lock:
//!
//! ```text
//!   pred ──next[0]──▶ curr        before(pred.key) && !before(curr.key)
//!   1. pred and curr fully linked   (else wait for the inserter, retry)
//!   2. pred.next[0] == curr again   (the linearization point)
//!   3. pred and curr unmarked after (else wait for the remover, retry)
//! ```

use core::ptr;

use super::node::{Node, NodeRef};
#[cfg(loom)]
use super::paths;
use super::raw::{linked, RawSkipList};
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// A level-0 window `(pred, curr)`: `None` for the head and for the end.
type Window<'g, K, S> = (Option<NodeRef<'g, K, S>>, Option<NodeRef<'g, K, S>>);

impl<K, S> RawSkipList<K, S> {
    /// The first node from `node` on (inclusive) at level 0 that is live,
    /// following `next` pointers: weakly consistent (see the module doc).
    ///
    /// A node still being inserted (linked at level 0, not yet fully
    /// linked) is waited for, not skipped: its inserter holds its lock until
    /// the node is fully linked. Skipping it would let a walk that reads its
    /// flag before its inserter finishes, and its link after, return a key
    /// inserted *later* (by the same writer, say) while missing this one: a
    /// resumed iterator following an appending writer would skip a key.
    pub(crate) fn live_from<'g>(
        mut node: Option<NodeRef<'g, K, S>>,
        _guard: &'g Guard,
    ) -> Option<NodeRef<'g, K, S>> {
        while let Some(n) = node {
            if n.is_live() {
                return Some(n);
            }
            // Not live and not marked: not fully linked yet.
            if !n.state().is_marked() {
                cover!(paths::WALK_WAITED_FOR_INSERTER);
                Self::wait_for_owner(n);
                if n.is_live() {
                    return Some(n);
                }
            }
            node = n.next_ref(0);
        }
        None
    }

    /// The first live node after `node`.
    pub(crate) fn live_after<'g>(
        node: NodeRef<'g, K, S>,
        guard: &'g Guard,
    ) -> Option<NodeRef<'g, K, S>> {
        Self::live_from(node.next_ref(0), guard)
    }

    /// The first node at level 0, whatever its state.
    pub(crate) fn first<'g>(&'g self, guard: &'g Guard) -> Option<NodeRef<'g, K, S>> {
        self.head(guard).next_ref(0)
    }

    /// Search without locks, at level 0, for the window where `before`
    /// turns false: `before(pred.key) && !before(curr.key)`.
    pub(super) fn search_by<'g>(
        &'g self,
        mut before: impl FnMut(&K) -> bool,
        guard: &'g Guard,
    ) -> (NodeRef<'g, K, S>, *mut Node<K, S>) {
        let mut pred = self.head(guard);
        let mut curr = ptr::null_mut();
        for level in (0..self.search_levels(1)).rev() {
            curr = pred.next(level);
            while let Some(c) = linked(curr, guard) {
                // SAFETY: `c` was reached through a link: not the head.
                if !before(unsafe { c.key() }) {
                    break;
                }
                pred = c;
                curr = c.next(level);
            }
        }
        (pred, curr)
    }

    /// The search plus validation used by ordered queries: a level-0 window
    /// `pred → curr` that was a real edge, with both ends live (or the head,
    /// or the end), at one moment: the second read of `pred.next[0]`. So the
    /// answer is linearizable. Waits for and retries around nodes being
    /// inserted or removed.
    pub(crate) fn stable_window<'g>(
        &'g self,
        mut before: impl FnMut(&K) -> bool,
        guard: &'g Guard,
    ) -> Window<'g, K, S> {
        'retry: loop {
            let (pred, curr_raw) = self.search_by(&mut before, guard);
            let curr = linked(curr_raw, guard);
            let pred = (!self.is_head(pred)).then_some(pred);
            // 1. Both ends fully linked (a flag never cleared: true now means
            //    true at the re-read below).
            for end in [pred, curr].into_iter().flatten() {
                if !end.state().is_fully_linked() {
                    cover!(paths::ORDERED_QUERY_RETRIED);
                    Self::wait_for_owner(end);
                    continue 'retry;
                }
            }
            // 2. The edge still there: the linearization point.
            let pred_links = pred.unwrap_or(self.head(guard));
            if pred_links.next(0) != curr_raw {
                cover!(paths::ORDERED_QUERY_RETRIED);
                continue;
            }
            // 3. Both ends unmarked after it (marks are never cleared, so
            //    unmarked then): `pred` was reachable, so the edge was real.
            for end in [pred, curr].into_iter().flatten() {
                if end.state().is_marked() {
                    cover!(paths::ORDERED_QUERY_RETRIED);
                    Self::wait_for_owner(end);
                    continue 'retry;
                }
            }
            return (pred, curr);
        }
    }
}
