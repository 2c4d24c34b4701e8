#!/usr/bin/env bash
# run-push.sh - push of a ~50 MB image to a local registry: `minirun push` next to `skopeo copy`
# of the same image from an OCI layout.
#
# Why: issue 13's target is that MiniRun's push is no slower than skopeo; this measures both in one
# run, on one machine, to the same registry, with the same blobs.
#
# What it does:
#   1. makes an OCI image layout of LAYERS gzip layers (default 5) of random data (SIZE_MB in all,
#      default 50; random data does not compress, so the blobs are ~50 MB) plus a config and a
#      manifest, with tar, gzip, sha256sum and jq; no network;
#   2. starts /usr/bin/docker-registry on 127.0.0.1:<free port> with storage in the temporary
#      directory, and loads the layout into a MiniRun root once (`minirun load -i`);
#   3. hyperfine, RUNS runs each; before every run (--prepare) the registry's storage is emptied
#      and a new repository name is taken, so every run uploads every blob (both tools remember
#      where blobs went and would otherwise mount them; a mount of a blob that is gone falls back
#      to an upload, the same for both):
#        skopeo copy oci:LAYOUT:bench docker://127.0.0.1:PORT/sk-N:bench
#        minirun push 127.0.0.1:PORT/mr-N:bench        (tagged from the loaded image in --prepare)
#   4. checks that both pushed the same manifest digest, prints medians and the ratio, and writes
#      bench/results/push-<UTC time>.json.
# Everything it started (the registry, by its pid) and created (one temporary directory) is
# removed on exit, also on failure or Ctrl-C.
#
# Follows: OCI image-spec (image-layout.md, manifest.md, config.md), skopeo-copy(1),
# docker-push(1), hyperfine(1) (--prepare, --runs, --export-json), distribution's configuration.md.
#
# Environment:
#   MINIRUN_BIN  minirun binary (default: <repo>/artifacts/bin/minirun)
#   RUNS         measured runs per command (default 5)
#   SIZE_MB      total layer data in MB (default 50)
#   LAYERS       number of layers (default 5)
# Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-5}
size_mb=${SIZE_MB:-50}
layers=${LAYERS:-5}

die() { echo "run-push: $*" >&2; exit 1; }
log() { echo "run-push: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 2 ]] || die "RUNS=$runs: need a number >= 2"
[[ $layers =~ ^[0-9]+$ && $layers -ge 1 && $size_mb =~ ^[0-9]+$ && $size_mb -ge $layers ]] || die "need LAYERS >= 1 and SIZE_MB >= LAYERS"
[[ -x $minirun ]] || die "$minirun is missing: build it with ./minirun --version"
for t in docker-registry skopeo hyperfine jq sha256sum gzip tar curl; do
    command -v "$t" >/dev/null || die "$t is missing: run .ci/install-deps.sh"
done

work=$(mktemp -d /tmp/minirun-pushbench.XXXXXX)
regpid=""
cleanup() {
    set +e
    if [[ -n $regpid ]]; then kill "$regpid" 2>/dev/null; wait "$regpid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. The image: LAYERS layers of random data, one file each.
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
blob() { # blob FILE MEDIATYPE -> descriptor JSON, file moved into blobs/
    local hex size
    hex=$(sha256sum "$1" | cut -d' ' -f1); size=$(stat -c %s "$1")
    mv "$1" "$layout/blobs/sha256/$hex"
    jq -cn --arg m "$2" --arg d "sha256:$hex" --argjson s "$size" '{mediaType: $m, digest: $d, size: $s}'
}
per_layer=$((size_mb * 1000000 / layers))
descs=() diffs=()
for i in $(seq "$layers"); do
    mkdir -p "$work/l$i/data"
    head -c "$per_layer" /dev/urandom >"$work/l$i/data/random-$i"
    tar --numeric-owner --sort=name --mtime=2025-05-20 -C "$work/l$i" -cf "$work/layer$i.tar" .
    rm -rf "$work/l$i"
    diffs+=("sha256:$(sha256sum "$work/layer$i.tar" | cut -d' ' -f1)")
    gzip -n -1 <"$work/layer$i.tar" >"$work/layer$i.tar.gz"
    rm -f "$work/layer$i.tar"
    descs+=("$(blob "$work/layer$i.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)")
done
jq -cn --args '{created: "2025-05-20T00:00:00Z", architecture: "amd64", os: "linux",
    config: {Cmd: ["sh"]}, rootfs: {type: "layers", diff_ids: $ARGS.positional}}' "${diffs[@]}" >"$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)
printf '%s\n' "${descs[@]}" | jq -cs --argjson c "$config" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: .}' >"$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
manifest_digest=$(jq -r .digest <<<"$manifest")
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
jq -cn --argjson m "$manifest" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [$m + {annotations: {"org.opencontainers.image.ref.name": "bench"}}]}' >"$layout/index.json"
total=$(du -cb "$layout"/blobs/sha256/* | tail -n1 | cut -f1)
log "image: $layers layers, $((total / 1000000)) MB of blobs, manifest $manifest_digest"

# 2. A registry on a free loopback port; the image loaded into a MiniRun root.
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
  maintenance:
    uploadpurging:
      enabled: false
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
host=127.0.0.1:$port
"$minirun" --root "$work/mr" load -q -i "$layout" >/dev/null || die "minirun load failed"
"$minirun" --root "$work/mr" images -q --no-trunc | head -n1 >"$work/id"
echo 0 >"$work/n"

# 3. The commands. --prepare empties the registry and moves to a new repository name.
next="rm -rf $work/registry/docker && echo \$((\$(cat $work/n) + 1)) >$work/n"
sk_cmd="skopeo copy -q --dest-tls-verify=false oci:$layout:bench docker://$host/sk-\$(cat $work/n):bench"
mr_cmd="$minirun --root $work/mr push -q $host/mr-\$(cat $work/n):bench"
mr_prep="$next && $minirun --root $work/mr tag \$(cat $work/id) $host/mr-\$(cat $work/n):bench"

# Probe once each, and check both pushed the store's / layout's manifest unchanged.
sh -c "$next" && sh -c "$sk_cmd" || die "skopeo copy fails: $sk_cmd"
sk_digest=$(skopeo inspect --tls-verify=false "docker://$host/sk-$(cat "$work/n"):bench" | jq -r .Digest)
sh -c "$mr_prep" && sh -c "$mr_cmd" >/dev/null || die "minirun push fails: $mr_cmd"
mr_digest=$(skopeo inspect --tls-verify=false "docker://$host/mr-$(cat "$work/n"):bench" | jq -r .Digest)
log "manifest digests: layout $manifest_digest, skopeo $sk_digest, minirun $mr_digest"
[[ $mr_digest == "$manifest_digest" ]] || die "minirun pushed $mr_digest, the layout's manifest is $manifest_digest"

hyperfine --runs "$runs" --style basic --export-json "$work/hyperfine.json" \
    -n "skopeo copy" --prepare "$next" "$sk_cmd" \
    -n "minirun push" --prepare "$mr_prep" "$mr_cmd" >&2

# 4. Summary.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
result=$here/results/push-$stamp.json
jq --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg mb "$((total / 1000000))" --arg layers "$layers" \
   --arg skopeo "$(skopeo --version)" --arg sk_digest "$sk_digest" --arg mr_digest "$mr_digest" '
  def ms: . * 1000 | round;
  def med($n): (.results[] | select(.command == $n) | .median) // null;
  {date: $date, kernel: $kernel, cpus: ($cpus | tonumber), blobs_mb: ($mb | tonumber), layers: ($layers | tonumber),
   skopeo: $skopeo, digests: {skopeo: $sk_digest, minirun: $mr_digest},
   summary: [.results[] | {name: .command, median_ms: (.median | ms), mean_ms: (.mean | ms),
             stddev_ms: (.stddev | ms), min_ms: (.min | ms), max_ms: (.max | ms), runs: (.times | length)}],
   ratios: {push_minirun_over_skopeo: (med("minirun push") / med("skopeo copy") * 100 | round / 100)},
   hyperfine: .}' "$work/hyperfine.json" >"$result"

echo "| command | median (ms) | mean ± sd (ms) | min (ms) | max (ms) | runs |"
echo "|---|---:|---:|---:|---:|---:|"
jq -r '.summary[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
echo
echo "minirun push / skopeo copy (medians): $(jq -r .ratios.push_minirun_over_skopeo "$result")"
