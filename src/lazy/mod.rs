//! The protocol pieces shared by the lazy list ([`crate::list`]) and the lazy
//! skiplist ([`crate::skiplist`]): written once, used by both.
//!
//! Both structures follow the same "lazy" discipline (Heller, Herlihy,
//! Luchangco, Moir, Scherer and Shavit, *A Lazy Concurrent List-Based Set
//! Algorithm*, OPODIS 2005; extended to skiplists by Herlihy, Lev, Luchangco
//! and Shavit, *A Simple Optimistic Skiplist Algorithm*, SIROCCO 2007):
//! updates search without locks, lock the few nodes they change, validate the
//! window they found, and retry if it changed; lookups never lock.
//!
//! | piece | module | what it is |
//! |---|---|---|
//! | [`NodeLock`](lock::NodeLock), [`NodeLockGuard`] | [`lock`] | the 1-byte per-node lock (parking_lot's `RawMutex`; a loom-visible spin lock under `cfg(loom)`); guards release on drop and on unwind |
//! | [`NodeState`], [`validate`] | [`state`] | the lock plus the `marked` and `fully_linked` flags, their state table, and the validation rule `!pred.marked && !succ.marked && pred.next == succ` |
//! | [`ValueSlot`], [`Existing`] | [`value`] | the list's replaceable value (a pointer to a boxed `V`, swapped under the node lock, old box retired) and the `existing` decisions of inserts (keep, retry, replace) |
//! | [`retire`](fn@retire), [`retire_box`] | [`retire`](mod@retire) | exactly-once retirement through the epoch, with destructor panics contained |
//! | [`LazyNode`], [`EntryNode`], [`PinnedEntry`] | [`entry`] | the guard-scoped entry: a node and value pointer plus an epoch guard, no reference count |
//! | [`Length`] | [`len`] | a striped element count |
//! | [`drain`](fn@drain) | [`drain`](mod@drain) | a structure's drop: its remaining nodes destroyed with exclusive access, the others still destroyed if one node's `Drop` panics |
//!
//! A structure built on these pieces supplies its node type (implementing
//! [`LazyNode`]) and its search; everything about locking, marking, value
//! replacement, retirement and entries comes from here.

/// Paths of the shared protocol that loom models assert they reach
/// (re-exported by each structure's `paths`).
#[cfg(loom)]
pub mod paths {
    crate::sync::paths! {
        /// A thread found a node lock held and waited for it.
        LOCK_CONTENDED: "a node lock was held; the locker waited";
        /// An update's validation failed, so it unlocked and searched again.
        VALIDATION_FAILED: "validation failed; the update searched again";
        /// An insert found its key's node marked and waited for the remover.
        INSERT_WAITED_FOR_REMOVER: "an insert found its key's node marked and waited for the remover";
        /// A present key's value was replaced under its node's lock.
        VALUE_REPLACED: "a value was replaced under the node lock";
        /// A replacement found, under the lock, the node marked or its value
        /// changed since it decided, and retried.
        REPLACE_SAW_CHANGE: "a replacement found the node marked or its value changed, and retried";
    }
}

pub(crate) mod drain;
pub(crate) mod entry;
pub(crate) mod len;
pub(crate) mod lock;
pub(crate) mod retire;
pub(crate) mod state;
pub(crate) mod value;

pub(crate) use drain::drain;
pub(crate) use entry::{pin_again, EntryNode, LazyNode, PinnedEntry};
pub(crate) use len::Length;
pub(crate) use lock::NodeLockGuard;
pub(crate) use retire::{retire, retire_box};
pub(crate) use state::{validate, NodeState};
pub(crate) use value::{
    decide_replace, keep_existing, replace_in_place, Existing, Retirable, ValueSlot,
};
