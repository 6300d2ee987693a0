#!/usr/bin/env bash
# Runs every fuzz target for a few seconds on its checked-in seeds: a smoke test that
# fails on a crash, a timeout (an input slower than 10 s) or a harness that no longer
# builds. .ci/run calls it; locally: fuzz/smoke.sh [seconds per target] [target..].
#
# Needs nightly (cargo-fuzz builds with a sanitizer). Without it: an error under CI
# (CI=true), a skip with the reason elsewhere. Installs cargo-fuzz when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift $(( $# > 0 ? 1 : 0 ))

if ! cargo +nightly --version >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "error: the fuzz smoke needs a nightly toolchain: rustup toolchain install nightly" >&2
        exit 1
    fi
    echo "skipped: the fuzz smoke needs a nightly toolchain (rustup toolchain install nightly)"
    exit 0
fi
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# New inputs go to a scratch corpus; the seeds stay as checked in.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cargo +nightly fuzz build
for target in "${targets[@]}"; do
    echo "--- $target: ${seconds} s"
    extra=()
    case "$target" in
        requires_*) extra=(-dict=fuzz/dicts/rust.dict) ;;
    esac
    mkdir -p "$scratch/$target"
    # Progress lines are noise in a CI log; errors, reports and the final stats stay.
    cargo +nightly fuzz run "$target" "$scratch/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${extra[@]}" 2>&1 \
        | grep -Ev '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|NEW_FUNC|^"|recommended dictionary'
done
