/*
 * hide-cgroup2.c - `hide-cgroup2 PROGRAM [ARGS...]`: runs PROGRAM in a new private mount
 * namespace in which the cgroup2 mount at /sys/fs/cgroup/unified is covered by an empty tmpfs.
 *
 * Why: crun 1.8 refuses a hybrid cgroup layout whose cgroup2 mount has any controller ("cgroups
 * in hybrid mode not supported"); hiding that mount makes it see a plain cgroup v1 machine. The
 * benchmark (bench/run-start.sh) runs every runtime through this wrapper so they are compared
 * under the same conditions. It is the C form of
 *   unshare -m sh -c 'mount --make-rprivate /; umount -l /sys/fs/cgroup/unified;
 *                     mount -t tmpfs none /sys/fs/cgroup/unified; exec PROGRAM'
 * without the three extra processes (about 6 ms of the shell form's 8 ms on the test machine).
 * The host's mounts are never changed: everything happens in the new namespace.
 *
 * Follows: unshare(2) CLONE_NEWNS, mount(2) MS_REC|MS_PRIVATE, umount2(2) MNT_DETACH,
 * mount_namespaces(7), execvp(3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char unified[] = "/sys/fs/cgroup/unified";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hide-cgroup2 PROGRAM [ARGS...]\n");
        return 2;
    }
    if (unshare(CLONE_NEWNS) != 0) {
        fprintf(stderr, "hide-cgroup2: unshare(CLONE_NEWNS): %s\n", strerror(errno));
        return 125;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "hide-cgroup2: mount --make-rprivate /: %s\n", strerror(errno));
        return 125;
    }
    /* No cgroup2 mount there (a pure v1 machine) is fine: EINVAL/ENOENT are ignored. */
    if (umount2(unified, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        fprintf(stderr, "hide-cgroup2: umount2 %s: %s\n", unified, strerror(errno));
        return 125;
    }
    if (access(unified, F_OK) == 0 && mount("none", unified, "tmpfs", 0, "size=4k") != 0) {
        fprintf(stderr, "hide-cgroup2: mount tmpfs on %s: %s\n", unified, strerror(errno));
        return 125;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "hide-cgroup2: execvp %s: %s\n", argv[1], strerror(errno));
    return 127;
}
