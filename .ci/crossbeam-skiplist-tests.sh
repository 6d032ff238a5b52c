#!/usr/bin/env bash
# Runs crossbeam-skiplist 0.1.3's own `tests/map.rs` and `tests/set.rs`
# against lazuli's ListMap/ListSet and SkipMap/SkipSet, with only the import
# line rewritten: the drop-in promise, checked.
#
# The test files are read from the copy cargo downloads anyway
# (crossbeam-skiplist is a dev-dependency); the rewritten copies and a tiny
# cargo project depending on lazuli by path are generated under
# target/crossbeam-skiplist-tests/. Nothing of them is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=0.1.3

# Make sure the crate's sources are unpacked in the registry.
cargo fetch --quiet
src=""
for dir in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/crossbeam-skiplist-$version; do
    if [[ -f $dir/tests/map.rs && -f $dir/tests/set.rs ]]; then
        src=$dir
    fi
done
if [[ -z $src ]]; then
    echo "crossbeam-skiplist-$version/tests not found under the cargo registry" >&2
    exit 1
fi
echo "crossbeam-skiplist tests from $src"

out=$root/target/crossbeam-skiplist-tests
rm -rf "$out/tests"
mkdir -p "$out/tests" "$out/src"
utils=$(sed -n '/^name = "crossbeam-utils"$/{n;s/^version = "\(.*\)"$/\1/p;q}' Cargo.lock)
cat >"$out/Cargo.toml" <<TOML
[package]
name = "crossbeam-skiplist-tests-on-lazuli"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
lazuli = { path = "$root" }
crossbeam-utils = "=$utils"
TOML
echo "//! Generated: see .ci/crossbeam-skiplist-tests.sh." >"$out/src/lib.rs"
cp Cargo.lock "$out/Cargo.lock"

# rewrite FILE FROM TO DEST: copy FILE with its one import line of FROM
# rewritten to lazuli's TO, and nothing else changed.
rewrite() {
    local file=$1 from=$2 to=$3 dest=$4
    local import="use crossbeam_skiplist::$from;"
    if [[ $(grep -c "crossbeam_skiplist" "$src/tests/$file") != 1 ]] ||
        ! grep -qxF "$import" "$src/tests/$file"; then
        echo "$file: expected exactly one line '$import'" >&2
        exit 1
    fi
    sed "s/^use crossbeam_skiplist::$from;\$/use lazuli::$to as $from;/" \
        "$src/tests/$file" >"$out/tests/$dest.rs"
    local changed
    changed=$(diff "$src/tests/$file" "$out/tests/$dest.rs" | grep -c '^>' || true)
    if [[ $changed != 1 ]]; then
        echo "$dest.rs: expected one rewritten line, found $changed" >&2
        exit 1
    fi
}
rewrite map.rs SkipMap ListMap list_map
rewrite set.rs SkipSet ListSet list_set
rewrite map.rs SkipMap SkipMap skip_map
rewrite set.rs SkipSet SkipSet skip_set

cargo test --manifest-path "$out/Cargo.toml" --target-dir "$out/target" \
    --test list_map --test list_set --test skip_map --test skip_set -- --test-threads 2
