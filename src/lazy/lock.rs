//! The per-node lock of the lazy protocol, and the switch between the lock
//! used in normal builds and the one loom can see.
//!
//! | build | lock | size | waiting |
//! |---|---|---|---|
//! | normal | `parking_lot::RawMutex` through `lock_api` | 1 byte | spins briefly, then parks the thread |
//! | `--cfg loom` | a flag in a loom `AtomicBool` | (loom object) | `compare_exchange`, then `sync::spin_loop()`, which yields to loom's scheduler |
//!
//! Why two locks: a thread that oversubscribes the cores must not burn its
//! time slice spinning on a lock whose holder is descheduled, so normal
//! builds park (parking_lot's adaptive mutex: a few spins, then the parking
//! lot). parking_lot's atomics are invisible to loom, so a model that blocked
//! on it would hang instead of exploring the holder's steps; under loom the
//! lock is a loom atomic and a waiting thread yields, which tells loom that it
//! cannot progress until another thread runs.
//!
//! The lock carries no data: it serialises writers of the node's `next`
//! pointer(s), its `marked` flag and its value slot. Acquiring it is an
//! Acquire operation and releasing it a Release operation in both builds, so
//! everything written under the lock is visible to the next holder; fields
//! that change only under the lock may be read with `Relaxed` by a holder.

#[cfg(loom)]
use crate::sync::{
    atomic::{AtomicBool, Ordering},
    spin_loop,
};

/// A one-byte mutual-exclusion lock without data (see the module doc).
pub(crate) struct NodeLock {
    #[cfg(not(loom))]
    raw: parking_lot::RawMutex,
    #[cfg(loom)]
    locked: AtomicBool,
}

impl NodeLock {
    /// An unlocked lock.
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Self {
            raw: <parking_lot::RawMutex as lock_api::RawMutex>::INIT,
        }
    }

    /// An unlocked lock.
    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Self {
            locked: AtomicBool::new(false),
        }
    }

    /// Acquire the lock, waiting (spinning, then parking) while another thread
    /// holds it. The lock is released when the returned guard is dropped,
    /// including during unwinding, so a panic never leaves a node locked.
    #[inline]
    pub(crate) fn lock(&self) -> NodeLockGuard<'_> {
        #[cfg(not(loom))]
        lock_api::RawMutex::lock(&self.raw);
        #[cfg(loom)]
        // memory ordering: Acquire pairs with the Release store in `unlock`,
        // so the previous holder's writes are visible to this one.
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            crate::sync::cover!(super::paths::LOCK_CONTENDED);
            spin_loop();
        }
        NodeLockGuard { lock: self }
    }

    /// Whether some thread holds the lock now (a racy snapshot, for
    /// assertions and tests).
    pub(crate) fn is_locked(&self) -> bool {
        #[cfg(not(loom))]
        return lock_api::RawMutex::is_locked(&self.raw);
        #[cfg(loom)]
        // memory ordering: a snapshot for assertions; nothing is read on the
        // strength of it.
        return self.locked.load(Ordering::Relaxed);
    }

    /// Release the lock.
    ///
    /// # Safety
    /// The calling thread holds the lock (through a guard that is being
    /// dropped).
    #[inline]
    unsafe fn unlock(&self) {
        #[cfg(not(loom))]
        // SAFETY: the caller holds the lock (the contract of this function,
        // met by `NodeLockGuard::drop`, the only caller), which is what
        // `RawMutex::unlock` requires.
        unsafe {
            lock_api::RawMutex::unlock(&self.raw)
        };
        #[cfg(loom)]
        // memory ordering: Release pairs with the Acquire CAS in `lock`.
        self.locked.store(false, Ordering::Release);
    }
}

impl core::fmt::Debug for NodeLock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NodeLock")
            .field("locked", &self.is_locked())
            .finish()
    }
}

/// Proof that the current thread holds a [`NodeLock`]; releases it on drop.
#[must_use = "if unused the node lock is released immediately"]
pub(crate) struct NodeLockGuard<'a> {
    lock: &'a NodeLock,
}

impl NodeLockGuard<'_> {
    /// Whether this guard holds exactly `lock`.
    pub(crate) fn holds(&self, lock: &NodeLock) -> bool {
        core::ptr::eq(self.lock, lock)
    }
}

impl Drop for NodeLockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a guard exists only after `lock` returned, and exactly one
        // guard per acquisition, so this thread holds the lock.
        unsafe { self.lock.unlock() }
    }
}

impl core::fmt::Debug for NodeLockGuard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NodeLockGuard").finish_non_exhaustive()
    }
}
