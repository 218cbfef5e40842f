#!/usr/bin/env bash
# The whole load set on loopback, against a release chat-server (over chat/1
# and over its IRC listener) and against ngircd (the reference): W1, W2, W3
# (senders spread over the interval, and W3A with them aligned into
# bursts), the login storm and 10,000 idle connections, RUNS runs each
# (default 3), each on a freshly started server. The servers take turns
# within each run (chat/1, our IRC, ngircd, then the next workload), so a
# change in the machine's load hits all of them alike; the load average
# before every run is kept in $OUT/loadavg.txt. Prints the medians and the
# ratios to ngircd as a markdown table; the raw JSON of every run stays in
# $OUT (printed at the end).
#
#   benches/load/load.sh                        # everything (about 15 minutes)
#   RUNS=1 ONLY=W1 PROTOS=chat benches/load/load.sh
#   PROTOS="irc ngircd" ONLY="W1 W2 W3" benches/load/load.sh   # IRC beside ngircd
#   IO_THREADS=2 ONLY="W4 IDLE" PROTOS=chat benches/load/load.sh
#   FINAL=1 benches/load/load.sh                # the targets table (see below)
#
# SERVER_CONFIG runs our server with another configuration file (default
# benches/load/bench-server.ron), to compare settings.
# IO_THREADS passes --io-threads to chat-server (unset: its default, chosen
# from the cores it may run on); CHAT_SERVER runs another build (a
# baseline) instead of this tree's, CHAT_LOAD another chat-load (with
# both set, nothing is built); IDLE_CLIENTS sets the idle runs' size
# (default 10000), spread over loopback source addresses past what one
# address's ports allow.
#
# The load generator measures as one on another machine would: on a box
# with fewer than four cores (PIN=auto, the default) chat-load runs on the
# last core and every server on the others (taskset), so the generator's
# reading never takes the server's cores and the server's default sees the
# cores it has; PIN=no shares every core, PIN=yes pins on any box. The
# server's CPU time comes from /proc/PID/stat (chat-load --server-pid).
#
# FINAL=1 takes every figure of the targets (W1-W4 for chat/1, our IRC
# listener and ngircd, each server's default settings, RUNS runs of each,
# fresh server per run, plus W4 with one I/O thread for both of our
# protocols) once the machine is quiet: it waits until the 1-minute load
# average has stayed under QUIET_LOAD (default 0.5) for QUIET_FOR seconds
# (default 120), for at most QUIET_WAIT seconds (default 3600), and stops
# if it never was (QUIET_WAIT=0 runs at once, and says so). It prints the
# targets with met / not met. Where the default is one I/O thread (up to
# two cores, as here), W4's two columns are one layout measured twice: the
# table says so, from the layout the server itself logs.
#
# The ports (CHAT_PORT, OUR_IRC_PORT, NGIRCD_PORT) can be moved when others
# run servers on the same machine.
#
# PROTOS: chat (our server, chat/1), irc (our server's IRC listener, the
# same PRIVMSG lines as ngircd gets) and ngircd; chat-1t and irc-1t are our
# server with --io-threads 1.
# Needs: cargo, python3, taskset (util-linux), ngircd (apt-get install
# ngircd) for the reference.
set -euo pipefail
cd "$(dirname "$0")/../.."

FINAL=${FINAL:-}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
if [ -n "$FINAL" ]; then
    ONLY=${ONLY:-W1 W2 W3 W4}
    PROTOS=${PROTOS:-chat irc ngircd}
    # W4's target compares the default with one I/O thread.
    EXTRA_W4=${EXTRA_W4:-chat-1t irc-1t}
fi
ONLY=${ONLY:-}
PROTOS=${PROTOS:-chat irc ngircd}
EXTRA_W4=${EXTRA_W4:-}
PIN=${PIN:-auto}
QUIET_LOAD=${QUIET_LOAD:-0.5}
QUIET_FOR=${QUIET_FOR:-120}
QUIET_WAIT=${QUIET_WAIT:-3600}
CHAT_PORT=${CHAT_PORT:-19797}
OUR_IRC_PORT=${OUR_IRC_PORT:-19667}
NGIRCD_PORT=${NGIRCD_PORT:-16667} # replaces the Ports of benches/load/ngircd.conf
OUT=${OUT:-$(mktemp -d /tmp/chat-load.XXXXXX)}
IO_THREADS=${IO_THREADS:-}
SERVER_CONFIG=${SERVER_CONFIG:-benches/load/bench-server.ron}
IDLE_CLIENTS=${IDLE_CLIENTS:-10000}
IDLE_SOURCES=$(( (IDLE_CLIENTS + 19999) / 20000 ))
mkdir -p "$OUT"

T=${CARGO_TARGET_DIR:-target}/release
# Given both binaries (CHAT_SERVER and CHAT_LOAD), nothing is built: runs
# taken in turn against several builds use one load generator throughout.
if [ -z "${CHAT_SERVER:-}" ] || [ -z "${CHAT_LOAD:-}" ]; then
    cargo build --release -q -p bin-server -p benches
fi
CHAT_SERVER=${CHAT_SERVER:-$T/chat-server}
CHAT_LOAD=${CHAT_LOAD:-$T/chat-load}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Where the servers and the load generator run (see the top).
CORES=$(nproc)
SERVER_ON=()
LOAD_ON=()
case $PIN in
    auto | yes)
        if [ "$CORES" -ge 2 ] && { [ "$PIN" = yes ] || [ "$CORES" -lt 4 ]; }; then
            if ! command -v taskset >/dev/null; then
                echo "taskset is not installed (util-linux): cannot pin the load generator" >&2
                exit 1
            fi
            last=$((CORES - 1))
            if [ "$last" -eq 1 ]; then SERVER_ON=(taskset -c 0); else SERVER_ON=(taskset -c "0-$((last - 1))"); fi
            LOAD_ON=(taskset -c "$last")
        fi
        ;;
    no) ;;
    *)
        echo "PIN must be auto, yes or no" >&2
        exit 2
        ;;
esac
{
    echo "cores: $CORES; servers on: ${SERVER_ON[*]:-every core}; chat-load on: ${LOAD_ON[*]:-every core}"
    echo "chat-server: $CHAT_SERVER ($(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
} >"$OUT/setup.txt"
cat "$OUT/setup.txt" >&2

# FINAL: wait for a quiet machine (the load average is over the whole box).
if [ -n "$FINAL" ] && [ "$QUIET_WAIT" -gt 0 ]; then
    waited=0
    quiet_since=
    while :; do
        load1=$(cut -d' ' -f1 /proc/loadavg)
        if awk -v l="$load1" -v q="$QUIET_LOAD" 'BEGIN { exit !(l < q) }'; then
            quiet_since=${quiet_since:-$waited}
            if [ $((waited - quiet_since)) -ge "$QUIET_FOR" ]; then
                break
            fi
        else
            quiet_since=
        fi
        if [ "$waited" -ge "$QUIET_WAIT" ]; then
            echo "the machine never was quiet (1-minute load average under $QUIET_LOAD for ${QUIET_FOR} s) in ${QUIET_WAIT} s (now $load1): not taking final figures; QUIET_WAIT=0 runs anyway" >&2
            exit 3
        fi
        sleep 10
        waited=$((waited + 10))
    done
    echo "quiet: load average under $QUIET_LOAD for ${QUIET_FOR} s" | tee -a "$OUT/setup.txt" >&2
elif [ -n "$FINAL" ]; then
    echo "QUIET_WAIT=0: taken without waiting for a quiet machine (load average $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$OUT/setup.txt" >&2
fi

SERVER_PID=
DATA=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 200); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
cleanup() {
    stop_server
    if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        echo "port $1 is already in use: stop what listens there first" >&2
        exit 1
    fi
}

wait_port() {
    for _ in $(seq 400); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "server on port $1 did not come up" >&2
    return 1
}

# start_chat [keep] [THREADS]: our server with its chat/1 and IRC
# listeners; a fresh data folder unless "keep"; --io-threads THREADS if
# given, else IO_THREADS.
start_chat() {
    if [ "${1:-}" != keep ]; then
        if [ -n "$DATA" ]; then rm -rf "$DATA"; fi
        DATA=$(mktemp -d /tmp/chat-load-data.XXXXXX)
    fi
    port_free "$CHAT_PORT"
    port_free "$OUR_IRC_PORT"
    local threads=${2:-$IO_THREADS}
    "${SERVER_ON[@]}" "$CHAT_SERVER" --bind "127.0.0.1:$CHAT_PORT" --irc-bind "127.0.0.1:$OUR_IRC_PORT" \
        --data-dir "$DATA" --config "$SERVER_CONFIG" --log-level warn \
        ${threads:+--io-threads "$threads"} 2>>"$OUT/server.log" &
    SERVER_PID=$!
    wait_port "$CHAT_PORT"
    wait_port "$OUR_IRC_PORT"
}

start_ngircd() {
    port_free "$NGIRCD_PORT"
    sed "s/^\([[:space:]]*Ports = \).*/\1$NGIRCD_PORT/" benches/load/ngircd.conf >"$OUT/ngircd.conf"
    "${SERVER_ON[@]}" ngircd -n -f "$OUT/ngircd.conf" >>"$OUT/ngircd.log" 2>&1 &
    SERVER_PID=$!
    wait_port "$NGIRCD_PORT"
}

# start SERVER [keep]: the server a PROTOS value runs against.
start() {
    case $1 in
        ngircd) start_ngircd ;;
        *-1t) start_chat "${2:-}" 1 ;;
        *) start_chat "${2:-}" ;;
    esac
}

load() { # server out-name args...
    local server=$1 name=$2; shift 2
    local port=$CHAT_PORT proto=chat
    case $server in
        irc | irc-1t) port=$OUR_IRC_PORT proto=irc ;;
        ngircd) port=$NGIRCD_PORT proto=irc ;;
    esac
    if ! "${LOAD_ON[@]}" "$CHAT_LOAD" --addr "127.0.0.1:$port" --proto "$proto" --server-pid "$SERVER_PID" \
        --json "$@" >"$OUT/$name.json.tmp"; then
        echo "run $name failed; left out of the medians" >&2
        rm -f "$OUT/$name.json.tmp"
        return 0
    fi
    mv "$OUT/$name.json.tmp" "$OUT/$name.json"
}

want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# The load average before a run: the machine is shared, so a figure is
# only as good as the quiet it was taken in.
note_load() { # label
    echo "$1 $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/loadavg.txt"
}

# layout_of [THREADS]: the I/O layout our server chooses where the runs
# put it (its own "I/O thread(s)" line), read off a server started just
# for that: with --io-threads THREADS if given, else the default.
layout_of() {
    local data log
    data=$(mktemp -d /tmp/chat-load-data.XXXXXX)
    log="$OUT/layout-probe.log"
    port_free "$CHAT_PORT"
    "${SERVER_ON[@]}" "$CHAT_SERVER" --bind "127.0.0.1:$CHAT_PORT" --data-dir "$data" \
        --config "$SERVER_CONFIG" --log-level info ${1:+--io-threads "$1"} 2>"$log" &
    SERVER_PID=$!
    wait_port "$CHAT_PORT"
    stop_server
    rm -rf "$data"
    grep -o '[0-9]* I/O thread(s)[a-z '"'"']*' "$log" | tail -1
}

# W4 compares the default with one I/O thread: say whether they are one
# layout here (up to two cores the default is one thread), so the two
# columns read as one configuration measured twice.
if want W4 && [[ " $EXTRA_W4 " == *"-1t"* ]]; then
    default_layout=$(layout_of)
    one_layout=$(layout_of 1)
    echo "default layout: $default_layout; --io-threads 1: $one_layout" >>"$OUT/setup.txt"
    if [ -n "$default_layout" ] && [ "$default_layout" = "$one_layout" ]; then
        echo "$default_layout" >"$OUT/w4-same-layout.txt"
    fi
fi

if [[ " $PROTOS " == *" ngircd "* ]] && ! command -v ngircd >/dev/null; then
    echo "ngircd is not installed: skipping the reference runs" >&2
    PROTOS=${PROTOS//ngircd/}
fi
for i in $(seq "$RUNS"); do
    for w in W1 W2 W3 W3A W4 STORM; do
        want "$w" || continue
        case $w in
            W1) args=(--clients 100 --senders 10) ;;
            W2) args=(--clients 1000 --senders 10) ;;
            W3) args=(--clients 1000 --senders 10 --rate 20) ;;
            W3A) args=(--clients 1000 --senders 10 --rate 20 --aligned) ;;
            W4) args=(--clients 1000 --senders 10 --rate 2) ;;
            STORM) args=(--clients 1000 --senders 10 --rate 20 --storm 200 --storm-at 3) ;;
        esac
        servers=$PROTOS
        if [ "$w" = W4 ]; then servers="$PROTOS $EXTRA_W4"; fi
        for server in $servers; do
            echo "== $server $w run $i" >&2
            start "$server"
            note_load "$w-$server-$i"
            load "$server" "$w-$server-$i" "${args[@]}" --duration "$DURATION" --warmup "$WARMUP"
            stop_server
        done
    done
    want IDLE || continue
    for server in $PROTOS; do
        echo "== $server IDLE run $i" >&2
        case $server in
            chat)
                # Register the accounts, then measure on a restarted server
                # that loaded them: the figure is per connection, and the
                # directory's own cost is reported apart.
                start chat
                load chat "REG-chat-$i" --idle --clients "$IDLE_CLIENTS" --names idle \
                    --sources "$IDLE_SOURCES" --duration 0.1 --warmup 0
                stop_server
                start chat keep
                note_load "IDLE-$server-$i"
                load chat "IDLE-$server-$i" --idle --clients "$IDLE_CLIENTS" --names idle --login \
                    --sources "$IDLE_SOURCES" --probe --duration 2 --warmup 0
                ;;
            irc)
                # An IRC login here joins #lobby and lists its members:
                # 10,000 of them would measure NAMES replies (O(n^2) bytes,
                # over 120 s), not idle connections.
                echo "IDLE over IRC left out: every login lists the whole room" >&2
                continue
                ;;
            ngircd)
                start ngircd
                note_load "IDLE-$server-$i"
                load ngircd "IDLE-$server-$i" --idle --clients "$IDLE_CLIENTS" \
                    --sources "$IDLE_SOURCES" --duration 2 --warmup 0
                ;;
        esac
        stop_server
    done
done

python3 - "$OUT" <<'PY'
import glob, json, os, re, statistics, sys
out = sys.argv[1]
def runs(name):
    """The runs of `name` (e.g. "W1-chat-"): W1-chat-1.json, not W1-chat-1t-1.json."""
    pat = re.compile(re.escape(name) + r"[0-9]+\.json$")
    return [json.load(open(os.path.join(out, f))) for f in sorted(os.listdir(out)) if pat.match(f)]
def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None
def fmt(v, unit=""):
    if v is None: return "-"
    if abs(v) >= 1e6: return f"{v/1e6:.2f} M{unit}"
    if abs(v) >= 1e4: return f"{v/1e3:.1f} k{unit}"
    if abs(v) < 100: return f"{v:.1f}{unit}"
    return f"{v:.0f}{unit}"
def ratio(a, b):
    return f"{a/b:.2f}x" if a and b else "-"
rows = [
    ("W1 100 clients, 10 senders, saturation", "W1", [("deliveries/s", "deliveries_per_s"), ("server CPU ns/delivery", "cpu_ns_per_delivery"), ("p50 us", "p50_us"), ("p99 us", "p99_us")]),
    ("W2 1,000 clients, 10 senders, saturation", "W2", [("deliveries/s", "deliveries_per_s"), ("server CPU ns/delivery", "cpu_ns_per_delivery"), ("p50 us", "p50_us"), ("p99 us", "p99_us")]),
    ("W3 1,000 clients, 10 senders at 20/s", "W3", [("p50 us", "p50_us"), ("p99 us", "p99_us"), ("p99.9 us", "p999_us"), ("max us", "max_us"), ("deliveries/s", "deliveries_per_s"), ("server CPU ns/delivery", "cpu_ns_per_delivery")]),
    ("W3A as W3, senders aligned (bursts)", "W3A", [("p50 us", "p50_us"), ("p99 us", "p99_us"), ("p99.9 us", "p999_us"), ("max us", "max_us")]),
    ("W4 1,000 clients, 10 senders at 2/s", "W4", [("p50 us", "p50_us"), ("p99 us", "p99_us"), ("p99.9 us", "p999_us"), ("max us", "max_us"), ("server CPU ns/delivery", "cpu_ns_per_delivery"), ("machine CPU ms/message", "machine_cpu_ms_per_message"), ("chat-load CPU ms/message", "load_cpu_ms_per_message")]),
    ("W3 + storm of 200 logins", "STORM", [("p50 us outside storm", "p50_us"), ("p99 us outside storm", "p99_us"), ("p50 us during storm", "storm_p50_us"), ("p99 us during storm", "storm_p99_us"), ("storm login p99 us", "storm_login_p99_us")]),
    ("idle logged-in connections", "IDLE", [("server bytes per connection, all in", "rss_per_client_bytes"), ("server bytes per connection, after 2 s idle", "rss_idle_per_client_bytes"), ("connect+login all, s", "connect_all_s"), ("JOIN lines all in, s after", "settle_s"), ("one message to all, ms", "fanout_all_ms")]),
]
servers = [("chat", "chat-server chat/1"), ("irc", "chat-server IRC"), ("ngircd", "ngircd"), ("chat-1t", "chat/1, 1 I/O thread"), ("irc-1t", "IRC, 1 I/O thread")]
present = [(k, t) for k, t in servers if any(re.match(r"[A-Z0-9]+-" + re.escape(k) + r"-[0-9]+\.json$", f) for f in os.listdir(out))]
print(f"Medians of runs in {out}\n")
setup = os.path.join(out, "setup.txt")
if os.path.exists(setup):
    print("".join(f"    {l}" for l in open(setup)))
head = [t for _, t in present] + [f"{t} / ngircd" for k, t in present if k in ("chat", "irc") and any(k2 == "ngircd" for k2, _ in present)]
print("| workload | figure | " + " | ".join(head) + " |")
print("|---|---|" + "---|" * len(head))
for title, key, figs in rows:
    got = {k: runs(f"{key}-{k}-") for k, _ in present}
    if not any(got.values()): continue
    for label, f in figs:
        vals = {k: med(got[k], f) for k, _ in present}
        cells = [fmt(vals[k]) for k, _ in present]
        if "ngircd" in vals:
            cells += [ratio(vals[k], vals["ngircd"]) for k, _ in present if k in ("chat", "irc")]
        print(f"| {title} | {label} | " + " | ".join(cells) + " |")
        title = ""
def targets():
    """The issue's targets, from the medians: (target, chat/1, IRC)."""
    def m(w, k, f): return med(runs(f"{w}-{k}-"), f)
    def check(name, w, f, num, den, op, limit, met_anyway=None):
        """met_anyway: why the target holds whatever the ratio (said with it)."""
        cells = []
        for proto in ("chat", "irc"):
            a, b = m(w, num.format(p=proto), f), m(w, den.format(p=proto), f)
            if a is None or b is None:
                cells.append("-")
                continue
            r = a / b
            ok = r >= limit if op == ">=" else r <= limit
            verdict = f"met: {met_anyway}" if met_anyway else ("met" if ok else "**not met**")
            cells.append(f"{r:.2f}x {verdict}")
        if all(c == "-" for c in cells):
            return None
        return f"| {name} | {op} {limit}x | " + " | ".join(cells) + " |"
    same = os.path.join(out, "w4-same-layout.txt")
    # One layout measured twice: the ratio is the runs' spread.
    one_layout = (f"one layout both ways ({open(same).read().strip()}), measured twice"
                  if os.path.exists(same) else None)
    lines = [
        check("W1 deliveries/s vs ngircd", "W1", "deliveries_per_s", "{p}", "ngircd", ">=", 2.0),
        check("W1 server CPU per delivery vs ngircd", "W1", "cpu_ns_per_delivery", "{p}", "ngircd", "<=", 0.2),
        check("W2 deliveries/s vs ngircd", "W2", "deliveries_per_s", "{p}", "ngircd", ">=", 2.0),
        check("W2 server CPU per delivery vs ngircd", "W2", "cpu_ns_per_delivery", "{p}", "ngircd", "<=", 0.2),
        check("W3 p99 vs ngircd", "W3", "p99_us", "{p}", "ngircd", "<=", 0.5),
        check("W4 p99, default vs one I/O thread", "W4", "p99_us", "{p}", "{p}-1t", "<=", 1.0,
              met_anyway=one_layout),
    ]
    return [l for l in lines if l]
t = targets()
if t:
    print("\n| target | bound | chat/1 | IRC |\n|---|---|---|---|")
    print("\n".join(t))
reg = runs("REG-")
if reg:
    print(f"\nRegistering the accounts (directory and store included): {fmt(med(reg, 'rss_per_client_bytes'))} bytes per account, median of {len(reg)}.")
loadavg = os.path.join(out, "loadavg.txt")
if os.path.exists(loadavg):
    avgs = [float(l.split()[1]) for l in open(loadavg) if len(l.split()) > 1]
    if avgs:
        print(f"\nLoad average (1 min) before the runs: {min(avgs):.2f} to {max(avgs):.2f}, median {statistics.median(avgs):.2f} ({loadavg}).")
errs = [(os.path.basename(p), r["errors"], r["closed"], r["gaps"]) for p in sorted(glob.glob(os.path.join(out, "*.json"))) for r in [json.load(open(p))] if r["errors"] or r["closed"] or r["gaps"]]
print("\nErrors, closes or gaps: " + (", ".join(f"{n}: {e} ERR {c} closed {g} missing" for n, e, c, g in errs) if errs else "none"))
PY
echo "raw results: $OUT" >&2
