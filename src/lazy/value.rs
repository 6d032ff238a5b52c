//! A list node's replaceable value: a pointer to a boxed `V`; and the
//! `existing` decisions of inserts, shared by the list and the skiplist.
//!
//! A list key's node stays in place when `insert` replaces its value, so the
//! value cannot live inline (the skiplist keeps values inline and replaces
//! the node instead: `skiplist/replace.rs`): a reader that holds an `Entry`
//! must keep seeing the value it read, intact, while a writer installs
//! another. The slot therefore
//! holds a pointer, swapped under the node's lock; the old box is retired
//! through the epoch, so a pinned reader's `&V` stays valid until it unpins.
//! For a zero-sized `V` (sets) the box allocates nothing.
//!
//! | event | slot | old box |
//! |---|---|---|
//! | node created | points at the first value's box | |
//! | `replace` (node lock held) | points at the new box | retired: freed once every thread pinned before the swap has unpinned |
//! | node destroyed (unreachable, grace period over, or `&mut` access) | the current box is dropped with the node | |

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::entry::EntryNode;
use super::lock::NodeLockGuard;
#[cfg(loom)]
use super::paths;
use super::retire;
use super::state::NodeState;
use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// The value of one lazy node (see the module doc).
#[derive(Debug)]
pub struct ValueSlot<V> {
    current: AtomicPtr<V>,
    /// Owns the boxed `V` (drop check, auto traits).
    _owns: PhantomData<Box<V>>,
}

impl<V> ValueSlot<V> {
    /// A slot that owns `value`.
    pub(crate) fn new(value: V) -> Self {
        Self {
            current: AtomicPtr::new(Box::into_raw(Box::new(value))),
            _owns: PhantomData,
        }
    }

    /// The current value. It stays valid for as long as the caller's guard
    /// pins the epoch (and the node itself is protected by that guard).
    #[inline]
    pub(crate) fn load(&self, _guard: &Guard) -> NonNull<V> {
        // memory ordering: Acquire pairs with the AcqRel swap in `replace`
        // (and the node's Release publication for the first value), so the
        // boxed value's contents are visible.
        let current = self.current.load(Ordering::Acquire);
        // the slot never holds null (`new` and `replace` only
        // store `Box::into_raw` results).
        NonNull::new(current).expect("a value slot is never null")
    }

    /// Install `value` and retire the previous one. Returns the new value's
    /// pointer.
    ///
    /// `held` must guard the lock of the node that owns this slot: writers are
    /// serialised by it, so a replacement can never be lost.
    ///
    /// # Safety
    /// The node is reachable or was reachable while `guard` was pinned, and
    /// `V: Send + 'static` holds (the retired box may be dropped on another
    /// thread, after the map is gone).
    pub(crate) unsafe fn replace(
        &self,
        value: Box<V>,
        _held: &NodeLockGuard<'_>,
        guard: &Guard,
    ) -> NonNull<V> {
        let new = Box::into_raw(value);
        // memory ordering: AcqRel. Release publishes the new box to readers'
        // Acquire loads; Acquire orders our later retirement after the
        // previous writer's initialisation of the old box (it is also ordered
        // by the lock).
        let old = self.current.swap(new, Ordering::AcqRel);
        // SAFETY: `old` came from `Box::into_raw` and is no longer reachable
        // from the slot; readers that loaded it are pinned, and `retire` frees
        // it only after they unpin. The caller guarantees `V: Send + 'static`.
        unsafe { retire::retire_box(guard, old) };
        // `Box::into_raw` never returns null.
        NonNull::new(new).expect("Box::into_raw is never null")
    }

    /// Take the value out of a slot that no other thread can reach.
    pub(crate) fn into_inner(self) -> V {
        let this = core::mem::ManuallyDrop::new(self);
        // memory ordering: `self` is owned, no other thread can reach it.
        let current = this.current.load(Ordering::Relaxed);
        // SAFETY: the pointer came from `Box::into_raw` and, the slot being
        // owned, nothing else can free it; `ManuallyDrop` keeps `Drop` from
        // freeing it again.
        *unsafe { Box::from_raw(current) }
    }
}

impl<V> Drop for ValueSlot<V> {
    fn drop(&mut self) {
        // memory ordering: `&mut self`: no other thread can reach the slot.
        let current = self.current.load(Ordering::Relaxed);
        // SAFETY: the slot owns the box it points to (replaced boxes were
        // retired separately) and is being destroyed, so this is the only free.
        drop(unsafe { Box::from_raw(current) });
    }
}

/// What an `existing` callback of a raw structure's `insert` decided about
/// the present node of its key.
#[derive(Debug)]
pub enum Existing<V> {
    /// Finished: the present node holds this value for the caller.
    Done(NonNull<V>),
    /// The node was being removed: search again.
    Retry,
    /// Replace the present value, which was this one when approved. The raw
    /// structure does it its own way under the node's lock (the list swaps
    /// the value slot in place, the skiplist puts a new node in the old
    /// one's place) if the node is still live and still holds that value,
    /// and otherwise searches again.
    Replace(NonNull<V>, Retirable),
}

/// Proof, carried by [`Existing::Replace`], that the replaced value (or
/// node) may be retired: it is made only where the node's key and value
/// types are `Send + 'static` (they may be dropped on another thread, after
/// the structure is gone).
#[derive(Debug, Clone, Copy)]
pub struct Retirable(());

impl Retirable {
    /// The proof for nodes of `_node`'s type.
    fn for_node<N: EntryNode>(_node: &N) -> Self
    where
        N::Key: Send + 'static,
        N::Value: Send + 'static,
    {
        Retirable(())
    }
}

/// The `existing` decision of `get_or_insert`, for any lazy node: keep the
/// present value if the node is live; if a remover has marked it, wait for
/// that remover (by taking the node's lock) and search again.
pub(crate) fn keep_existing<N: EntryNode>(node: &N, guard: &Guard) -> Existing<N::Value> {
    let value = node.load_value(guard);
    // The value was read while the node was unmarked (the flag is read after
    // it): the key was present with that value then.
    if node.state().is_marked() {
        cover!(paths::INSERT_WAITED_FOR_REMOVER);
        // A remover won: wait for it to unlink the node, then search again.
        drop(node.state().lock());
        Existing::Retry
    } else {
        Existing::Done(value)
    }
}

/// The `existing` decision of `insert` and `compare_insert`, for any lazy
/// node: if `decide(current value)` approves, [`Existing::Replace`] (the
/// raw structure then replaces the value under the node's lock, if it is
/// unchanged); if not, the present value, or a search again if the node
/// is being removed. `decide` is user code and runs with no lock held.
pub(crate) fn decide_replace<N: EntryNode>(
    node: &N,
    mut decide: impl FnMut(&N::Value) -> bool,
    guard: &Guard,
) -> Existing<N::Value>
where
    N::Key: Send + 'static,
    N::Value: Send + 'static,
{
    let seen = node.load_value(guard);
    // SAFETY: the value is protected by our pin (`load_value`'s contract).
    if decide(unsafe { seen.as_ref() }) {
        return Existing::Replace(seen, Retirable::for_node(node));
    }
    if node.state().is_marked() {
        cover!(paths::INSERT_WAITED_FOR_REMOVER);
        drop(node.state().lock());
        return Existing::Retry;
    }
    Existing::Done(seen)
}

/// [`Existing::Replace`] for a node with a value slot (the list): lock the
/// node and, if it is still unmarked and its value is still `seen`, replace
/// the value with the one in `value` (taking it) and retire the old one;
/// otherwise search again, with `value` put back.
///
/// # Safety
/// The node of `state` and `slot` is reachable or was reachable while
/// `guard` was pinned (`_retirable` proves that `V: Send + 'static`).
pub(crate) unsafe fn replace_in_place<V>(
    state: &NodeState,
    slot: &ValueSlot<V>,
    value: &mut Option<V>,
    seen: NonNull<V>,
    _retirable: Retirable,
    guard: &Guard,
) -> Existing<V> {
    let boxed = Box::new(value.take().expect("the value is present"));
    let held = state.lock();
    // Under the lock only other writers could change the slot, and they hold
    // the lock too.
    let unchanged = slot.load(guard) == seen;
    if state.is_marked() || !unchanged {
        drop(held);
        cover!(paths::REPLACE_SAW_CHANGE);
        *value = Some(*boxed);
        return Existing::Retry;
    }
    // SAFETY: `V: Send + 'static` (the proof) and the caller guarantees
    // reachability; the node is live and we hold its lock.
    let new = unsafe { slot.replace(boxed, &held, guard) };
    drop(held);
    cover!(paths::VALUE_REPLACED);
    Existing::Done(new)
}
