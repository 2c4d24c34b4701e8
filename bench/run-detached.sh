#!/usr/bin/env bash
# run-detached.sh - 100 detached web servers, as the course starts them in a loop: the wall time of
# the `run -d` loop, the supervisor's memory per container, and the removal time, for MiniRun
# next to `podman run -d` (whose per-container supervisor is conmon) on the same machine, same image.
#
# Why: a detached container costs one supervisor process for its whole life. This tells what
# MiniRun's supervisor (`minirun supervise`, a re-executed NativeAOT binary) costs next to conmon
# (C), and how long starting many containers takes.
#
# Follows: docker-run(1) -d, podman-run(1) (--cgroups=disabled, --network none), proc(5)
# (VmRSS in /proc/PID/status; Pss in /proc/PID/smaps_rollup: shared pages of the binary divided
# among the processes that map them, the fairer per-container figure).
#
# Environment:
#   MINIRUN_BIN   minirun binary (default: <repo>/artifacts/bin/minirun)
#   COUNT         containers per runtime (default 100)
#   PODMAN        1 (default) to include podman, 0 to skip it
# Output: a markdown table on stdout, bench/results/detached-<UTC time>.json.
# Needs root. Local only: both runtimes run the servers with no network (--network none for
# podman; MiniRun gives every container its own empty network namespace). Everything lives in one
# temporary directory removed on exit; every container started here is removed on exit.
#
# Fairness: this machine's cgroups are hybrid, where MiniRun runs without cgroups; podman runs
# with --cgroups=disabled (crun, inside bench/hide-cgroup2's private mount namespace, the crun
# workaround from platform-facts.md) so neither creates cgroups.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
minirun=${MINIRUN_BIN:-$repo/artifacts/bin/minirun}
count=${COUNT:-100}
with_podman=${PODMAN:-1}
fixture=$repo/rootfs-fixtures/out/busybox

die() { echo "run-detached: $*" >&2; exit 1; }
log() { echo "run-detached: $*" >&2; }

[[ $(id -u) == 0 ]] || die "must run as root"
[[ $count =~ ^[0-9]+$ && $count -ge 1 ]] || die "COUNT=$count: need a positive number"
[[ -x $minirun ]] || die "$minirun does not exist (build it with ./minirun --version)"

. "$here/need-tools.sh"
tools=(jq:jq gcc:gcc bc:bc)
[[ $with_podman == 1 ]] && tools+=(podman:podman skopeo:skopeo crun:crun conmon:conmon)
need_tools "${tools[@]}"
"$repo/rootfs-fixtures/build-busybox.sh" "$fixture" >&2

work=$(mktemp -d /tmp/minirun-bench-detached.XXXXXX)
# No bridge, as podman's --network none below: nothing is made in the host's network.
echo '{"bridge":"none"}' > "$work/daemon.json"
export MINIRUN_DAEMON_CONFIG=$work/daemon.json
mr() { "$minirun" --root "$work/minirun-root" "$@"; }
export CONTAINERS_CONF=$work/containers.conf
pm() { "$work/hide-cgroup2" podman --root "$work/podman-root" --runroot "$work/podman-run" --storage-driver overlay "$@"; }
cleanup() {
    set +e
    [[ -d $work/minirun-root ]] && mr ps -aq --no-trunc | xargs -r "$minirun" --root "$work/minirun-root" rm -f >/dev/null 2>&1
    if [[ -d $work/podman-root ]]; then
        pm rm -f -t 0 -a >/dev/null 2>&1
        pm system reset -f >/dev/null 2>&1
    fi
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# Memory of a set of pids: "rss_kb pss_kb" summed.
memory_of() {
    local rss=0 pss=0 p v
    for p in "$@"; do
        v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
        rss=$((rss + ${v:-0}))
        v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        pss=$((pss + ${v:-0}))
    done
    echo "$rss $pss"
}
rows=()
record() {   # name start_s rm_s rss_kb pss_kb
    rows+=("$(jq -n --arg name "$1" --argjson start "$2" --argjson rm "$3" --argjson rss "$4" --argjson pss "$5" --argjson n "$count" \
        '{name: $name, containers: $n, start_loop_s: ($start * 100 | round / 100), per_start_ms: ($start / $n * 1000 * 10 | round / 10),
          remove_all_s: ($rm * 100 | round / 100), supervisor_rss_kb_per_container: ($rss / $n | round),
          supervisor_pss_kb_per_container: ($pss / $n | round)}')")
}

# MiniRun: COUNT x `run -d`, then the supervisors' memory, then one `rm -f` of all.
mr load -i "$fixture" >/dev/null
mr run --rm --pull never busybox true >/dev/null || die "minirun run fails"
log "minirun: starting $count detached busybox httpd"
t0=$(now)
for i in $(seq "$count"); do mr run -d --pull never busybox httpd -f -p 8080 >/dev/null; done
t1=$(now)
running=$(mr ps -q | wc -l)
[[ $running == "$count" ]] || die "minirun: $running of $count containers are running"
sup=$(for c in "$work"/minirun-root/containers/*/container.json; do jq -r '.State.SupervisorPid' "$c"; done)
read -r rss pss < <(memory_of $sup)
t2=$(now)
mr ps -aq --no-trunc | xargs "$minirun" --root "$work/minirun-root" rm -f >/dev/null
t3=$(now)
record minirun "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$rss" "$pss"

if [[ $with_podman == 1 ]]; then
    gcc -O2 -Wall -Werror -o "$work/hide-cgroup2" "$here/hide-cgroup2.c" || die "gcc bench/hide-cgroup2.c failed"
    cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
cgroup_manager = "cgroupfs"
runtime = "crun"
events_logger = "file"
EOF
    "$work/hide-cgroup2" skopeo copy -q "oci:$fixture" \
        "containers-storage:[overlay@$work/podman-root+$work/podman-run]localhost/busybox:latest" >/dev/null
    pm run --rm --cgroups=disabled --network none localhost/busybox true >/dev/null || die "podman run fails"
    log "podman: starting $count detached busybox httpd"
    t0=$(now)
    for i in $(seq "$count"); do pm run -d --cgroups=disabled --network none localhost/busybox httpd -f -p 8080 >/dev/null; done
    t1=$(now)
    running=$(pm ps -q | wc -l)
    [[ $running == "$count" ]] || die "podman: $running of $count containers are running"
    conmons=$(pm inspect -f '{{.State.ConmonPid}}' $(pm ps -q))
    read -r rss pss < <(memory_of $conmons)
    t2=$(now)
    pm rm -f -t 0 -a >/dev/null
    t3=$(now)
    record "podman (conmon)" "$(echo "$t1 - $t0" | bc)" "$(echo "$t3 - $t2" | bc)" "$rss" "$pss"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$here/results"
result=$here/results/detached-$stamp.json
printf '%s\n' "${rows[@]}" | jq -s --arg date "$stamp" --arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
    '{date: $date, kernel: $kernel, cpus: ($cpus | tonumber), results: .}' >"$result"
echo "| runtime | containers | run -d loop (s) | per run -d (ms) | supervisor RSS / container (KiB) | supervisor PSS / container (KiB) | rm -f all (s) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
jq -r '.results[] | "| \(.name) | \(.containers) | \(.start_loop_s) | \(.per_start_ms) | \(.supervisor_rss_kb_per_container) | \(.supervisor_pss_kb_per_container) | \(.remove_all_s) |"' "$result"
echo "$(nproc) CPUs; kernel $(uname -r); results: ${result#"$repo"/}"
