#!/usr/bin/env bash
# W1, W2 and W3 (+ a storm of 200 logins) over plain TCP, TLS, WebSocket
# and WebSocket over TLS, from one run against one release chat-server on
# loopback (a fresh data folder, a self-signed certificate). Prints one
# JSON line per measurement; the BENCHMARKS.md table is made from them.
#
#   benches/load/transports.sh            # DURATION=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
ONLY=${ONLY:-W1 W2 W3S}
cargo build --release -q -p bin-server -p benches
T=${CARGO_TARGET_DIR:-target}/release
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
DATA=$(mktemp -d /tmp/chat-transports.XXXXXX)
"$T/chat-server" --bind 127.0.0.1:19797 --tls 127.0.0.1:19798 --ws 127.0.0.1:19799 \
    --wss 127.0.0.1:19800 --tls-self-signed --data-dir "$DATA" \
    --config benches/load/bench-server.ron --log-level warn &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 400); do
    if (exec 3<>/dev/tcp/127.0.0.1/19800) 2>/dev/null; then break; fi
    sleep 0.05
done
CA="$DATA/tls-cert.pem"
for w in $ONLY; do
    case $w in
        W1) args=(--clients 100 --senders 10) ;;
        W2) args=(--clients 1000 --senders 10) ;;
        W3S) args=(--clients 1000 --senders 10 --rate 20 --storm 200) ;;
    esac
    for t in tcp tls ws wss; do
        case $t in
            tcp) targs=(--addr 127.0.0.1:19797) ;;
            tls) targs=(--addr 127.0.0.1:19798 --tls --ca-file "$CA") ;;
            ws) targs=(--addr 127.0.0.1:19799 --ws) ;;
            wss) targs=(--addr 127.0.0.1:19800 --ws --tls --ca-file "$CA") ;;
        esac
        printf '%s %s ' "$w" "$t"
        "$T/chat-load" "${args[@]}" "${targs[@]}" --duration "$DURATION" --warmup "$WARMUP" \
            --server-pid "$PID" --json
    done
done
