#!/usr/bin/env bash
# run-pull.sh - pull + unpack of a ~50 MB image from a local registry: `minirun pull` next to
# `skopeo copy` to an OCI directory plus `umoci unpack` of it; and unpack alone: MiniRun's layer
# unpacker next to `tar -xzf` of the same layer.
#
# Why: issue 3's target is that MiniRun's pull+unpack takes no longer than skopeo and umoci
# together; this measures both in one run, on one machine, from the same registry.
#
# What it does:
#   1. debootstrap --variant=minbase bookworm into a temporary directory, from the Debian mirror
#      apt already uses (the only network this script touches; ~40 s, ~115 MiB, 51 MB gzipped);
#   2. drop the downloaded .debs and apt lists (as image builds do), tar + gzip it as one layer into an OCI image layout (config with diff_ids, manifest,
#      index.json with ref.name "bookworm"), built with tar, gzip, sha256sum and jq;
#   3. starts /usr/bin/docker-registry on 127.0.0.1:<free port> with storage in the temporary
#      directory and pushes the layout with skopeo;
#   4. hyperfine, RUNS runs each, every run from an empty store (--prepare):
#        pull+unpack  minirun pull            | skopeo copy docker:// oci: && umoci unpack
#        unpack       minirun run --rm IMAGE true on a store where the image was just loaded
#                     (`minirun load -i LAYOUT` in --prepare: load copies blobs, the first run
#                     unpacks the layer, then starts a ~10 ms container)  | tar -xzf LAYER
#                     | umoci unpack of the local layout (for reference)
#   5. prints medians and ratios; writes bench/results/pull-<UTC time>.json.
# Everything it started (the registry process, by its pid) and created (one temporary directory)
# is removed on exit, also on failure or Ctrl-C.
#
# Follows: debootstrap(8) --variant=minbase, OCI image-spec (image-layout.md, manifest.md,
# config.md), skopeo-copy(1), umoci-unpack(1), hyperfine(1) (--prepare, --runs, --export-json),
# distribution's configuration.md (storage.filesystem, http.addr).
#
# Environment:
#   MINIRUN_BIN  minirun binary (default: <repo>/artifacts/bin/minirun); missing -> its rows skipped
#   RUNS         measured runs per command (default 5)
#   MIRROR       Debian mirror for debootstrap (default: the first bookworm URI in apt's sources)
#   ROOTFS_TGZ   reuse a gzipped tar of a rootfs instead of running debootstrap (optional)
# Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-5}

die() { echo "run-pull: $*" >&2; exit 1; }
log() { echo "run-pull: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 2 ]] || die "RUNS=$runs: need a number >= 2"
for t in debootstrap docker-registry skopeo umoci hyperfine jq sha256sum gzip tar; do
    command -v "$t" >/dev/null || die "$t is missing: run .ci/install-deps.sh"
done

mirror=${MIRROR:-}
if [[ -z $mirror ]]; then
    mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
        /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i=="bookworm") {print u; exit}}')
    [[ -n $mirror ]] || mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
    [[ -n $mirror ]] || die "no bookworm mirror found in apt's sources: set MIRROR"
fi

work=$(mktemp -d /tmp/minirun-pullbench.XXXXXX)
regpid=""
cleanup() {
    set +e
    if [[ -n $regpid ]]; then kill "$regpid" 2>/dev/null; wait "$regpid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The rootfs.
if [[ -n ${ROOTFS_TGZ:-} ]]; then
    log "using $ROOTFS_TGZ"
    mkdir "$work/rootfs"
    tar -xzf "$ROOTFS_TGZ" -C "$work/rootfs" --numeric-owner
else
    log "debootstrap --variant=minbase bookworm from $mirror (about 40 s)"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || die "debootstrap failed: $(tail -n1 "$work/debootstrap.log")"
fi
# debootstrap leaves the downloaded .debs and apt's lists behind; an image would not ship them.
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/log/"*.log

# 2. One gzip layer in an OCI layout.
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
tar --numeric-owner --sort=name -C "$work/rootfs" -cf "$work/layer.tar" .
rm -rf "$work/rootfs"
diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -6 <"$work/layer.tar" >"$work/layer.tar.gz"
rm -f "$work/layer.tar"
layer_hex=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
cp "$work/layer.tar.gz" "$layout/blobs/sha256/$layer_hex"
blob() { # blob FILE MEDIATYPE -> descriptor JSON, file moved into blobs/
    local hex size
    hex=$(sha256sum "$1" | cut -d' ' -f1); size=$(stat -c %s "$1")
    mv "$1" "$layout/blobs/sha256/$hex"
    jq -cn --arg m "$2" --arg d "sha256:$hex" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}
jq -cn --arg diff "$diff_id" '{created: "2025-05-20T00:00:00Z", architecture: "amd64", os: "linux",
    config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["bash"]},
    rootfs: {type: "layers", diff_ids: [$diff]},
    history: [{created: "2025-05-20T00:00:00Z", created_by: "debootstrap --variant=minbase bookworm"}]}' >"$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)
jq -cn --argjson c "$config" --arg d "sha256:$layer_hex" --argjson s "$layer_size" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c,
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}]}' >"$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
jq -cn --argjson m "$manifest" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [$m + {annotations: {"org.opencontainers.image.ref.name": "bookworm"}}]}' >"$layout/index.json"
log "layer: $((layer_size / 1000000)) MB gzipped, diff_id $diff_id"

# 3. A registry on a free loopback port, and the push.
for _ in $(seq 50); do
    port=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue # something listens there
    cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
    docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
    regpid=$!
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
        kill -0 "$regpid" 2>/dev/null || break
        sleep 0.05
    done
    curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
    kill "$regpid" 2>/dev/null; wait "$regpid" 2>/dev/null || true; regpid=""
done
[[ -n $regpid ]] || die "docker-registry did not start: $(tail -n1 "$work/registry.log")"
image=127.0.0.1:$port/debian:bookworm
skopeo copy -q --dest-tls-verify=false "oci:$layout:bookworm" "docker://$image" || die "skopeo push to $image failed"
log "pushed $image"

# 4. The commands. Every run starts from nothing (--prepare removes the previous run's output).
names=() cmds=() preps=()
add() { names+=("$1"); cmds+=("$2"); preps+=("$3"); }
add "skopeo copy + umoci unpack" \
    "skopeo copy -q --src-tls-verify=false docker://$image oci:$work/sk:bookworm && umoci unpack --image $work/sk:bookworm $work/bundle >/dev/null" \
    "rm -rf $work/sk $work/bundle"
minirun_note=""
if [[ ! -x $minirun ]]; then
    minirun_note="skipped: $minirun does not exist"
elif ! out=$("$minirun" --root "$work/probe" pull "$image" 2>&1); then
    minirun_note="skipped: minirun pull failed: $(tail -n1 <<<"$out")"
else
    rm -rf "$work/probe"
    add "minirun pull" "$minirun --root $work/mr pull -q $image >/dev/null" "rm -rf $work/mr"
fi
add "tar -xzf (unpack only)" "tar -xzf $work/layer.tar.gz -C $work/tarx --numeric-owner" "rm -rf $work/tarx && mkdir $work/tarx"
add "umoci unpack (unpack only)" "umoci unpack --image $layout:bookworm $work/ubundle >/dev/null" "rm -rf $work/ubundle"
if [[ -z $minirun_note ]]; then
    # Run by short image ID (`images -q`), independent of how load names an OCI layout's image.
    add "minirun first run (unpack only)" \
        "$minirun --root $work/ml run --rm \$(cat $work/ml.id) true" \
        "rm -rf $work/ml && $minirun --root $work/ml load -q -i $layout >/dev/null && $minirun --root $work/ml images -q | head -n1 >$work/ml.id"
fi
[[ -z $minirun_note ]] || log "minirun $minirun_note"

for i in "${!cmds[@]}"; do
    sh -c "${preps[$i]}" && sh -c "${cmds[$i]}" >/dev/null 2>"$work/probe.err" \
        || die "${names[$i]} fails: ${cmds[$i]}: $(tail -n1 "$work/probe.err")"
done

args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" --prepare "${preps[$i]}" "${cmds[$i]}"); done
hyperfine --runs "$runs" --style basic --export-json "$work/hyperfine.json" "${args[@]}" >&2

# 5. Summary.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
result=$here/results/pull-$stamp.json
jq --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg layer_mb "$((layer_size / 1000000))" \
   --arg skopeo "$(skopeo --version)" --arg umoci "$(umoci --version)" --arg minirun_note "$minirun_note" '
  def ms: . * 1000 | round;
  def med($n): (.results[] | select(.command == $n) | .median) // null;
  def ratio($a; $b): if med($a) and med($b) then (med($a) / med($b) * 100 | round / 100) else null end;
  {date: $date, kernel: $kernel, cpus: ($cpus | tonumber), layer_mb: ($layer_mb | tonumber),
   skopeo: $skopeo, umoci: $umoci, minirun: (if $minirun_note == "" then "measured" else $minirun_note end),
   summary: [.results[] | {name: .command, median_ms: (.median | ms), mean_ms: (.mean | ms),
             stddev_ms: (.stddev | ms), min_ms: (.min | ms), max_ms: (.max | ms), runs: (.times | length)}],
   ratios: {pull_minirun_over_skopeo_umoci: ratio("minirun pull"; "skopeo copy + umoci unpack"),
            unpack_minirun_over_tar: ratio("minirun first run (unpack only)"; "tar -xzf (unpack only)"),
            unpack_minirun_over_umoci: ratio("minirun first run (unpack only)"; "umoci unpack (unpack only)")},
   hyperfine: .}' "$work/hyperfine.json" >"$result"

echo "| command | median (ms) | mean ± sd (ms) | min (ms) | max (ms) | runs |"
echo "|---|---:|---:|---:|---:|---:|"
jq -r '.summary[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
[[ -z $minirun_note ]] || echo "| minirun | $minirun_note | | | | |"
echo
jq -r '.ratios | "pull+unpack: minirun / (skopeo+umoci) = \(.pull_minirun_over_skopeo_umoci // "n/a"); unpack: minirun / tar = \(.unpack_minirun_over_tar // "n/a"), minirun / umoci = \(.unpack_minirun_over_umoci // "n/a") (medians)"' "$result"
echo "layer $((layer_size / 1000000)) MB gzipped; $(nproc) CPUs; kernel $(uname -r); results: ${result#"$repo"/}"
