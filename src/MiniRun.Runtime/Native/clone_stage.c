/*
 * clone_stage.c - creates the container's first process (and, for `run`, its supervisor).
 *
 * Why C: a .NET process is always multithreaded (GC, finalizer, JIT, signal threads). A child made
 * by clone(2) holds a copy of only the calling thread; if it runs managed code it can wait forever
 * for a garbage collection that a thread which no longer exists had started (measured: 1-4% of
 * starts hang under GC load, see shared/notes/platform-facts.md). So between clone and execve the
 * child runs only this file, and everything else happens in C# after execve("minirun init"), in a
 * fresh single-threaded-at-start process. runc solves the same problem for Go with its C nsexec.
 *
 * What the child does, in order (each step is async-signal-safe: no malloc, no stdio, no locks;
 * see minirun_spawn below for how the child is cloned):
 *   1. join existing namespaces when asked (setns), for `exec` into a running container;
 *   2. when a user namespace was created, wait until the parent wrote uid_map/gid_map, then become
 *      root inside it (setresgid/setresuid 0), or execve would drop every capability; then replace
 *      the new IPC namespace by one made as that root (its mqueue filesystem's owner);
 *   3. put the requested stdio file descriptors on 0, 1, 2;
 *   4. reset signal dispositions and the signal mask (.NET ignores SIGPIPE and blocks signals on
 *      some threads; both would survive execve into the container);
 *   5. keep the sync socket open across execve so `minirun init` can talk to the parent;
 *   6. execve(exe, argv, envp) - from here on it is C# again, in a new process image; with an
 *      exe_fd, execveat(exe_fd, "") instead: the binary from the read-only bind mount that
 *      Runtime/SealedExe.cs made, so /proc/PID/exe of init and the supervisor cannot be opened
 *      for writing by a container (CVE-2019-5736).
 * On failure the child writes "C <errno> <step>" to the sync socket and exits with 125.
 *
 * Into its cgroup at birth: given a cgroup v2 directory descriptor, the child is created inside
 * that cgroup by clone3(CLONE_INTO_CGROUP) (Linux 5.7) instead of being moved there afterwards by
 * writing its pid to cgroup.procs. The move waits for an RCU grace period inside the kernel
 * (cgroup_threadgroup_rwsem taken for writing): 9-24 ms per start measured on the development
 * machine, while a clone into the cgroup takes that lock only for reading (docs/benchmarks.md,
 * issue 11). A kernel that does not know clone3 or CLONE_INTO_CGROUP refuses it (ENOSYS, E2BIG,
 * EINVAL, EOPNOTSUPP): the child is then cloned as before, and the caller moves it.
 *
 * Man pages: clone(2) (clone3, CLONE_INTO_CGROUP), setns(2), unshare(2), user_namespaces(7),
 * mq_overview(7), execve(2), sigaction(2), socketpair(2); cgroups(7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "stage_report.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3's argument block up to its cgroup field (CLONE_ARGS_SIZE_VER2, 88 bytes), declared here
 * because older C library headers lack it. Unused fields stay zero. */
struct clone3_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* execve, or execveat(exe_fd, "", AT_EMPTY_PATH) when the caller sealed the binary (exe_fd >= 0). */
static void exec_binary(int exe_fd, const char *exe, char *const argv[], char *const envp[])
{
    if (exe_fd >= 0)
        syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
    else
        execve(exe, argv, envp);
}

/* Report a failed step to the parent on the sync socket, then die with 125 (the runtime failed, as Docker). */
static void fail(int sync_fd, const char *step) { stage_fail(sync_fd, step, 125); }

/* Everything the child needs, passed by pointer (the child's only argument). */
struct spawn_args {
    int clone_flags, sync_fd, join_count, exe_fd;
    const int *join_fds, *stdio;
    const char *exe;
    char *const *argv, *const *envp;
};

/* The child: native code only from here to execve. Returns (exits) only on failure. */
static int child_main(void *p)
{
    const struct spawn_args *a = p;

    /* 1. Join namespaces (setns into a user namespace works here: this process has one thread). */
    for (int i = 0; i < a->join_count; i++)
        if (setns(a->join_fds[i], 0) < 0)
            fail(a->sync_fd, "setns");

    /* 2. New user namespace: wait for the parent's one-byte "maps written", then become root. */
    if (a->clone_flags & CLONE_NEWUSER) {
        char go;
        if (read(a->sync_fd, &go, 1) != 1)
            fail(a->sync_fd, "wait for uid_map");
        /* Raw system calls, not glibc's setresgid/setresuid: glibc applies credentials to every
         * thread it believes the process has (a signal to each), and this child inherited the
         * .NET parent's thread list although it has one thread - the wrappers can wait forever. */
        if (syscall(SYS_setresgid, 0, 0, 0) < 0)
            fail(a->sync_fd, "setresgid");
        if (syscall(SYS_setresuid, 0, 0, 0) < 0)
            fail(a->sync_fd, "setresuid");
        /* 2b. A fresh IPC namespace, now that this process is root in the user namespace: the
         *     kernel creates the namespace's mqueue filesystem with the creator's fsuid, and the
         *     one clone made belongs to the host's root (unmapped here: /dev/mqueue would show
         *     65534 and its root could not chmod it). runc and crun create it after this point too. */
        if ((a->clone_flags & CLONE_NEWIPC) && unshare(CLONE_NEWIPC) < 0)
            fail(a->sync_fd, "unshare ipc namespace");
    }

    /* 3. stdio: dup2 clears close-on-exec on the new descriptor, so these survive execve. */
    for (int fd = 0; fd < 3; fd++)
        if (a->stdio[fd] >= 0 && a->stdio[fd] != fd && dup2(a->stdio[fd], fd) < 0)
            fail(a->sync_fd, "dup2 stdio");

    /* 4. Signals: default dispositions and an empty mask, as a freshly booted PID 1 expects.
     *    The child has its own copy of the handler table (no CLONE_SIGHAND), so the parent's
     *    handlers are untouched even when memory is shared. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);                 /* fails harmlessly for SIGKILL/STOP */
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        fail(a->sync_fd, "sigprocmask");

    /* 5. The sync socket was created close-on-exec; clear that flag in this child only. */
    if (fcntl(a->sync_fd, F_SETFD, 0) < 0)
        fail(a->sync_fd, "fcntl sync socket");

    /* 6. Become `minirun init` (or, for exec, the target program). */
    exec_binary(a->exe_fd, a->exe, a->argv, a->envp);
    fail(a->sync_fd, "execve");
    return 125;                                           /* not reached */
}

#if defined(__x86_64__) && !defined(MINIRUN_CLONE3_COPY)
/*
 * clone3 for a child that shares our memory (CLONE_VM) and runs fn(arg) on its own stack, as
 * glibc's clone() does for clone(2). The child cannot return from this function: it wakes up on
 * the new stack, where this function has no frame. So the lines after the system call are the
 * child's whole life, in assembly: no frame to unwind (rbp 0), fn(arg), then exit(2) with fn's
 * result. The syscall instruction clobbers only rax, rcx and r11, so fn and arg ride into the
 * child in rdx and r8 (clone3 reads only rdi and rsi). The kernel starts the child with rsp at
 * stack + stack_size, which the caller keeps 16-byte aligned, as `call` expects. The parent
 * falls through to label 1 with the pid (or -errno) in rax.
 */
static long clone3_on_stack(struct clone3_args *args, int (*fn)(void *), void *arg)
{
    long ret;
    register void *arg_r8 __asm__("r8") = arg;
    __asm__ volatile(
        "syscall\n\t"
        "test %%rax, %%rax\n\t"
        "jnz 1f\n\t"
        "xor %%ebp, %%ebp\n\t"                           /* child, on its new stack */
        "mov %%r8, %%rdi\n\t"
        "call *%%rdx\n\t"
        "mov %%eax, %%edi\n\t"
        "mov %[sys_exit], %%eax\n\t"
        "syscall\n\t"
        "hlt\n"
        "1:"                                              /* parent */
        : "=a"(ret)
        : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "d"(fn), "r"(arg_r8), [sys_exit] "i"(SYS_exit)
        : "rcx", "r11", "memory", "cc");
    return ret;
}
#define CLONE3_SHARES_MEMORY 1
#else
#define CLONE3_SHARES_MEMORY 0
#endif

/* A refusal that means "this kernel cannot clone into a cgroup" (clone3 missing: ENOSYS; the
 * cgroup field unknown, 5.3-5.6: E2BIG; a filter or an old kernel's flag check: EINVAL,
 * EOPNOTSUPP): clone the old way and let the caller move the child. Anything else (EBUSY: the
 * cgroup has controllers for children; EACCES...) is an error the move would hit too. */
static int clone3_unsupported(long err)
{
    return err == -ENOSYS || err == -E2BIG || err == -EINVAL || err == -EOPNOTSUPP;
}

/*
 * minirun_spawn: clone a child into new namespaces and exec `exe` in it.
 *   clone_flags  CLONE_NEW* flags for the namespaces to create (SIGCHLD is added here)
 *   sync_fd      child's end of the parent/child socketpair; kept open across execve
 *   join_fds     namespace fds to setns() into before anything else, join_count of them (user first)
 *   stdio        three fds for the child's 0, 1, 2; -1 keeps the inherited one
 *   exe, argv, envp  what to execute (NULL-terminated arrays)
 *   exe_fd       a descriptor of exe to execveat instead of looking exe up, or -1
 *   cgroup_fd    a cgroup v2 directory to create the child in (clone3 CLONE_INTO_CGROUP), or -1
 *   cgroup_status  set to 0 when the child was born in cgroup_fd's cgroup, or to the errno with
 *                which the kernel refused clone3 (the child was cloned without it: the caller
 *                moves it); untouched when cgroup_fd is -1
 * Returns the child's pid (as seen from the caller's PID namespace) or -errno.
 *
 * Two ways to clone, chosen by whether the parent must act before the child execs:
 *  - usually CLONE_VM|CLONE_VFORK, as posix_spawn(3) does: the child borrows the parent's
 *    memory (no page tables are copied - a .NET process maps a lot) and runs on its own small
 *    stack, while the parent sleeps until the child execs or dies; into a cgroup this is clone3
 *    through clone3_on_stack (x86_64; elsewhere clone3 copies memory, as for a user namespace);
 *  - with CLONE_NEWUSER the child must wait for the parent to write uid_map, so the parent may
 *    not sleep: a fork-like clone (copied memory) is used instead.
 */
int minirun_spawn(int clone_flags, int sync_fd, const int *join_fds, int join_count,
                  const int *stdio, const char *exe, int exe_fd, char *const argv[], char *const envp[],
                  int cgroup_fd, int *cgroup_status)
{
    struct spawn_args a = { clone_flags, sync_fd, join_count, exe_fd, join_fds, stdio, exe, argv, envp };
    /* The child's stack lives in this frame: with CLONE_VFORK the parent is suspended until the child execs. */
    static const size_t stack_size = 64 * 1024;
    char stack[64 * 1024] __attribute__((aligned(16)));

    if (cgroup_fd >= 0) {
        struct clone3_args ca;
        memset(&ca, 0, sizeof ca);
        ca.flags = (uint64_t)(unsigned)clone_flags | CLONE_INTO_CGROUP;
        ca.exit_signal = SIGCHLD;
        ca.cgroup = (uint64_t)cgroup_fd;
        long pid;
        if (!(clone_flags & CLONE_NEWUSER) && CLONE3_SHARES_MEMORY) {
#if CLONE3_SHARES_MEMORY
            ca.flags |= CLONE_VM | CLONE_VFORK;
            ca.stack = (uint64_t)(uintptr_t)stack;
            ca.stack_size = stack_size;
            pid = clone3_on_stack(&ca, child_main, &a);   /* raw: -errno on failure */
#else
            pid = -ENOSYS;
#endif
        } else {
            /* Fork-like: the child gets a copy of this stack and continues right here. With no
             * user namespace to map, the parent may still sleep until the child execs (CLONE_VFORK). */
            if (!(clone_flags & CLONE_NEWUSER))
                ca.flags |= CLONE_VFORK;
            pid = syscall(SYS_clone3, &ca, sizeof ca);
            if (pid < 0)
                pid = -errno;
            else if (pid == 0)
                _exit(child_main(&a));                    /* child: never returns on success */
        }
        if (pid > 0) {
            *cgroup_status = 0;
            return (int)pid;
        }
        if (!clone3_unsupported(pid))
            return (int)pid;
        *cgroup_status = (int)-pid;                       /* refused: clone as before, the caller moves the child */
    }

    if (clone_flags & CLONE_NEWUSER) {
        /* A raw clone with no new stack behaves like fork(): the child continues right here. */
        long pid = syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0)
            return -errno;                                /* parent: clone failed */
        if (pid == 0)
            _exit(child_main(&a));                        /* child: never returns on success */
        return (int)pid;                                  /* parent */
    }

    int pid = clone(child_main, stack + stack_size, clone_flags | CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    return pid < 0 ? -errno : pid;
}

/*
 * minirun_spawn_supervised: the fast path of `run` - the supervisor-to-be and the container's
 * init in one call, so both .NET runtimes (`minirun supervise` and `minirun init`) start at once.
 *
 *   caller (the CLI)
 *     +-- clone(CLONE_VM|CLONE_VFORK)  the supervisor-to-be, running only supervisor_main below:
 *           setsid, PR_SET_CHILD_SUBREAPER, then minirun_spawn(init) as its own child (so the
 *           container's PID 1 is the supervisor's child; init first joins the namespaces in
 *           join_fds, e.g. the network namespace the engine made for a bridge network), stores init's pid in *out (memory it
 *           shares with the caller), clears close-on-exec on the descriptors the supervisor keeps,
 *           puts /dev/null on 0, 1, 2, ignores SIGHUP and SIGPIPE, and execs `minirun supervise`.
 *
 * With cgroup_fd >= 0 init is born in that cgroup (clone3 CLONE_INTO_CGROUP, see minirun_spawn);
 * the supervisor stays in the caller's cgroup.
 *
 * The caller sleeps (vfork) until the supervisor-to-be has exec'd or died; then out[0] holds
 * init's pid (or -errno of its clone), out[1] the errno of the supervisor's own failure (0 if
 * it exec'd) and out[2] minirun_spawn's cgroup_status (-1: no cgroup asked). Returns the
 * supervisor's pid or -errno. The caller still performs init's handshake (cgroup placement when
 * clone3 was refused, "B <bundle>") over init_sync_fd, exactly as after minirun_spawn.
 *
 * Man pages: clone(2), setsid(2), prctl(2) PR_SET_CHILD_SUBREAPER, execve(2).
 */
struct supervised_args {
    int init_flags, init_sync_fd, null_fd, keep_count, exe_fd, join_count, cgroup_fd;
    const int *init_stdio, *keep_fds, *join_fds;
    const char *exe;
    char *const *init_argv, *const *init_envp, *const *sup_argv, *const *sup_envp;
    volatile int *out;
};

static int supervisor_main(void *p)
{
    const struct supervised_args *a = p;

    (void)setsid();                                       /* leave the caller's session and terminal */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {  /* orphans of the container come to us */
        a->out[1] = errno;
        _exit(125);
    }
    int pid = minirun_spawn(a->init_flags, a->init_sync_fd, a->join_fds, a->join_count, a->init_stdio, a->exe, a->exe_fd,
                            a->init_argv, a->init_envp, a->cgroup_fd, (int *)&a->out[2]);
    a->out[0] = pid;
    if (pid < 0)
        _exit(125);

    for (int i = 0; i < a->keep_count; i++)
        if (a->keep_fds[i] >= 0 && fcntl(a->keep_fds[i], F_SETFD, 0) < 0) {
            a->out[1] = errno;
            _exit(125);
        }
    for (int fd = 0; fd < 3; fd++)
        if (dup2(a->null_fd, fd) < 0) {
            a->out[1] = errno;
            _exit(125);
        }

    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++)
        (void)sigaction(sig, &act, NULL);
    act.sa_handler = SIG_IGN;                             /* survives execve: the supervisor outlives terminals */
    (void)sigaction(SIGHUP, &act, NULL);
    (void)sigaction(SIGPIPE, &act, NULL);
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);

    exec_binary(a->exe_fd, a->exe, a->sup_argv, a->sup_envp);
    a->out[1] = errno;
    _exit(125);
    return 125;
}

int minirun_spawn_supervised(int init_flags, int init_sync_fd, const int *init_stdio,
                             const int *join_fds, int join_count,
                             const int *keep_fds, int keep_count, int null_fd, const char *exe, int exe_fd,
                             char *const init_argv[], char *const init_envp[],
                             char *const sup_argv[], char *const sup_envp[], int cgroup_fd, int *out)
{
    struct supervised_args a = { init_flags, init_sync_fd, null_fd, keep_count, exe_fd, join_count, cgroup_fd, init_stdio, keep_fds,
                                 join_fds, exe, init_argv, init_envp, sup_argv, sup_envp, out };
    out[0] = -EAGAIN;
    out[1] = 0;
    out[2] = -1;
    /* Room for this child's frame and the 64 KiB stack minirun_spawn gives init. */
    static const size_t stack_size = 256 * 1024;
    char *stack = __builtin_alloca(stack_size);           /* 16-byte aligned, freed on return */
    int pid = clone(supervisor_main, stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    return pid < 0 ? -errno : pid;
}
