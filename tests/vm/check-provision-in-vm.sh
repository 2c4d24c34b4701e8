#!/usr/bin/env bash
# check-provision-in-vm.sh: the students' Vagrant setup, checked as far as this machine can:
# `vagrant validate --ignore-provider` on the Vagrantfile (when vagrant is installed), then
# vagrant/provision.sh run twice in offline mode inside the throwaway cgroup v2 VM
# (guest-provision.sh through run-in-vm.sh). Prints "N passed, N failed" (2 checks) last.
#
#   sudo tests/vm/check-provision-in-vm.sh
#
# Why: no VirtualBox/libvirt/Hyper-V and no internet here, so `vagrant up` cannot run; everything
# but the box download, apt and the .NET download can. Needs artifacts/bin/minirun built on the
# host (a build inside the VM under TCG would take far too long) and the packages provision.sh
# checks (installed by .ci/install-deps.sh). Follows Vagrant's `vagrant validate` documentation.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
[ "$(id -u)" = 0 ] || { echo "check-provision: run as root" >&2; exit 125; }
[ -x artifacts/bin/minirun ] || { echo "check-provision: build first: ./minirun --version" >&2; exit 125; }
passed=0 failed=0

if command -v vagrant >/dev/null; then
    # a private VAGRANT_HOME: validate must not depend on (or write into) the user's ~/.vagrant.d
    # validate leaves .vagrant/ (git-ignored) in the repository: remove it only if it was not there
    vhome="$(mktemp -d /var/tmp/minirun-vagrant-home.XXXXXX)"
    had_dot_vagrant=0; [ -e .vagrant ] && had_dot_vagrant=1
    if out="$(VAGRANT_HOME="$vhome" VAGRANT_CHECKPOINT_DISABLE=1 vagrant validate --ignore-provider 2>&1)"; then
        echo "check-provision: vagrant validate --ignore-provider: $out"; passed=$((passed + 1))
    else
        echo "check-provision: FAIL: vagrant validate --ignore-provider:"; printf '%s\n' "$out" | sed 's/^/  /'; failed=$((failed + 1))
    fi
    rm -rf "$vhome"
    [ "$had_dot_vagrant" = 1 ] || rm -rf .vagrant
else
    echo "check-provision: vagrant is not installed (apt-get install vagrant): Vagrantfile not validated"
    failed=$((failed + 1))
fi

start=$(date +%s)
if MINIRUN_VM_TIMES=1 tests/vm/run-in-vm.sh --mem 1024 --cpus 2 --timeout 300 -- bash tests/vm/guest-provision.sh; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi
echo "check-provision: provisioning check in the VM took $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
