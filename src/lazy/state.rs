//! The synchronisation state every lazy node carries: its lock and its
//! `marked` and `fully_linked` flags, plus the validation rule.
//!
//! | `fully_linked` | `marked` | node is | who moves it on |
//! |---|---|---|---|
//! | false | false | being inserted: linked at some levels, not all (skiplist only) | the inserter, which sets `fully_linked` while holding the predecessors' locks |
//! | true | false | **live**: in the abstract set | a remover, holding this node's lock, sets `marked` |
//! | true | true | **marked**: logically removed; still reachable until its remover unlinks it in the same critical section, unreachable afterwards | its remover retires it after unlinking |
//! | false | true | never happens: removers only mark fully linked nodes | |
//!
//! `marked` has two kinds (only skiplist maps use the second): *removed*
//! (the key left the set) and *replaced*, set by a replacing insert that
//! put a new node of the same key in this node's place in the same critical
//! section (`skiplist/replace.rs`). A replaced node's key stayed present
//! throughout: a lookup that finds it marked *replaced* follows its
//! bottom-level link to the node that replaced it instead of reporting the
//! key absent, and a remover searches again.
//!
//! A list node is linked by one store, so it is created fully linked.
//!
//! Both flags only ever go from false to true. `marked` is written only by the
//! holder of the node's own lock; `fully_linked` only by the node's inserter.
//! Neither is ever cleared, which is what makes a single unlocked read of a
//! flag meaningful to a lookup ("it was live at the moment I read false").

use super::lock::{NodeLock, NodeLockGuard};
use crate::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering};

/// `marked`: logically out of the set.
const MARKED: u8 = 1;
/// `marked` by a replacing insert: the key is in the replacing node.
const REPLACED: u8 = 2;

/// The lock and flags of one lazy node (see the module doc's state table).
pub struct NodeState {
    lock: NodeLock,
    /// 0, then `MARKED` (removed) or `MARKED | REPLACED`, set once by the
    /// holder of `lock`: the linearization point of a successful remove or
    /// replacement.
    marked: AtomicU8,
    /// Set (false → true) by the node's inserter once every level is linked.
    fully_linked: AtomicBool,
}

impl NodeState {
    /// The state of a node that is not yet reachable and will be fully linked
    /// by a single store (the list) or level by level (the skiplist).
    pub(crate) fn new(fully_linked: bool) -> Self {
        Self {
            lock: NodeLock::new(),
            marked: AtomicU8::new(0),
            fully_linked: AtomicBool::new(fully_linked),
        }
    }

    /// Lock the node. The guard is the proof required by [`mark`](Self::mark)
    /// and by every store to the node's `next` pointers or value slot.
    #[inline]
    pub(crate) fn lock(&self) -> NodeLockGuard<'_> {
        self.lock.lock()
    }

    /// Whether some thread holds this node's lock now (for assertions).
    pub(crate) fn is_locked(&self) -> bool {
        self.lock.is_locked()
    }

    /// Whether the node has been logically removed.
    #[inline]
    pub(crate) fn is_marked(&self) -> bool {
        // memory ordering: Acquire pairs with the Release store in `mark`;
        // a lookup that sees `true` also sees everything the remover wrote
        // before marking. A lookup that sees `false` relies only on the flag
        // never being cleared.
        self.marked.load(Ordering::Acquire) != 0
    }

    /// Whether the node was marked by a replacing insert (so its key is
    /// still present, in the node its bottom-level link points to).
    #[inline]
    pub(crate) fn is_replaced(&self) -> bool {
        // memory ordering: Acquire, as in `is_marked`: a thread that sees
        // the flag sees the link to the replacing node stored before it.
        self.marked.load(Ordering::Acquire) & REPLACED != 0
    }

    /// Logically remove the node: the linearization point of `remove`.
    ///
    /// `held` proves that the caller holds this node's lock, so no other
    /// remover can mark it too: exactly one remover wins.
    #[inline]
    pub(crate) fn mark(&self, held: &NodeLockGuard<'_>) {
        debug_assert!(held.holds(&self.lock), "mark without the node's lock");
        // memory ordering: a plain load is enough to read our own lock's
        // protected state (the lock's Acquire ordered it).
        debug_assert_eq!(
            self.marked.load(Ordering::Relaxed),
            0,
            "a node is marked twice"
        );
        // memory ordering: Release pairs with the Acquire load in
        // `is_marked`.
        self.marked.store(MARKED, Ordering::Release);
    }

    /// Logically replace the node by another of the same key: the
    /// linearization point of a replacing insert (skiplist maps). As
    /// [`mark`](Self::mark), plus the `REPLACED` kind.
    pub(crate) fn mark_replaced(&self, held: &NodeLockGuard<'_>) {
        debug_assert!(held.holds(&self.lock), "mark without the node's lock");
        // memory ordering: as in `mark`.
        debug_assert_eq!(
            self.marked.load(Ordering::Relaxed),
            0,
            "a node is marked twice"
        );
        // memory ordering: Release pairs with the Acquire loads in
        // `is_marked` and `is_replaced`: a reader that sees the mark sees
        // the replacing node linked from this one.
        self.marked.store(MARKED | REPLACED, Ordering::Release);
    }

    /// Whether every level of the node has been linked.
    #[inline]
    pub(crate) fn is_fully_linked(&self) -> bool {
        // memory ordering: Acquire pairs with the Release store in
        // `set_fully_linked`, so a thread that sees `true` sees every level's
        // link.
        self.fully_linked.load(Ordering::Acquire)
    }

    /// Publish that every level is linked (skiplist inserters).
    pub(crate) fn set_fully_linked(&self) {
        // memory ordering: Release pairs with the Acquire load in
        // `is_fully_linked`.
        self.fully_linked.store(true, Ordering::Release);
    }

    /// Live = fully linked and not marked: in the abstract set.
    #[inline]
    pub(crate) fn is_live(&self) -> bool {
        self.is_fully_linked() && !self.is_marked()
    }
}

impl core::fmt::Debug for NodeState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NodeState")
            .field("locked", &self.is_locked())
            .field("marked", &self.is_marked())
            .field("fully_linked", &self.is_fully_linked())
            .finish()
    }
}

/// The lazy validation rule, checked while holding `pred`'s lock (and
/// `succ`'s, when the caller is a remover):
///
/// `!pred.marked && !succ.marked && pred.next == succ`
///
/// `pred_next` is `pred`'s next pointer at the level being validated (the
/// list has one level); `succ` may be null (the end of the list), and then
/// `succ_state` is `None`.
///
/// Why it suffices: `pred` unmarked and locked means `pred` is reachable and
/// stays so (only a remover holding `pred`'s lock can unlink it, after marking
/// it), and `pred.next == succ` read under `pred`'s lock cannot change until we
/// release it. So the window `pred → succ` is a real, stable edge of the list
/// for as long as the caller holds the lock: linking a new node into it, or
/// (with `succ` locked and unmarked as well) unlinking `succ`, preserves the
/// sorted, reachable-iff-unmarked invariants.
#[inline]
pub(crate) fn validate<N>(
    pred: &NodeState,
    pred_next: &AtomicPtr<N>,
    succ: *mut N,
    succ_state: Option<&NodeState>,
) -> bool {
    debug_assert!(
        pred.is_locked(),
        "validation without the predecessor's lock"
    );
    // memory ordering: `pred.next` only changes under `pred`'s lock, which
    // the caller holds, so Relaxed reads the current value.
    !pred.is_marked()
        && succ_state.is_none_or(|s| !s.is_marked())
        && pred_next.load(Ordering::Relaxed) == succ
}
