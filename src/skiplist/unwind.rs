//! Finishing an unlink that a panicking `Ord` interrupted.
//!
//! A remove (and a replacing insert) marks its node first and unlinks it
//! after: it locks the predecessors the search found and validates them
//! (`RawSkipList::lock_preds`), and when a concurrent update nearby made
//! them stale it searches again, keeping the mark and the node's lock. That
//! second search compares keys with the user's `Ord`. If it panicked there,
//! unwinding would release the lock but leave the marked node linked at
//! every level, never to be unlinked: every later insert of its key would
//! wait for its "remover" and find it again, forever, and `len` would count
//! it.
//!
//! So the search after the mark runs under `catch_unwind`. Should it panic,
//! the windows are found by pointer instead: at each level, walk from the
//! head until a link points to the node. No key is compared: the node is
//! linked at every level of its tower until this thread unlinks it (it
//! holds the node's lock and won its mark), the head is linked at every
//! level, and a level is a sorted, acyclic list, so the walk reaches it.
//! The unlink then completes as usual (validating, walking again if a
//! neighbour moved), and only then does the panic go on: the caller's call
//! unwinds with the node out of the skiplist and retired.
//!
//! ```text
//!   level 1:  head ──────────────► [30] ─────────────────► [50]* ──► …
//!   level 0:  head ─► [10] ─► [20] ─► [30] ─► [40] ─────► [50]* ──► …
//!             walk at level 0: head, 10, 20, 30, 40: 40.next[0] == 50*
//! ```
//!
//! A walk from the head costs a pass over the level (all of it at level 0),
//! which is why it is only the fallback: the usual path is the search by
//! key, whose cost a panic-free `Ord` never changes.
//!
//! An insert meets the same search before it links anything: a node it has
//! built but not yet linked is held by an [`Unpublished`] guard, so a panic
//! in that search drops the node with its key and value instead of leaking
//! them.
//!
//! Both are loom-modelled, with the real and the modelled epoch
//! (`loom-tests/tests/skiplist_unwind.rs`): a remove, a replacing insert and
//! an insert whose `Ord` panics on meeting key 1 race an insert of key 1,
//! and each model observes all three places the panic can land (none, the
//! first search, the search after a failed validation) and checks the
//! skiplist it leaves. Paths: `UNLINKED_BY_POINTER`,
//! `UNPUBLISHED_NODE_FREED`.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use core::borrow::Borrow;
use core::ptr;

use super::node::{Node, NodeRef, MAX_HEIGHT};
#[cfg(loom)]
use super::paths;
use super::raw::{linked, RawSkipList, Search};
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// The panic a search after the mark raised, held until the unlink is done.
pub(super) type Interrupted = Option<Box<dyn Any + Send>>;

impl<K, S> RawSkipList<K, S> {
    /// The windows around `node`, which this thread has marked and still
    /// holds locked, for unlinking it: a search for `key` (the node's key),
    /// or, once the user's `Ord` has panicked in one (`panicked` holds the
    /// panic, for the caller to resume when `node` is unlinked), a walk by
    /// pointer (see the module doc).
    pub(super) fn search_marked<'g, Q>(
        &'g self,
        key: &Q,
        node: NodeRef<'g, K, S>,
        panicked: &mut Interrupted,
        guard: &'g Guard,
    ) -> Search<'g, K, S>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        if panicked.is_none() {
            // `AssertUnwindSafe`: on a panic nothing the closure touched is
            // used in a broken state. The search writes nothing shared, and
            // the caller goes on by pointer alone.
            match panic::catch_unwind(AssertUnwindSafe(|| self.find(key, node.height(), guard))) {
                Ok(search) => return search,
                Err(panic) => *panicked = Some(panic),
            }
        }
        self.search_by_pointer(node, guard)
    }

    /// The windows around `node` at each level of its tower, found without
    /// comparing keys: each level is walked from the head until a link
    /// points to `node`, which must be linked at every level of its tower
    /// (marked and locked by this thread, not yet unlinked).
    fn search_by_pointer<'g>(
        &'g self,
        node: NodeRef<'g, K, S>,
        guard: &'g Guard,
    ) -> Search<'g, K, S> {
        cover!(paths::UNLINKED_BY_POINTER);
        let head = self.head(guard);
        let height = node.height();
        let mut search = Search {
            preds: [head; MAX_HEIGHT],
            succs: [ptr::null_mut(); MAX_HEIGHT],
            levels: height,
            found: Some(height - 1),
        };
        for level in 0..height {
            let mut pred = head;
            loop {
                let next = pred.next(level);
                if next == node.raw() {
                    break;
                }
                pred = linked(next, guard).expect(
                    "a node marked and locked by this thread stays linked until it unlinks it",
                );
            }
            search.preds[level] = pred;
            search.succs[level] = node.raw();
        }
        search
    }
}

/// An insert's node while it is private (built, not yet linked): dropped
/// with its key and value if the insert unwinds, e.g. from a panicking `Ord`
/// in the search it retries after a failed validation.
pub(super) struct Unpublished<'g, K, S>(pub(super) Option<NodeRef<'g, K, S>>);

impl<K, S> Drop for Unpublished<'_, K, S> {
    fn drop(&mut self) {
        if let Some(node) = self.0.take() {
            cover!(paths::UNPUBLISHED_NODE_FREED);
            // SAFETY: never published, so only this thread can reach it; a
            // non-head node built by `Node::new`, destroyed once (taken out
            // of the option first).
            unsafe { Node::destroy(node.raw()) };
        }
    }
}

/// Resumes the panic a search after the mark raised, if any, once the node
/// it interrupted is unlinked.
pub(super) fn resume(panicked: Interrupted) {
    if let Some(panic) = panicked {
        panic::resume_unwind(panic);
    }
}
