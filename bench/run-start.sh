#!/usr/bin/env bash
# run-start.sh - container start latency, end to end: `minirun run --rm busybox true` next to
# `runc run` and `crun run` on an OCI bundle of the same rootfs (the busybox fixture's layer), and
# `minirun-oci run` (MiniRun's runtime core behind runc's command line) on that same bundle.
#
# Why: MiniRun teaches how a runtime works; this tells how far its start path is from the two
# reference runtimes, measured the same way on the same machine with the same image.
#
# Follows: hyperfine(1) (--warmup, --runs, --export-json), runc(8) / crun(1) `spec` and `run`,
# the OCI runtime spec config.json (process.args, process.terminal, linux.namespaces), unshare(1).
#
# Environment:
#   MINIRUN_BIN   minirun binary (default: <repo>/artifacts/bin/minirun); missing -> row skipped
#   RUNS          measured runs per command (default 50, at least 30)
#   WARMUP        warmup runs per command (default 5)
#   WRAP          all (default): every runtime runs inside the crun workaround (hide-cgroup2.c: a
#                 private mount namespace with /sys/fs/cgroup/unified hidden), so the comparison
#                 is fair, plus two rows that show the wrapper's cost; crun: only crun is wrapped
# Output: a markdown table on stdout (hyperfine's progress goes to stderr) and
# bench/results/start-<UTC time>.json (hyperfine's raw JSON plus medians and ratios).
# Needs root. Everything is local; all temporary state lives in one directory removed on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-50}
warmup=${WARMUP:-5}
wrap=${WRAP:-all}
fixture=$repo/rootfs-fixtures/out/busybox

die() { echo "run-start: $*" >&2; exit 1; }
log() { echo "run-start: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 30 ]] || die "RUNS=$runs: need a number >= 30"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP=$warmup is not a number"
[[ $wrap == all || $wrap == crun ]] || die "WRAP=$wrap: use all or crun"

# Tools: install what is missing from apt (the only network this script may use).
. "$here/need-tools.sh"
need_tools hyperfine:hyperfine jq:jq runc:runc crun:crun gcc:gcc findmnt:util-linux

"$repo/rootfs-fixtures/build-busybox.sh" "$fixture" >&2

work=$(mktemp -d /tmp/minirun-bench.XXXXXX)
bundle=$work/bundle
cleanup() {
    local s id m
    set +e
    for s in runc crun minirun-oci; do
        [[ -d $work/$s-state ]] || continue
        for id in $("$s" --root "$work/$s-state" list -q 2>/dev/null); do
            "$s" --root "$work/$s-state" delete -f "$id" >/dev/null 2>&1
        done
    done
    # Mounts under the work directory (there should be none: every runtime ran in its own mount
    # namespace); innermost first.
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bundle: the fixture's single layer, and `runc spec` adjusted to run /bin/true.
manifest=$(jq -r '.manifests[0].digest' "$fixture/index.json")
layer=$(jq -r '.layers[0].digest' "$fixture/blobs/sha256/${manifest#sha256:}")
mkdir -p "$bundle/rootfs" "$work/runc-state" "$work/crun-state" "$work/minirun-oci-state" "$work/minirun-root"
tar -xzf "$fixture/blobs/sha256/${layer#sha256:}" -C "$bundle/rootfs" --numeric-owner
(cd "$bundle" && runc spec)
jq '.process.args = ["true"] | .process.terminal = false
    | .linux.namespaces = (["pid","mount","uts","ipc","network","cgroup"] | map({type: .}))' \
    "$bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$bundle/config.json"

# The crun workaround: crun 1.8 refuses hybrid cgroups, so hide the cgroup2 mount in a private
# mount namespace, then exec the runtime (bench/hide-cgroup2.c).
command -v gcc >/dev/null || die "gcc is needed to build bench/hide-cgroup2.c (run .ci/install-deps.sh)"
gcc -O2 -Wall -Werror -o "$work/hide-cgroup2" "$here/hide-cgroup2.c" || die "gcc bench/hide-cgroup2.c failed"
W=$work/hide-cgroup2
rw=""; [[ $wrap == all ]] && rw="$W "

# Commands, run without a shell (hyperfine -N) so nothing is subtracted from a few-ms figure.
# Runs are sequential and `run` deletes its container on exit, so one fixed id per runtime is
# enough; a leftover container would make the next run fail, and hyperfine stops on failures.
# Order: the cheap and the reference rows first, minirun last, so minirun is not the first
# benchmark (the first one tends to run slowest while the machine settles).
names=() cmds=()
if [[ $wrap == all ]]; then
    names+=("wrapper alone" "runc, not wrapped")
    cmds+=("$W true" "runc --root $work/runc-state run --bundle $bundle bench-runc")
fi
names+=(runc crun)
cmds+=("${rw}runc --root $work/runc-state run --bundle $bundle bench-runc"
       "$W crun --root $work/crun-state run --bundle $bundle bench-crun")

minirun_note=""
if [[ ! -x $minirun ]]; then
    minirun_note="skipped: $minirun does not exist"
elif ! out=$(MINIRUN_ROOT=$work/minirun-root "$minirun" --root "$work/minirun-root" load -i "$fixture" 2>&1); then
    minirun_note="skipped: minirun load failed: $(tail -n1 <<<"$out")"
elif ! out=$(MINIRUN_ROOT=$work/minirun-root sh -c "${rw}$minirun --root $work/minirun-root run --rm busybox true" 2>&1); then
    minirun_note="skipped: minirun run failed: $(tail -n1 <<<"$out")"
else
    export MINIRUN_ROOT=$work/minirun-root
    names+=(minirun)
    cmds+=("${rw}$minirun --root $work/minirun-root run --rm busybox true")
    # The same binary as runc's command line, on runc's bundle (the name selects the CLI).
    ln -sf "$minirun" "$work/minirun-oci"
    names+=(minirun-oci)
    cmds+=("${rw}$work/minirun-oci --root $work/minirun-oci-state run --bundle $bundle bench-oci")
fi
[[ -z $minirun_note ]] || log "minirun $minirun_note"

# Each command must work once before it is timed.
for i in "${!cmds[@]}"; do
    sh -c "${cmds[$i]}" >/dev/null 2>"$work/probe.err" || die "${names[$i]} fails: ${cmds[$i]}: $(tail -n1 "$work/probe.err")"
done

args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup "$warmup" --runs "$runs" --style basic --export-json "$work/hyperfine.json" "${args[@]}" >&2

# Summary: medians (ms) and the ratios of minirun's median to crun's and runc's.
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
result=$here/results/start-$stamp.json
jq --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg wrap "$wrap" \
   --arg runc "$(runc --version | head -n1)" --arg crun "$(crun --version | head -n1)" \
   --arg minirun_note "$minirun_note" '
  def ms: . * 1000 * 100 | round / 100;
  def med($n): (.results[] | select(.command == $n) | .median) // null;
  {date: $date, kernel: $kernel, cpus: ($cpus | tonumber), wrap: $wrap, runc: $runc, crun: $crun,
   minirun: (if $minirun_note == "" then "measured" else $minirun_note end),
   summary: [.results[] | {name: .command, median_ms: (.median | ms), mean_ms: (.mean | ms),
             stddev_ms: (.stddev | ms), min_ms: (.min | ms), max_ms: (.max | ms), runs: (.times | length)}],
   ratios: (if med("minirun") then {minirun_over_crun: (med("minirun") / med("crun") * 100 | round / 100),
                                    minirun_over_runc: (med("minirun") / med("runc") * 100 | round / 100),
                                    minirun_oci_over_crun: (med("minirun-oci") / med("crun") * 100 | round / 100),
                                    minirun_oci_over_runc: (med("minirun-oci") / med("runc") * 100 | round / 100)}
            else null end),
   hyperfine: .}' "$work/hyperfine.json" >"$result"

echo "| command | median (ms) | mean ± sd (ms) | min (ms) | max (ms) | runs |"
echo "|---|---:|---:|---:|---:|---:|"
jq -r '.summary[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
[[ -z $minirun_note ]] || echo "| minirun | $minirun_note | | | | |"
echo
jq -r 'if .ratios then "minirun/crun = \(.ratios.minirun_over_crun), minirun/runc = \(.ratios.minirun_over_runc); minirun-oci/crun = \(.ratios.minirun_oci_over_crun), minirun-oci/runc = \(.ratios.minirun_oci_over_runc) (medians)"
       else "ratios: minirun not measured" end' "$result"
echo "wrap=$wrap; $(nproc) CPUs; kernel $(uname -r); results: ${result#"$repo"/}"
