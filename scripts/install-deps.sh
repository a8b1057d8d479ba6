#!/usr/bin/env bash
# Installs the Debian packages given as arguments if any is missing: with apt
# as root, with sudo otherwise, and with a clear message when neither works.
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "WCRG Lab needs these packages, and this machine has no apt-get: ${missing[*]}" >&2
  echo "Install their equivalents with your package manager, then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  echo "Installing with sudo (you may be asked for your password): ${missing[*]}" >&2
  run=(sudo)
else
  echo "WCRG Lab needs these Debian packages: ${missing[*]}" >&2
  echo "You are not root and sudo is not available; ask an administrator to run:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
