#!/usr/bin/env bash
# check-busybox.sh - verifies rootfs-fixtures/build-busybox.sh: (1) reproducibility: two builds
# into fresh directories, the second under a different umask, give byte-identical oci-layout,
# index.json and blobs; (2) the layout is a valid OCI image that independent tools read:
# `skopeo inspect oci:DIR:latest` (and --config) and `umoci unpack --image DIR:latest`; (3) the
# unpacked rootfs has what the fixture promises (bin/sh -> busybox, /tmp 1777, /root 0700,
# /home/student 1000:1000, passwd/group entries, os-release).
#
# Why: the fixture's digests are meant to be stable across machines and runs; this is the check
# to run after changing the build script. Follows OCI image-spec v1.1 (image-layout.md).
# Needs root, skopeo, umoci and jq (.ci/install-deps.sh installs them). Cleans up on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "check-busybox: FAIL: $*" >&2; exit 1; }
for t in skopeo umoci jq; do
    command -v "$t" >/dev/null || fail "$t not installed (run .ci/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/minirun-busybox-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$here/build-busybox.sh" "$tmp/a" >/dev/null
(umask 077 && "$here/build-busybox.sh" "$tmp/b" >/dev/null)
diff -r "$tmp/a" "$tmp/b" >/dev/null || fail "two builds differ: $(diff -rq "$tmp/a" "$tmp/b" | head -n3)"
echo "ok: two builds are byte-identical ($(jq -r '.manifests[0].digest' "$tmp/a/index.json"))"

# Every blob's name is its sha256.
for blob in "$tmp/a"/blobs/sha256/*; do
    [[ $(sha256sum "$blob" | cut -d' ' -f1) == "$(basename "$blob")" ]] || fail "blob $blob does not match its digest"
done

inspect=$(skopeo inspect "oci:$tmp/a:latest")
config=$(skopeo inspect --config "oci:$tmp/a:latest")
[[ $(jq -r .Architecture <<<"$inspect") == amd64 || $(jq -r .Architecture <<<"$inspect") == "$(dpkg --print-architecture)" ]] \
    || fail "skopeo: architecture $(jq -r .Architecture <<<"$inspect")"
[[ $(jq -c .config.Cmd <<<"$config") == '["sh"]' ]] || fail "config Cmd is $(jq -c .config.Cmd <<<"$config")"
[[ $(jq -r '.rootfs.diff_ids | length' <<<"$config") == 1 ]] || fail "config has not exactly one diff_id"
diff_id=$(jq -r '.rootfs.diff_ids[0]' <<<"$config")
layer=$(jq -r '.Layers[0]' <<<"$inspect")
[[ sha256:$(gzip -dc "$tmp/a/blobs/sha256/${layer#sha256:}" | sha256sum | cut -d' ' -f1) == "$diff_id" ]] \
    || fail "diff_id $diff_id is not the sha256 of the uncompressed layer"
echo "ok: skopeo reads it (created $(jq -r .created <<<"$config"), layer $layer)"

umoci unpack --image "$tmp/a:latest" "$tmp/bundle" >/dev/null 2>&1 || fail "umoci unpack failed"
r=$tmp/bundle/rootfs
[[ $(readlink "$r/bin/sh") == busybox ]] || fail "bin/sh is not a symlink to busybox"
[[ $(readlink -f "$r/usr/bin/env") == "$(readlink -f "$r/bin/busybox")" ]] || fail "usr/bin/env does not resolve to bin/busybox"
[[ -x $r/bin/busybox && -L $r/bin/true ]] || fail "bin/busybox or bin/true missing"
[[ $(stat -c %a "$r/tmp") == 1777 ]] || fail "tmp mode is $(stat -c %a "$r/tmp")"
[[ $(stat -c %a "$r/root") == 700 ]] || fail "root mode is $(stat -c %a "$r/root")"
[[ $(stat -c %u:%g "$r/home/student") == 1000:1000 ]] || fail "home/student owner is $(stat -c %u:%g "$r/home/student")"
grep -qx 'root:x:0:0:root:/root:/bin/sh' "$r/etc/passwd" || fail "passwd lacks root"
grep -qx 'student:x:1000:1000:MiniRun test user:/home/student:/bin/sh' "$r/etc/passwd" || fail "passwd lacks student"
grep -qx 'staff:x:50:student' "$r/etc/group" || fail "group lacks staff"
grep -q '^NAME="MiniRun busybox fixture"' "$r/etc/os-release" || fail "os-release lacks NAME"
for d in etc tmp root home var proc sys dev usr/bin usr/sbin sbin bin; do
    [[ -d $r/$d && ! -L $r/$d ]] || fail "directory /$d missing"
done
echo "ok: umoci unpacks it; rootfs has $(find "$r" -type l | wc -l) applet links, bin/sh -> busybox"
echo "check-busybox: all checks passed"
