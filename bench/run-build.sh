#!/usr/bin/env bash
# run-build.sh - `minirun build` of the course's Dockerfile next to Debian's `buildah bud`, on the
# same machine, from the same busybox image, without network (issue 13's build benchmark):
#   cold  every step built (--no-cache): FROM busybox / RUN echo hello > /hello.txt / CMD [...]
#   warm  a rebuild with every step cached (the course Dockerfile, and a 5-step one with ENV,
#         WORKDIR, COPY, RUN, CMD: issue 13's target is a cached rebuild under 0.5 s)
# hyperfine, RUNS runs each (after WARMUP), medians and the ratios minirun / buildah.
#
# buildah on this host: its default isolation (oci, through crun) cannot run a RUN step on this
# hybrid cgroup host ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"), so buildah runs with --isolation chroot: RUN in a chroot with no new namespaces and
# no cgroup, the host's network. MiniRun's RUN is a full container (namespaces, pivot_root,
# seccomp, capabilities, its cgroup, the supervisor): the comparison favours buildah. Both
# use overlayfs for their layers (buildah's storage driver "overlay", --layers for its cache).
#
# Everything lives in one temporary directory: MiniRun's --root, buildah's --root/--runroot, the
# context. On exit (also on failure or Ctrl-C) buildah's containers and images there are removed,
# anything still mounted below the directory is unmounted, and the directory is deleted.
#
# Follows: hyperfine(1) (--runs, --warmup, --export-json), buildah-bud(1) (--isolation, --layers,
# --no-cache, -q), buildah-pull(1) (oci: transport), docker-build(1).
#
# Environment: MINIRUN_BIN (default <repo>/artifacts/bin/minirun); RUNS (default 10); WARMUP (2).
# Output: a markdown table on stdout, bench/results/build-<UTC time>.json. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-10}
warmup=${WARMUP:-2}
fixture=$repo/rootfs-fixtures/out/busybox

die() { echo "run-build: $*" >&2; exit 1; }
log() { echo "run-build: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 3 ]] || die "RUNS=$runs: need a number >= 3"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP=$warmup is not a number"
[[ -x $minirun ]] || die "$minirun is missing: build it with ./minirun --version"
. "$here/need-tools.sh"
need_tools hyperfine:hyperfine jq:jq buildah:buildah findmnt:util-linux
[[ -d $fixture ]] || "$repo/rootfs-fixtures/build-busybox.sh" "$fixture" >&2

work=$(mktemp -d /tmp/minirun-bench-build.XXXXXX)
root=$work/minirun-root
# No bridge for the RUN steps (they need no network): nothing is made in the host's network.
echo '{"bridge":"none"}' > "$work/daemon.json"
export MINIRUN_DAEMON_CONFIG=$work/daemon.json
bh=(buildah --root "$work/buildah-root" --runroot "$work/buildah-run" --storage-driver overlay)
cleanup() {
    set +e
    "${bh[@]}" rm --all >/dev/null 2>&1
    "${bh[@]}" rmi --all --force >/dev/null 2>&1
    # Unmount whatever buildah or MiniRun left below the directory (deepest first), then remove it.
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# The images: the same busybox layout for both.
"$minirun" --root "$root" load -q -i "$fixture" >/dev/null
"${bh[@]}" pull -q "oci:$fixture" >/dev/null
"${bh[@]}" tag "$("${bh[@]}" images -q | head -1)" busybox

# The contexts.
mkdir -p "$work/course" "$work/five"
printf 'FROM busybox\nRUN echo hello > /hello.txt\nCMD ["sh", "-c", "ps"]\n' >"$work/course/Dockerfile"
printf 'course material\n' >"$work/five/notes.txt"
printf 'FROM busybox\nENV COURSE=containers\nWORKDIR /app\nCOPY notes.txt .\nRUN cat notes.txt > /app/copy\nCMD ["cat", "/app/copy"]\n' \
    >"$work/five/Dockerfile"

mr="$minirun --root $root build -q"
bb="${bh[*]} bud --isolation chroot --layers -q"
# One build of each first: the warm rows then find every step cached.
for ctx in course five; do
    $mr -t "$ctx" "$work/$ctx" >/dev/null
    $bb -t "$ctx" "$work/$ctx" >/dev/null
done
# Both caches really hit: a warm build must give the same image again.
[[ $($mr -t course "$work/course") == $($mr -t course "$work/course") ]] || die "minirun's warm build changed the image"

log "hyperfine: $runs runs of each (warmup $warmup)"
hyperfine -N --runs "$runs" --warmup "$warmup" --style basic --export-json "$work/hyperfine.json" \
    -n "cold minirun build --no-cache" "$mr --no-cache -t course $work/course" \
    -n "cold buildah bud --no-cache" "$bb --no-cache -t course $work/course" \
    -n "warm minirun build" "$mr -t course $work/course" \
    -n "warm buildah bud" "$bb -t course $work/course" \
    -n "warm 5-step minirun build" "$mr -t five $work/five" \
    -n "warm 5-step buildah bud" "$bb -t five $work/five" >&2

mkdir -p "$here/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
result=$here/results/build-$stamp.json
jq --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg load "$load_before" \
   --arg buildah "$(buildah --version)" '
  def ms: . * 1000 | round;
  def med($n): (.results[] | select(.command == $n) | .median);
  def ratio($a; $b): ((med($a) / med($b)) * 100 | round) / 100;
  {date: $date, kernel: $kernel, cpus: $cpus, load_before: $load, buildah: $buildah,
   summary: [.results[] | {name: .command, median_ms: (.median | ms), mean_ms: (.mean | ms),
             stddev_ms: (.stddev | ms), min_ms: (.min | ms), max_ms: (.max | ms), runs: (.times | length)}],
   ratios: {cold: ratio("cold minirun build --no-cache"; "cold buildah bud --no-cache"),
            warm: ratio("warm minirun build"; "warm buildah bud"),
            warm_five: ratio("warm 5-step minirun build"; "warm 5-step buildah bud")},
   hyperfine: .}' "$work/hyperfine.json" >"$result"

echo "| command | median (ms) | mean ± sd (ms) | min (ms) | max (ms) | runs |"
echo "|---|---|---|---|---|---|"
jq -r '.summary[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
echo
jq -r '.ratios | "minirun / buildah (medians): cold \(.cold), warm \(.warm), warm 5-step \(.warm_five)"' "$result"
echo "load before: $load_before; buildah with --isolation chroot (see the header); results: $result"
