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
//!
//! One case does not nest: in a thread-local destructor that runs after
//! crossbeam-epoch's own thread-local handle is gone, every `pin()`
//! registers a fresh participant pinned at the *current* epoch, and dropping
//! the original entry would then end the only pin that covers what it
//! found. [`pin_again`] detects that case (`epoch::is_pinned()` is false
//! while this thread holds a guard) and proves the new entry's node and
//! value safe under the new pin instead: still unmarked and still the
//! node's value after it, so retired (if ever) after it. A node removed
//! meanwhile cannot be proven so, and there the new entry is refused with a
//! panic rather than handed out unprotected.

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
        // SAFETY: `self.guard` protects `node` during this call (our
        // contract); `pin_again` gives a guard that keeps protecting it.
        let guard = unsafe { pin_again(node, None) };
        // SAFETY: `pin_again`'s guard covers `node` (its contract).
        unsafe { Self::new(guard, node) }
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
            // SAFETY: `self.guard` protects the node and the value during
            // this call.
            guard: unsafe { pin_again(self.node, Some(self.value)) },
        }
    }
}

/// A guard for a second entry made on this thread from `node`, which a guard
/// the thread holds protects: normally a nested `epoch::pin()`, which keeps
/// the held guard's epoch.
///
/// In a thread-local destructor that runs after crossbeam-epoch's own
/// thread-local handle was destroyed, `pin()` does not nest: each call pins
/// a fresh participant at the current epoch, and the original guard may be
/// dropped before the new one. There the new guard protects `node` only if
/// `node` was still reachable after the new pin: it is not marked (a node is
/// marked before it is unlinked and retired) and, when `value` is given,
/// `value` is still the node's value (a replaced value is retired after it
/// leaves the node). Checked after pinning; read before the original guard
/// can go, so no reuse of an address can fool the comparison.
///
/// # Panics
/// In that thread-local-destructor case only, if `node` was removed or its
/// value replaced: no guard this thread can take would protect it.
///
/// # Safety
/// A guard this thread holds for the whole call protects `node` (and
/// `value`).
pub(crate) unsafe fn pin_again<N: EntryNode>(
    node: NonNull<N>,
    value: Option<NonNull<N::Value>>,
) -> Guard {
    if epoch::is_pinned() {
        return epoch::pin();
    }
    let guard = epoch::pin();
    // SAFETY: the caller's guard keeps `node` allocated during this call.
    let node = unsafe { node.as_ref() };
    let reachable =
        !node.state().is_marked() && value.is_none_or(|value| node.load_value(&guard) == value);
    assert!(
        reachable,
        "lazuli: an entry of a removed node cannot be cloned or stepped from \
         in a thread-local destructor that runs after crossbeam-epoch's \
         thread-local handle was destroyed (no pin there outlives the original)"
    );
    guard
}

impl<N: EntryNode> core::fmt::Debug for PinnedEntry<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PinnedEntry")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}
