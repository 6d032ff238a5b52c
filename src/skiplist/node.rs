//! The skiplist node: a header and its tower in one allocation, the value
//! payloads of maps and sets, and the level generator.
//!
//! ```text
//!   one allocation, Layout = header ⊕ [AtomicPtr; height]
//!   ┌─────────────────────────────────────────┬──────────┬─────┬────────────┐
//!   │ header: key, payload, state (lock,      │ next[0]  │ ... │ next[h-1]  │
//!   │         marked, fully_linked), height   │          │     │            │
//!   └─────────────────────────────────────────┴──────────┴─────┴────────────┘
//!   SkipSet<u64>: 16 B header (8 key + 3 state + 1 height + 4 padding), then 8 B per level
//!   SkipMap<u64, u64>: 24 B header (the value inline after the key), then 8 B per level
//! ```
//!
//! The head of a skiplist is a node of the maximum height whose key and
//! payload are never initialised (nor read: a search compares only nodes
//! reached through `next` pointers, and the head is never one of them).

use core::alloc::Layout;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};

use crate::lazy::{EntryNode, NodeState};
use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sync::epoch::Guard;

/// The largest tower. With the level distribution of [`random_height`]
/// (1/2 for the first three promotions, 1/4 above), 20 levels serve
/// 8·4^17 ≈ 1.4·10^11 entries before the top level gets crowded; since
/// searches start from the highest level in use, the cap costs nothing but
/// the head's size (20 pointers).
#[cfg(not(loom))]
pub(crate) const MAX_HEIGHT: usize = 20;
/// The largest tower under loom: two levels are enough to exercise every
/// multi-level step (distinct predecessors, bottom-up linking, top-down
/// unlinking) and keep the models small.
#[cfg(loom)]
pub(crate) const MAX_HEIGHT: usize = 2;

/// A node's value storage: the value inline for maps, nothing for sets.
pub trait Payload: Sized {
    /// The value type.
    type Value;
    /// Storage holding `value`.
    fn new(value: Self::Value) -> Self;
    /// The value, valid while `guard` pins.
    fn load(&self, guard: &Guard) -> NonNull<Self::Value>;
    /// Take the value out of storage no other thread can reach.
    fn into_value(self) -> Self::Value;
}

/// The payload of a map node: the value itself, immutable for the node's
/// life. A replacing insert puts a new node in the old one's place
/// (`replace.rs`) instead of writing here, so a reader's `&V` stays intact
/// for as long as its guard pins, with no box and no second allocation.
#[derive(Debug)]
pub struct Inline<V>(V);

impl<V> Payload for Inline<V> {
    type Value = V;
    #[inline]
    fn new(value: V) -> Self {
        Inline(value)
    }
    #[inline]
    fn load(&self, _guard: &Guard) -> NonNull<V> {
        NonNull::from(&self.0)
    }
    fn into_value(self) -> V {
        self.0
    }
}

/// The payload of a set node: no value, no bytes.
#[derive(Debug)]
pub struct NoValue;

impl Payload for NoValue {
    type Value = ();
    #[inline]
    fn new((): ()) -> Self {
        NoValue
    }
    #[inline]
    fn load(&self, _guard: &Guard) -> NonNull<()> {
        // A zero-sized value lives anywhere: a dangling, aligned pointer is a
        // valid `&()`.
        NonNull::dangling()
    }
    fn into_value(self) {}
}

/// One `next` pointer of a tower.
pub(crate) type Link<K, S> = AtomicPtr<Node<K, S>>;

/// The header of a node (see the module doc); its tower follows it in the
/// same allocation, at [`Node::TOWER_OFFSET`].
pub struct Node<K, S> {
    /// Initialised in every node but the head; immutable for the node's life.
    key: MaybeUninit<K>,
    /// Initialised in every node but the head.
    payload: MaybeUninit<S>,
    /// The lock and the `marked` / `fully_linked` flags.
    pub(crate) state: NodeState,
    /// The number of levels of the tower, `1..=MAX_HEIGHT`; immutable.
    height: u8,
}

impl<K, S> core::fmt::Debug for Node<K, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Node")
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

impl<K, S> Node<K, S> {
    /// Where the tower starts, from the start of the header.
    const TOWER_OFFSET: usize = {
        let align = core::mem::align_of::<Link<K, S>>();
        core::mem::size_of::<Self>().div_ceil(align) * align
    };

    /// The layout of a node of `height` levels: header, then the tower.
    fn layout(height: usize) -> Layout {
        let (layout, offset) = Layout::new::<Self>()
            .extend(Layout::array::<Link<K, S>>(height).expect("a tower fits in memory"))
            .expect("a node fits in memory");
        debug_assert_eq!(offset, Self::TOWER_OFFSET);
        layout
    }

    /// Allocate a node of `height` levels with all `next` pointers null.
    fn allocate(
        key: MaybeUninit<K>,
        payload: MaybeUninit<S>,
        state: NodeState,
        height: usize,
    ) -> NonNull<Self> {
        assert!((1..=MAX_HEIGHT).contains(&height), "tower height {height}");
        let layout = Self::layout(height);
        // SAFETY: the layout has a non-zero size (it holds at least one
        // pointer).
        let raw = unsafe { std::alloc::alloc(layout) }.cast::<Self>();
        let Some(node) = NonNull::new(raw) else {
            std::alloc::handle_alloc_error(layout)
        };
        // SAFETY: freshly allocated with room and alignment for the header
        // and `height` links (`layout`); nothing else can see it yet.
        unsafe {
            node.as_ptr().write(Node {
                key,
                payload,
                state,
                height: height as u8,
            });
            let tower = Self::tower_ptr(node);
            for level in 0..height {
                tower.add(level).write(AtomicPtr::new(ptr::null_mut()));
            }
        }
        node
    }

    /// A new, private node holding `key` and `value`, not yet linked
    /// (`fully_linked` false).
    pub(crate) fn new(key: K, value: S::Value, height: usize) -> NonNull<Self>
    where
        S: Payload,
    {
        Self::allocate(
            MaybeUninit::new(key),
            MaybeUninit::new(S::new(value)),
            NodeState::new(false),
            height,
        )
    }

    /// A head: the maximum height, no key, no payload. It is never marked,
    /// so it counts as fully linked.
    pub(crate) fn new_head() -> NonNull<Self> {
        Self::allocate(
            MaybeUninit::uninit(),
            MaybeUninit::uninit(),
            NodeState::new(true),
            MAX_HEIGHT,
        )
    }

    /// The first link of `node`'s tower.
    ///
    /// # Safety
    /// `node` points to a live node allocation (and carries its provenance).
    #[inline]
    unsafe fn tower_ptr(node: NonNull<Self>) -> *mut Link<K, S> {
        // SAFETY: the tower lies within the allocation, at `TOWER_OFFSET`
        // (see `layout`); the caller's pointer has the allocation's
        // provenance.
        unsafe { node.as_ptr().cast::<u8>().add(Self::TOWER_OFFSET).cast() }
    }

    /// Free a node that no other thread can reach, dropping its key and
    /// payload unless `parts_taken`. A panicking `Drop` of the key still
    /// drops the payload and frees the memory, then propagates.
    ///
    /// # Safety
    /// `node` came from `allocate`, is not the head (unless `parts_taken`),
    /// is freed only here, and no thread can still reach it.
    unsafe fn free(node: NonNull<Self>, parts_taken: bool) {
        /// Frees the memory, also while unwinding.
        struct Memory<K, S>(NonNull<Node<K, S>>);
        impl<K, S> Drop for Memory<K, S> {
            fn drop(&mut self) {
                // SAFETY: see `free`'s contract: the allocation is ours; the
                // height is read before the memory goes.
                unsafe {
                    let height = usize::from((*self.0.as_ptr()).height);
                    let tower = Node::tower_ptr(self.0);
                    for level in 0..height {
                        ptr::drop_in_place(tower.add(level));
                    }
                    ptr::drop_in_place(ptr::addr_of_mut!((*self.0.as_ptr()).state));
                    std::alloc::dealloc(self.0.as_ptr().cast(), Node::<K, S>::layout(height));
                }
            }
        }
        /// Drops the payload, also while unwinding from the key's `Drop`.
        struct Payload<K, S>(NonNull<Node<K, S>>);
        impl<K, S> Drop for Payload<K, S> {
            fn drop(&mut self) {
                // SAFETY: `free`'s contract: the payload is initialised and
                // dropped only here.
                unsafe { (*self.0.as_ptr()).payload.assume_init_drop() }
            }
        }
        let memory = Memory(node);
        if !parts_taken {
            let payload = Payload(node);
            // SAFETY: `free`'s contract: the key is initialised and dropped
            // only here.
            unsafe { (*node.as_ptr()).key.assume_init_drop() };
            drop(payload);
        }
        drop(memory);
    }

    /// Destroy a node (key, payload, memory).
    ///
    /// # Safety
    /// As for `free`: a non-head node no other thread can reach, destroyed
    /// once.
    pub(crate) unsafe fn destroy(node: *mut Self) {
        // SAFETY: the caller's contract; `node` is non-null (it came from
        // `allocate`).
        unsafe { Self::free(NonNull::new_unchecked(node), false) }
    }

    /// Destroy the head (memory only).
    ///
    /// # Safety
    /// `head` came from `new_head` and is freed once, with no node linked.
    pub(crate) unsafe fn destroy_head(head: NonNull<Self>) {
        // SAFETY: the head's key and payload were never initialised;
        // `parts_taken` skips them.
        unsafe { Self::free(head, true) }
    }

    /// Take the key and value out of a node and free it.
    ///
    /// # Safety
    /// As for `destroy`.
    pub(crate) unsafe fn into_parts(node: NonNull<Self>) -> (K, S::Value)
    where
        S: Payload,
    {
        // SAFETY: a non-head node: key and payload are initialised; they are
        // moved out once, and `free` is told not to drop them again.
        unsafe {
            let key = (*node.as_ptr()).key.assume_init_read();
            let payload = (*node.as_ptr()).payload.assume_init_read();
            Self::free(node, true);
            (key, payload.into_value())
        }
    }

    /// The number of levels.
    #[inline]
    pub(crate) fn height(&self) -> usize {
        usize::from(self.height)
    }

    /// The key.
    ///
    /// # Safety
    /// `self` is not the head.
    #[inline]
    pub(crate) unsafe fn key_unchecked(&self) -> &K {
        // SAFETY: every node but the head has its key initialised.
        unsafe { self.key.assume_init_ref() }
    }

    /// The payload.
    ///
    /// # Safety
    /// `self` is not the head.
    #[inline]
    pub(crate) unsafe fn payload_unchecked(&self) -> &S {
        // SAFETY: every node but the head has its payload initialised.
        unsafe { self.payload.assume_init_ref() }
    }
}

/// A node reached while an epoch guard pins: a pointer with the
/// allocation's provenance (read from a `next` link or returned by
/// `allocate`), so that the tower beyond the header may be reached through
/// it, and it may be stored into links or freed.
pub(crate) struct NodeRef<'g, K, S> {
    ptr: NonNull<Node<K, S>>,
    _guard: PhantomData<&'g Node<K, S>>,
}

impl<K, S> Clone for NodeRef<'_, K, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K, S> Copy for NodeRef<'_, K, S> {}

impl<K, S> PartialEq for NodeRef<'_, K, S> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}

impl<'g, K, S> NodeRef<'g, K, S> {
    /// # Safety
    /// `ptr` points to a node that stays allocated for `'g` (reached while
    /// the guard of lifetime `'g` pins, by the skiplist's reachability
    /// argument) and carries its allocation's provenance.
    #[inline]
    pub(crate) unsafe fn new(ptr: NonNull<Node<K, S>>) -> Self {
        Self {
            ptr,
            _guard: PhantomData,
        }
    }

    /// The pointer (with full provenance).
    #[inline]
    pub(crate) fn ptr(self) -> NonNull<Node<K, S>> {
        self.ptr
    }

    /// The pointer as stored in links.
    #[inline]
    pub(crate) fn raw(self) -> *mut Node<K, S> {
        self.ptr.as_ptr()
    }

    /// The header.
    #[inline]
    pub(crate) fn node(self) -> &'g Node<K, S> {
        // SAFETY: allocated for `'g` (constructor contract).
        unsafe { &*self.ptr.as_ptr() }
    }

    /// The lock and flags.
    #[inline]
    pub(crate) fn state(self) -> &'g NodeState {
        &self.node().state
    }

    /// The number of levels.
    #[inline]
    pub(crate) fn height(self) -> usize {
        self.node().height()
    }

    /// The link of `level`.
    #[inline]
    pub(crate) fn link(self, level: usize) -> &'g Link<K, S> {
        debug_assert!(level < self.height(), "level {level} above the tower");
        // SAFETY: `level < height`, so the link lies in the tower, which was
        // initialised by `allocate` and lives as long as the node.
        unsafe { &*Node::tower_ptr(self.ptr).add(level) }
    }

    /// The successor at `level` (null: the end), read with Acquire.
    #[inline]
    pub(crate) fn next(self, level: usize) -> *mut Node<K, S> {
        // memory ordering: Acquire pairs with the Release store that made
        // this pointer (linking a new node, or unlinking a removed one), so
        // the successor's header, tower and value are visible.
        self.link(level).load(Ordering::Acquire)
    }

    /// The successor at `level`, as a reference valid for `'g`.
    #[inline]
    pub(crate) fn next_ref(self, level: usize) -> Option<NodeRef<'g, K, S>> {
        // SAFETY: a pointer read from a node reached while pinned: the
        // successor was reachable at `level` at some moment after the pin
        // (see "Entries, iterators and reclamation" in the module doc), so it is not freed for `'g`.
        NonNull::new(self.next(level)).map(|p| unsafe { NodeRef::new(p) })
    }

    /// Starts loading the successors at the two levels below `level` into
    /// the cache: the nodes a search that stops at this node on `level`
    /// compares next. It runs while the search waits for the node it is
    /// comparing at `level`, so on a structure larger than the cache the
    /// misses overlap instead of following each other (see "Memory layout,
    /// level distribution and prefetching" in the module doc). A hint only:
    /// it changes no state the program observes. Nothing under loom and
    /// Miri, and off x86-64. At levels 0 and 1 it also prefetches level 0's
    /// successor, which is already on its way: no branch to mispredict.
    #[inline(always)]
    pub(crate) fn prefetch_below(self, level: usize) {
        #[cfg(all(target_arch = "x86_64", not(any(loom, miri))))]
        for below in [level.saturating_sub(1), level.saturating_sub(2)] {
            use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: SSE is part of the x86-64 baseline, so the CPU has
            // the instruction; a prefetch neither faults nor reads memory in
            // the language's sense, so any address (null, or a node freed
            // since) is fine.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(self.next(below).cast()) };
        }
        #[cfg(not(all(target_arch = "x86_64", not(any(loom, miri)))))]
        let _ = level;
    }

    /// The key.
    ///
    /// # Safety
    /// `self` is not the head.
    #[inline]
    pub(crate) unsafe fn key(self) -> &'g K {
        // SAFETY: forwarded contract.
        unsafe { self.node().key_unchecked() }
    }

    /// Live: fully linked and not marked (in the abstract set).
    #[inline]
    pub(crate) fn is_live(self) -> bool {
        self.state().is_live()
    }
}

impl<K, S: Payload> EntryNode for Node<K, S> {
    type Key = K;
    type Value = S::Value;
    #[inline]
    fn key(&self) -> &K {
        // SAFETY: entries are made only for nodes holding a key: the head is
        // never handed out.
        unsafe { self.key_unchecked() }
    }
    #[inline]
    fn state(&self) -> &NodeState {
        &self.state
    }
    #[inline]
    fn load_value(&self, guard: &Guard) -> NonNull<S::Value> {
        // SAFETY: as for `key`.
        unsafe { self.payload_unchecked() }.load(guard)
    }
}

/// How many promotions above level 1 use p = 1/2 (see [`random_height`]).
#[cfg(not(loom))]
const DENSE_LEVELS: usize = 3;

/// A random tower height, capped at [`MAX_HEIGHT`]: a node reaches levels
/// 2, 3 and 4 with probability 1/2, 1/4 and 1/8, as with p = 1/2, and each
/// level above with a further 1/4 (p = 1/4). So `P(height > h)` is 1/2,
/// 1/4, 1/8, 1/32, 1/128, ... and a tower has 23/12 ≈ 1.92 links on
/// average (the module doc says why). Each thread has its own xorshift
/// generator, so no cache line is shared between inserters.
#[cfg(not(loom))]
pub(crate) fn random_height() -> usize {
    use crate::sync::atomic::{AtomicUsize, Ordering};
    use core::cell::Cell;
    /// Hands each thread a distinct seed once.
    static SEEDS: AtomicUsize = AtomicUsize::new(0x748F_EA9B);
    crate::sync::thread_local! {
        static STATE: Cell<u64> = Cell::new({
            // memory ordering: only distinctness matters.
            let seed = SEEDS.fetch_add(0x7F4A_7C15, Ordering::Relaxed) as u64;
            // splitmix64 finaliser, so neighbouring seeds diverge at once.
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) | 1
        });
    }
    let bits = STATE
        .try_with(|state| {
            let mut x = state.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            state.set(x);
            x
        })
        // During thread teardown: any height is correct.
        .unwrap_or(1);
    // The first three zero bits are a level each (p = 1/2), then each pair
    // of zero bits is one more level (p = 1/4).
    let zeros = bits.trailing_zeros() as usize;
    let height = if zeros < DENSE_LEVELS {
        1 + zeros
    } else {
        1 + DENSE_LEVELS + (zeros - DENSE_LEVELS) / 2
    };
    height.min(MAX_HEIGHT)
}

/// Under loom, heights are deterministic per loom thread: each thread's
/// inserts get 2, 1, 2, 1, ... levels, so a model controls which nodes are
/// tall (every thread's first node is) and every execution is reproducible.
#[cfg(loom)]
pub(crate) fn random_height() -> usize {
    crate::sync::thread_local! {
        static INSERTS: core::cell::Cell<usize> = core::cell::Cell::new(0);
    }
    INSERTS.with(|n| {
        let i = n.get();
        n.set(i + 1);
        if i % 2 == 0 {
            2
        } else {
            1
        }
    })
}
