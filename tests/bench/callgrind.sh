#!/usr/bin/env bash
# 1. Instructions per guarded call, under valgrind's callgrind (repeatable, unlike
# wall time on a shared machine).
#
#   tests/bench/callgrind.sh                 # every guard variant
#   tests/bench/callgrind.sh guard role/macro  # some
#   tests/bench/callgrind.sh jwt               # token verification (items 2, 3)
#
# Builds the `guard_callgrind` (or `jwt_callgrind`) bench binary (bench profile),
# runs each variant N1 and N2 times under callgrind, and prints
# (Ir(N2) - Ir(N1)) / (N2 - N1): the instructions of one call, start-up and set-up
# cancelled out. Pass --no-default-features --features rust_crypto in CARGO_ARGS
# for the other JWT backend.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=guard_callgrind
case "${1:-}" in
    guard) shift ;;
    jwt) target=jwt_callgrind; shift ;;
esac
if [ "$target" = jwt_callgrind ]; then
    N1=${N1:-20}
    N2=${N2:-220}
else
    N1=${N1:-1000}
    N2=${N2:-21000}
fi

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

# shellcheck disable=SC2086 # CARGO_ARGS is a list of words
binary=$(cargo bench -p auth-bench ${CARGO_ARGS:-} --bench "$target" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$target")
[ -n "$binary" ] || { echo "could not build $target" >&2; exit 1; }

if [ $# -gt 0 ]; then
    variants=("$@")
else
    mapfile -t variants < <("$binary" | sed -n 's/^  //p')
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

instructions() { # variant calls
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$binary" "$1" "$2" >/dev/null 2>"$out/log"
    sed -n 's/^summary: //p' "$out/cg"
}

printf '%-32s %14s\n' "variant" "instr/call"
for variant in "${variants[@]}"; do
    a=$(instructions "$variant" "$N1")
    b=$(instructions "$variant" "$N2")
    python3 -c "print('%-32s %14.1f' % ('$variant', ($b - $a) / ($N2 - $N1)))"
done
