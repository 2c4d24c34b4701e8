#!/bin/busybox sh
# guest-init.sh: /init of the test VM's initramfs (PID 1, busybox sh), built by run-in-vm.sh.
#
# Why: the VM must see the host's userland (.NET, the worktree, the built minirun) on a kernel with
# a pure cgroup v2 hierarchy, without building a disk image. So it loads the modules run-in-vm.sh
# resolved with `modprobe --show-depends` (virtio-9p, overlay, veth, bridge...), mounts the host's
# / read-only over virtio-9p (mount tag "hostroot", Documentation/filesystems/9p.rst), puts a
# tmpfs-backed overlayfs on top (Documentation/filesystems/overlayfs.rst) and switch_root(8)s into
# it, running guest-run.sh (stage 2) as PID 1 there. securityfs is mounted beside sysfs, so the
# guest has AppArmor as an Ubuntu host does. The job (command script) comes from the host
# directory named by the kernel parameter minirun_vm.job=, read through the 9p share.
/bin/busybox mkdir -p /proc /sys /dev /usr/bin /sbin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

fail() {
    echo "minirun-vm init: $*"
    echo "MINIRUN-VM-EXIT: 125"
    poweroff -f
    sleep 5
    echo o > /proc/sysrq-trigger
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# securityfs: the LSMs' files; AppArmor's policy interface (/sys/kernel/security/apparmor) is
# there, and MiniRun confines containers only where it is (Documentation/admin-guide/LSM/apparmor.rst).
# Debian's kernel enables AppArmor by default (CONFIG_LSM lists it); it moves into the new root with /sys.
mount -t securityfs securityfs /sys/kernel/security || echo "minirun-vm init: mount securityfs failed (continuing: containers run without AppArmor)"

while read -r mod; do
    insmod "/modules/$mod" 2>/dev/null || echo "minirun-vm init: insmod $mod failed (continuing)"
done < /modules.list

job=
for arg in $(cat /proc/cmdline); do
    case "$arg" in minirun_vm.job=*) job="${arg#minirun_vm.job=}" ;; esac
done
[ -n "$job" ] || fail "no minirun_vm.job= on the kernel command line"

mkdir -p /lower /rw /newroot
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /lower \
    || fail "mount 9p hostroot on /lower failed"
mount -t tmpfs -o mode=0755 vmrw /rw || fail "mount tmpfs on /rw failed"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
    || fail "mount overlay (lower 9p /, upper tmpfs) on /newroot failed"

# stage 2 and its tools live on a tmpfs /run in the new root, independent of the host's userland
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run || fail "mount tmpfs on /newroot/run failed"
mkdir -p /newroot/run/minirun-vm
cp /bin/busybox /guest-run.sh /newroot/run/minirun-vm/ || fail "copy stage 2 into /newroot/run failed"
cp "/lower$job/cmd.sh" /newroot/run/minirun-vm/cmd.sh || fail "read job $job/cmd.sh through 9p failed"
if [ -f "/lower$job/workdir" ]; then cp "/lower$job/workdir" /newroot/run/minirun-vm/workdir || fail "read job $job/workdir failed"; fi

for m in dev proc sys; do
    mount --move "/$m" "/newroot/$m" || fail "move /$m into the new root failed"
done
exec switch_root /newroot /run/minirun-vm/busybox sh /run/minirun-vm/guest-run.sh
fail "switch_root /newroot failed"
