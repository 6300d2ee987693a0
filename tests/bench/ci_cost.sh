#!/usr/bin/env bash
# What CI's cargo commands cost from an empty target directory, in CI's order, and
# how much of it is this bench package's.
#
#   CARGO_TARGET_DIR=/tmp/ci-cost tests/bench/ci_cost.sh
#
# Runs, one after the other in one fresh target directory (as .ci/run does):
#   cargo clippy --workspace --all-targets --all-features -- -D warnings
#   cargo test --workspace --no-run          (compiling only: no auth-bench test runs)
#   cargo bench -p auth-bench --no-run
#   cargo test -p auth-bench --profile bench --test guard_allocations
# each with --timings, and prints the wall time of each and, from the timings data,
# the summed unit time of the packages that only auth-bench brings in.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CARGO_TARGET_DIR:?set CARGO_TARGET_DIR to an empty scratch directory}"
export CARGO_TARGET_DIR
rm -rf "$CARGO_TARGET_DIR"
mkdir -p "$CARGO_TARGET_DIR"
log="$CARGO_TARGET_DIR/ci-cost.log"

step() { # name command...
    local name=$1
    shift
    local start end
    echo "== $name: $* (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$log"
    start=$(date +%s.%N)
    # --timings goes right after the subcommand, before any `--` for the tool.
    "$1" "$2" --timings "${@:3}" >>"$log" 2>&1
    end=$(date +%s.%N)
    python3 -c "print(f'   wall: {$end - $start:.0f} s')" | tee -a "$log"
    # Units of auth-bench and of the packages only it depends on.
    python3 - "$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html" <<'PY' | tee -a "$log"
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);", html, re.S).group(1))
only_bench = {"auth-bench", "casbin", "cedar-policy", "cedar-policy-core", "cedar-policy-formatter",
              "cedar-policy-symcc", "criterion", "criterion-plot", "dhat", "rhai", "rhai_codegen",
              "lalrpop", "lalrpop-util", "ciborium", "ciborium-io", "ciborium-ll", "plotters",
              "tinytemplate", "mini-moka", "miette", "miette-derive", "petgraph", "ena", "ascii-canvas",
              "term", "pico-args", "smol_str", "nonempty", "linked-hash-map", "unicode-security",
              "chrono", "ref-cast", "ref-cast-impl", "educe", "enum-ordinalize", "rsa", "p256",
              "ed25519-dalek", "hmac", "num-bigint-dig", "anes", "oorandom", "page_size", "clap",
              "clap_builder", "clap_lex", "cast", "walkdir", "thousands", "mintex", "backtrace"}
total = sum(u["duration"] for u in units)
mine = sum(u["duration"] for u in units if u["name"] in only_bench)
print(f"   units: {len(units)}, summed unit time {total:.0f} s, of which packages only auth-bench uses {mine:.0f} s")
PY
    cp "$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html" "$CARGO_TARGET_DIR/timing-$name.html"
}

step clippy cargo clippy --workspace --all-targets --all-features -- -D warnings
step test-build cargo test --workspace --no-run
step bench-build cargo bench -p auth-bench --no-run
step alloc-test cargo test -p auth-bench --profile bench --test guard_allocations
echo "log: $log"
