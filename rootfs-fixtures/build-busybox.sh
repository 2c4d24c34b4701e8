#!/usr/bin/env bash
# build-busybox.sh [OUTDIR] - builds MiniRun's default `busybox` image as an OCI image layout
# directory (oci-layout, index.json, blobs/sha256/...) from Debian's static busybox.
#
# Why: the runtime, its tests and the benchmarks need one small, known image that is made on the
# machine from a Debian package (no registry, no network beyond apt) and that is byte-for-byte
# the same on every build, so digests can be written into tests and docs.
#
# Follows: OCI image-spec v1.1 (image-layout.md, manifest.md, config.md, descriptor.md,
# annotations.md, layer.md), the reproducible-builds.org SOURCE_DATE_EPOCH convention, and GNU tar's
# "Making tar archives more reproducible" (tar(1) --sort/--mtime/--pax-option, gzip(1) -n).
#
# Default OUTDIR: rootfs-fixtures/out/busybox. A stamp file OUTDIR.stamp records the inputs (the
# busybox binary's and this script's sha256, the epoch and the tool versions); when they are
# unchanged and OUTDIR is complete the script does nothing. FORCE=1 rebuilds regardless.
# Needs root (the layer has files owned by 1000:1000, set with chown in a staging directory).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
outdir=${1:-$here/out/busybox}
outdir=${outdir%/}
epoch=${SOURCE_DATE_EPOCH:-1700000000}
busybox=/bin/busybox

die() { echo "build-busybox: $*" >&2; exit 1; }

[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH \"$epoch\" is not a number of seconds"
[[ $(id -u) == 0 ]] || die "must run as root (layer entries need owners 0:0 and 1000:1000)"

# 1. Debian's static busybox: install busybox-static if it is not there (apt-get update only if
#    the plain install fails, e.g. on a machine whose package lists were never fetched).
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || [[ ! -x $busybox ]]; then
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq busybox-static >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
        apt-get install -y -qq busybox-static >/dev/null 2>&1 || die "apt-get install busybox-static failed"
    fi
fi
[[ -x $busybox ]] || die "$busybox missing after installing busybox-static"

pkgver=$(dpkg-query -W -f='${Version}' busybox-static)
bbver=$("$busybox" 2>/dev/null | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
[[ -n $bbver ]] || die "cannot read the version from \`$busybox\`"
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)   # amd64/arm64 are the OCI names too
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# 2. Up to date? Compare the recorded inputs with the current ones.
stamp_file=$outdir.stamp
stamp=$(printf 'busybox %s\nscript %s\nepoch %s\narch %s\ntar %s\ngzip %s\n' \
    "$(sha256sum "$busybox" | cut -d' ' -f1)" "$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)" \
    "$epoch" "$arch" "$(tar --version | head -n1)" "$(gzip --version | head -n1)")
if [[ ${FORCE:-0} != 1 && -f $stamp_file && -f $outdir/index.json && -f $outdir/oci-layout ]] \
    && [[ $(cat "$stamp_file") == "$stamp" ]]; then
    echo "build-busybox: $outdir is up to date"
    exit 0
fi

# Refuse to replace a directory that is not an earlier output of this script.
if [[ -e $outdir && ! -f $outdir/oci-layout ]] && [[ -n $(ls -A "$outdir" 2>/dev/null) ]]; then
    die "$outdir exists and is not an OCI layout; refusing to overwrite it"
fi

work=$(mktemp -d /tmp/minirun-busybox-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
layout=$work/layout
mkdir -p "$root" "$layout/blobs/sha256"

# 3. The root filesystem. Every mode is set explicitly so the umask does not matter.
for d in bin dev etc home proc root sbin sys tmp usr usr/bin usr/sbin var home/student; do
    mkdir -p "$root/$d"
    chmod 0755 "$root/$d"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"

cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"

# One relative symlink per applet, e.g. bin/sh -> busybox, usr/bin/env -> ../../bin/busybox.
while IFS= read -r applet; do
    [[ -n $applet && $applet != bin/busybox ]] || continue
    dir=$(dirname "$applet")
    up=""
    if [[ $dir != . ]]; then
        IFS=/ read -ra parts <<<"$dir"
        for _ in "${parts[@]}"; do up="../$up"; done
    fi
    target=${up}bin/busybox
    [[ $dir == bin ]] && target=busybox
    mkdir -p "$root/$dir"
    ln -s "$target" "$root/$applet"
done < <("$busybox" --list-full | LC_ALL=C sort)

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
student:x:1000:1000:MiniRun test user:/home/student:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
tty:x:5:
staff:x:50:student
users:x:100:student
student:x:1000:
nogroup:x:65534:
EOF
cat >"$root/etc/os-release" <<EOF
NAME="MiniRun busybox fixture"
PRETTY_NAME="MiniRun busybox fixture (BusyBox v$bbver)"
ID=minirun-busybox
VERSION_ID="$bbver"
VERSION="$bbver (Debian busybox-static $pkgver)"
EOF
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/os-release"

chown -R 0:0 "$root"
chown 1000:1000 "$root/home/student"

# 4. The layer: an explicit, byte-sorted entry list; constant mtime; no atime/ctime; numeric owners.
(cd "$root" && find . -mindepth 1 -print0 | sed -z 's|^\./||' | LC_ALL=C sort -z) >"$work/list"
tar -C "$root" --create --file="$work/layer.tar" --null --no-recursion --files-from="$work/list" \
    --sort=name --mtime="@$epoch" --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"

# put FILE: stores FILE as a blob, sets $digest (sha256:...) and $size.
put() {
    local hex
    hex=$(sha256sum "$1" | cut -d' ' -f1)
    digest=sha256:$hex
    size=$(stat -c %s "$1")
    cp "$1" "$layout/blobs/sha256/$hex"
    chmod 0644 "$layout/blobs/sha256/$hex"
}

diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
put "$work/layer.tar.gz"
layer_digest=$digest layer_size=$size

# 5. Image config, manifest, index (compact JSON written with printf; every value is plain ASCII).
printf '{"created":"%s","architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"%s","created_by":"rootfs-fixtures/build-busybox.sh: Debian busybox-static %s"}]}' \
    "$created" "$arch" "$diff_id" "$created" "$pkgver" >"$work/config.json"
put "$work/config.json"
config_digest=$digest config_size=$size

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
put "$work/manifest.json"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"docker.io/library/busybox:latest","org.opencontainers.image.ref.name":"latest"}}]}\n' \
    "$digest" "$size" "$arch" >"$layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}\n' >"$layout/oci-layout"
chmod 0644 "$layout/index.json" "$layout/oci-layout"

# 6. Replace the output in one step (the old output, if any, is an earlier build of this script).
mkdir -p "$(dirname "$outdir")"
rm -rf "$outdir" "$stamp_file"
mv "$layout" "$outdir"
chmod 0755 "$outdir" "$outdir/blobs" "$outdir/blobs/sha256"
printf '%s\n' "$stamp" >"$stamp_file"
echo "build-busybox: wrote $outdir (manifest $digest, layer $layer_digest, BusyBox v$bbver)"
