#!/bin/bash
# Run rumplx's whole test suite: install what the tests need, build, test.
#   tests/run.sh                       everything (cargo test --workspace)
#   tests/run.sh [CARGO-TEST-ARGS]     e.g. `tests/run.sh -p rumplx-tests --test busybox -- --nocapture`
# Environment: RUMPLX_TEST_TIMEOUT_SCALE multiplies per-run timeouts; RUMPLX_BIN tests another binary;
# RUMPLX_NO_FAST_PATH=1 runs rumplx without its fast path (a full run does a second pass that way).
set -euo pipefail
cd "$(dirname "$0")/.."

tests/setup.sh
cargo build --workspace --all-targets
# The e2e tests find target/debug/rumplx; build it explicitly so they never race to build it.
cargo build -p rumplx
# Two cores: tests inside each test binary run two at a time.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-2}"
status=0
cargo test --workspace --no-fail-fast "$@" || status=$?
if [ $# -eq 0 ]; then
  # Second pass in pure trapping mode (no rewritten syscall sites) over every end-to-end test, so
  # both ways into rumplx stay covered.
  RUMPLX_NO_FAST_PATH=1 cargo test -p rumplx-tests --no-fail-fast || status=$?
fi
exit $status
