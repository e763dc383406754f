#!/bin/bash
# A stand-in for rumplx that runs the program natively: `fake-rumplx.sh run [OPTIONS] [--] PROG ARGS`.
# Used to check that the harness itself is deterministic (native vs native must always match):
#   RUMPLX_BIN=$PWD/tests/fake-rumplx.sh cargo test -p rumplx-tests
# Options that take a value are skipped; --clear-env and -e are honoured; the rest are ignored.
[ "$1" = run ] || { echo "rumplx: fake supports only 'run'" >&2; exit 125; }
shift
envs=() clear=0
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    --root|-v|--volume|--tmpfs|-w|--workdir) shift 2 ;;
    -e|--env) envs+=("$2"); shift 2 ;;
    --clear-env) clear=1; shift ;;
    --trace|--no-fast-path) shift ;;
    -*) echo "rumplx: unknown option $1" >&2; exit 125 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "rumplx: no program" >&2; exit 125; }
# bash adds PWD, SHLVL and _ and reorders the environment; rebuild it in the order we received it
# (rumplx must pass the host environment through unchanged), minus those additions.
if [ $clear = 1 ]; then exec env -i "${envs[@]}" "$@"; fi
orig=()
while IFS= read -r -d '' kv; do
  case "$kv" in PWD=*|SHLVL=*|_=*) ;; *) orig+=("$kv") ;; esac
done < /proc/$$/environ
exec env -i "${orig[@]}" "${envs[@]}" "$@"
