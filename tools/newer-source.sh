#!/usr/bin/env bash
# newer-source.sh BINARY: prints the first build input of MiniRun that is newer than BINARY (or
# nothing), and exits 0 either way.
#
# Why: the launcher (./minirun) rebuilds when this prints something, and the VM's provisioning
# check (tests/vm/guest-provision.sh) refuses to start when it does. Both must agree on what
# counts as a source, so both ask this one script. Build inputs are the C# and C sources, headers,
# project files and the shared build settings under src/ and Directory.Build.props; obj/ and bin/
# hold what `dotnet build` generates (a Debug build writes fresh obj/*.cs) and never count.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:?usage: newer-source.sh BINARY}"
[ -e "$bin" ] || { echo "$bin"; exit 0; }
find "$root/src" "$root/Directory.Build.props" \( -name obj -o -name bin \) -prune -o -newer "$bin" -type f \
    \( -name '*.cs' -o -name '*.c' -o -name '*.h' -o -name '*.csproj' -o -name '*.props' \) -print -quit
