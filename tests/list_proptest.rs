//! The state-machine model test (see `support::map_model`) for `ListMap`
//! against `BTreeMap` and `ListSet` against `BTreeSet`. Failing cases are
//! saved to `proptest-regressions/list.txt`.

mod support;

model_tests!(list, ListMap, ListSet, "proptest-regressions/list.txt", 512);
