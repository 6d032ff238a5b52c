//! Skiplist benches (issue 5): being written.
fn main() {}
