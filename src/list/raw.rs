//! The lazy-list protocol itself: nodes, the lock-free search, and the
//! lock-validate-retry updates. Every operation takes an epoch guard and
//! returns node pointers that stay valid while that guard pins; the public
//! layer in [`super`] wraps them into guard-scoped entries.

use core::borrow::Borrow;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};

#[cfg(loom)]
use super::paths;
use crate::lazy::{self, Existing, LazyNode, Length, NodeState, ValueSlot};
use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sync::cover;
use crate::sync::epoch::Guard;

/// What a node's predecessor must offer: the `next` pointer and the lock and
/// flags. The head sentinel is exactly this; a node starts with it.
pub(crate) struct Links<K, V> {
    /// The successor (null: the end of the list). Written only by the holder
    /// of this node's lock; never cleared, not even after removal, because
    /// lock-free readers may be standing on the node.
    pub(crate) next: AtomicPtr<Node<K, V>>,
    /// The lock and the `marked` flag.
    pub(crate) state: NodeState,
}

impl<K, V> Links<K, V> {
    /// The successor, both as the raw pointer stored in `next` (which keeps
    /// the allocation's original provenance: only such pointers are stored
    /// into the list or freed) and as a reference for reading.
    #[inline]
    fn load_next<'g>(&self, _guard: &'g Guard) -> (*mut Node<K, V>, Option<&'g Node<K, V>>) {
        // memory ordering: Acquire pairs with the Release store that made
        // this pointer (linking a new node, or unlinking a removed one), so
        // the successor's key, value and next pointer are visible.
        let next = self.next.load(Ordering::Acquire);
        // SAFETY: a pointer read from the head or from a node we reached
        // while pinned: the successor was reachable at some moment after our
        // pin (a `next` pointer is frozen at a reachable successor when its
        // node is unlinked), so it was not retired before the pin and is not
        // freed while `_guard` lives.
        (next, unsafe { next.as_ref() })
    }

    fn new(next: *mut Node<K, V>) -> Self {
        // A list node is linked by a single store: it is fully linked from
        // birth, so only `marked` distinguishes live from removed.
        Self {
            next: AtomicPtr::new(next),
            state: NodeState::new(true),
        }
    }
}

/// One key and its value (see the memory layout in the module doc).
pub struct Node<K, V> {
    pub(crate) links: Links<K, V>,
    /// Immutable for the node's life, so read without synchronisation once
    /// the node has been reached through an Acquire load of a `next` pointer.
    pub(crate) key: K,
    pub(crate) value: ValueSlot<V>,
}

impl<K, V> core::fmt::Debug for Node<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}

impl<K, V> LazyNode for Node<K, V> {
    type Key = K;
    type Value = V;
    fn key(&self) -> &K {
        &self.key
    }
    fn state(&self) -> &NodeState {
        &self.links.state
    }
    fn value_slot(&self) -> &ValueSlot<V> {
        &self.value
    }
}

impl<K, V> Node<K, V> {
    fn boxed(key: K, value: V) -> Box<Self> {
        Box::new(Self {
            links: Links::new(ptr::null_mut()),
            key,
            value: ValueSlot::new(value),
        })
    }

    fn into_parts(self) -> (K, V) {
        let Node { key, value, .. } = self;
        (key, value.into_inner())
    }

    /// The node's successor.
    #[inline]
    fn next<'g>(&self, guard: &'g Guard) -> Option<&'g Node<K, V>> {
        self.links.load_next(guard).1
    }
}

/// Unlink-and-retire a removed node's allocation.
///
/// # Safety
/// `node` came from `Box::into_raw`, was unlinked by the caller, and its
/// contents may be dropped on any thread.
unsafe fn retire_node<K, V>(node: *mut Node<K, V>, guard: &Guard) {
    // SAFETY: the caller unlinked the node (no thread pinning later can reach
    // it) and won the mark (so this is the only retirement); `K`, `V` are
    // `Send + 'static` by the caller's contract.
    unsafe { lazy::retire_box(guard, node) }
}

/// Where a search stopped: `pred` precedes `curr` (null: the end) in the path
/// the search took.
pub(crate) struct Window<'g, K, V> {
    pub(crate) pred: &'g Links<K, V>,
    /// The node that `pred` belongs to; `None` when `pred` is the head.
    pub(crate) pred_node: Option<&'g Node<K, V>>,
    pub(crate) curr: Option<&'g Node<K, V>>,
    /// `curr` as the raw pointer read from `pred.next` (null at the end).
    /// Only such pointers are stored into the list or freed, never pointers
    /// derived from the shared references above.
    curr_raw: *mut Node<K, V>,
}

impl<'g, K, V> Window<'g, K, V> {
    /// The window `pred → pred.next`, as read now.
    fn at(pred: &'g Links<K, V>, pred_node: Option<&'g Node<K, V>>, guard: &'g Guard) -> Self {
        let (curr_raw, curr) = pred.load_next(guard);
        Self {
            pred,
            pred_node,
            curr,
            curr_raw,
        }
    }

    /// The window one step further: `curr → curr.next`.
    fn advance(&mut self, guard: &'g Guard) {
        let c = self.curr.expect("advance past the end");
        *self = Self::at(&c.links, Some(c), guard);
    }

    fn curr_ptr(&self) -> *mut Node<K, V> {
        self.curr_raw
    }

    /// Lock the window (`pred`, and `curr` when `lock_curr`) and validate it.
    /// `None`: it changed; search again.
    fn lock_and_validate(
        &self,
        lock_curr: bool,
    ) -> Option<(lazy::NodeLockGuard<'_>, Option<lazy::NodeLockGuard<'_>>)> {
        // Locks are always taken in list order (pred before curr), and keys
        // strictly increase along the list, so lockers cannot deadlock.
        let pred_lock = self.pred.state.lock();
        let curr_lock = if lock_curr {
            self.curr.map(|c| c.links.state.lock())
        } else {
            None
        };
        let curr_state = self.curr.map(|c| &c.links.state);
        if lazy::validate(
            &self.pred.state,
            &self.pred.next,
            self.curr_ptr(),
            curr_state,
        ) {
            Some((pred_lock, curr_lock))
        } else {
            cover!(crate::lazy::paths::VALIDATION_FAILED);
            None
        }
    }
}

/// The list: a head sentinel, the count, and ownership of the nodes.
pub struct RawList<K, V> {
    head: Links<K, V>,
    len: Length,
    /// Owns the nodes (for drop check), and opts out of the auto traits: the
    /// `Send`/`Sync` rules are written out below.
    _owns: Owns<K, V>,
}

impl<K, V> core::fmt::Debug for RawList<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RawList")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Ownership of boxed nodes, without the auto traits of a raw pointer's
/// absence (see `RawList::_owns`).
type Owns<K, V> = PhantomData<(Box<Node<K, V>>, *mut Node<K, V>)>;

// SAFETY: sending the list moves ownership of its keys and values to the
// receiving thread, which drops them (`K: Send`, `V: Send`). The bounds also
// ask for `Sync`, as crossbeam-skiplist does, which is stricter than needed
// and keeps the two crates interchangeable.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for RawList<K, V> {}
// SAFETY: sharing the list lets any thread read keys and values through
// entries (`K: Sync`, `V: Sync`) and remove them, so that they are dropped on
// another thread than the inserting one (`K: Send`, `V: Send`). All shared
// mutation goes through atomics and node locks.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for RawList<K, V> {}

impl<K, V> RawList<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            head: Links::new(ptr::null_mut()),
            len: Length::new(),
            _owns: PhantomData,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len.get()
    }

    /// The first node, whatever its state (for iteration).
    pub(crate) fn first<'g>(&'g self, guard: &'g Guard) -> Option<&'g Node<K, V>> {
        self.head.load_next(guard).1
    }

    /// The first unmarked node from `node` on (inclusive), following `next`
    /// pointers: weakly consistent (see the module doc).
    pub(crate) fn live_from<'g>(
        mut node: Option<&'g Node<K, V>>,
        guard: &'g Guard,
    ) -> Option<&'g Node<K, V>> {
        while let Some(n) = node {
            if !n.links.state.is_marked() {
                return Some(n);
            }
            node = n.next(guard);
        }
        None
    }

    /// The first unmarked node after `node`.
    pub(crate) fn live_after<'g>(node: &'g Node<K, V>, guard: &'g Guard) -> Option<&'g Node<K, V>> {
        Self::live_from(node.next(guard), guard)
    }

    /// Wait until the remover that marked `node` has left its critical
    /// section (so the node is unlinked), instead of spinning on the list.
    fn wait_for_remover(node: &Links<K, V>) {
        drop(node.state.lock());
    }

    /// Search without locks for `key`: `pred.key < key <= curr.key`.
    /// Returns the window and whether `curr.key == key`.
    #[inline]
    pub(crate) fn search<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> (Window<'g, K, V>, bool)
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let mut window = Window::at(&self.head, None, guard);
        while let Some(c) = window.curr {
            // `is_lt`/`is_eq`, not a `match`: the compiler then branches on
            // the comparison itself for integer keys (as in the skiplist's
            // `find`).
            let order = c.key.borrow().cmp(key);
            if order.is_lt() {
                window.advance(guard);
                continue;
            }
            return (window, order.is_eq());
        }
        (window, false)
    }

    /// Search without locks for the first node whose key does not satisfy
    /// `before`: `before(pred.key) && !before(curr.key)`.
    fn search_by<'g>(
        &'g self,
        mut before: impl FnMut(&K) -> bool,
        guard: &'g Guard,
    ) -> Window<'g, K, V> {
        let mut window = Window::at(&self.head, None, guard);
        while let Some(c) = window.curr {
            if !before(&c.key) {
                break;
            }
            window.advance(guard);
        }
        window
    }

    /// Search without locks for the last node: `curr` is the last node
    /// (its `next` read as null), `pred` the one before it.
    fn last_window<'g>(&'g self, guard: &'g Guard) -> Window<'g, K, V> {
        let mut window = Window::at(&self.head, None, guard);
        while let Some(c) = window.curr {
            let (next_raw, next) = c.links.load_next(guard);
            if next.is_none() {
                break;
            }
            window = Window {
                pred: &c.links,
                pred_node: Some(c),
                curr: next,
                curr_raw: next_raw,
            };
        }
        window
    }

    /// The search plus validation used by ordered queries: returns a window
    /// `pred → curr` that was a real edge, with both ends live, at one moment
    /// (the read of `pred.next`), so the answer is linearizable. Retries
    /// when an end is marked.
    pub(crate) fn stable_window<'g>(
        &'g self,
        mut before: impl FnMut(&K) -> bool,
        guard: &'g Guard,
    ) -> Window<'g, K, V> {
        loop {
            let window = self.search_by(&mut before, guard);
            // `pred.next == curr` was read before these flags; flags are
            // never cleared, so "unmarked now" means "unmarked then", and an
            // unmarked node that has been linked is reachable.
            if let Some(c) = window.curr.filter(|c| c.links.state.is_marked()) {
                cover!(paths::ORDERED_QUERY_RETRIED);
                Self::wait_for_remover(&c.links);
                continue;
            }
            if window.pred.state.is_marked() {
                cover!(paths::ORDERED_QUERY_RETRIED);
                Self::wait_for_remover(window.pred);
                continue;
            }
            return window;
        }
    }

    /// Wait-free lookup (Heller et al.'s `contains`): the node of `key` if it
    /// was live when its flag was read.
    #[inline]
    pub(crate) fn get<'g, Q>(&'g self, key: &Q, guard: &'g Guard) -> Option<&'g Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.search(key, guard) {
            (Window { curr: Some(c), .. }, true) => {
                if c.links.state.is_marked() {
                    cover!(paths::LOOKUP_SAW_MARKED);
                    None
                } else {
                    Some(c)
                }
            }
            _ => None,
        }
    }

    /// Insert `key` if absent; otherwise do what `existing` says with the
    /// present node. Returns the node and the value it holds for the caller.
    pub(crate) fn insert<'g>(
        &'g self,
        key: K,
        value: Option<V>,
        make_value: Option<impl FnOnce() -> V>,
        mut existing: impl FnMut(&'g Node<K, V>, &mut Option<V>, &'g Guard) -> Existing<V>,
        guard: &'g Guard,
    ) -> (NonNull<Node<K, V>>, NonNull<V>)
    where
        K: Ord,
    {
        let mut key = Some(key);
        let mut make_value = make_value;
        let mut value = value;
        let mut node: Option<Box<Node<K, V>>> = None;
        loop {
            let search_key = node
                .as_ref()
                .map_or_else(|| key.as_ref().expect("key or node"), |n| &n.key);
            let (window, found) = self.search(search_key, guard);
            if found {
                let curr = window.curr.expect("found implies a node");
                if let Some(n) = node.take() {
                    let (k, v) = (*n).into_parts();
                    key = Some(k);
                    value = Some(v);
                }
                match existing(curr, &mut value, guard) {
                    Existing::Done(v) => return (NonNull::from(curr), v),
                    Existing::Retry => continue,
                    Existing::Replace(seen, retirable) => {
                        // SAFETY: `curr` was reached under `guard`; the proof
                        // covers the retirement of the old value.
                        let replaced = unsafe {
                            lazy::replace_in_place(
                                &curr.links.state,
                                &curr.value,
                                &mut value,
                                seen,
                                retirable,
                                guard,
                            )
                        };
                        match replaced {
                            Existing::Done(v) => return (NonNull::from(curr), v),
                            _ => continue,
                        }
                    }
                }
            }
            // Absent: build the node outside any lock (`make_value` is user
            // code and may panic or use this list).
            let new = node.get_or_insert_with(|| {
                let v = value
                    .take()
                    .unwrap_or_else(|| (make_value.take().expect("value made once"))());
                Node::boxed(key.take().expect("key moved once"), v)
            });
            let Some(locks) = window.lock_and_validate(false) else {
                continue;
            };
            let curr = window.curr_ptr();
            // memory ordering: the node is still private; its publication
            // below is the Release store.
            new.links.next.store(curr, Ordering::Relaxed);
            // The entry shows the value this call inserted, read before the
            // node is published (a concurrent replacement may follow at once).
            let value = new.value.load(guard);
            let new = Box::into_raw(node.take().expect("node built above"));
            // memory ordering: Release publishes the node's key, value and
            // next to traversals' Acquire loads of `pred.next`. This store
            // is the linearization point of a successful insert.
            window.pred.next.store(new, Ordering::Release);
            drop(locks);
            self.len.increment();
            // SAFETY: `Box::into_raw` never returns null.
            return (unsafe { NonNull::new_unchecked(new) }, value);
        }
    }

    /// Remove the live node of `key`, if any; the returned node is marked,
    /// unlinked and retired (still readable under `guard`).
    ///
    /// # Safety
    /// `K` and `V` are `Send + 'static` (the node is retired).
    pub(crate) unsafe fn remove<'g, Q>(
        &'g self,
        key: &Q,
        guard: &'g Guard,
    ) -> Option<&'g Node<K, V>>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        loop {
            let (window, found) = self.search(key, guard);
            if !found {
                return None;
            }
            // SAFETY: forwarded contract.
            if let Some(node) = unsafe { self.try_unlink(&window, guard) } {
                return Some(node);
            }
        }
    }

    /// Remove exactly `target` (an entry's node), if it is still live.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    pub(crate) unsafe fn remove_node<'g>(&'g self, target: &'g Node<K, V>, guard: &'g Guard) -> bool
    where
        K: Ord,
    {
        loop {
            if target.links.state.is_marked() {
                return false;
            }
            let (window, _) = self.search(&target.key, guard);
            if !window.curr.is_some_and(|c| ptr::eq(c, target)) {
                // A stale path led elsewhere; the target is live, hence
                // reachable, so a fresh search reaches it.
                cover!(paths::ENTRY_REMOVE_STALE);
                crate::sync::spin_loop();
                continue;
            }
            // SAFETY: forwarded contract.
            if unsafe { self.try_unlink(&window, guard) }.is_some() {
                return true;
            }
        }
    }

    /// Remove the first live node.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    pub(crate) unsafe fn pop_front<'g>(&'g self, guard: &'g Guard) -> Option<&'g Node<K, V>> {
        loop {
            let window = Window::at(&self.head, None, guard);
            window.curr?;
            // SAFETY: forwarded contract.
            if let Some(node) = unsafe { self.try_unlink(&window, guard) } {
                return Some(node);
            }
        }
    }

    /// Remove the last live node.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    pub(crate) unsafe fn pop_back<'g>(&'g self, guard: &'g Guard) -> Option<&'g Node<K, V>> {
        loop {
            let window = self.last_window(guard);
            let last = window.curr?;
            // Validation below additionally checks `last.next == null` under
            // `last`'s lock: no node was appended after it.
            let Some(locks) = window.lock_and_validate(true) else {
                continue;
            };
            // memory ordering: `last.next` only changes under `last`'s lock,
            // which we hold.
            if !last.links.next.load(Ordering::Relaxed).is_null() {
                cover!(paths::POP_BACK_APPENDED);
                drop(locks);
                continue;
            }
            // SAFETY: forwarded contract; the window is locked and valid.
            unsafe { self.unlink_locked(&window, last, locks, guard) };
            return Some(last);
        }
    }

    /// Lock and validate `window` (whose `curr` is the victim) and, if it is
    /// valid, mark, unlink and retire the victim.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove).
    unsafe fn try_unlink<'g>(
        &'g self,
        window: &Window<'g, K, V>,
        guard: &'g Guard,
    ) -> Option<&'g Node<K, V>> {
        let victim = window.curr.expect("a victim");
        let locks = window.lock_and_validate(true)?;
        // SAFETY: forwarded contract; the window is locked and valid.
        unsafe { self.unlink_locked(window, victim, locks, guard) };
        Some(victim)
    }

    /// Mark, unlink and retire `victim`, with the window locked and valid.
    ///
    /// # Safety
    /// As for [`remove`](Self::remove); `locks` hold `window.pred` and
    /// `victim`, and validation succeeded under them.
    unsafe fn unlink_locked<'g>(
        &'g self,
        window: &Window<'g, K, V>,
        victim: &'g Node<K, V>,
        locks: (lazy::NodeLockGuard<'_>, Option<lazy::NodeLockGuard<'_>>),
        guard: &'g Guard,
    ) {
        let victim_lock = locks.1.as_ref().expect("the victim is locked");
        // The linearization point of the remove: from here on the key is
        // absent, and only this thread (holding the victim's lock, having
        // seen it unmarked) can get here for this node.
        victim.links.state.mark(victim_lock);
        // memory ordering: `victim.next` changes only under the victim's
        // lock, which we hold.
        let succ = victim.links.next.load(Ordering::Relaxed);
        // memory ordering: Release, so that a traversal that reads `succ`
        // here sees it initialised (we synchronised with its linker through
        // the victim's lock). The victim's own `next` is left as it is.
        window.pred.next.store(succ, Ordering::Release);
        drop(locks);
        self.len.decrement();
        debug_assert!(
            ptr::eq(window.curr_ptr(), victim),
            "the victim is the window's curr"
        );
        // SAFETY: unlinked just now by the thread that won the mark; the
        // caller guarantees the contents may be dropped anywhere. The pointer
        // is the one read from `pred.next`, carrying the allocation's
        // provenance (not one derived from the `&Node` we read through).
        unsafe { retire_node(window.curr_ptr(), guard) };
    }

    /// Unlink and hand out the first node, with exclusive access.
    pub(crate) fn pop_front_mut(&mut self) -> Option<Box<Node<K, V>>> {
        // memory ordering: `&mut self`: no concurrent access.
        let first = self.head.next.load(Ordering::Relaxed);
        if first.is_null() {
            return None;
        }
        // SAFETY: with `&mut self` the list's reachable nodes are owned by
        // it; `first` is one, and unlinking it makes us its only owner.
        let first = unsafe { Box::from_raw(first) };
        // memory ordering: as above.
        self.head
            .next
            .store(first.links.next.load(Ordering::Relaxed), Ordering::Relaxed);
        self.len.decrement();
        Some(first)
    }

    /// Take the first node's key and value, with exclusive access.
    pub(crate) fn pop_front_parts(&mut self) -> Option<(K, V)> {
        self.pop_front_mut().map(|node| (*node).into_parts())
    }
}

impl<K, V> Drop for RawList<K, V> {
    fn drop(&mut self) {
        // SAFETY: `pop_front_mut` hands out boxes that the list no longer
        // owns, so dropping them is sound; there is nothing to finish.
        unsafe { lazy::drain(self, Self::pop_front_mut, drop, |_| {}) }
    }
}
