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

use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};

/// Scale a loop count down under Miri, which runs code about 1000x slower,
/// and by `N` when the environment sets `LAZULI_TEST_SCALE_DOWN=N` (CI does
/// for ThreadSanitizer, which runs code 5 to 15x slower and checks every
/// access). Never below 8, so that every loop still runs.
pub fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        return (n / 1000).max(8);
    }
    static DIVISOR: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let divisor = *DIVISOR.get_or_init(|| {
        std::env::var("LAZULI_TEST_SCALE_DOWN")
            .ok()
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1)
    });
    if divisor == 1 {
        n
    } else {
        (n / divisor).max(8)
    }
}

/// Spawns `threads` threads, numbered `0..threads`, that each wait at
/// `start` and then run `body` with their number; `start` may hold other
/// threads too, so that every thread of a test starts at once.
pub fn spawn_after_barrier<T, F>(
    start: &Arc<Barrier>,
    threads: usize,
    body: F,
) -> Vec<JoinHandle<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    let body = Arc::new(body);
    (0..threads)
        .map(|i| {
            let (start, body) = (Arc::clone(start), Arc::clone(&body));
            thread::spawn(move || {
                start.wait();
                body(i)
            })
        })
        .collect()
}
