#!/bin/bash
# Regenerates compat-matrix.md: the syscall table joined with evidence from the test suite.
#   tools/compat-matrix.sh             run the e2e tests with syscall accounting on (RUMPLX_STATS_DIR:
#                                      each rumplx run gets `--stats DIR/<case>.jsonl`, each case adds
#                                      its command and result), merge the records into
#                                      compat-evidence.jsonl, then generate the matrix from them
#   tools/compat-matrix.sh --no-tests  regenerate from the committed compat-evidence.jsonl only (after
#                                      a change to the table; the evidence stays as last collected)
# Both files are committed; loader/tests/compat_matrix.rs fails when compat-matrix.md is not what
# `rumplx compat --format md --evidence compat-evidence.jsonl` prints.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--no-tests" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/rumplx-stats.XXXXXX")
    cargo build -p rumplx
    export RUST_TEST_THREADS="${RUST_TEST_THREADS:-2}"
    # A failing test still ran: its records are evidence of what was made, so go on.
    RUMPLX_STATS_DIR="$dir" cargo test -p rumplx-tests --no-fail-fast "$@" \
        || echo "compat-matrix.sh: some tests failed; their records are kept as evidence" >&2
    # Per test (the file's name): its processes' counts summed into one record, and its case
    # result, in a stable order.
    python3 - "$dir" > compat-evidence.jsonl <<'PY'
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if not f.endswith(".jsonl"):
        continue
    test, calls, cases = f[:-len(".jsonl")], {}, []
    for line in open(os.path.join(d, f)):
        if not line.strip():
            continue
        r = json.loads(line)
        if "calls" in r:
            for c in r["calls"]:
                m = calls.setdefault(c["nr"], {"nr": c["nr"], "name": c["name"], "ok": 0, "errors": {}})
                m["ok"] += c["ok"]
                for e, n in c["errors"].items():
                    m["errors"][e] = m["errors"].get(e, 0) + n
        elif "case" in r:
            cases.append(r)
    if calls:
        rec = {"test": test, "calls": [dict(c, errors=dict(sorted(c["errors"].items()))) for _, c in sorted(calls.items())]}
        print(json.dumps(rec, separators=(",", ":")))
    for c in cases[-1:]:
        print(json.dumps(dict({"test": test}, **c), separators=(",", ":")))
PY
    rm -rf "$dir"
fi
cargo run -q -p rumplx -- compat --format md --evidence compat-evidence.jsonl > compat-matrix.md
echo "compat-matrix.md: $(grep -c '^| [0-9]' compat-matrix.md) syscalls, evidence from $(wc -l < compat-evidence.jsonl) records"
