#!/bin/bash
# Install the Debian 12 packages rumplx's tests need, only those missing.
#   tests/setup.sh           everything the test suite needs
#   tests/setup.sh --quick   just enough to build rumplx and run busybox under it
# Uses sudo only when not root. Safe to run repeatedly.
set -euo pipefail

if [ "${1:-}" = "--quick" ]; then
  pkgs=(gcc libc6-dev busybox-static)
else
  # gcc + libc6-dev: glibc `gcc -static`; musl-tools (pulls musl-dev): musl-gcc and rcrt1.o for
  # static-pie; busybox-static and bash-static: real programs; file: checks the build variants;
  # apache2-utils: ab, the load generator of the HTTP server test; e2fsprogs (mkfs.ext2 -d,
  # debugfs, e2fsck), dosfstools + mtools (mkfs.fat, mcopy, mtype), genisoimage and makefs (ffs):
  # the file-system images of the --image tests.
  pkgs=(gcc libc6-dev musl-tools musl-dev busybox-static bash-static file apache2-utils
        e2fsprogs dosfstools mtools genisoimage makefs)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "tests/setup.sh: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "tests/setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
