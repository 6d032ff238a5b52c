//! `ListMap` and `ListSet`: the concurrent suite, plus the properties of
//! single operations, drops, panics and memory.

mod support;

#[global_allocator]
static ALLOC: support::alloc::Counting = support::alloc::Counting;

ordered_cases!(ListMap, ListSet, list);

#[test]
fn a_replacement_keeps_the_keys_node() {
    let _g = shared();
    // The list swaps the value in place under the node's lock (the skiplist
    // puts a new node in the old one's place instead).
    let map = ListMap::new();
    let first = map.insert(1, "a".to_string());
    let second = map.insert(1, "b".to_string());
    assert!(!first.is_removed(), "a replacement keeps the key's node");
    assert_eq!(
        first.value(),
        "a",
        "an entry keeps the value it was made with"
    );
    assert_eq!(second.value(), "b");
}

// ---- memory ----

#[test]
fn a_list_set_of_u64_uses_at_most_32_bytes_per_entry() {
    let _exclusive = support::alloc::measuring();
    let n = scaled(10_000);
    // Registers this thread with the collector first.
    drop(crossbeam_epoch::pin());
    // The counters are process-wide and the test harness allocates on its own
    // threads, so a window is trusted only if it saw exactly our `n`
    // allocations (foreign frees can only make `bytes` smaller).
    for attempt in 0..20 {
        let set = ListSet::new();
        set.insert(u64::MAX);
        let before = support::alloc::live_bytes();
        let allocations_before = support::alloc::allocations();
        for k in 0..n as u64 {
            set.insert(k);
        }
        let bytes = support::alloc::live_bytes().wrapping_sub(before);
        let allocations = support::alloc::allocations() - allocations_before;
        if allocations != n {
            println!("attempt {attempt}: {allocations} allocations for {n} entries (foreign traffic), again");
            continue;
        }
        let per_entry = bytes as f64 / n as f64;
        println!("ListSet<u64>: {per_entry:.3} bytes per entry, one allocation per entry");
        assert!(
            bytes <= 32 * n,
            "ListSet<u64> uses {per_entry:.3} bytes per entry, more than 32"
        );
        return;
    }
    panic!("no quiet window in 20 attempts: more than one allocation per entry?");
}
