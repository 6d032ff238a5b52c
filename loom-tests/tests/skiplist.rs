//! loom models of the lazy skiplist's protocol (`src/skiplist/`, reusing
//! `src/lazy/`).
//!
//! Under `cfg(loom)` towers have at most 2 levels, node locks are
//! loom-visible spin locks that yield, and tower heights are deterministic
//! per loom thread: each thread's 1st, 3rd, ... insert makes a 2-level node
//! and its 2nd, 4th, ... a 1-level node (see `src/skiplist/node.rs`). So
//! every model below states which nodes are tall, and loom explores every
//! interleaving of searches, lock acquisitions, validations, bottom-up links,
//! marks and top-down unlinks, including the window in which a tall node is
//! linked at level 0 but not yet at level 1 (not yet fully linked).
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom --test skiplist
//! RUSTFLAGS="--cfg loom --cfg crossbeam_loom" cargo test --release \
//!     --manifest-path loom-tests/Cargo.toml --target-dir target/loom-epoch --test skiplist
//! ```
//!
//! Each model prints its execution count and time, and asserts that it
//! reached the protocol paths, or observed the outcomes, it names.
//!
//! The models themselves are shared with the lazy list: `tests/ordered/models.rs`;
//! this file names, per model, the protocol paths it must reach here.
#![cfg(loom)]

#[path = "ordered/models.rs"]
mod models;

use lazuli::skiplist::paths::*;
use lazuli::skiplist::LazySkipList;

ordered_models!(LazySkipList, "skiplist", models::BOUND, {
    insert_insert_same_key_makes_one_node: [NODE_REPLACED, INSERT_WAITED_FOR_INSERTER],
    get_or_insert_get_or_insert_agree: [VALIDATION_FAILED],
    insert_remove_same_key: [REMOVE_SAW_NOT_LIVE],
    insert_remove_neighbours: [VALIDATION_FAILED, LOCK_CONTENDED],
    remove_remove_one_winner: [REMOVE_LOST_RACE, LOCK_CONTENDED],
    remove_remove_adjacent: [REMOVE_REVALIDATED],
    remove_get: [LOOKUP_SAW_NOT_LIVE],
    replace_get: [NODE_REPLACED, LOOKUP_FOLLOWED_REPLACEMENT],
    replace_remove: [NODE_REPLACED, REMOVE_SAW_REPLACED, REPLACE_FOUND_MARKED],
    replace_insert_before: [NODE_REPLACED, REPLACE_REVALIDATED],
    iterate_while_replacing: [NODE_REPLACED],
    pop_front_pop_back_split_two: [LOCK_CONTENDED],
    front_pop_front: [ORDERED_QUERY_RETRIED],
    a_resumed_iterator_follows_an_appending_writer: [WALK_WAITED_FOR_INSERTER],
    get_or_insert_meets_its_key_being_removed: [INSERT_WAITED_FOR_REMOVER],
    entry_remove_races_a_remove: [REMOVE_LOST_RACE],
    compare_insert_remove: [INSERT_WAITED_FOR_REMOVER, NODE_REPLACED],
    lower_bound_insert: [ORDERED_QUERY_RETRIED],
    range_remove: [LOCK_CONTENDED],
    clear_insert: [VALIDATION_FAILED, LOCK_CONTENDED, POP_WAITED],
    pop_back_races_an_append: [POP_WAITED],
});
