#!/usr/bin/env bash
# run-fuzz.sh: a short, bounded fuzzing run of every parser of untrusted input (docs/fuzzing.md):
# builds tests/MiniRun.Fuzz, copies it to artifacts/fuzz/bin, instruments MiniRun's assemblies
# there with SharpFuzz, then runs afl-fuzz on each target for a fixed time, from its seed corpus
# (tests/MiniRun.Fuzz/corpus/<target>/).
#
#   tests/fuzz/run-fuzz.sh [--seconds N] [--jobs N] [TARGET...]
#
# --seconds: fuzzing time per target (default 20); --jobs: targets fuzzed at once (default 2, the
# machine's cores). Prints one line per target (execs, corpus, crashes, hangs) and last
# "fuzz: N passed, N failed" (a target fails when afl-fuzz finds a crash or does not run). Crashing
# inputs are copied to artifacts/fuzz/crashes/<target>/; replay one with the uninstrumented build
# (instrumented code needs afl-fuzz's shared memory and crashes without it)
#   dotnet tests/MiniRun.Fuzz/bin/Debug/net10.0/linux-x64/MiniRun.Fuzz.dll <target> <file>
# and keep it as a test by copying it to tests/MiniRun.Fuzz/corpus/<target>/crash-<what>
# (FuzzCorpusTests replays every corpus file). Hangs (afl's -t timeout) are reported, not failed:
# a loaded CI machine can make a slow input look hung.
# Installs what it needs when missing: afl++ (through .ci/install-deps.sh) and the sharpfuzz tool
# (SharpFuzz.CommandLine from NuGet, into artifacts/tools).
# Follows: AFL++ docs/env_variables.md and afl-fuzz -h (4.04c); SharpFuzz README (AFL_SKIP_BIN_CHECK).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$here"

seconds=20 jobs=2 targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
start=$(date +%s)
fail() { echo "run-fuzz: $*" >&2; exit 1; }

# ---- tools --------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null; then
    [ "$(id -u)" = 0 ] || fail "afl-fuzz is missing: install Debian's afl++ (sudo apt-get install afl++)"
    .ci/install-deps.sh
    command -v afl-fuzz >/dev/null || fail "afl-fuzz is still missing after .ci/install-deps.sh"
fi
tools="$here/artifacts/tools"
sharpfuzz="$tools/sharpfuzz"
if [ ! -x "$sharpfuzz" ]; then
    dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null \
        || fail "dotnet tool install SharpFuzz.CommandLine 2.3.0 failed"
fi

# ---- build and instrument -----------------------------------------------------------------------
dotnet build tests/MiniRun.Fuzz --nologo -v quiet >/dev/null || fail "dotnet build tests/MiniRun.Fuzz failed"
built="tests/MiniRun.Fuzz/bin/Debug/net10.0/linux-x64"
work="$here/artifacts/fuzz"
rm -rf "$work/bin" "$work/out" "$work/crashes"
mkdir -p "$work/out" "$work/crashes"
cp -a "$built" "$work/bin"
# MiniRun's own assemblies, and YamlDotNet (the compose target's parser), so that afl-fuzz sees their
# branches. Not SharpCompress: with its zstd decoder instrumented the target dies before reporting
# (afl-fuzz: "No instrumentation detected"), so the decoder is fuzzed without its own coverage.
# The framework (System.Text.Json, GZipStream) is not instrumented either.
for dll in MiniImage.dll minirun.dll MiniRun.Runtime.dll MiniJson.dll YamlDotNet.dll; do
    "$sharpfuzz" "$work/bin/$dll" >"$work/instrument.log" 2>&1 || { cat "$work/instrument.log" >&2; fail "sharpfuzz $dll failed"; }
done
((${#targets[@]})) || mapfile -t targets < <(dotnet "$built/MiniRun.Fuzz.dll" --list)
echo "fuzz: built and instrumented in $(( $(date +%s) - start )) s"

# ---- fuzz ---------------------------------------------------------------------------------------
# As root on a bare machine: no CPU governor to check, no core pinning (the machine is shared),
# no core_pattern change (crashes are .NET exceptions, reported through the fork server).
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
       AFL_NO_AFFINITY=1 AFL_FAST_CAL=1
# A memory bomb must fail fast as an OutOfMemoryException (a crash), not swap the machine.
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_TieredPGO=0 DOTNET_CLI_TELEMETRY_OPTOUT=1
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"

fuzz_one() {
    local t="$1" out="$work/out/$1"
    [ -d "tests/MiniRun.Fuzz/corpus/$t" ] || { echo "no seed corpus tests/MiniRun.Fuzz/corpus/$t" >"$work/out/$t.log"; return 1; }
    # -V: stop after that many seconds; -t: a 5 s timeout per input (the JIT's first calls are slow);
    # -m none: the .NET runtime reserves far more address space than afl's default limit.
    afl-fuzz -i "tests/MiniRun.Fuzz/corpus/$t" -o "$out" -V "$seconds" -t 5000 -m none \
        -- dotnet "$work/bin/MiniRun.Fuzz.dll" "$t" >"$out.log" 2>&1
}

pids=() names=()
for t in "${targets[@]}"; do
    while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || true; done
    fuzz_one "$t" & pids+=($!) names+=("$t")
done
status=() 
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then status[$i]=0; else status[$i]=$?; fi
done

# ---- report -------------------------------------------------------------------------------------
stat() { sed -n "s/^$1 *: *//p" "$2" 2>/dev/null | head -n1; }
passed=0 failed=0 total_execs=0
for i in "${!names[@]}"; do
    t="${names[$i]}" stats="$work/out/${names[$i]}/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
        failed=$((failed + 1))
        echo "fuzz: $t: afl-fuzz did not run (exit ${status[$i]}); last lines of $work/out/$t.log:"
        grep -v '^\s*$' "$work/out/$t.log" | tail -n 5 | sed 's/^/    /'
        continue
    fi
    execs=$(stat execs_done "$stats") corpus=$(stat corpus_count "$stats")
    crashes=$(stat saved_crashes "$stats"); crashes=${crashes:-$(stat unique_crashes "$stats")}
    hangs=$(stat saved_hangs "$stats"); hangs=${hangs:-$(stat unique_hangs "$stats")}
    total_execs=$((total_execs + execs))
    printf 'fuzz: %-18s %9s execs %5s corpus %3s crashes %3s hangs\n' "$t" "$execs" "$corpus" "$crashes" "$hangs"
    if [ "${crashes:-0}" -gt 0 ] || [ "${status[$i]}" -ne 0 ]; then
        failed=$((failed + 1))
        mkdir -p "$work/crashes/$t"
        cp "$work/out/$t"/default/crashes/id:* "$work/crashes/$t/" 2>/dev/null || true
        for c in "$work/crashes/$t"/id:*; do
            [ -e "$c" ] || continue
            echo "fuzz: $t: crash $c"
            dotnet "$built/MiniRun.Fuzz.dll" "$t" "$c" 2>&1 | grep -m1 FAIL | cut -c1-300 | sed 's/^/    /' || true
        done
        [ "${status[$i]}" -eq 0 ] || echo "fuzz: $t: afl-fuzz exited ${status[$i]} (log $work/out/$t.log)"
    else
        passed=$((passed + 1))
    fi
done
rm -rf "$TMPDIR"
echo "fuzz: ${#names[@]} targets, $total_execs execs, ${seconds} s each, $jobs at a time, $(( $(date +%s) - start )) s in all"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
