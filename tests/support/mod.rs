//! Test support shared by every integration-test binary (`mod support;`).
//!
//! | module | what it gives a test |
//! |---|---|
//! | [`alloc`] | a counting global allocator, for "allocates nothing" and bytes-per-entry tests |
//! | [`drops`] | values that count their drops, and values whose `Drop` panics |
//! | [`lincheck`] | history recording and the WGL linearizability checker |
//! | [`map_model`] | the proptest state-machine model test, likewise (`model_tests!`) |
//! | [`map_suite`] | the concurrent suite written once for every ordered map and set |
//! | [`ordered_cases`] | the single-operation, drop, panic and trait tests, likewise (`ordered_cases!`) |
#![allow(dead_code, unused_imports)]

pub mod alloc;
pub mod drops;
pub mod lincheck;
pub mod map_model;
pub mod map_suite;
pub mod ordered_cases;

/// Scale a loop count down under Miri, which runs code about 1000x slower.
pub fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        (n / 1000).max(8)
    } else {
        n
    }
}
