#!/usr/bin/env bash
# Runs the IRC conformance suite irctest against chat-server's IRC listener
# (or, with --baseline, against ngircd) on the files and markers of
# CONFORMANCE.md.
#
#   tests/irctest/run.sh IRCTEST_DIR [--baseline] [extra pytest arguments]
#
# The files run are those of files.txt, or of the list FILES names
# (modes.txt: the channel-mode files).
# IRCTEST_DIR is a checkout of https://github.com/progval/irctest; its test
# dependencies (pytest ecdsa filelock websockets pytest-xdist
# pytest-timeout) must be importable. chat-server is built in release mode
# first unless CHAT_SERVER_BIN names a binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n 2,15p "$0" >&2; exit 2; }
irctest=$(cd "$1" && pwd); shift
controller=chat_controller
if [ "${1:-}" = --baseline ]; then
    controller=irctest.controllers.ngircd
    shift
elif [ -z "${CHAT_SERVER_BIN:-}" ]; then
    cargo build --release --locked -p bin-server --manifest-path "$repo/Cargo.toml" >&2
fi

files=()
while read -r f; do
    [ -n "$f" ] && files+=("irctest/server_tests/$f.py")
done < "${FILES:-$here/files.txt}"

# The markers of CONFORMANCE.md's main table; MARKERS overrides them (the
# server's accounts are built in, so `services` tests can run against it).
markers=${MARKERS:-'not services and not implementation-specific and not deprecated and not strict'}
cd "$irctest"
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m pytest -p no:cacheprovider \
    --controller "$controller" -m "$markers" --timeout 30 -n "${JOBS:-2}" -rfEsx "$@" \
    "${files[@]}"
