//! lazuli: concurrent data structures.
#![warn(missing_docs, missing_debug_implementations)]
#![deny(unsafe_op_in_unsafe_fn)]

mod sync;

#[cfg(loom)]
#[doc(hidden)]
pub use sync::coverage;

#[allow(dead_code)]
mod lazy;
pub mod list;
pub mod queue;
pub mod skiplist;

pub use list::{ListMap, ListSet};
pub use queue::{PushError, Queue};
