//! The guard-scoped entry: a pinned reference to a lazy node.
//!
//! An entry owns an epoch [`Guard`]. While the entry lives, the thread stays
//! pinned, so the node it points to, the value box it read, and every node
//! reachable from them by `next` pointers stay allocated, even if they are
//! removed and retired meanwhile. No reference count is touched: taking an
//! entry costs one `epoch::pin()` (a thread-local increment when the thread is
//! already pinned), and dropping it one unpin.
//!
//! The price is paid by reclamation: while any entry or iterator of a thread
//! is alive, nothing retired anywhere after that thread pinned can be freed,
//! so a long-lived entry makes garbage accumulate (it is freed once the entry
//! is dropped). And since a guard belongs to its thread, entries are neither
//! `Send` nor `Sync`.
//!
//! Why nodes reached from an entry are safe: an entry is created only for a
//! node that was reachable at some moment after its guard pinned (or that was
//! reached from such a node by `next` pointers). A node is unlinked with its
//! `next` frozen at a successor that was reachable at that moment, which is
//! later than the pin; so, by induction, every node met along `next` pointers
//! was reachable after the pin, hence retired after it, hence not yet freed.
//! Clones and neighbours pin again on the same thread while the original
//! guard is held, which keeps the original pin's epoch (crossbeam-epoch nests
//! guards), so the argument carries over to them.

use core::ptr::NonNull;

use super::state::NodeState;
use super::value::ValueSlot;
use crate::sync::epoch::{self, Guard};

/// What the entry machinery needs to know about a node type.
pub trait LazyNode {
    /// The key type.
    type Key;
    /// The value type.
    type Value;
    /// The node's key (immutable for the node's life).
    fn key(&self) -> &Self::Key;
    /// The node's lock and flags.
    fn state(&self) -> &NodeState;
    /// The node's value slot.
    fn value_slot(&self) -> &ValueSlot<Self::Value>;
}

/// What an entry needs from a node: its key, its flags, and its current
/// value. Every [`LazyNode`] is one (its value lives in its [`ValueSlot`]);
/// a node type that keeps no value slot implements this directly (the
/// skiplist's set nodes, whose value is `()` and stored nowhere, so that a
/// set entry costs no pointer).
pub trait EntryNode {
    /// The key type.
    type Key;
    /// The value type.
    type Value;
    /// The node's key (immutable for the node's life).
    fn key(&self) -> &Self::Key;
    /// The node's lock and flags.
    fn state(&self) -> &NodeState;
    /// The node's current value; it stays valid while `guard` pins (and the
    /// node itself is protected by that guard).
    fn load_value(&self, guard: &Guard) -> NonNull<Self::Value>;
}

impl<N: LazyNode> EntryNode for N {
    type Key = N::Key;
    type Value = N::Value;
    #[inline]
    fn key(&self) -> &N::Key {
        LazyNode::key(self)
    }
    #[inline]
    fn state(&self) -> &NodeState {
        LazyNode::state(self)
    }
    #[inline]
    fn load_value(&self, guard: &Guard) -> NonNull<N::Value> {
        self.value_slot().load(guard)
    }
}

/// A pinned reference to a node and to the value it held when the entry was
/// made (see the module doc).
pub(crate) struct PinnedEntry<N: EntryNode> {
    node: NonNull<N>,
    value: NonNull<N::Value>,
    guard: Guard,
}

impl<N: EntryNode> PinnedEntry<N> {
    /// An entry for `node`, showing its current value.
    ///
    /// # Safety
    /// `node` was reachable at some moment after `guard` pinned, or was
    /// reached by `next` pointers from such a node (see the module doc).
    #[inline]
    pub(crate) unsafe fn new(guard: Guard, node: NonNull<N>) -> Self {
        // SAFETY: the caller's contract keeps the node allocated while
        // `guard` lives.
        let value = unsafe { node.as_ref() }.load_value(&guard);
        Self { node, value, guard }
    }

    /// An entry for `node` showing `value`, a value this thread just
    /// installed in it.
    ///
    /// # Safety
    /// As for [`new`](Self::new); `value` was in `node`'s slot at some moment
    /// after `guard` pinned.
    #[inline]
    pub(crate) unsafe fn with_value(
        guard: Guard,
        node: NonNull<N>,
        value: NonNull<N::Value>,
    ) -> Self {
        Self { node, value, guard }
    }

    /// An entry for a node reached from this entry's node (or found while this
    /// entry's guard is held), sharing this thread's pin.
    ///
    /// # Safety
    /// `node` satisfies [`new`](Self::new)'s contract with respect to this
    /// entry's guard.
    #[inline]
    pub(crate) unsafe fn neighbour(&self, node: NonNull<N>) -> Self {
        // SAFETY: nested pin on the same thread keeps the epoch of
        // `self.guard`, so the contract carries over.
        unsafe { Self::new(epoch::pin(), node) }
    }

    /// The node.
    #[inline]
    pub(crate) fn node(&self) -> &N {
        // SAFETY: the node stays allocated while `self.guard` pins (contract
        // of the constructors).
        unsafe { self.node.as_ref() }
    }

    /// The node pointer.
    #[inline]
    pub(crate) fn node_ptr(&self) -> NonNull<N> {
        self.node
    }

    /// The key.
    #[inline]
    pub(crate) fn key(&self) -> &N::Key {
        self.node().key()
    }

    /// The value the entry was made with (it does not change when the node's
    /// value is later replaced).
    #[inline]
    pub(crate) fn value(&self) -> &N::Value {
        // SAFETY: the box was in the node's slot after the pin; if it has
        // been replaced since, it was retired after the pin and is not freed
        // while `self.guard` lives.
        unsafe { self.value.as_ref() }
    }

    /// Whether the node has been removed (marked).
    #[inline]
    pub(crate) fn is_removed(&self) -> bool {
        self.node().state().is_marked()
    }

    /// The entry's guard, for operations that start from this entry.
    #[inline]
    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }
}

impl<N: EntryNode> Clone for PinnedEntry<N> {
    fn clone(&self) -> Self {
        Self {
            node: self.node,
            value: self.value,
            guard: epoch::pin(),
        }
    }
}

impl<N: EntryNode> core::fmt::Debug for PinnedEntry<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PinnedEntry")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}
