#!/usr/bin/env bash
# run-security.sh - what the default confinement costs a container start: `minirun run --rm
# busybox true` with the default security (Docker's 14 capabilities, the default seccomp filter
# loaded from the filter cache) next to `--privileged` (every capability, no filter), and the
# default once more with the seccomp filter cache emptied before every run (libseccomp compiles
# the profile each time: what the cache saves), and the default with `--security-opt
# seccomp=unconfined` (default minus that row: seccomp's own share, the filter from the cache).
# The runs are made in ROUNDS short hyperfine sessions, each running every command a few times,
# and the times of all rounds are pooled: hyperfine runs one command's runs back to back, so on
# this shared machine a load change between two commands' blocks once showed up as a difference
# of tens of ms between them. Medians of the pooled times.
# One --prepare per command, in the commands' order (only the last empties the cache): hyperfine
# runs a --prepare given once before every run of *every* command, which made the default row
# compile the profile on every run too until 2026-12-07 evening (docs/benchmarks.md).
#
# Why: docs/security.md; the issue's target is under 1 ms for capabilities, seccomp and device
# control together (default minus privileged).
#
# Follows: hyperfine(1) (-N, --warmup, --runs, --prepare once or once per command, --export-json).
#
# Environment: MINIRUN_BIN (default <repo>/artifacts/bin/minirun), RUNS (default 40, at least
# 20), WARMUP (default 5, before the first round), ROUNDS (default 10; each round runs every
# command RUNS/ROUNDS times, at least 2). Output: a markdown table on stdout and bench/results/security-<UTC
# time>.json. Needs root; everything lives in one temporary MiniRun root removed on exit. The
# containers have no bridge (a daemon.json with "bridge": "none"): only the confinement differs
# between the rows, and nothing is made in the host's network.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-40}
warmup=${WARMUP:-5}
rounds=${ROUNDS:-10}
fixture=$repo/rootfs-fixtures/out/busybox

die() { echo "run-security: $*" >&2; exit 1; }
log() { echo "run-security: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 20 ]] || die "RUNS=$runs: need a number >= 20"
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 ]] || die "ROUNDS=$rounds: need a number >= 1"
[[ -x $minirun ]] || die "$minirun is missing: build it with ./minirun --version"
. "$here/need-tools.sh"
need_tools hyperfine:hyperfine jq:jq

"$repo/rootfs-fixtures/build-busybox.sh" "$fixture" >&2
root=$(mktemp -d /tmp/minirun-bench-security.XXXXXX)
# No bridge: the containers get --network none's namespace (only lo), so the bench measures the
# confinement, not the network, and never makes a bridge or firewall rules on this host.
echo '{"bridge":"none"}' > "$root/daemon.json"
export MINIRUN_DAEMON_CONFIG=$root/daemon.json
cleanup() { "$minirun" --root "$root" rm -f $("$minirun" --root "$root" ps -aq 2>/dev/null) >/dev/null 2>&1 || true; rm -rf "$root"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$minirun" --root "$root" load -i "$fixture" >/dev/null

run="$minirun --root $root run --rm --pull never"
per_round=$(( (runs + rounds - 1) / rounds )); (( per_round >= 2 )) || per_round=2
for ((r = 1; r <= rounds; r++)); do
    log "round $r of $rounds ($per_round runs of each command)"
    hyperfine -N --warmup "$(( r == 1 ? warmup : 0 ))" --runs "$per_round" --style basic --export-json "$root/round-$r.json" \
        --prepare true --prepare true --prepare true --prepare "rm -rf $root/runtime/seccomp-cache" \
        -n default "$run busybox true" \
        -n privileged "$run --privileged busybox true" \
        -n "default, seccomp=unconfined" "$run --security-opt seccomp=unconfined busybox true" \
        -n "default, cache emptied" "$run busybox true" >&2
done
# Pool the rounds: one result per command with every time, and its statistics recomputed.
jq -s '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  {results: [map(.results[]) | group_by(.command)[] | (map(.times[]) as $t | ($t | add / length) as $mean |
     {command: .[0].command, times: $t, median: ($t | median), mean: $mean, min: ($t | min), max: ($t | max),
      stddev: ($t | map((. - $mean) * (. - $mean)) | add / (length - 1) | sqrt)})]}' "$root"/round-*.json >"$root/hyperfine.json"

mkdir -p "$here/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
result=$here/results/security-$stamp.json
jq --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" '
  def ms: . * 1000 | . * 100 | round / 100;
  def med($n): (.results[] | select(.command == $n) | .median);
  {date: $date, kernel: $kernel, cpus: $cpus,
   summary: [.results[] | {name: .command, median_ms: (.median | ms), mean_ms: (.mean | ms), stddev_ms: (.stddev | ms),
             min_ms: (.min | ms), max_ms: (.max | ms), runs: (.times | length)}],
   default_minus_privileged_ms: ((med("default") - med("privileged")) | ms),
   cache_saves_ms: ((med("default, cache emptied") - med("default")) | ms),
   seccomp_ms: ((med("default") - med("default, seccomp=unconfined")) | ms),
   hyperfine: .}' "$root/hyperfine.json" >"$result"

echo "| run --rm busybox true | median ms | mean ms | min ms | max ms | runs |"
echo "|---|---|---|---|---|---|"
jq -r '.summary[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
echo
jq -r '"default - privileged = \(.default_minus_privileged_ms) ms; default - seccomp=unconfined = \(.seccomp_ms) ms; the filter cache saves \(.cache_saves_ms) ms (medians)"' "$result"
echo "$(nproc) CPUs; kernel $(uname -r); results: ${result#"$repo"/}"
