/*
 * exec_security.h - the security attributes a process started by exec_stage.c gets: the same
 * rlimits, oom_score_adj, capabilities, umask, no_new_privs and seccomp filter as a process the
 * container's init starts (Init/ProcessLimitsStep.cs, CapabilitiesStep.cs, ExecAttributesStep.cs,
 * SeccompStep.cs), applied by C because the cloned child must not run managed code.
 *
 * Everything is decided in C# (Runtime/ExecSecurity.cs): names resolved to numbers, capability
 * sets to 64-bit masks, linux.seccomp compiled by libseccomp into a BPF program. Here are only
 * the system calls, in the order exec_stage.c calls them (see its header).
 *
 * Man pages: apparmor(7), proc(5) /proc/pid/attr, prlimit(2), proc(5) oom_score_adj, prctl(2) PR_SET_KEEPCAPS / PR_CAPBSET_DROP /
 * PR_CAP_AMBIENT / PR_SET_NO_NEW_PRIVS, capset(2), capabilities(7), umask(2), seccomp(2).
 */
#ifndef MINIRUN_EXEC_SECURITY_H
#define MINIRUN_EXEC_SECURITY_H

/* One rlimit: RLIMIT_* number, soft and hard values (RLIM_INFINITY = all ones). */
struct minirun_exec_rlimit {
    unsigned long long resource, soft, hard;
};

/* Filled by ExecNative.cs (same field order and types); NULL in minirun_exec_args: apply nothing. */
struct minirun_exec_security {
    const struct minirun_exec_rlimit *rlimits;
    const void *seccomp_filter;        /* struct sock_filter[seccomp_len]; NULL: no filter */
    unsigned long long bounding, effective, permitted, inheritable, ambient;   /* bit N = capability N */
    int nrlimits;
    int set_oom_score_adj, oom_score_adj;
    int set_caps;                      /* 0: the capability sets stay as inherited */
    int last_cap;                      /* the running kernel's highest capability (cap_last_cap) */
    int umask;                         /* -1: keep the inherited mask */
    int no_new_privs;
    int seccomp_len;                   /* instructions in seccomp_filter */
    unsigned int seccomp_flags;        /* SECCOMP_FILTER_FLAG_* */
    int proc_fd;                       /* a private procfs of the caller (fsmount), or -1 */
    const char *apparmor_exec;         /* "exec PROFILE" for attr/apparmor/exec, or NULL */
};

/* Each reports a failed call as "C <errno> <step>" on sync_fd and exits 125; s may be NULL. */
void exec_set_limits(const struct minirun_exec_security *s, int sync_fd);        /* rlimits, oom_score_adj */
void exec_load_seccomp(const struct minirun_exec_security *s, int sync_fd);      /* the BPF filter */
void exec_limit_bounding_set(const struct minirun_exec_security *s, int sync_fd); /* keepcaps, bounding drops */
void exec_set_capabilities(const struct minirun_exec_security *s, int sync_fd);  /* capset, ambient */
void exec_set_umask_and_no_new_privs(const struct minirun_exec_security *s, int sync_fd);
void exec_set_apparmor(const struct minirun_exec_security *s, int sync_fd);        /* the label applied at execve */

#endif
