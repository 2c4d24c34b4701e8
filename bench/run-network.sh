#!/usr/bin/env bash
# run-network.sh - what networking costs (issue 12's benchmark), in one run on one machine:
#   (a) `minirun run --rm busybox true` on the default bridge network next to `--network none`,
#       and on the bridge with one published port (`-p`: the port's socket, the nft rules, the
#       scan of the other containers' ports), in ROUNDS short interleaved hyperfine sessions
#       whose times are pooled (as bench/run-security.sh does); medians and the differences;
#       also `run -d busybox sleep 600` bridge vs none: the start alone, without the teardown that
#       `run --rm` waits for (each container removed by --prepare, untimed); and PAIRS paired
#       runs: none and bridge one right after the other (order alternating), the median of the
#       PAIRS differences; paired differences cancel the machine's drift between sessions, which
#       on a shared machine moves the pooled medians by more than the bridge costs;
#   (b) the course's loop, COUNT times `run -d -p $((8000+i)):80 busybox sleep 600`, timed as a
#       whole, for MiniRun and then for rootful podman with its netavark backend; then `rm -f` of
#       all (timed too) and a check that no veth, lease or port rule is left; the ratio of totals.
# Targets (issue 12): the bridge adds at most 5 ms to a start; the loop under half of podman's time.
#
# Safety: nothing touches the machine's own network. The script makes a network namespace
# (`ip netns add mrb-...`, only `lo`, no route out) and runs every MiniRun and podman command in
# it (`nsenter --net=/run/netns/NS`): the bridges, veths, nftables/iptables rules and published
# ports all live there, and are gone with it. MiniRun uses a temporary root and a daemon.json of
# `{}` (MINIRUN_DAEMON_CONFIG: the default bridge on); podman a temporary --root, --runroot,
# --tmpdir, containers.conf and network config directory, with netavark as its network backend.
# On exit (also on failure or Ctrl-C) every container started here is removed, podman's storage
# reset, the namespace deleted, anything mounted under the temp directory unmounted, and the
# temp directory removed. Only processes this script started are ended, by their pid.
#
# podman on this hybrid-cgroup host: crun 1.8 refuses the layout unless /sys/fs/cgroup/unified is
# hidden, so podman runs with --cgroups=disabled inside one private mount namespace held by a
# `hide-cgroup2 sleep` process for the whole run (bench/hide-cgroup2.c). One namespace, not one
# per command: podman bind-mounts each container's network namespace on /run/netns/netns-UUID,
# and a later podman command must see that mount. MiniRun runs as it normally does (it pays its
# device-control cgroup on this host; podman makes none): the comparison favours podman.
#
# Follows: hyperfine(1) (-N, --runs, --export-json), ip-netns(8), nsenter(1), podman(1)
# (--root, --runroot, --tmpdir, containers.conf(5) [network] network_backend, network_config_dir),
# podman-run(1) (-d, -p, --cgroups=disabled), docker-run(1) (--network, -p).
#
# Environment: MINIRUN_BIN (default <repo>/artifacts/bin/minirun); RUNS (default 40, at least
# 20; runs of each start row, pooled over ROUNDS); WARMUP (default 3); ROUNDS (default 10);
# COUNT (default 100, containers in the loop); PODMAN (1 default, 0 skips podman's loop);
# PAIRS (default 100; 0 skips the paired runs);
# START=0 skips (a), LOOP=0 skips (b).
# Output: a markdown table on stdout, bench/results/network-<UTC time>.json. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
runs=${RUNS:-40}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-10}
count=${COUNT:-100}
with_podman=${PODMAN:-1}
do_start=${START:-1}
do_loop=${LOOP:-1}
pairs=${PAIRS:-100}
fixture=$repo/rootfs-fixtures/out/busybox
netavark=/usr/lib/podman/netavark

die() { echo "run-network: $*" >&2; exit 1; }
log() { echo "run-network: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $runs =~ ^[0-9]+$ && $runs -ge 20 ]] || die "RUNS=$runs: need a number >= 20"
[[ $rounds =~ ^[0-9]+$ && $rounds -ge 1 ]] || die "ROUNDS=$rounds: need a number >= 1"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP=$warmup is not a number"
[[ $pairs =~ ^[0-9]+$ ]] || die "PAIRS=$pairs is not a number"
[[ $count =~ ^[0-9]+$ && $count -ge 1 && $count -le 1000 ]] || die "COUNT=$count: need 1-1000"
[[ -x $minirun ]] || die "$minirun is missing: build it with ./minirun --version"

. "$here/need-tools.sh"
tools=(hyperfine:hyperfine jq:jq bc:bc ip:iproute2 nsenter:util-linux findmnt:util-linux nft:nftables)
[[ $with_podman == 1 && $do_loop == 1 ]] && tools+=(podman:podman skopeo:skopeo crun:crun conmon:conmon gcc:gcc)
need_tools "${tools[@]}"
if [[ $with_podman == 1 && $do_loop == 1 && ! -x $netavark ]]; then
    log "installing netavark"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq netavark >/dev/null 2>&1 || die "apt-get install netavark failed"
fi
"$repo/rootfs-fixtures/build-busybox.sh" "$fixture" >&2

work=$(mktemp -d /tmp/minirun-bench-network.XXXXXX)
ns=mrb-${work##*.}
root=$work/minirun-root
holder=""            # pid of the `hide-cgroup2 sleep` holding podman's mount namespace
podman_netns=()      # the network namespace files of podman's containers (removed if podman left them)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

IN() { nsenter --net="/run/netns/$ns" -- "$@"; }
mr() { IN "$minirun" --root "$root" "$@"; }
pm() {
    nsenter --net="/run/netns/$ns" --mount="/proc/$holder/ns/mnt" -- \
        podman --root "$work/podman-root" --runroot "$work/podman-run" --tmpdir "$work/podman-tmp" --storage-driver overlay "$@"
}
cleanup() {
    local m f
    set +e
    if [[ -d $root ]] && ip netns list | grep -qw "$ns"; then
        mr ps -aq --no-trunc 2>/dev/null | xargs -r nsenter --net="/run/netns/$ns" -- "$minirun" --root "$root" rm -f >/dev/null 2>&1
    fi
    if [[ -n $holder ]] && kill -0 "$holder" 2>/dev/null; then
        pm rm -f -t 0 -a >/dev/null 2>&1
        pm system reset -f >/dev/null 2>&1
        kill "$holder"; wait "$holder" 2>/dev/null
    fi
    for f in "${podman_netns[@]}"; do [[ -e $f && $f == /run/netns/netns-* ]] && { umount -l "$f" 2>/dev/null; rm -f "$f"; }; done
    ip netns list | grep -qw "$ns" && ip netns del "$ns"
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up
echo '{}' >"$work/daemon.json"
export MINIRUN_DAEMON_CONFIG=$work/daemon.json
mr load -i "$fixture" >/dev/null
mr run --rm --pull never busybox true >/dev/null || die "minirun run (bridge) fails in the namespace"
mr run --rm --pull never --network none busybox true >/dev/null || die "minirun run --network none fails"
now() { date +%s.%N; }
results=$work/results.json
echo '{}' >"$results"
put() { jq "$1" "${@:2}" "$results" >"$results.new" && mv "$results.new" "$results"; }

# (a) Start latency: rounds of short hyperfine sessions, run inside the namespace, times pooled.
if [[ $do_start == 1 ]]; then
    run="$minirun --root $root run --rm --pull never"
    rund="$minirun --root $root run -d --pull never"
    printf '#!/bin/sh\n"%s" --root "%s" ps -aq --no-trunc | xargs -r "%s" --root "%s" rm -f >/dev/null\n' \
        "$minirun" "$root" "$minirun" "$root" >"$work/rm-all"
    chmod +x "$work/rm-all"
    per_round=$(( (runs + rounds - 1) / rounds )); (( per_round >= 2 )) || per_round=2
    for ((r = 1; r <= rounds; r++)); do
        log "start latency: round $r of $rounds ($per_round runs of each command)"
        IN hyperfine -N --warmup "$(( r == 1 ? warmup : 0 ))" --runs "$per_round" --style basic --export-json "$work/round-$r.json" \
            -n "network none" "$run --network none busybox true" \
            -n "bridge" "$run busybox true" \
            -n "bridge -p 9000:80" "$run -p 9000:80 busybox true" >&2
        # The start alone: `run -d` returns once the container runs; its removal is not timed (--prepare).
        IN hyperfine -N --runs "$per_round" --style basic --export-json "$work/round-d-$r.json" --prepare "$work/rm-all" \
            -n "run -d, network none" "$rund --network none busybox sleep 600" \
            -n "run -d, bridge" "$rund busybox sleep 600" >&2
    done
    jq -s '
      def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
      def ms: . * 1000 * 100 | round / 100;
      [map(.results[]) | group_by(.command)[] | (map(.times[]) as $t | ($t | add / length) as $mean |
         {name: .[0].command, median_ms: ($t | median | ms), mean_ms: ($mean | ms),
          stddev_ms: ($t | map((. - $mean) * (. - $mean)) | add / (length - 1) | sqrt | ms),
          min_ms: ($t | min | ms), max_ms: ($t | max | ms), runs: ($t | length), times: $t})]' "$work"/round-*.json >"$work/start.json"
    IN "$work/rm-all"
    if (( pairs > 0 )); then
        # Paired: per pair, none and bridge back to back (their order alternates), times from
        # bash's $EPOCHREALTIME (microseconds) around each command; `run -d`'s container is removed
        # between pairs, untimed. One line per pair: "rm NONE BRIDGE d NONE BRIDGE" in microseconds.
        log "paired runs: $pairs pairs of (none, bridge), run --rm and run -d"
        IN bash -c '
            m=$1 r=$2 n=$3 rmall=$4
            t() { local s=${EPOCHREALTIME/./}; "$@" >/dev/null || exit 1; echo $(( ${EPOCHREALTIME/./} - s )); }
            for ((i = 0; i < n; i++)); do
                if (( i % 2 )); then
                    b=$(t "$m" --root "$r" run --rm --pull never busybox true); a=$(t "$m" --root "$r" run --rm --pull never --network none busybox true)
                    db=$(t "$m" --root "$r" run -d --pull never busybox sleep 600); da=$(t "$m" --root "$r" run -d --pull never --network none busybox sleep 600)
                else
                    a=$(t "$m" --root "$r" run --rm --pull never --network none busybox true); b=$(t "$m" --root "$r" run --rm --pull never busybox true)
                    da=$(t "$m" --root "$r" run -d --pull never --network none busybox sleep 600); db=$(t "$m" --root "$r" run -d --pull never busybox sleep 600)
                fi
                "$rmall"
                echo "rm $a $b d $da $db"
            done' _ "$minirun" "$root" "$pairs" "$work/rm-all" >"$work/pairs.txt" || die "a paired run failed"
        jq -Rn '
          def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
          def ms: . / 1000 * 100 | round / 100;
          [inputs | split(" ") | {rm: ((.[2] | tonumber) - (.[1] | tonumber)), d: ((.[5] | tonumber) - (.[4] | tonumber)),
                                  rm_none: (.[1] | tonumber), d_none: (.[4] | tonumber)}] as $p
          | {pairs: ($p | length), rm_bridge_minus_none_ms: ($p | map(.rm) | median | ms), d_bridge_minus_none_ms: ($p | map(.d) | median | ms),
             rm_none_median_ms: ($p | map(.rm_none) | median | ms), d_none_median_ms: ($p | map(.d_none) | median | ms),
             rm_differences_over_5ms: ($p | map(select(.rm > 5000)) | length)}' "$work/pairs.txt" >"$work/paired.json"
        put '.paired = $p[0]' --slurpfile p "$work/paired.json"
    fi
    put 'def med($n): .start[] | select(.name == $n) | .median_ms;
         .start = $s[0] | .bridge_minus_none_ms = (med("bridge") - med("network none") | . * 100 | round / 100)
         | .publish_minus_bridge_ms = (med("bridge -p 9000:80") - med("bridge") | . * 100 | round / 100)
         | .detached_bridge_minus_none_ms = (med("run -d, bridge") - med("run -d, network none") | . * 100 | round / 100)' \
        --slurpfile s "$work/start.json"
fi

# Leftovers of a runtime in the namespace: veths, its nft/iptables DNAT rules.
leftovers() {   # prints "veths=N rules=N"
    local veths rules
    veths=$(ip -n "$ns" -o link show type veth 2>/dev/null | wc -l)
    rules=$(IN nft list ruleset 2>/dev/null | grep -c 'dnat to' || true)
    echo "veths=$veths dnat_rules=$rules"
}

# (b) The loop: COUNT x `run -d -p`, timed as a whole; then rm -f of all, timed.
if [[ $do_loop == 1 ]]; then
    log "minirun: $count x run -d -p PORT:80 busybox sleep 600"
    t0=$(now)
    IN bash -c 'for i in $(seq "$1"); do "$0" --root "$2" run -d --pull never -p $((8000 + i)):80 busybox sleep 600 >/dev/null || exit 1; done' \
        "$minirun" "$count" "$root" || die "minirun: a run -d failed"
    t1=$(now)
    running=$(mr ps -q | wc -l)
    [[ $running == "$count" ]] || die "minirun: $running of $count containers are running"
    during=$(leftovers)
    t2=$(now)
    mr ps -aq --no-trunc | xargs nsenter --net="/run/netns/$ns" -- "$minirun" --root "$root" rm -f >/dev/null
    t3=$(now)
    after=$(leftovers)
    leases=$(cat "$root"/networks/*/ipam.json 2>/dev/null | grep -c . || true)
    put '.loop.minirun = {containers: $n, loop_s: ($a | tonumber * 100 | round / 100), per_run_ms: ($a | tonumber / $n * 1000 * 10 | round / 10),
                          rm_all_s: ($b | tonumber * 100 | round / 100), while_running: $d, after_rm: $e, leases_after_rm: $l}' \
        --argjson n "$count" --arg a "$(echo "$t1 - $t0" | bc)" --arg b "$(echo "$t3 - $t2" | bc)" --arg d "$during" --arg e "$after" --argjson l "$leases"

    if [[ $with_podman == 1 ]]; then
        export CONTAINERS_CONF=$work/containers.conf
        cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "crun"
events_logger = "file"
[network]
network_backend = "netavark"
network_config_dir = "$work/podman-networks"
EOF
        gcc -O2 -Wall -Werror -o "$work/hide-cgroup2" "$here/hide-cgroup2.c" || die "gcc bench/hide-cgroup2.c failed"
        nsenter --net="/run/netns/$ns" -- "$work/hide-cgroup2" sleep infinity >/dev/null 2>&1 &
        holder=$!
        for _ in $(seq 100); do [[ $(cat "/proc/$holder/comm" 2>/dev/null) == sleep ]] && break; sleep 0.1; done   # exec'd: the mounts are done
        backend=$(pm info --format '{{.Host.NetworkBackend}}')
        [[ $backend == netavark ]] || die "podman's network backend is $backend, not netavark"
        pm_version=$(pm version --format '{{.Client.Version}}')
        nsenter --mount="/proc/$holder/ns/mnt" -- skopeo copy -q "oci:$fixture" \
            "containers-storage:[overlay@$work/podman-root+$work/podman-run]localhost/busybox:latest" >/dev/null
        pm run --rm --cgroups=disabled localhost/busybox true >/dev/null || die "podman run fails"
        log "podman $pm_version (netavark): $count x run -d -p PORT:80 busybox sleep 600"
        t0=$(now)
        nsenter --net="/run/netns/$ns" --mount="/proc/$holder/ns/mnt" -- bash -c \
            'for i in $(seq "$1"); do podman --root "$0/podman-root" --runroot "$0/podman-run" --tmpdir "$0/podman-tmp" --storage-driver overlay \
                 run -d --cgroups=disabled -p $((8000 + i)):80 localhost/busybox sleep 600 >/dev/null || exit 1; done' \
            "$work" "$count" || die "podman: a run -d failed"
        t1=$(now)
        mapfile -t podman_netns < <(pm inspect -f '{{.NetworkSettings.SandboxKey}}' $(pm ps -q))
        running=$(pm ps -q | wc -l)
        [[ $running == "$count" ]] || die "podman: $running of $count containers are running"
        during=$(leftovers)
        t2=$(now)
        pm rm -f -t 0 -a >/dev/null
        t3=$(now)
        after=$(leftovers)
        put '.loop.podman = {version: $v, network_backend: "netavark", containers: $n, loop_s: ($a | tonumber * 100 | round / 100),
                             per_run_ms: ($a | tonumber / $n * 1000 * 10 | round / 10), rm_all_s: ($b | tonumber * 100 | round / 100),
                             while_running: $d, after_rm: $e}
             | .loop.minirun_over_podman = (.loop.minirun.loop_s / .loop.podman.loop_s * 100 | round / 100)' \
            --arg v "$pm_version" --argjson n "$count" --arg a "$(echo "$t1 - $t0" | bc)" --arg b "$(echo "$t3 - $t2" | bc)" \
            --arg d "$during" --arg e "$after"
    fi
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
result=$here/results/network-$stamp.json
put '. + {date: $date, kernel: $k, cpus: ($c | tonumber), load_before: $lb, load_after: $la}' \
    --arg date "$stamp" --arg k "$(uname -r)" --arg c "$(nproc)" --arg lb "$load_before" --arg la "$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$results" "$result"

if [[ $do_start == 1 ]]; then
    echo "| run --rm busybox true | median ms | mean ± sd ms | min ms | max ms | runs |"
    echo "|---|---:|---:|---:|---:|---:|"
    jq -r '.start[] | "| \(.name) | \(.median_ms) | \(.mean_ms) ± \(.stddev_ms) | \(.min_ms) | \(.max_ms) | \(.runs) |"' "$result"
    echo
    jq -r '"run --rm: bridge - none = \(.bridge_minus_none_ms) ms (target: at most 5 ms); -p 9000:80 adds \(.publish_minus_bridge_ms) ms more",
           "run -d (the start alone): bridge - none = \(.detached_bridge_minus_none_ms) ms (medians)",
           (.paired // empty | "paired (\(.pairs) pairs, median of differences): run --rm bridge - none = \(.rm_bridge_minus_none_ms) ms (none: \(.rm_none_median_ms) ms; \(.rm_differences_over_5ms) pairs over 5 ms), run -d bridge - none = \(.d_bridge_minus_none_ms) ms (none: \(.d_none_median_ms) ms)")' "$result"
    echo
fi
if [[ $do_loop == 1 ]]; then
    echo "| $count x run -d -p | loop s | per run -d ms | rm -f all s | while running | after rm -f |"
    echo "|---|---:|---:|---:|---|---|"
    jq -r '.loop | to_entries[] | select(.value | type == "object") |
           "| \(.key)\(if .value.version then " \(.value.version) (netavark)" else "" end) | \(.value.loop_s) | \(.value.per_run_ms) | \(.value.rm_all_s) | \(.value.while_running) | \(.value.after_rm) |"' "$result"
    jq -r 'if .loop.minirun_over_podman then "\nminirun / podman = \(.loop.minirun_over_podman) (target: under 0.5)" else empty end' "$result"
fi
echo "$(nproc) CPUs; kernel $(uname -r); load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after; results: ${result#"$repo"/}"
