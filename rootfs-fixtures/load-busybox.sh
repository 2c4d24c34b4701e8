#!/usr/bin/env bash
# load-busybox.sh: make sure MiniRun's store holds the embedded `busybox` image (no network).
#
# Builds the fixture OCI layout (build-busybox.sh, reproducible and cached) and loads it with
# `minirun load -i` unless the store already has busybox:latest. Honours MINIRUN_ROOT / --root.
# Containers run on the default bridge network, whose NAT rules are written with nft: the
# nftables package is installed from the package registry when it is missing (as busybox-static is).
# Usage: rootfs-fixtures/load-busybox.sh [--root DIR]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v nft >/dev/null; then
    if ! apt-get install -y -qq nftables >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || { echo "load-busybox: apt-get update failed (nftables is needed for the bridge network; or run with --network none)" >&2; exit 1; }
        apt-get install -y -qq nftables >/dev/null 2>&1 || { echo "load-busybox: apt-get install nftables failed" >&2; exit 1; }
    fi
fi
"$here/build-busybox.sh" >/dev/null
if ! "$here/../minirun" "$@" images | awk 'NR > 1 && $1 == "busybox" && $2 == "latest" { found = 1 } END { exit !found }'; then
    "$here/../minirun" "$@" load -i "$here/out/busybox"
fi
