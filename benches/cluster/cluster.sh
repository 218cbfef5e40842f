#!/usr/bin/env bash
# The cluster's figures on loopback, beside a single server in the same
# run, against release builds (chat-server with the cluster feature) and
# Debian's nats-server (one JetStream server, file storage):
#
#   DELIVERY  chat-load's paced load (CLIENTS clients, SENDERS senders at
#             RATE lines/s each) on a single server, then on NODES nodes
#             with the clients spread over them round robin (so of every
#             line, (NODES-1)/NODES of the deliveries cross nodes):
#             one-way latency p50/p99 and server CPU per delivery, summed
#             over every node and the broker. The two take turns, RUNS
#             times.
#   FAILOVER  benches/cluster/failover.py: FAIL_CLIENTS clients on one of
#             3 nodes, which is killed (-9): time until every other node
#             shows them gone (LEAVE lost) and until each is talking again
#             on another node.
#   IDLE      IDLE_CLIENTS logged-in idle connections over IDLE_NODES
#             nodes (one chat-load process per node, each under the
#             open-file limit); once all are in, IDLE_WAIT seconds idle,
#             then one lobby line: server memory per connection (every
#             node's RSS, the broker's apart) and the line's reach: how
#             many connections read it, and when (p50/p99/max over all of
#             them, waiting at most PROBE_WAIT seconds).
#
#   benches/cluster/cluster.sh                         # everything
#   ONLY=DELIVERY RUNS=3 benches/cluster/cluster.sh
#   ONLY=IDLE IDLE_CLIENTS=100000 benches/cluster/cluster.sh
#
# Prints a markdown table; the raw JSON stays in $OUT. Stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
ONLY=${ONLY:-DELIVERY FAILOVER IDLE}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CLIENTS=${CLIENTS:-100}
SENDERS=${SENDERS:-10}
RATE=${RATE:-20}
NODES=${NODES:-3}
FAIL_CLIENTS=${FAIL_CLIENTS:-20}
IDLE_CLIENTS=${IDLE_CLIENTS:-100000}
IDLE_NODES=${IDLE_NODES:-6}
IDLE_WAIT=${IDLE_WAIT:-20}
PROBE_WAIT=${PROBE_WAIT:-120}
# The nodes' TCP keepalive in the IDLE run (net.keepalive_idle_secs; 0:
# off). On one box the keepalive probes of ~100,000 loopback connections
# fire in bursts of thousands per timer tick, past the loopback's backlog
# (net.core.netdev_max_backlog, 1,000): the lost probes make the kernel
# abort live connections two minutes after they go quiet (BENCHMARKS.md).
IDLE_KEEPALIVE=${IDLE_KEEPALIVE:-0}
NODE_LOG=${NODE_LOG:-warn} # the nodes' --log-level (their logs are in $OUT)
IO_THREADS=${IO_THREADS:-1}
BASE_PORT=${BASE_PORT:-19900}
OUT=${OUT:-$(mktemp -d /tmp/chat-cluster.XXXXXX)}
mkdir -p "$OUT"
KEY=7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c0e

cargo build --release -q -p bin-server --features cluster -p benches
T=${CARGO_TARGET_DIR:-target}/release
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

PIDS=()
NATS_PID=
cleanup() {
    for p in "${PIDS[@]}" $NATS_PID; do kill -KILL "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The load runs' server configuration (benches/load/bench-server.ron), as
# a single server and as a node.
cp benches/load/bench-server.ron "$OUT/single.ron"
sed 's/^)$/    cluster: Some((logs: 4, op_timeout_ms: 10000)),\n)/' benches/load/bench-server.ron >"$OUT/bench.ron"

wait_log() { # file pattern
    for _ in $(seq 1200); do
        if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "no '$2' in $1" >&2; tail -5 "$1" >&2; exit 1
}

start_nats() {
    local port=$((BASE_PORT + 99))
    rm -rf "$OUT/nats"
    "$NATS" -js -a 127.0.0.1 -p "$port" -sd "$OUT/nats" >"$OUT/nats.log" 2>&1 &
    NATS_PID=$!
    NATS_URL="nats://127.0.0.1:$port"
    for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
    echo "nats-server did not start" >&2; exit 1
}

# start_node i prefix: node i of the cluster with that prefix.
start_node() {
    local i=$1 prefix=$2 port=$((BASE_PORT + $1))
    rm -rf "$OUT/n$i"
    CHAT_STORE_KEY=$KEY "$T/chat-server" --bind "127.0.0.1:$port" --data-dir "$OUT/n$i" \
        --config "${NODE_CONFIG:-$OUT/bench.ron}" --io-threads "$IO_THREADS" --log-level "$NODE_LOG" \
        --cluster "$NATS_URL" --node "n$i" >"$OUT/n$i.log" 2>&1 &
    PIDS+=($!)
    eval "NODE_PID_$i=$!"
}

node_ready() { # i
    local port=$((BASE_PORT + $1))
    for _ in $(seq 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { sleep 0.5; return 0; }
        sleep 0.05
    done
    echo "node $1 did not come up" >&2; exit 1
}

stop_all() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    PIDS=()
    if [ -n "$NATS_PID" ]; then kill -KILL "$NATS_PID" 2>/dev/null || true; NATS_PID=; fi
    wait 2>/dev/null || true
}

# utime + stime of a process, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

if [[ " $ONLY " == *" DELIVERY "* ]]; then
    for run in $(seq "$RUNS"); do
        # A single server, no broker.
        rm -rf "$OUT/single"
        "$T/chat-server" --bind "127.0.0.1:$BASE_PORT" --data-dir "$OUT/single" \
            --config "$OUT/single.ron" --io-threads "$IO_THREADS" \
            --log-level warn >"$OUT/single.log" 2>&1 &
        PIDS+=($!); single=$!
        node_ready 0
        uptime >>"$OUT/loadavg.txt"
        "$T/chat-load" --addr "127.0.0.1:$BASE_PORT" --clients "$CLIENTS" --senders "$SENDERS" \
            --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" --server-pid "$single" \
            --json >"$OUT/single-$run.json"
        stop_all
        # NODES nodes and one broker.
        start_nats
        addrs=(); pids=()
        for i in $(seq 0 $((NODES - 1))); do
            start_node "$i" "chat"; node_ready "$i"
            addrs+=(--also-addr "127.0.0.1:$((BASE_PORT + i))"); eval "pids+=(--server-pid \$NODE_PID_$i)"
        done
        uptime >>"$OUT/loadavg.txt"
        nats_before=$(ticks "$NATS_PID")
        "$T/chat-load" --addr "127.0.0.1:$BASE_PORT" "${addrs[@]:2}" --clients "$CLIENTS" \
            --senders "$SENDERS" --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" \
            "${pids[@]}" --server-pid "$NATS_PID" --json >"$OUT/cluster-$run.json"
        echo $(( $(ticks "$NATS_PID") - nats_before )) >"$OUT/nats-ticks-$run.txt"
        stop_all
    done
    echo
    hz=$(getconf CLK_TCK)
    echo "| run | setup | p50 ms | p99 ms | deliveries/s | server CPU µs/delivery (all processes) | broker CPU µs/line |"
    echo "|---|---|---|---|---|---|---|"
    for run in $(seq "$RUNS"); do
        for kind in single cluster; do
            f="$OUT/$kind-$run.json"
            broker=-
            if [ "$kind" = cluster ]; then
                # Over the whole run (logins, warm-up, measure): an upper bound.
                broker=$(python3 -c "import json; d=json.load(open('$f')); print(round($(cat "$OUT/nats-ticks-$run.txt")/$hz/(d['sent_per_s']*($DURATION+$WARMUP))*1e6))")
            fi
            echo "| $run | $kind | $(field "$f" "d['p50_us']/1000") | $(field "$f" "d['p99_us']/1000") | $(field "$f" "round(d['deliveries_per_s'])") | $(field "$f" "round(d['cpu_ns_per_delivery']/1000, 2)") | $broker |"
        done
    done
fi

if [[ " $ONLY " == *" FAILOVER "* ]]; then
    for run in $(seq "$RUNS"); do
        start_nats
        for i in 0 1 2; do start_node "$i" "chat"; node_ready "$i"; done
        python3 benches/cluster/failover.py --victim "127.0.0.1:$((BASE_PORT + 2))" \
            --victim-pid "$NODE_PID_2" --others "127.0.0.1:$BASE_PORT,127.0.0.1:$((BASE_PORT + 1))" \
            --clients "$FAIL_CLIENTS" --tag "$run" >"$OUT/failover-$run.json"
        stop_all
        cat "$OUT/failover-$run.json"
    done
fi

if [[ " $ONLY " == *" IDLE "* ]]; then
    start_nats
    per=$(( IDLE_CLIENTS / IDLE_NODES ))
    sed "s/^    net: ($/    net: (\n        keepalive_idle_secs: $IDLE_KEEPALIVE,/" "$OUT/bench.ron" >"$OUT/idle.ron"
    for i in $(seq 0 $((IDLE_NODES - 1))); do NODE_CONFIG="$OUT/idle.ron" start_node "$i" "chat"; node_ready "$i"; done
    node_pids=(); for i in $(seq 0 $((IDLE_NODES - 1))); do eval "node_pids+=(\$NODE_PID_$i)"; done
    rss_sum() { local s=0 p; for p in "${node_pids[@]}"; do s=$((s + $(awk '/VmRSS/ {print $2}' "/proc/$p/status"))); done; echo "$s"; }
    base=$(rss_sum)
    uptime >>"$OUT/loadavg.txt"
    rm -f "$OUT"/ready-* "$OUT"/reach-* "$OUT/go"
    loads=()
    # One chat-load per node, all at once. Node 0's sends the probe, but
    # only once every load process wrote its ready file (all its clients
    # in, the room's JOIN lines settled) and the script, after IDLE_WAIT,
    # has read the nodes' memory and made the go file; the others count
    # the probe whenever it comes, and from the go file wait PROBE_WAIT
    # for it at most. Each writes its clients' reach times (µs from the
    # probe's Unix-time stamp).
    # --sources 1: the kernel picks each connection's port per destination,
    # so six processes of 16,667 fit; explicit sources (127.0.0.2, ...) are
    # the same two addresses in every process and run out of ports.
    for i in $(seq 0 $((IDLE_NODES - 1))); do
        if [ "$i" = 0 ]; then role=--probe; else role=--probe-listen; fi
        "$T/chat-load" --addr "127.0.0.1:$((BASE_PORT + i))" --idle "$role" --go-file "$OUT/go" --clients "$per" \
            --sources 1 --names "i${i}x" --duration 2 --warmup 0 --login-timeout 900 \
            --probe-wait "$PROBE_WAIT" --ready-file "$OUT/ready-$i" --probe-times "$OUT/reach-$i.txt" \
            --server-pid "${node_pids[$i]}" --json >"$OUT/idle-$i.json" &
        loads+=($!)
    done
    for i in $(seq 0 $((IDLE_NODES - 1))); do
        until [ -e "$OUT/ready-$i" ]; do
            kill -0 "${loads[$i]}" 2>/dev/null || { echo "chat-load for node $i stopped before it was ready" >&2; exit 1; }
            sleep 0.5
        done
    done
    echo "all $IDLE_NODES load processes ready; idle for $IDLE_WAIT s" >&2
    sleep "$IDLE_WAIT"
    loaded=$(rss_sum)
    nats_rss=$(awk '/VmRSS/ {print $2}' "/proc/$NATS_PID/status")
    touch "$OUT/go"
    for p in "${loads[@]}"; do wait "$p"; done
    python3 - "$OUT" "$IDLE_NODES" "$base" "$loaded" "$nats_rss" <<'PY'
import json, sys
out, n, base, loaded, nats_rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
runs = [json.load(open(f"{out}/idle-{i}.json")) for i in range(n)]
reach = sorted(int(l) for i in range(n) for l in open(f"{out}/reach-{i}.txt") if l.strip())
def q(p):
    return reach[min(len(reach) - 1, int(p * len(reach)))] / 1000 if reach else float("nan")
total = sum(r["clients"] for r in runs)
missing = sum(r.get("probe_missing", 0) for r in runs)
closed = sum(r["closed"] for r in runs)
rss = loaded - base
print("| connections logged in | nodes | server KiB (all nodes) | bytes/conn | nats-server KiB | probe read by | reach p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|---|---|---|")
print(f"| {total} | {n} | {rss} | {rss*1024//total} | {nats_rss} | {len(reach)} ({missing} connected without it, {closed} closed) | {q(0.5):.0f} | {q(0.99):.0f} | {q(1.0):.0f} |")
for i, r in enumerate(runs):
    reasons = ", ".join(f"{k}: {v}" for k, v in r.get("close_reasons", {}).items()) or "none"
    print(f"node {i}: {r['clients']} in (login p99 {r['login_p99_us']/1e6:.1f} s, {r['connect_all_s']:.0f} s all), "
          f"probe read by {r.get('probe_reached', 0)}, p50/p99/max {r.get('probe_reach_p50_us', 0)/1000:.0f}/"
          f"{r.get('probe_reach_p99_us', 0)/1000:.0f}/{r.get('probe_reach_max_us', 0)/1000:.0f} ms; closed {r['closed']} ({reasons})")
PY
    stop_all
fi
echo "raw results in $OUT"
