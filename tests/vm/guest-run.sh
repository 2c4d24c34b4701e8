# guest-run.sh: stage 2 of the test VM (PID 1 after switch_root), run by busybox sh.
#
# Why: prepares what MiniRun and its tests need from a real host, then runs the job's command and
# reports its exit code to run-in-vm.sh on the console (ttyS0) as "MINIRUN-VM-EXIT: N".
# - mounts private (mount_namespaces(7)): pivot_root(2) fails with EINVAL under shared parents;
# - cgroup2 on /sys/fs/cgroup with every available controller enabled in cgroup.subtree_control
#   (Documentation/admin-guide/cgroup-v2.rst, "Enabling and Disabling");
# - real tmpfs on /tmp and on MINIRUN_ROOT (/var/lib/minirun-vm): overlayfs refuses an upperdir
#   that is itself on overlayfs, and / here is an overlay;
# - the command's stdout goes to ttyS1 and its stderr to ttyS2, raw, so the host sees exactly its
#   output while kernel messages stay on ttyS0.
bb=/run/minirun-vm/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

report() {
    # stty drains ttyS1/ttyS2 (tcsetattr TCSADRAIN) so the output is out before power goes
    $bb stty -F /dev/ttyS1 raw -echo 2>/dev/null
    $bb stty -F /dev/ttyS2 raw -echo 2>/dev/null
    echo "MINIRUN-VM-EXIT: $1 $($bb cut -d" " -f1 /proc/uptime)" > /dev/ttyS0
    $bb sync
    $bb poweroff -f
    $bb sleep 5
    echo o > /proc/sysrq-trigger
}

$bb mount --make-rprivate / || { echo "minirun-vm: mount --make-rprivate / failed"; report 125; }
$bb mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || { echo "minirun-vm: mount cgroup2 failed"; report 125; }
for c in $($bb cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || echo "minirun-vm: enabling +$c failed"
done
$bb mkdir -p /dev/pts /dev/shm /dev/mqueue
$bb mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
$bb ln -sf pts/ptmx /dev/ptmx 2>/dev/null
$bb mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
$bb mount -t mqueue mqueue /dev/mqueue 2>/dev/null
# A working directory under /tmp: keep it reachable through a bind mount, then put it back at
# the same path on top of the guest's own /tmp.
work=
if [ -f /run/minirun-vm/workdir ]; then
    work=$($bb cat /run/minirun-vm/workdir)
    $bb mkdir -p /run/minirun-vm/keep
    $bb mount --bind "$work" /run/minirun-vm/keep || { echo "minirun-vm: bind $work aside failed"; report 125; }
fi
$bb mount -t tmpfs -o mode=1777 tmpfs /tmp || { echo "minirun-vm: mount tmpfs on /tmp failed"; report 125; }
if [ -n "$work" ]; then
    $bb mkdir -p "$work" && $bb mount --bind /run/minirun-vm/keep "$work" \
        || { echo "minirun-vm: bind $work back under the guest's /tmp failed"; report 125; }
fi
$bb mkdir -p /var/lib/minirun-vm
$bb mount -t tmpfs -o mode=0700 minirun /var/lib/minirun-vm || { echo "minirun-vm: mount tmpfs on /var/lib/minirun-vm failed"; report 125; }
$bb hostname minirun-vm
$bb ip link set lo up 2>/dev/null

$bb stty -F /dev/ttyS1 raw -echo
$bb stty -F /dev/ttyS2 raw -echo
echo "MINIRUN-VM-START $($bb cut -d" " -f1 /proc/uptime)"
/bin/bash /run/minirun-vm/cmd.sh </dev/null >/dev/ttyS1 2>/dev/ttyS2
report $?
