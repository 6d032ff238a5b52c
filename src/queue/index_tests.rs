//! The claim indices past 32 bits. A `usize` index wrapped there on 32-bit
//! targets (back to lap 0 while `block` stayed on the current chunk); these
//! tests are compiled on every target, so a 32-bit build that narrowed the
//! index again would fail to compile or fail them.

use super::chunk::Chunk;
use super::{Queue, CLOSED, STEP};
use crate::sync::atomic::Ordering;
use std::sync::Arc;

/// Laps that need more than 32 bits, the 32-bit edges, and the largest
/// lap whose every index, `CLOSED` bit included, fits a `u64`.
fn laps<const CHUNK: usize>() -> [u64; 8] {
    let top = (u64::MAX / STEP - CHUNK as u64) / Queue::<u8, CHUNK>::LAP;
    [
        0,
        1,
        u64::from(u32::MAX) / (STEP * Queue::<u8, CHUNK>::LAP),
        u64::from(u32::MAX),
        1 << 32,
        (1 << 32) + 1,
        3 << 40,
        top,
    ]
}

fn round_trip<const CHUNK: usize>() {
    type Q<const C: usize> = Queue<u8, C>;
    for lap in laps::<CHUNK>() {
        for offset in [0, CHUNK / 2, CHUNK - 1, CHUNK] {
            let index = Q::<CHUNK>::index_of(lap, offset);
            assert_eq!(Q::<CHUNK>::split(index), (lap, offset), "lap {lap}");
            assert_eq!(Q::<CHUNK>::split(index | CLOSED), (lap, offset));
            let position = lap * CHUNK as u64 + offset as u64;
            assert_eq!(Q::<CHUNK>::position(index), position, "lap {lap}");
            assert_eq!(Q::<CHUNK>::position(index | CLOSED), position);
            // The next index is further on: no wrap.
            if offset < CHUNK {
                assert!(Q::<CHUNK>::index_of(lap, offset + 1) > index);
            }
        }
        if lap < laps::<CHUNK>()[7] {
            // A lap's end is the next lap's start, a larger index.
            let end = Q::<CHUNK>::index_of(lap, CHUNK);
            let next = Q::<CHUNK>::index_of(lap + 1, 0);
            assert_eq!(Q::<CHUNK>::position(end), Q::<CHUNK>::position(next));
            assert!(next > end);
        }
    }
}

#[test]
fn index_helpers_round_trip_for_laps_past_32_bits() {
    round_trip::<1>();
    round_trip::<2>();
    round_trip::<96>();
    round_trip::<{ super::DEFAULT_CHUNK }>();
}

/// A queue whose ends both stand at the start of lap `lap`, its first
/// chunk installed for that lap, as if `lap * CHUNK` elements had passed.
fn starting_at_lap<const CHUNK: usize>(lap: u64) -> Queue<u64, CHUNK> {
    let queue = Queue::<u64, CHUNK>::with_chunk_size();
    queue.install_first_chunk();
    // memory ordering: Relaxed throughout: no other thread has the
    // queue yet; handing it over (`Arc`, spawn) synchronises.
    let chunk = queue.head.block.load(Ordering::Relaxed);
    // SAFETY: just installed and never claimed from: empty, and nobody
    // else can reach it.
    unsafe { Chunk::rewind(chunk, lap) };
    let start = Queue::<u64, CHUNK>::index_of(lap, 0);
    queue.head.index.store(start, Ordering::Relaxed);
    queue
        .head
        .seen_tail
        .store(lap * CHUNK as u64, Ordering::Relaxed);
    queue.tail.index.store(start, Ordering::Relaxed);
    queue
}

/// Laps to start at: one whose index crosses 2^32 after a few laps (a
/// 32-bit index wrapped there), and one whose lap number is past 2^32.
fn start_laps<const CHUNK: usize>() -> [u64; 2] {
    let per_lap = STEP * Queue::<u64, CHUNK>::LAP;
    [(1 << 32) / per_lap - 3, (1 << 33) + 5]
}

fn single_thread_across_laps<const CHUNK: usize>() {
    for lap in start_laps::<CHUNK>() {
        let queue = starting_at_lap::<CHUNK>(lap);
        let n = 10 * CHUNK as u64 + 3;
        for i in 0..n {
            queue.push(i).unwrap();
        }
        assert_eq!(queue.len() as u64, n, "lap {lap}");
        let mut out = Vec::new();
        // Across a lap's end: two claims.
        assert_eq!(queue.pop_into(&mut out, CHUNK + 1), CHUNK + 1);
        queue.push_iter(n..n + 2 * CHUNK as u64).unwrap();
        while let Some(value) = queue.pop() {
            out.push(value);
        }
        assert_eq!(out, (0..n + 2 * CHUNK as u64).collect::<Vec<_>>());
        assert!(queue.is_empty());
        // The tail moved past 32 bits' worth of index (or started there).
        let tail = queue.tail.index.load(Ordering::Relaxed);
        assert!(tail > u64::from(u32::MAX), "lap {lap}: tail {tail}");
        assert!(queue.close());
        assert!(queue.push(0).is_err());

        // The `&mut self` paths and `Drop` with elements left.
        let mut queue = starting_at_lap::<CHUNK>(lap);
        for i in 0..n {
            queue.push_mut(i).unwrap();
        }
        for i in 0..n / 2 {
            assert_eq!(queue.pop_mut(), Some(i));
        }
        assert_eq!(queue.len() as u64, n - n / 2);
        assert!(queue.into_iter().eq(n / 2..n));
    }
}

#[test]
fn a_queue_past_32_bits_of_index_stays_fifo() {
    single_thread_across_laps::<1>();
    single_thread_across_laps::<4>();
    single_thread_across_laps::<96>();
}

#[test]
fn concurrent_traffic_past_32_bits_of_index_delivers_each_element_once() {
    const CHUNK: usize = 4;
    const THREADS: u64 = 2;
    let per_producer: u64 = if cfg!(miri) { 40 } else { 20_000 };
    for lap in start_laps::<CHUNK>() {
        let queue = Arc::new(starting_at_lap::<CHUNK>(lap));
        let producers: Vec<_> = (0..THREADS)
            .map(|p| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    for i in 0..per_producer {
                        queue.push(p * per_producer + i).unwrap();
                    }
                })
            })
            .collect();
        let consumers: Vec<_> = (0..THREADS)
            .map(|_| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while got.len() < per_producer as usize {
                        match queue.pop() {
                            Some(value) => got.push(value),
                            None => std::thread::yield_now(),
                        }
                    }
                    got
                })
            })
            .collect();
        for producer in producers {
            producer.join().unwrap();
        }
        let mut all = Vec::new();
        for consumer in consumers {
            let got = consumer.join().unwrap();
            // Each producer's elements in the order it pushed them.
            for p in 0..THREADS {
                let mine = got.iter().filter(|&&v| v / per_producer == p);
                assert!(mine.clone().zip(mine.skip(1)).all(|(a, b)| a < b));
            }
            all.extend(got);
        }
        all.sort_unstable();
        assert_eq!(all, (0..THREADS * per_producer).collect::<Vec<_>>());
        assert!(queue.is_empty());
    }
}
