#!/usr/bin/env python3
"""Where a run's latency tail comes from, from `chat-load --timeline FILE`.

Each row of the file is one message sent while measuring: when it was sent,
when its first and its last receiver read it, and how many read it (times
in microseconds from the start of the measured window). A delivery's
latency is then split in two:

- wait: from the send to the first receiver's read (the message reaching
  the server, waiting for its turn, the start of its fan-out), and
- spread: from the first receiver's read to this receiver's, bounded by
  the fan-out's length (last - first), which is the server writing to
  every member and the load generator reading them.

Prints, for all messages and for the slowest 1 % (by their last read), the
medians of wait, fan-out length and whole latency, and the gaps between
messages: how many were sent while the one before was still being fanned
out (they share a turn, or wait for the next).

    chat-load ... --timeline /tmp/w3.csv
    benches/load/timeline.py /tmp/w3.csv
"""
import csv
import statistics
import sys


def main(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            if int(r["receipts"]) == 0:
                continue
            rows.append({k: int(v) for k, v in r.items()})
    if not rows:
        print("no message was read")
        return
    rows.sort(key=lambda r: r["sent_us"])
    for r in rows:
        r["wait"] = r["first_us"] - r["sent_us"]
        r["fanout"] = r["last_us"] - r["first_us"]
        r["whole"] = r["last_us"] - r["sent_us"]
    overlap = sum(1 for a, b in zip(rows, rows[1:]) if b["sent_us"] < a["last_us"])

    def med(rs, k):
        return statistics.median(r[k] for r in rs) / 1000

    def show(name, rs):
        print(
            f"{name:>22}: {len(rs):6} messages; wait {med(rs, 'wait'):7.2f} ms, "
            f"fan-out {med(rs, 'fanout'):7.2f} ms, sent to last read {med(rs, 'whole'):7.2f} ms (medians)"
        )

    show("all", rows)
    slow = sorted(rows, key=lambda r: r["whole"])[-max(1, len(rows) // 100):]
    show("slowest 1 %", slow)
    print(
        f"{overlap} of {len(rows)} messages ({100 * overlap / len(rows):.0f} %) were sent "
        "before the one sent just before them had reached its last receiver"
    )
    # The worst 10, in time order, to put beside a scheduler trace.
    print("slowest 10 (sent, wait, fan-out, to last read, ms):")
    for r in sorted(sorted(rows, key=lambda r: r["whole"])[-10:], key=lambda r: r["sent_us"]):
        print(
            f"  at {r['sent_us'] / 1e6:8.3f} s  {r['wait'] / 1000:7.2f}  "
            f"{r['fanout'] / 1000:7.2f}  {r['whole'] / 1000:7.2f}"
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
