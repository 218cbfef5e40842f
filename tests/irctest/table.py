"""Per-file table of an irctest run, from pytest's JUnit XML.

    python3 tests/irctest/table.py RESULTS.xml [LABEL]

run.sh writes RESULTS.xml when given `--junitxml=RESULTS.xml`. Prints one
Markdown row per file (passed, failed, skipped, xfailed) and the totals,
in the order of files.txt (or of the list FILES names, as for run.sh).
"""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

FILES = [
    f.strip()
    for f in Path(os.environ.get("FILES") or Path(__file__).parent / "files.txt")
    .read_text()
    .splitlines()
    if f.strip()
]


def outcome(case: ET.Element) -> str:
    """passed, failed, skipped or xfailed, as pytest counts them."""
    for child in case:
        if child.tag in ("failure", "error"):
            return "failed"
        if child.tag == "skipped":
            kind = child.get("type", "")
            return "xfailed" if kind == "pytest.xfail" else "skipped"
    return "passed"


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    label = sys.argv[2] if len(sys.argv) > 2 else "total"
    counts: dict[str, Counter] = {f: Counter() for f in FILES}
    for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
        # classname: irctest.server_tests.<file>.<Class>, or
        # irctest.server_tests.<folder>.<file>.<Class>
        parts = case.get("classname", "").split(".")[2:-1]
        name = "/".join(parts) or "?"
        counts.setdefault(name, Counter())[outcome(case)] += 1
    kinds = ["passed", "failed", "skipped", "xfailed"]
    print("| file | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    total: Counter = Counter()
    for name, c in counts.items():
        total.update(c)
        print(f"| {name} | " + " | ".join(str(c[k]) for k in kinds) + " |")
    print(f"| **{label}** | " + " | ".join(f"**{total[k]}**" for k in kinds) + " |")


if __name__ == "__main__":
    main()
