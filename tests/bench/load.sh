#!/usr/bin/env bash
# 6. End to end under wrk, on loopback only, bounded in time and connections.
#
#   tests/bench/load.sh              # bench server (defaults, cache off) + orders-api
#   DURATION=10s CONNECTIONS=50 REPEAT=3 tests/bench/load.sh
#   ONLY=server tests/bench/load.sh  # or ONLY=orders
#
# The bench server (tests/bench/src/bin/server.rs) serves the same static body on
# /public (#[public]), /guarded (#[requires(authenticated)], HS256 JwtAuthenticator)
# and /baseline (a hand-written jsonwebtoken middleware). Every request carries the
# same bearer token, so the requests differ only in their path. Each route is run
# REPEAT times, interleaved, after a short warm-up; the table gives the median
# requests per second (min-max), latency percentiles of the median run, the
# server's CPU time per request, and the ratio to /public.
#
# orders-api (examples/) runs with an in-memory database and RUST_LOG=warn (its
# default logs every request's audit events to stdout, which would be measured
# instead); alice logs in, then GET /products, /me and /orders/{id} are compared.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-50}
THREADS=${THREADS:-1}
REPEAT=${REPEAT:-3}
ONLY=${ONLY:-all}
SERVER_ADDR=127.0.0.1:18090
ORDERS_ADDR=127.0.0.1:18091

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing wrk (apt-get)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
    else
        echo "wrk is not installed: apt-get install wrk" >&2
        exit 1
    fi
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

executable() { # package target
    cargo build -p "$1" --profile bench --bin "$2" --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$2"
}

wait_listening() { # host:port
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    exit 1
}

cpu_ticks() { # pid -> utime + stime in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

# run LABEL PID URL: one wrk run; appends "label rps p50 p90 p99 cpu_us_per_req" to $work/runs
run() {
    local label=$1 pid=$2 url=$3
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "Authorization: Bearer $TOKEN" "$url" >/dev/null
    local before after
    before=$(cpu_ticks "$pid")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$url" >"$work/out"
    after=$(cpu_ticks "$pid")
    if grep -q "Non-2xx" "$work/out"; then
        echo "$label: some responses were not 2xx:" >&2
        cat "$work/out" >&2
        exit 1
    fi
    python3 - "$label" "$((after - before))" "$(getconf CLK_TCK)" "$work/out" >>"$work/runs" <<'PY'
import re, sys
label, ticks, hz, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
text = open(path).read()
def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
cpu_us = ticks / hz * 1e6 / total
print(f"{label} {rps:.0f} {pct['50']:.3f} {pct['90']:.3f} {pct['99']:.3f} {cpu_us:.1f}")
PY
    tail -1 "$work/runs" >&2
}

summary() { # title baseline-label labels...
    local title=$1 base=$2
    shift 2
    python3 - "$work/runs" "$title" "$base" "$REPEAT" "$@" <<'PY'
import statistics, sys
path, title, base, repeat, labels = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
runs = {}
for line in open(path):
    f = line.split()
    runs.setdefault(f[0], []).append([float(x) for x in f[1:]])
def median_run(rows):
    rows = sorted(rows, key=lambda r: r[0])
    return rows[len(rows) // 2]
base_rps = statistics.median(r[0] for r in runs[base])
print(f"\n{title}: medians of {repeat} runs")
print("| route | req/s (min-max) | ratio to " + base + " | p50 ms | p90 ms | p99 ms | server CPU µs/req |")
print("|---|---|---|---|---|---|---|")
for label in labels:
    rows = runs[label]
    rps = [r[0] for r in rows]
    med = median_run(rows)
    print(f"| {label} | {statistics.median(rps):.0f} ({min(rps):.0f}-{max(rps):.0f}) | "
          f"{statistics.median(rps) / base_rps:.2f} | {med[1]:.3f} | {med[2]:.3f} | {med[3]:.3f} | {statistics.median(r[4] for r in rows):.1f} |")
PY
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $REPEAT runs each" >&2

if [ "$ONLY" = all ] || [ "$ONLY" = server ]; then
    server=$(executable auth-bench auth-bench-server)
    for cache in default 0; do
        : >"$work/runs"
        AUTH_BENCH_ADDR=$SERVER_ADDR AUTH_BENCH_CACHE=$cache "$server" >"$work/server.out" &
        pid=$!
        pids+=("$pid")
        wait_listening "$SERVER_ADDR"
        TOKEN=$(sed -n 's/^token //p' "$work/server.out")
        for _ in $(seq "$REPEAT"); do
            for route in public guarded baseline; do
                run "/$route" "$pid" "http://$SERVER_ADDR/$route"
            done
        done
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        if [ "$cache" = 0 ]; then title="bench server, token cache off"; else title="bench server, the library's defaults (token cache on, 4 096)"; fi
        summary "$title" /public /public /guarded /baseline
    done
fi

if [ "$ONLY" = all ] || [ "$ONLY" = orders ]; then
    orders=$(executable examples orders-api)
    : >"$work/runs"
    ORDERS_API_ADDR=$ORDERS_ADDR ORDERS_API_JWT_SECRET="auth-bench: a 32-byte HS256 key." \
        RUST_LOG=warn "$orders" >"$work/orders.out" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_listening "$ORDERS_ADDR"
    TOKEN=$(python3 - "$ORDERS_ADDR" <<'PY'
import json, sys, urllib.request
addr = sys.argv[1]
request = urllib.request.Request(
    f"http://{addr}/auth/login",
    data=json.dumps({"email": "alice@example.com", "password": "alice-password"}).encode(),
    headers={"content-type": "application/json"},
)
print(json.load(urllib.request.urlopen(request))["access_token"])
PY
)
    order=$(python3 - "$ORDERS_ADDR" "$TOKEN" <<'PY'
import json, sys, urllib.request
addr, token = sys.argv[1], sys.argv[2]
request = urllib.request.Request(f"http://{addr}/orders", headers={"authorization": f"Bearer {token}"})
print(json.load(urllib.request.urlopen(request))["items"][0]["id"])
PY
)
    for _ in $(seq "$REPEAT"); do
        run "/products" "$pid" "http://$ORDERS_ADDR/products"
        run "/me" "$pid" "http://$ORDERS_ADDR/me"
        run "/orders/$order" "$pid" "http://$ORDERS_ADDR/orders/$order"
    done
    summary "orders-api (in-memory SQLite, RUST_LOG=warn)" /products /products /me "/orders/$order"
fi
