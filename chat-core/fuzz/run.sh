#!/usr/bin/env bash
# Runs every fuzz target of chat-core for a while: ./run.sh [seconds] [target...]
# (default 60 seconds each, all targets). Needs a nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). New corpus entries go to
# corpus/<target> and crashes to artifacts/<target>, both ignored by git;
# the committed seeds in seeds/<target> are read, never written.
set -euo pipefail

cd "$(dirname "$0")"
here="$(pwd)"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Several threads share the machine: stay polite.
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "seeds/$target"
    echo "== $target: ${seconds}s"
    nice -n 10 cargo +nightly fuzz run "$target" "$here/corpus/$target" "$here/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
