/*
 * exec_security.c - the system calls that give a process started by exec_stage.c the security
 * attributes of its process (see exec_security.h for what and why; exec_stage.c for the order).
 *
 * Every call is a raw system call or a thin async-signal-safe wrapper: this code runs in a child
 * that shares the memory of the .NET caller (CLONE_VM), so no malloc, no stdio, no locks, and no
 * glibc wrapper that would act on the caller's other threads (setxid broadcasts).
 *
 * Man pages: prlimit(2), proc(5) /proc/PID/oom_score_adj, prctl(2), capset(2), capabilities(7),
 * umask(2), seccomp(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "exec_security.h"
#include "stage_report.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* rlimits and oom_score_adj belong to the process and are copied into every child it clones:
 * exec_stage.c calls this before joining a user namespace, while raising them is still allowed. */
void exec_set_limits(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s)
        return;
    for (int i = 0; i < s->nrlimits; i++) {
        struct rlimit limit = { .rlim_cur = s->rlimits[i].soft, .rlim_max = s->rlimits[i].hard };
        if (syscall(SYS_prlimit64, 0, (int)s->rlimits[i].resource, &limit, NULL) < 0)
            stage_fail(sync_fd, "prlimit", 125);
    }
    if (s->set_oom_score_adj) {
        char text[16];
        int len = 0, v = s->oom_score_adj;
        unsigned int u = v < 0 ? (unsigned int)-v : (unsigned int)v;
        char digits[12];
        int n = 0;
        do { digits[n++] = (char)('0' + u % 10); u /= 10; } while (u > 0 && n < 11);
        if (v < 0) text[len++] = '-';
        while (n > 0) text[len++] = digits[--n];
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, (size_t)len) != len)
            stage_fail(sync_fd, "write /proc/self/oom_score_adj", 125);
        close(fd);
    }
}

/* The filter is permanent and inherited by everything this process starts. The kernel takes it
 * from a process with no_new_privs set or with CAP_SYS_ADMIN (EACCES otherwise). */
void exec_load_seccomp(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s || !s->seccomp_filter)
        return;
    struct sock_fprog prog = {
        .len = (unsigned short)s->seccomp_len,
        .filter = (struct sock_filter *)s->seccomp_filter,
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->seccomp_flags, &prog) == 0)
        return;
    /* Kernels before 3.17 have no seccomp(2); prctl takes the filter without flags. */
    if (errno == ENOSYS && s->seccomp_flags == 0 &&
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
        return;
    stage_fail(sync_fd, "seccomp SECCOMP_SET_MODE_FILTER", 125);
}

/* Before the uid switch: keep the permitted set across setresuid (only if there is one to
 * keep), then drop every capability the bounding set does not list (needs CAP_SETPCAP). */
void exec_limit_bounding_set(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s || !s->set_caps)
        return;
    if (s->permitted != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        stage_fail(sync_fd, "prctl PR_SET_KEEPCAPS", 125);
    for (int cap = 0; cap <= s->last_cap && cap < 64; cap++)
        if (!(s->bounding & (1ULL << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            stage_fail(sync_fd, "prctl PR_CAPBSET_DROP", 125);
}

/* After the uid switch (which cleared the effective set): capset's version 3 ABI takes two data
 * structs, capabilities 0-31 then 32-63; then the ambient set, whose members must already be
 * permitted and inheritable. */
void exec_set_capabilities(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s || !s->set_caps)
        return;
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = (unsigned int)(s->effective >> (32 * i));
        data[i].permitted = (unsigned int)(s->permitted >> (32 * i));
        data[i].inheritable = (unsigned int)(s->inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &header, data) < 0)
        stage_fail(sync_fd, "capset", 125);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        stage_fail(sync_fd, "prctl PR_CAP_AMBIENT_CLEAR_ALL", 125);
    for (int cap = 0; cap <= s->last_cap && cap < 64; cap++)
        if ((s->ambient & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            stage_fail(sync_fd, "prctl PR_CAP_AMBIENT_RAISE", 125);
}

/* The last attributes before execve: the file mode creation mask, then the one-way no_new_privs. */
void exec_set_umask_and_no_new_privs(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s)
        return;
    if (s->umask >= 0)
        umask((mode_t)s->umask);
    if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        stage_fail(sync_fd, "prctl PR_SET_NO_NEW_PRIVS", 125);
}

/*
 * AppArmor: "exec PROFILE" into this thread's attr/apparmor/exec (attr/exec before Linux 5.8);
 * the kernel confines the program from its execve on. Through the caller's private procfs
 * (proc_fd, attached nowhere): the container's /proc could have a mount over the attr file that
 * would swallow the label (CVE-2025-52881). "thread-self" resolves to this thread inside it.
 */
void exec_set_apparmor(const struct minirun_exec_security *s, int sync_fd)
{
    if (!s || !s->apparmor_exec)
        return;
    int fd = openat(s->proc_fd, "thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        fd = openat(s->proc_fd, "thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        stage_fail(sync_fd, "open attr/apparmor/exec", 125);
    size_t len = strlen(s->apparmor_exec);
    if (write(fd, s->apparmor_exec, len) != (ssize_t)len)
        stage_fail(sync_fd, "write attr/apparmor/exec", 125);
    close(fd);
}
