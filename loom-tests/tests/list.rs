//! loom models of the lazy list's protocol (`src/list/`, `src/lazy/`).
//!
//! Under `cfg(loom)` the node locks are loom-visible spin locks that yield
//! (see `src/lazy/lock.rs`), so loom explores every interleaving of searches,
//! lock acquisitions, validations, marks, links and unlinks, with the
//! preemption bound given to each model.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test list
//! # with the epoch collector modelled too (retired nodes are then freed
//! # inside the model):
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test list
//! ```
//!
//! Each model prints its execution count and time, and asserts that it
//! reached the protocol paths, or observed the outcomes, it names.
//!
//! The models themselves are shared with the other ordered structure:
//! `tests/ordered/models.rs`; this file names, per model, the protocol paths
//! it must reach here.
//!
//! `replace_insert_before` is the skiplist's only: the list replaces a
//! value in place under its node's own lock and never locks or validates
//! the predecessor, so on the list `insert(1, new) || insert(0)` shares
//! only a load and a store of the head's link, and no outcome or path of
//! it depends on the interleaving (with the real epoch loom explores one
//! execution of it; with the epoch modelled, executions differ only in the
//! collector).
#![cfg(loom)]

#[path = "ordered/models.rs"]
mod models;

use lazuli::list::paths::*;
use lazuli::list::LazyList;

ordered_models!(LazyList, "list", models::BOUND, {
    insert_insert_same_key_makes_one_node: [VALUE_REPLACED, VALIDATION_FAILED],
    get_or_insert_get_or_insert_agree: [VALIDATION_FAILED],
    insert_remove_neighbours: [VALIDATION_FAILED, LOCK_CONTENDED],
    insert_remove_same_key: [LOCK_CONTENDED],
    remove_remove_one_winner: [VALIDATION_FAILED, LOCK_CONTENDED],
    remove_remove_adjacent: [VALIDATION_FAILED],
    remove_get: [LOOKUP_SAW_MARKED],
    replace_get: [VALUE_REPLACED],
    pop_front_pop_back_split_two: [VALIDATION_FAILED],
    replace_remove: [REPLACE_SAW_CHANGE, VALUE_REPLACED],
    iterate_while_replacing: [VALUE_REPLACED],
    front_pop_front: [ORDERED_QUERY_RETRIED],
    // No path: its outcomes show the race (the resumed iterator saw
    // neither, one or both of the appended keys).
    a_resumed_iterator_follows_an_appending_writer: [],
    get_or_insert_meets_its_key_being_removed: [INSERT_WAITED_FOR_REMOVER],
    entry_remove_races_a_remove: [ENTRY_REMOVE_STALE],
    compare_insert_remove: [VALUE_REPLACED],
    lower_bound_insert: [ORDERED_QUERY_RETRIED],
    range_remove: [LOCK_CONTENDED],
    clear_insert: [VALIDATION_FAILED, LOCK_CONTENDED],
    pop_back_races_an_append: [POP_BACK_APPENDED],
});
