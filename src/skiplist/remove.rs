//! Removal from the lazy skiplist: the paper's `remove`, and the pops at
//! either end built on it.
//!
//! A remove finds its victim by a lock-free search, then, in order:
//!
//! ```text
//!   1. check    victim fully linked, unmarked, found at its top level
//!   2. lock     victim's lock; still unmarked? (else another remover won)
//!   3. mark     victim: marked                ← linearization point
//!   4. validate lock preds[l] (bottom-up), check preds[l] unmarked and
//!               preds[l].next[l] == victim, every level of its tower
//!               failed: release them, search again keeping the mark
//!               (`search_marked`, `unwind.rs`), back to 4
//!   5. unlink   preds[l].next[l] = victim.next[l], top level first
//!   6. retire   victim, through the epoch (readers may stand on it)
//! ```
//!
//! Only the thread that marked a node unlinks it, so each node is retired
//! once. The victim's own links are never changed: a traversal standing on
//! it still reaches its successors. `pop_front` marks the first node under
//! the head's lock (so no smaller key can be inserted meanwhile);
//! `pop_back` removes the last node through the same steps, checking under
//! its lock that nothing was appended after it.

use core::borrow::Borrow;

use super::node::NodeRef;
#[cfg(loom)]
use super::paths;
use super::raw::{retire_node, RawSkipList};
use super::unwind::{self, Interrupted};
use crate::lazy::{self, NodeLockGuard};
use crate::sync::atomic::Ordering;
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// How a removal of one chosen node ended.
enum Removal<'g, K, S> {
    /// This call marked, unlinked and retired the node.
    Removed(NodeRef<'g, K, S>),
    /// Nothing to remove (absent, not yet inserted, or another remover won).
    Absent,
    /// The extra condition checked under the victim's lock failed.
    Refused,
}

impl<K, S> RawSkipList<K, S> {
    /// Remove the live node of `key`, if any; the returned node is marked,
    /// unlinked and retired (still readable under `guard`).
    ///
    /// # Safety
    /// `K` and the payload are `Send + 'static` (the node is retired).
    pub(crate) unsafe fn remove<'g, Q>(
        &'g self,
        key: &Q,
        guard: &'g Guard,
    ) -> Option<NodeRef<'g, K, S>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        // SAFETY: forwarded contract.
        match unsafe { self.remove_found(key, None, |_| true, guard) } {
            Removal::Removed(node) => Some(node),
            Removal::Absent | Removal::Refused => None,
        }
    }

    /// Remove exactly `target` (an entry's node), if it is still live.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove); `target` was fully linked.
    pub(crate) unsafe fn remove_node<'g>(
        &'g self,
        target: NodeRef<'g, K, S>,
        guard: &'g Guard,
    ) -> bool
    where
        K: Ord,
    {
        // SAFETY: forwarded contract; an entry's node holds a key.
        let key = unsafe { target.key() };
        // SAFETY: forwarded contract.
        let removal = unsafe { self.remove_found(key, Some(target), |_| true, guard) };
        matches!(removal, Removal::Removed(_))
    }

    /// The paper's `remove`, for the node of `key` (or exactly `target`):
    /// proceed only for a fully linked, unmarked node found at its top level;
    /// lock it, check `allow` under its lock, mark it (the linearization
    /// point), then lock and validate its predecessors and unlink it top-down,
    /// searching again (keeping the mark) until validation succeeds.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    unsafe fn remove_found<'g, Q>(
        &'g self,
        key: &Q,
        target: Option<NodeRef<'g, K, S>>,
        allow: impl Fn(NodeRef<'g, K, S>) -> bool,
        guard: &'g Guard,
    ) -> Removal<'g, K, S>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut at_least = 1;
        let mut victim: Option<(NodeRef<'g, K, S>, NodeLockGuard<'g>)> = None;
        let mut panicked: Interrupted = None;
        loop {
            let search = match &victim {
                // After the mark no user code may stop the unlink
                // (`unwind.rs`).
                Some((node, _)) => self.search_marked(key, *node, &mut panicked, guard),
                None => self.find(key, at_least, guard),
            };
            if victim.is_none() {
                let candidate = search.found.and_then(|l| Some((l, search.succ(l)?)));
                let (level, candidate) = match (candidate, target) {
                    (Some((l, c)), None) => (l, c),
                    (Some((l, c)), Some(t)) if c == t => (l, c),
                    (_, Some(t)) => {
                        // The target is not where a live node of its key
                        // would be: it has been removed (or is being).
                        if t.state().is_marked() {
                            return Removal::Absent;
                        }
                        cover!(paths::ENTRY_REMOVE_STALE);
                        crate::sync::spin_loop();
                        continue;
                    }
                    (None, None) => return Removal::Absent,
                };
                if candidate.height() > search.levels {
                    // The search started below the candidate's top level (the
                    // level hint was stale): search again from its top.
                    at_least = candidate.height();
                    continue;
                }
                let state = candidate.state();
                if !state.is_fully_linked() || state.is_marked() || level + 1 != candidate.height()
                {
                    // Not inserted yet, or being removed by another thread, or
                    // inserted after our search passed its top level: the
                    // remove linearizes before that insert, or after that
                    // remove. An entry's target is fully linked, so only a
                    // mark ends its removal.
                    if target.is_some() && !state.is_marked() {
                        continue;
                    }
                    if target.is_none() && state.is_replaced() {
                        // The key is still present, in the replacing node:
                        // wait for the replacer to finish and search again.
                        cover!(paths::REMOVE_SAW_REPLACED);
                        Self::wait_for_owner(candidate);
                        continue;
                    }
                    cover!(paths::REMOVE_SAW_NOT_LIVE);
                    return Removal::Absent;
                }
                let held = state.lock();
                if state.is_marked() {
                    if target.is_none() && state.is_replaced() {
                        // As above; the replacer has finished (we hold the
                        // lock it held).
                        cover!(paths::REMOVE_SAW_REPLACED);
                        drop(held);
                        continue;
                    }
                    // Another remover won the mark: exactly one remover wins.
                    cover!(paths::REMOVE_LOST_RACE);
                    return Removal::Absent;
                }
                if !allow(candidate) {
                    return Removal::Refused;
                }
                // The linearization point of the remove: from here on the key
                // is absent, and only this thread (holding the lock, having
                // seen the node unmarked) can get here for this node.
                state.mark(&held);
                victim = Some((candidate, held));
                at_least = candidate.height();
            }
            let (node, _held) = victim.as_ref().expect("a marked victim");
            let node = *node;
            let height = node.height();
            if search.levels < height {
                continue;
            }
            let Some(pred_locks) = Self::lock_preds(&search, height, |_| node.raw(), false) else {
                cover!(paths::REMOVE_REVALIDATED);
                continue;
            };
            for level in (0..height).rev() {
                // memory ordering: the victim's links change only under its
                // lock, which we hold; Release so that a traversal reading
                // the successor here sees it initialised (we synchronised
                // with its linker through the locks). The victim's own links
                // are left as they are: readers may be standing on it.
                let succ = node.link(level).load(Ordering::Relaxed);
                search.preds[level]
                    .link(level)
                    .store(succ, Ordering::Release);
            }
            drop(pred_locks);
            drop(victim);
            self.count(height, false);
            // SAFETY: unlinked at every level just now by the thread that won
            // the mark (so retired once); the caller guarantees the contents
            // may be dropped on any thread. The pointer was read from a link.
            unsafe { retire_node(node.raw(), guard) };
            unwind::resume(panicked);
            return Removal::Removed(node);
        }
    }

    /// Remove the first live node (linearizable: the head's lock is held when
    /// the node is marked, so no smaller key can be inserted meanwhile).
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    pub(crate) unsafe fn pop_front<'g>(&'g self, guard: &'g Guard) -> Option<NodeRef<'g, K, S>> {
        let head = self.head(guard);
        loop {
            let first = head.next_ref(0)?;
            let state = first.state();
            if !state.is_fully_linked() || state.is_marked() {
                cover!(paths::POP_WAITED);
                Self::wait_for_owner(first);
                continue;
            }
            // Locks in decreasing key order: the node, then the head.
            let held = state.lock();
            if state.is_marked() {
                continue;
            }
            let head_lock = head.state().lock();
            let height = first.height();
            // Under the head's lock the first node's links from the head are
            // stable; a node is linked at a level only while it is linked at
            // level 0, so it is first at every level iff it is first at 0.
            if (0..height)
                .any(|level| !lazy::validate(head.state(), head.link(level), first.raw(), None))
            {
                cover!(crate::lazy::paths::VALIDATION_FAILED);
                continue;
            }
            state.mark(&held);
            for level in (0..height).rev() {
                // memory ordering: as in `remove_found`.
                let succ = first.link(level).load(Ordering::Relaxed);
                head.link(level).store(succ, Ordering::Release);
            }
            drop(head_lock);
            drop(held);
            self.count(height, false);
            // SAFETY: as in `remove_found`.
            unsafe { retire_node(first.raw(), guard) };
            return Some(first);
        }
    }

    /// Remove the last live node (linearizable: the node's own lock, held
    /// when it is marked, keeps anything from being appended after it).
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    pub(crate) unsafe fn pop_back<'g>(&'g self, guard: &'g Guard) -> Option<NodeRef<'g, K, S>>
    where
        K: Ord,
    {
        loop {
            let (last, _) = self.search_by(|_| true, guard);
            if self.is_head(last) {
                // The head's level-0 link read null: empty at that moment.
                return None;
            }
            if !last.is_live() {
                cover!(paths::POP_WAITED);
                Self::wait_for_owner(last);
                continue;
            }
            // SAFETY: not the head.
            let key = unsafe { last.key() };
            // memory ordering: `last.next[0]` changes only under `last`'s
            // lock, which `allow` runs under.
            let still_last = |n: NodeRef<'g, K, S>| n.link(0).load(Ordering::Relaxed).is_null();
            // SAFETY: forwarded contract.
            match unsafe { self.remove_found(key, Some(last), still_last, guard) } {
                Removal::Removed(node) => return Some(node),
                Removal::Absent | Removal::Refused => {
                    cover!(paths::POP_WAITED);
                    continue;
                }
            }
        }
    }
}
