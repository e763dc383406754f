#!/bin/bash
# rumplx benchmark suite (issue 7): native vs rumplx vs proot vs qemu-x86_64, same machine, same run.
#
#   bench/run.sh
#
# Installs what it needs on Debian 12 (sudo only when not root), builds rumplx in release mode and the
# static C microbenchmarks in bench/src/ (musl-gcc -static and glibc gcc -static), runs everything,
# prints a table and regenerates BENCHMARKS.md at the repository root. A benchmark, never a test: it is
# not part of `cargo test`.
#
# Environment (all optional):
#   BENCH_FILE_MIB   size of the copy / sha256sum file in MiB (default 1024 = 1 GiB)
#   BENCH_DIR        where the scratch files go (default /tmp; must be visible to rumplx, so not /dev/shm)
#   BENCH_RUNS       repeated runs for the short benchmarks (default 5)
#   BENCH_TPUT_RUNS  repeated runs for the long ones: copy, sha256sum, hello x100, server (default 3)
#   BENCH_PEERS      subset of "native rumplx rumplx-trap proot qemu" (default all five; rumplx-trap is
#                    rumplx run --no-fast-path, every call trapped)
#   BENCH_NO_WRITE=1 print the table only, leave BENCHMARKS.md alone
#   BENCH_ONLY=percall  only the per-call microbenchmarks (a quick look; never writes BENCHMARKS.md)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
FILE_MIB=${BENCH_FILE_MIB:-1024}
RUNS=${BENCH_RUNS:-5}
TRUNS=${BENCH_TPUT_RUNS:-3}
PEERS=(${BENCH_PEERS:-native rumplx rumplx-trap proot qemu})
ONLY=${BENCH_ONLY:-}
T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

say() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------- dependencies
pkgs=(gcc libc6-dev musl-tools musl-dev busybox-static proot qemu-user wrk time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    say "need root or sudo to install: ${missing[*]}"; exit 1; fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q >&2
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# ---------------------------------------------------------------- build
say "building rumplx (release)"
cargo build --release -p rumplx >&2
RUMPLX="$ROOT/target/release/rumplx"
B="$ROOT/target/bench"
mkdir -p "$B"
say "compiling bench/src/*.c into $B"
for p in syscalls hello compute copy httpd; do
  musl-gcc -O2 -static -o "$B/$p.musl" "bench/src/$p.c"
  gcc -O2 -static -o "$B/$p.glibc" "bench/src/$p.c"
done
gcc -O2 -o "$B/runner" bench/src/runner.c   # host-side launcher, always native
RUNNER="$B/runner"
BUSYBOX=/bin/busybox

W=$(mktemp -d "${BENCH_DIR:-/tmp}/rumplx-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
LOG="$W/log"

# The command prefix of each peer.
peer_cmd() {
  case $1 in
    native) ;;
    rumplx) echo "$RUMPLX run" ;;
    rumplx-trap) echo "$RUMPLX run --no-fast-path" ;;
    proot) echo "proot" ;;
    qemu) echo "qemu-x86_64" ;;
  esac
}
peer_title() {
  case $1 in native) echo native ;; rumplx) echo rumplx ;; rumplx-trap) echo "rumplx --no-fast-path" ;; proot) echo proot ;; qemu) echo qemu-x86_64 ;; esac
}

declare -A VALS FAIL
# record KEY PEER VALUE
record() { VALS[$1,$2]="${VALS[$1,$2]:-} $3"; }
# fail KEY PEER REASON (first reason wins)
fail() { [ -n "${FAIL[$1,$2]:-}" ] || FAIL[$1,$2]=$(echo "$3" | tr '\n|' ' /' | cut -c1-120); }
failed() { [ -n "${FAIL[$1,$2]:-}" ]; }
reason_from_log() { grep -v '^proot warning' "$LOG" 2>/dev/null | tail -n 2 | tr '\n' ' ' | sed 's/  */ /g'; }

# run PEER TIMEOUT CMD... : runs the command under the peer, stdout to $W/out, stderr to $LOG
run() {
  local peer=$1 t=$2; shift 2
  # shellcheck disable=SC2046
  timeout -k 5 "$t" $(peer_cmd "$peer") "$@" >"$W/out" 2>"$LOG"
}
# run_host TIMEOUT CMD... : a host-side command (runner, time) that itself launches the peer
run_host() { local t=$1; shift; timeout -k 5 "$t" "$@" >"$W/out" 2>"$LOG"; }

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if(NR==0)exit; if(NR%2)print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# ---------------------------------------------------------------- sanity: can each peer run at all?
declare -A PEER_DEAD
for peer in "${PEERS[@]}"; do
  if run "$peer" 30 "$B/hello.musl" && grep -q 'hello, world' "$W/out"; then
    say "$(peer_title "$peer"): runs hello"
  else
    r="cannot run a static hello: $(reason_from_log)"
    say "$(peer_title "$peer"): $r"
    PEER_DEAD[$peer]="$r"
  fi
done
dead() { [ -n "${PEER_DEAD[$1]:-}" ]; }
# The peers rotated by run number R, so no peer always runs first (or right after the same one).
order() { local n=${#PEERS[@]} i; for ((i = 0; i < n; i++)); do echo "${PEERS[($1 + i) % n]}"; done; }

# ---------------------------------------------------------------- per-call cost
SYSCALLS=(getpid read1 write1 clock_gettime open_close stat futex_wake)
iters_for() { case $1 in native|rumplx) echo 20000 ;; rumplx-trap|qemu) echo 5000 ;; proot) echo 1000 ;; esac; }
say "per-call cost ($RUNS runs)"
for ((r = 0; r < RUNS; r++)); do
  for lib in musl glibc; do
    for peer in $(order "$r"); do
      dead "$peer" && continue
      failed "getpid.$lib" "$peer" && continue
      if run "$peer" 120 "$B/syscalls.$lib" "$(iters_for "$peer")"; then
        while read -r name ns; do record "$name.$lib" "$peer" "$ns"; done <"$W/out"
      else
        for s in "${SYSCALLS[@]}"; do fail "$s.$lib" "$peer" "$(reason_from_log)"; done
      fi
    done
  done
done

if [ "$ONLY" = percall ]; then
  say "BENCH_ONLY=percall: per-call figures only (median ns/call over $RUNS runs)"
  printf '%-16s' call; for p in "${PEERS[@]}"; do printf ' %22s' "$(peer_title "$p")"; done; echo
  for lib in musl glibc; do
    for s in "${SYSCALLS[@]}"; do
      printf '%-16s' "$s.$lib"
      for p in "${PEERS[@]}"; do
        v=$(echo "${VALS[$s.$lib,$p]:-}" | median); printf ' %22s' "${v:-${FAIL[$s.$lib,$p]:+failed}}"
      done; echo
    done
  done
  exit 0
fi

# ---------------------------------------------------------------- start-up
say "start-up to main ($((RUNS * 4)) launches per peer and libc)"
for ((r = 0; r < RUNS * 4; r++)); do
  for lib in musl glibc; do
    for peer in $(order "$r"); do
      dead "$peer" && continue
      failed "startup.$lib" "$peer" && continue
      # shellcheck disable=SC2046
      if run_host 30 "$RUNNER" t0 $(peer_cmd "$peer") "$B/hello.$lib"; then
        record "startup.$lib" "$peer" "$(awk '{print $1/1e6}' "$W/out")"
      else fail "startup.$lib" "$peer" "$(reason_from_log)"; fi
    done
  done
done
say "hello x100 ($TRUNS runs)"
for ((r = 0; r < TRUNS; r++)); do
  for peer in $(order "$r"); do
    dead "$peer" && continue
    failed hello100 "$peer" && continue
    # shellcheck disable=SC2046
    if run_host 300 "$RUNNER" repeat 100 $(peer_cmd "$peer") "$B/hello.musl"; then
      record hello100 "$peer" "$(awk '{print $1/1e6}' "$W/out")"
    else fail hello100 "$peer" "$(reason_from_log)"; fi
  done
done

# ---------------------------------------------------------------- compute
say "compute-bound ($RUNS runs)"
for ((r = 0; r < RUNS; r++)); do
  for lib in musl glibc; do
    for peer in $(order "$r"); do
      dead "$peer" && continue
      failed "compute.$lib" "$peer" && continue
      if run "$peer" 120 "$B/compute.$lib" 10000000 5; then
        record "compute.$lib" "$peer" "$(awk '{print $1/1e6}' "$W/out")"
      else fail "compute.$lib" "$peer" "$(reason_from_log)"; fi
    done
  done
done

# ---------------------------------------------------------------- throughput
say "throughput: ${FILE_MIB} MiB file in $W ($TRUNS runs)"
head -c $((FILE_MIB * 1048576)) /dev/urandom >"$W/src"
want_sum=$(sha256sum "$W/src" | cut -d' ' -f1)
mkdir "$W/tree"
(cd "$W/tree" && for i in $(seq 0 99); do mkdir "d$i" && (cd "d$i" && touch $(seq -f f%g 0 99)); done)
want_find=$(find "$W/tree" | wc -l)
for ((r = 0; r < TRUNS; r++)); do
  for peer in $(order "$r"); do
    dead "$peer" && continue
    if ! failed copy "$peer"; then
      if run "$peer" 300 "$B/copy.musl" "$W/src" "$W/dst" && cmp -s "$W/src" "$W/dst"; then
        record copy "$peer" "$(awk -v m="$FILE_MIB" '{print m * 1048576 / ($1 / 1e9) / 1e6}' "$W/out")"
      else fail copy "$peer" "$(reason_from_log) $( [ -f "$W/dst" ] && echo 'copy differs')"; fi
      rm -f "$W/dst"
    fi
    if ! failed sha "$peer"; then
      # shellcheck disable=SC2046
      if run_host 600 "$RUNNER" time "$W/sum" $(peer_cmd "$peer") "$BUSYBOX" sha256sum "$W/src" &&
         [ "$(cut -d' ' -f1 "$W/sum")" = "$want_sum" ]; then
        record sha "$peer" "$(awk '{print $1/1e9}' "$W/out")"
      else fail sha "$peer" "$(reason_from_log) $(head -c 80 "$W/sum" 2>/dev/null)"; fi
    fi
  done
done
for ((r = 0; r < RUNS; r++)); do
  for peer in $(order "$r"); do
    dead "$peer" && continue
    failed find "$peer" && continue
    # shellcheck disable=SC2046
    if run_host 120 "$RUNNER" time "$W/found" $(peer_cmd "$peer") "$BUSYBOX" find "$W/tree" &&
       [ "$(wc -l <"$W/found")" = "$want_find" ]; then
      record find "$peer" "$(awk '{print $1/1e6}' "$W/out")"
    else fail find "$peer" "$(reason_from_log) found $(wc -l <"$W/found" 2>/dev/null) of $want_find"; fi
  done
done
rm -f "$W/src" "$W/dst"
rm -rf "$W/tree"

# ---------------------------------------------------------------- server
WRK_SECS=3
say "HTTP server under wrk (-t1 -c8 -d${WRK_SECS}s, $TRUNS runs)"
for ((r = 0; r < TRUNS; r++)); do
  for peer in $(order "$r"); do
    dead "$peer" && continue
    failed http_rps "$peer" && continue
    rm -f "$W/port" "$W/served"
    # shellcheck disable=SC2046
    timeout -k 5 30 $(peer_cmd "$peer") "$B/httpd.musl" "$W/port" 5000000 20 >"$W/served" 2>"$W/httpd.log" &
    spid=$!
    for _ in $(seq 200); do [ -s "$W/port" ] && break; kill -0 $spid 2>/dev/null || break; sleep 0.05; done
    if [ ! -s "$W/port" ]; then
      wait $spid || true
      cp "$W/httpd.log" "$LOG"
      fail http_rps "$peer" "server never listened: $(reason_from_log)"; fail http_p99 "$peer" "see above"
      continue
    fi
    port=$(cat "$W/port")
    timeout -k 5 $((WRK_SECS + 15)) wrk -t1 -c8 -d${WRK_SECS}s --latency "http://127.0.0.1:$port/" >"$W/wrk" 2>&1 || true
    wait $spid || true
    rps=$(awk '/^Requests\/sec:/{print $2}' "$W/wrk")
    p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v); else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}' "$W/wrk")
    reqs=$(awk '/requests in/{print $1}' "$W/wrk")
    if [ -z "$rps" ] || [ -z "$reqs" ] || [ "$reqs" = 0 ] || grep -q 'Non-2xx' "$W/wrk"; then
      cp "$W/httpd.log" "$LOG"
      fail http_rps "$peer" "wrk: $(grep -E 'error|Non-2xx|requests in' "$W/wrk" | tr '\n' ' ') server: $(reason_from_log)"
      fail http_p99 "$peer" "see above"
    else
      record http_rps "$peer" "$rps"; record http_p99 "$peer" "$p99"
    fi
  done
done

# ---------------------------------------------------------------- memory
say "peak RSS of hello ($RUNS runs)"
for ((r = 0; r < RUNS; r++)); do
  for peer in $(order "$r"); do
    dead "$peer" && continue
    failed rss "$peer" && continue
    # shellcheck disable=SC2046
    if timeout -k 5 30 /usr/bin/time -o "$W/rss" -f %M $(peer_cmd "$peer") "$B/hello.musl" >/dev/null 2>"$LOG"; then
      record rss "$peer" "$(tail -n1 "$W/rss")"
    else fail rss "$peer" "$(reason_from_log)"; fi
  done
done

# ---------------------------------------------------------------- table
declare -A MED
for key in "${!VALS[@]}"; do MED[$key]=$(echo "${VALS[$key]}" | median); done
for peer in "${PEERS[@]}"; do
  if [ -n "${MED[rss,$peer]:-}" ] && [ -n "${MED[rss,native]:-}" ]; then
    MED[rssdelta,$peer]=$(awk -v a="${MED[rss,$peer]}" -v b="${MED[rss,native]}" 'BEGIN{print a-b}')
  elif [ -n "${FAIL[rss,$peer]:-}" ]; then FAIL[rssdelta,$peer]=${FAIL[rss,$peer]}; fi
done

# ROWS: key|label|unit|printf format
ROWS=()
for lib in musl glibc; do
  for s in "${SYSCALLS[@]}"; do
    case $s in
      read1) l="read 1 byte /dev/zero" ;; write1) l="write 1 byte /dev/null" ;;
      open_close) l="open+close /dev/null" ;; stat) l="stat /dev/null" ;;
      futex_wake) l="futex wake, no waiter" ;; clock_gettime) l="clock_gettime (libc)" ;; *) l=$s ;;
    esac
    ROWS+=("$s.$lib|$l ($lib)|ns/call|%.0f")
  done
done
ROWS+=("startup.musl|launch to main (musl)|ms|%.2f" "startup.glibc|launch to main (glibc)|ms|%.2f"
       "hello100|hello x100, total wall (musl)|ms|%.0f"
       "compute.musl|compute-bound loop, 10M rounds, best of 5 passes (musl)|ms|%.1f" "compute.glibc|compute-bound loop, 10M rounds, best of 5 passes (glibc)|ms|%.1f"
       "copy|copy ${FILE_MIB} MiB, 1 MiB read/write (musl)|MB/s|%.0f"
       "sha|busybox sha256sum ${FILE_MIB} MiB|s|%.2f"
       "find|busybox find, 10k-file tree|ms|%.0f"
       "http_rps|HTTP server, requests/s (musl)|req/s|%.0f" "http_p99|HTTP server, p99 latency|ms|%.2f"
       "rss|peak RSS of hello (musl)|KiB|%.0f" "rssdelta|peak RSS of hello minus native|KiB|%.0f")

cell() { # key peer fmt
  local k=$1 p=$2 f=$3
  if dead "$p"; then echo "failed: ${PEER_DEAD[$p]}"; return; fi
  if [ -n "${FAIL[$k,$p]:-}" ]; then echo "failed: ${FAIL[$k,$p]}"; return; fi
  local v=${MED[$k,$p]:-}
  [ -n "$v" ] || { echo "-"; return; }
  local n=${MED[$k,native]:-}
  if [ "$p" != native ] && [ -n "$n" ] && [ "$k" != rssdelta ] && awk -v n="$n" 'BEGIN{exit !(n > 0)}'; then
    awk -v v="$v" -v n="$n" -v f="$f" 'BEGIN{printf f " (%.2fx)\n", v, v / n}'
  else
    awk -v v="$v" -v f="$f" 'BEGIN{printf f "\n", v}'
  fi
}
TABLE="$W/table.md"
{
  printf '| Benchmark | unit |'; for p in "${PEERS[@]}"; do printf ' %s |' "$(peer_title "$p")"; done; echo
  printf '| --- | --- |'; for p in "${PEERS[@]}"; do printf ' ---: |'; done; echo
  for row in "${ROWS[@]}"; do
    IFS='|' read -r k l u f <<<"$row"
    printf '| %s | %s |' "$l" "$u"; for p in "${PEERS[@]}"; do printf ' %s |' "$(cell "$k" "$p" "$f")"; done; echo
  done
} >"$TABLE"

# ---------------------------------------------------------------- targets (issue 7)
m() { echo "${MED[$1,$2]:-}"; }
verdict_le() { # value limit unit -> met / missed by X
  awk -v v="$1" -v l="$2" -v u="$3" 'BEGIN{ if (v <= l) print "met"; else printf "missed by %.2f %s (%.1fx the target)\n", v - l, u, v / l }'
}
TGT="$W/targets.md"
{
  echo "| Target (issue 7) | measured (rumplx) | verdict |"
  echo "| --- | --- | --- |"
  if dead rumplx; then echo "| all | failed: ${PEER_DEAD[rumplx]} | missed |"; else
  for lib in musl glibc; do
    f=$(m "getpid.$lib" rumplx); n=$(m "getpid.$lib" native); v=$(m "getpid.$lib" rumplx-trap)
    if [ -n "$f" ] && [ -n "$n" ]; then
      echo "| getpid through a rewritten site ≤ 50 ns and below native getpid ($n ns here), $lib | $f ns | $(awk -v f="$f" -v n="$n" 'BEGIN{ if (f <= 50 && f < n) print "met"; else if (f < n) printf "below native; missed 50 ns by %.0f ns\n", f - 50; else if (f <= 50) print "≤ 50 ns but not below native"; else printf "missed by %.0f ns (50 ns target), %.2fx native\n", f - 50, f / n }') |"
    else echo "| getpid through a rewritten site ≤ 50 ns ($lib) | failed: ${FAIL[getpid.$lib,rumplx]:-no figure} | missed |"; fi
    if [ -n "$v" ]; then
      echo "| trapped getpid ≤ 1.5 µs ($lib) | $(awk -v v="$v" 'BEGIN{printf "%.2f µs", v/1000}') | $(verdict_le "$(awk -v v="$v" 'BEGIN{print v/1000}')" 1.5 µs) |"
    else echo "| trapped getpid ≤ 1.5 µs ($lib) | failed: ${FAIL[getpid.$lib,rumplx-trap]:-no figure (rumplx-trap not among the peers)} | missed |"; fi
  done
  for lib in musl glibc; do
    v=$(m "compute.$lib" rumplx); n=$(m "compute.$lib" native)
    if [ -n "$v" ] && [ -n "$n" ]; then
      ratio=$(awk -v v="$v" -v n="$n" 'BEGIN{printf "%.3f", v/n}')
      verdict=$(awk -v x="$ratio" 'BEGIN{d = x - 1; if (d < 0) d = -d; if (d <= 0.02) print "met"; else printf "missed by %.1f%% beyond the ±2%% band\n", (d - 0.02) * 100}')
      echo "| compute-bound 1.00x native ±2% ($lib) | ${ratio}x | $verdict |"
    else echo "| compute-bound 1.00x native ±2% ($lib) | failed: ${FAIL[compute.$lib,rumplx]:-} | missed |"; fi
  done
  for lib in musl glibc; do
    v=$(m "startup.$lib" rumplx)
    if [ -n "$v" ]; then echo "| start-up to the guest's main ≤ 10 ms ($lib) | $(printf '%.2f' "$v") ms | $(verdict_le "$v" 10 ms) |"
    else echo "| start-up to the guest's main ≤ 10 ms ($lib) | failed: ${FAIL[startup.$lib,rumplx]:-} | missed |"; fi
  done
  v=$(m rssdelta rumplx)
  if [ -n "$v" ]; then echo "| hello peak RSS ≤ 2 MiB (2048 KiB) above native | +$v KiB | $(verdict_le "$v" 2048 KiB) |"
  else echo "| hello peak RSS ≤ 2 MiB above native | failed: ${FAIL[rss,rumplx]:-} | missed |"; fi
  for t in "copy|${FILE_MIB} MiB copy ≥ 0.9x native throughput|0.9" "http_rps|HTTP requests/s ≥ 0.8x native|0.8"; do
    IFS='|' read -r k l lim <<<"$t"
    v=$(m "$k" rumplx); n=$(m "$k" native)
    if [ -n "$v" ] && [ -n "$n" ]; then
      ratio=$(awk -v v="$v" -v n="$n" 'BEGIN{printf "%.3f", v/n}')
      echo "| $l | ${ratio}x | $(awk -v x="$ratio" -v l="$lim" 'BEGIN{ if (x >= l) print "met"; else printf "missed by %.3fx (%.0f%% short)\n", l - x, (l - x) / l * 100 }') |"
    else echo "| $l | failed: ${FAIL[$k,rumplx]:-${FAIL[$k,native]:-no figure}} | missed |"; fi
  done
  fi
} >"$TGT"

ELAPSED=$(( $(date +%s) - T_START ))
CPU=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
{
  echo "# rumplx benchmarks"
  echo
  echo "Generated by \`bench/run.sh\` — do not edit by hand: the script regenerates this whole file on each run."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs, ${CPU:-unknown CPU}, kernel $(uname -r), Debian $(cat /etc/debian_version 2>/dev/null || echo '?')"
  echo "- rumplx: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- loader abi-linux abi-netbsd rumpkernel-bridge 2>/dev/null || echo ' plus uncommitted changes in the working tree'), release build; \"rumplx\" is the default mode (fast path: hot syscall sites rewritten), \"rumplx --no-fast-path\" traps every call"
  echo "- peers: proot $(dpkg-query -W -f='${Version}' proot 2>/dev/null), $(qemu-x86_64 --version | head -n1)"
  echo "- load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) — anything above ~0.5 means other work shared the 2 CPUs and skews the figures"
  echo "- suite wall time: ${ELAPSED} s; file size ${FILE_MIB} MiB in \`${BENCH_DIR:-/tmp}\`; $RUNS runs (short benchmarks), $TRUNS runs (copy, sha256sum, hello x100, server), $((RUNS * 4)) launches (start-up)"
  echo
  echo "Each figure is the median over the repeated runs; in parentheses, that median divided by native's"
  echo "median from the same run (so above 1 is slower for times, below 1 is slower for MB/s and req/s)."
  echo "Per-call figures are the best of 3 passes of N calls inside one run, timed with CLOCK_MONOTONIC."
  echo "Start-up: \`runner t0\` takes CLOCK_REALTIME immediately before execve (no shell in between) and"
  echo "passes it in BENCH_T0; the guest's main reads CLOCK_REALTIME first thing and prints the difference,"
  echo "so the figure covers exec of the peer, its own set-up, loading the guest and libc start-up."
  echo "The server is bench/src/httpd.c (single-threaded poll, keep-alive, 127.0.0.1, ephemeral port), under"
  echo "\`wrk -t1 -c8 -d${WRK_SECS}s --latency\`; peak RSS is GNU time's %M."
  echo
  cat "$TABLE"
  echo
  echo "## Issue 7 targets (rumplx)"
  echo
  cat "$TGT"
  echo
  echo "## Why the misses"
  echo
  echo "- The fast path rewrites a site only where the \`syscall\` follows \`mov \$N, %eax\` (libc wrappers with a"
  echo "  constant number: getpid, and most of glibc's); musl's read/write/open go through a generic"
  echo "  \`__syscall(n, ...)\` (\`mov %rdi, %rax\`) and keep trapping, so their rows match --no-fast-path."
  echo "- A call through a rewritten site saves only the vector state rumplx's code can change (ymm0-15 and"
  echo "  MXCSR; full xsave on AVX-512 hosts), runs the dispatcher and the kernel's getpid, and comes back; what is"
  echo "  left above 50 ns (perf) is two wrfsbase per call, the kernel's per-call snapshot of the caller (a mutex"
  echo "  and reference counts), the kernel slot's RwLock and the signal checks."
  echo "- Trapped calls (rumplx --no-fast-path, and sites the fast path cannot rewrite) are a SIGSYS from Syscall"
  echo "  User Dispatch, a signal frame, the dispatcher and rt_sigreturn: several host kernel entries per call."
  echo "- HTTP requests/s: the server makes about three calls per request (poll, read, write); musl's"
  echo "  read/write/poll are the generic-helper sites above, so each is a trap costing microseconds (see the"
  echo "  per-call rows) and a single-threaded server is bound by the trap cost."
  echo "- hello peak RSS: the difference is rumplx's own resident memory, mostly pages of its own code and of the"
  echo "  host's libc and ld.so (rumplx is a dynamically linked program), then its runtime and kernel state. A"
  echo "  fat-LTO build shrinks it by only ~250 KiB; a statically linked rumplx would drop ld.so and most of libc."
  echo "- Start-up is measured with the guest's main reading CLOCK_REALTIME, which under rumplx is itself a trap"
  echo "  (a few µs, negligible against milliseconds)."
  cr=$(awk -v v="${MED[copy,rumplx]:-0}" -v n="${MED[copy,native]:-0}" 'BEGIN{if (n > 0) printf "%.2f", v/n}')
  if [ -n "$cr" ] && awk -v x="$cr" 'BEGIN{exit !(x > 1.1)}'; then
    echo "- The copy is faster under rumplx (${cr}x native) although the host sees the same 1 MiB read/write"
    echo "  calls (checked with strace -c: 64 writes for 64 MiB either way; the host kernel spends ~0.35 ms per"
    echo "  1 MiB write under rumplx against ~1.9 ms natively); the output is verified with cmp and the time"
    echo "  agrees with an external wall clock. The cause is not established — possibly how the guest's buffer memory"
    echo "  is backed (THP is in madvise mode here), not anything rumplx skips."
  fi
  echo "- Targets that compare with native (compute, copy, requests/s) move with machine noise; on a shared"
  echo "  2-CPU VM a few percent either way between runs is normal."
  if awk -v l="${LOAD_START%% *}" 'BEGIN{exit !(l > 1)}'; then
    echo "- This run started at load average ${LOAD_START%% *} on $(nproc) CPUs: other processes shared the CPUs and"
    echo "  the disk, so ratios near a target (compute ±2%, start-up, and above all the copy, which goes through"
    echo "  the page cache of the disk-backed \`${BENCH_DIR:-/tmp}\` and its writeback) can land on either side of it."
    echo "  Rerun \`bench/run.sh\` on an idle machine before reading a met/missed verdict there as a property of rumplx."
  fi
} >"$W/BENCHMARKS.md"

echo
cat "$TABLE"
echo
cat "$TGT"
echo
say "done in ${ELAPSED} s"
if [ "${BENCH_NO_WRITE:-}" != 1 ]; then
  cp "$W/BENCHMARKS.md" "$ROOT/BENCHMARKS.md"
  say "wrote $ROOT/BENCHMARKS.md"
fi
