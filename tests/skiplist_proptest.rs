//! The state-machine model test (see `support::map_model`) for `SkipMap`
//! against `BTreeMap` and `SkipSet` against `BTreeSet`, on a key space small
//! enough that towers of several heights neighbour each other. Failing cases
//! are saved to `proptest-regressions/skiplist.txt`.

mod support;

model_tests!(
    skiplist,
    SkipMap,
    SkipSet,
    "proptest-regressions/skiplist.txt",
    512
);
