#!/bin/bash
# Run rumplx's whole test suite: install what the tests need, build, test.
#   tests/run.sh                       everything (cargo test --workspace)
#   tests/run.sh [CARGO-TEST-ARGS]     e.g. `tests/run.sh -p rumplx-tests --test busybox -- --nocapture`
# Environment: RUMPLX_TEST_TIMEOUT_SCALE multiplies per-run timeouts; RUMPLX_BIN tests another binary;
# RUMPLX_NO_FAST_PATH=1 runs rumplx without its fast path (a full run does a second pass that way);
# with RUMPLX_LIBRUMP_DIR naming NetBSD rump kernel libraries, a full run makes a third pass on them.
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
  # Third pass on NetBSD's own rump kernel, when its libraries are on this machine: the guest
  # programs with their working directories on ext2 images (tests/src/librump_gaps.rs lists what
  # differs there, and why).
  libs="${RUMPLX_LIBRUMP_DIR:-}"
  if [ -n "$libs" ] && { [ -e "$libs/librump.so" ] || [ -e "$libs/lib/librump.so" ]; }; then
    mkdir -p target/librump-cases
    TMPDIR="$PWD/target/librump-cases" RUMPLX_TEST_BACKEND=librump \
      cargo test -p rumplx-tests --test guest_programs --test processes --no-fail-fast || status=$?
  else
    echo "librump pass: skipped (no NetBSD rump kernel libraries: RUMPLX_LIBRUMP_DIR is unset or has no librump.so)"
  fi
fi
exit $status
