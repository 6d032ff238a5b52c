//! The element count: a striped counter, so that updates do not all funnel
//! through one contended cache line.
//!
//! Each thread adds its `+1`/`-1` to one of [`STRIPES`] cache-padded cells
//! (picked once per thread); `len` sums them. The sum is exact whenever the
//! structure is quiescent (no update in flight); during concurrent updates it
//! is a snapshot that may lag or lead by the updates in flight, and it is
//! never reported below zero. Under loom there is a single stripe.

use crossbeam_utils::CachePadded;

use crate::sync::atomic::{AtomicUsize, Ordering};

/// Number of cells (a power of two).
#[cfg(not(loom))]
pub(crate) const STRIPES: usize = 8;
/// Number of cells (a power of two).
#[cfg(loom)]
pub(crate) const STRIPES: usize = 1;

/// A striped element count (see the module doc).
pub(crate) struct Length {
    /// Cell `i` holds the (wrapping) sum of the `+1`/`-1` of the threads
    /// assigned to stripe `i`.
    cells: Box<[CachePadded<AtomicUsize>]>,
}

impl Length {
    /// A count of zero.
    pub(crate) fn new() -> Self {
        Self {
            cells: (0..STRIPES)
                .map(|_| CachePadded::new(AtomicUsize::new(0)))
                .collect(),
        }
    }

    /// Count one inserted element.
    #[inline]
    pub(crate) fn increment(&self) {
        // memory ordering: a statistic. Relaxed RMWs never lose an update;
        // a reader that wants an exact count synchronises with the updaters
        // by other means (joining them), which orders these too.
        self.cells[stripe()].fetch_add(1, Ordering::Relaxed);
    }

    /// Count one removed element.
    #[inline]
    pub(crate) fn decrement(&self) {
        // memory ordering: as in `increment`. A stripe may go "negative"
        // (wrap) when its threads remove more than they insert; the sum in
        // `get` is taken with wrapping arithmetic.
        self.cells[stripe()].fetch_sub(1, Ordering::Relaxed);
    }

    /// The current count (see the module doc for how exact it is).
    pub(crate) fn get(&self) -> usize {
        let sum = self
            .cells
            .iter()
            // memory ordering: a snapshot; see `increment`.
            .fold(0usize, |sum, cell| {
                sum.wrapping_add(cell.load(Ordering::Relaxed))
            });
        (sum as isize).max(0) as usize
    }

    /// Reset to zero (with exclusive access).
    pub(crate) fn reset(&mut self) {
        for cell in self.cells.iter() {
            // memory ordering: `&mut self`, no concurrent access.
            cell.store(0, Ordering::Relaxed);
        }
    }
}

/// This thread's stripe.
#[cfg(not(loom))]
#[inline]
fn stripe() -> usize {
    /// Hands out stripes round-robin to threads as they first count.
    static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);
    crate::sync::thread_local! {
        // memory ordering: only uniqueness-ish matters (any stripe is
        // correct); Relaxed suffices.
        static STRIPE: usize = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.try_with(|s| *s).unwrap_or(0)
}

/// This thread's stripe.
#[cfg(loom)]
#[inline]
fn stripe() -> usize {
    0
}
