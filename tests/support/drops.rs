//! Values that count their drops, to prove "dropped exactly once".

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// A shared tally of drops.
#[derive(Clone, Debug, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A fresh tally at zero.
    pub fn new() -> Self {
        Self::default()
    }
    /// A value that adds one to this tally when dropped.
    pub fn track<T>(&self, value: T) -> Tracked<T> {
        Tracked {
            value,
            counter: self.0.clone(),
            panic_on_drop: false,
        }
    }
    /// A value that adds one to this tally and then panics when dropped.
    pub fn track_panicking<T>(&self, value: T) -> Tracked<T> {
        Tracked {
            value,
            counter: self.0.clone(),
            panic_on_drop: true,
        }
    }
    /// Drops so far.
    pub fn get(&self) -> usize {
        self.0.load(SeqCst)
    }
}

/// A value whose drop is counted (and may panic, on purpose).
#[derive(Debug)]
pub struct Tracked<T> {
    /// The payload.
    pub value: T,
    counter: Arc<AtomicUsize>,
    panic_on_drop: bool,
}

impl<T> Drop for Tracked<T> {
    fn drop(&mut self) {
        self.counter.fetch_add(1, SeqCst);
        if self.panic_on_drop && !std::thread::panicking() {
            panic!("Tracked::drop panics on purpose");
        }
    }
}
