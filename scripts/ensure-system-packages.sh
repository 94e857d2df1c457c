#!/usr/bin/env bash
# Installs Debian packages whose command is missing: "ensure-system-packages.sh cmd:package ...".
# Only what is absent is installed, so a machine that has everything is left untouched.
set -euo pipefail
missing=()
for pair in "$@"; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    if [[ "$cmd" == /* ]]; then [ -x "$cmd" ] || missing+=("$pkg"); else command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
