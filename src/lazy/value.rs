//! A node's replaceable value: a pointer to a boxed `V`.
//!
//! A key's node stays in place when `insert` replaces its value, so the value
//! cannot live inline: a reader that holds an `Entry` must keep seeing the
//! value it read, intact, while a writer installs another. The slot therefore
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

use super::lock::NodeLockGuard;
use super::retire;
use crate::sync::atomic::{AtomicPtr, Ordering};
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
}
