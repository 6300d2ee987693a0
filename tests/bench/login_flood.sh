#!/usr/bin/env bash
# /health latency during a flood of wrong-password logins (BENCHMARKS.md, "Login
# flood"). Runs one orders-api binary on loopback, floods POST /auth/login with
# wrk (FLOOD connections, one wrong password each, the same email), and measures
# GET /health with a second wrk (4 connections) at the same time, then alone.
#
#   tests/bench/login_flood.sh target/debug/orders-api
#   DURATION=10s FLOOD=32 tests/bench/login_flood.sh path/to/orders-api [VAR=value ...]
#
# Extra VAR=value arguments go to the service's environment, e.g.
# ORDERS_API_LOGIN_LIMIT_IP=100000/1 ORDERS_API_LOGIN_LIMIT_EMAIL=100000/1 to
# switch the login throttle off and measure the hashing pool alone.
set -euo pipefail
BINARY=${1:?usage: login_flood.sh path/to/orders-api [VAR=value ...]}
shift
DURATION=${DURATION:-10s}
FLOOD=${FLOOD:-32}
ADDR=${ADDR:-127.0.0.1:18092}
SCRIPT=$(mktemp)
trap 'rm -f "$SCRIPT"; [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true' EXIT
cat > "$SCRIPT" <<'LUA'
wrk.method = "POST"
wrk.body = '{"email":"alice@example.com","password":"wrong password"}'
wrk.headers["Content-Type"] = "application/json"
LUA
env RUST_LOG=warn ORDERS_API_ADDR="$ADDR" \
    ORDERS_API_JWT_SECRET="login flood benchmark secret, 32+ bytes" "$@" \
    "$BINARY" >/dev/null 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "http://$ADDR/health" >/dev/null && break; sleep 0.1; done
echo "## /health alone"
wrk -t1 -c4 -d"$DURATION" --latency "http://$ADDR/health" | grep -E "Latency|50%|99%|Requests/sec"
echo "## /health during $FLOOD concurrent wrong-password logins"
wrk -t1 -c"$FLOOD" -d"$DURATION" -s "$SCRIPT" "http://$ADDR/auth/login" > /tmp/login_flood.$$ &
FLOOD_PID=$!
sleep 1
wrk -t1 -c4 -d"$DURATION" --latency "http://$ADDR/health" | grep -E "Latency|50%|99%|Requests/sec"
wait "$FLOOD_PID"
echo "## the flood itself"
grep -E "Requests/sec|Non-2xx|requests in" /tmp/login_flood.$$
rm -f /tmp/login_flood.$$
