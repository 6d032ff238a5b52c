//! The replacing insert of skiplist maps: a new node, holding the new value
//! inline, takes the old node's place in one critical section.
//!
//! A map node keeps its value inline (`node::Inline`), immutable for the
//! node's life, so a reader's `&V` needs no box and no second allocation.
//! Replacing a present key's value therefore replaces its node. Done
//! naively (remove, then insert), a concurrent lookup could find neither
//! node and report a key absent that was present throughout:
//! crossbeam-skiplist 0.1.3's bug #1023. Here the key is never absent:
//!
//! ```text
//!   before          preds[l] ──▶ old(k, v1) ──▶ succ[l]
//!   1. build        new(k, v2), height of old, next[l] = old.next[l],
//!                   fully linked, locked (private until step 2)
//!   2. forward      old.next[0] ──▶ new        (old's lock held)
//!   3. mark         old: marked | replaced     ← linearization point
//!   4. swing        preds[l] ──▶ new ──▶ succ[l], every level
//!                   (predecessors locked and validated, as a remove does)
//!   5. retire       old, through the epoch, with v1
//! ```
//!
//! | who meets `old` | after step 3 it |
//! |---|---|
//! | a lookup of `k` (`get`) | follows `old.next[0]` to `new` and reports `new`: wait-free, one extra hop |
//! | a remover of `k` | waits for `old`'s lock (held until step 4 is done) and searches again, finding `new` |
//! | a remover of exactly `old` (`Entry::remove`) | reports it gone, as for a removed node |
//! | an inserter or replacer of `k` | waits for `old`'s lock and searches again |
//! | an inserter or remover of a neighbour | fails validation against the marked `old` and searches again |
//! | an iterator | skips it (it is marked), and skips `new` when it came from `old` (same key) |
//!
//! **Why the lookup is linearizable.** A lookup that reads `old` unmarked
//! reports `v1`, which was current at that read. One that reads `old`
//! marked *replaced* reads `old.next[0]`, which is `new` (stored before the
//! mark, with Release, and never changed again: only `old`'s lock holder
//! may change it, and `old` is marked). `old` was reachable at some moment
//! of the lookup, and step 4 unlinks it before `new`'s lock is released, so
//! `new` cannot be marked (removed or replaced in its turn) before that
//! moment: `new`, with `v2`, held the key at the later of the lookup's start
//! and step 3, a moment within the lookup. So one hop suffices, whatever
//! happens to `new` afterwards.
//!
//! **Locks** are taken in decreasing key order as everywhere in the
//! skiplist: `old`, then `new` (private, so uncontended), then the
//! predecessors, whose keys are smaller.

use core::ptr::NonNull;

use super::node::{Node, NodeRef, Payload};
#[cfg(loom)]
use super::paths;
use super::raw::{retire_node, RawSkipList, Search};
use super::unwind::{self, Interrupted};
use crate::lazy::Retirable;
use crate::sync::atomic::Ordering;
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// What [`RawSkipList::replace`] came to: the new node and its value, or
/// the key and value back (the old node was marked meanwhile).
pub(super) type Replaced<K, S> =
    Result<(NonNull<Node<K, S>>, NonNull<<S as Payload>::Value>), (K, <S as Payload>::Value)>;

impl<K, S> RawSkipList<K, S> {
    /// Puts a new node of `key` and `value` in the place of `old` (see the
    /// module doc) and returns it with its value; if `old` was marked
    /// meanwhile (removed or replaced by another thread), gives `key` and
    /// `value` back for a new search.
    ///
    /// `search` is the insert's search that found `old`: its windows serve
    /// step 4's first attempt, so a replacement with no concurrent update
    /// nearby searches once, and calls `Ord` only before the mark. A retry
    /// after the mark searches again, and if `Ord` panics there the unlink
    /// is finished by pointer before the panic goes on (`unwind.rs`).
    ///
    /// # Safety
    /// `old` was found fully linked under `guard` by `search`, holding
    /// `key`'s key; `_retirable` proves that the old node may be dropped on
    /// any thread.
    pub(super) unsafe fn replace<'g>(
        &'g self,
        search: Search<'g, K, S>,
        old: NodeRef<'g, K, S>,
        key: K,
        value: S::Value,
        _retirable: Retirable,
        guard: &'g Guard,
    ) -> Replaced<K, S>
    where
        K: Ord,
        S: Payload,
    {
        let height = old.height();
        // SAFETY: a fresh allocation, private until step 2 publishes it.
        let new = unsafe { NodeRef::new(Node::new(key, value, height)) };
        let old_lock = old.state().lock();
        if old.state().is_marked() {
            drop(old_lock);
            cover!(paths::REPLACE_FOUND_MARKED);
            // SAFETY: never published: only this thread has it.
            return Err(unsafe { Node::into_parts(new.ptr()) });
        }
        let new_lock = new.state().lock();
        for level in 0..height {
            // memory ordering: `old`'s links change only under its lock,
            // which we hold, so Relaxed reads the current successor; `new`
            // is private, published by the Release store below.
            let succ = old.link(level).load(Ordering::Relaxed);
            new.link(level).store(succ, Ordering::Relaxed);
        }
        new.state().set_fully_linked();
        // SAFETY: the node holds a payload (not the head).
        let value = unsafe { new.node().payload_unchecked() }.load(guard);
        // Step 2. memory ordering: Release publishes `new`'s key, value and
        // tower to whoever loads this link with Acquire: a lookup that saw
        // `old` replaced, or a traversal passing `old` for a larger key.
        old.link(0).store(new.raw(), Ordering::Release);
        // Step 3, the linearization point.
        old.state().mark_replaced(&old_lock);
        // Step 4, as a remove unlinks its marked victim.
        // SAFETY: `old` holds a key (it is not the head).
        let key = unsafe { old.key() };
        let mut first = Some(search);
        let mut panicked: Interrupted = None;
        loop {
            // After the mark no user code may stop the unlink (`unwind.rs`).
            let search = first
                .take()
                .unwrap_or_else(|| self.search_marked(key, old, &mut panicked, guard));
            let Some(pred_locks) = Self::lock_preds(&search, height, |_| old.raw(), false) else {
                cover!(paths::REPLACE_REVALIDATED);
                continue;
            };
            for level in (0..height).rev() {
                // memory ordering: Release publishes `new` (already published
                // through `old`, but a traversal may reach it here first).
                search
                    .pred(level)
                    .link(level)
                    .store(new.raw(), Ordering::Release);
            }
            drop(pred_locks);
            break;
        }
        drop(new_lock);
        drop(old_lock);
        cover!(paths::NODE_REPLACED);
        // SAFETY: unlinked at every level just now by the thread that won
        // the mark (so retired once); `_retirable` proves `K` and the value
        // may be dropped on any thread. The pointer was read from a link.
        unsafe { retire_node(old.raw(), guard) };
        unwind::resume(panicked);
        Ok((new.ptr(), value))
    }
}
