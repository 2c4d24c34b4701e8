/*
 * clone_stage.c - the only C in MiniRun: creates the container's first process.
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
 *      root inside it (setresgid/setresuid 0), or execve would drop every capability;
 *   3. put the requested stdio file descriptors on 0, 1, 2;
 *   4. reset signal dispositions and the signal mask (.NET ignores SIGPIPE and blocks signals on
 *      some threads; both would survive execve into the container);
 *   5. keep the sync socket open across execve so `minirun init` can talk to the parent;
 *   6. execve(exe, argv, envp) - from here on it is C# again, in a new process image.
 * On failure the child writes "C <errno> <step>" to the sync socket and exits with 125.
 *
 * Man pages: clone(2), setns(2), user_namespaces(7), execve(2), sigaction(2), socketpair(2).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Report a failed step to the parent on the sync socket, then die. Only write(2) and _exit(2). */
static void fail(int sync_fd, const char *step)
{
    char msg[96] = "C ";
    int err = errno, len = 2;
    char digits[12];
    int n = 0;
    do { digits[n++] = (char)('0' + err % 10); err /= 10; } while (err > 0 && n < 11);
    while (n > 0) msg[len++] = digits[--n];               /* errno as decimal text */
    msg[len++] = ' ';
    for (const char *p = step; *p && len < (int)sizeof msg - 1; p++) msg[len++] = *p;
    (void)!write(sync_fd, msg, (size_t)len);              /* best effort: the parent may be gone */
    _exit(125);                                           /* 125: the runtime failed, as Docker */
}

/* Everything the child needs, passed by pointer (the child's only argument). */
struct spawn_args {
    int clone_flags, sync_fd, join_count;
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
        if (setresgid(0, 0, 0) < 0)
            fail(a->sync_fd, "setresgid");
        if (setresuid(0, 0, 0) < 0)
            fail(a->sync_fd, "setresuid");
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
    execve(a->exe, a->argv, a->envp);
    fail(a->sync_fd, "execve");
    return 125;                                           /* not reached */
}

/*
 * minirun_spawn: clone a child into new namespaces and exec `exe` in it.
 *   clone_flags  CLONE_NEW* flags for the namespaces to create (SIGCHLD is added here)
 *   sync_fd      child's end of the parent/child socketpair; kept open across execve
 *   join_fds     namespace fds to setns() into before anything else, join_count of them (user first)
 *   stdio        three fds for the child's 0, 1, 2; -1 keeps the inherited one
 *   exe, argv, envp  what to execute (NULL-terminated arrays)
 * Returns the child's pid (as seen from the caller's PID namespace) or -errno.
 *
 * Two ways to clone, chosen by whether the parent must act before the child execs:
 *  - usually CLONE_VM|CLONE_VFORK, as posix_spawn(3) does: the child borrows the parent's
 *    memory (no page tables are copied - a .NET process maps a lot) and runs on its own small
 *    stack, while the parent sleeps until the child execs or dies;
 *  - with CLONE_NEWUSER the child must wait for the parent to write uid_map, so the parent may
 *    not sleep: a fork-like clone (copied memory) is used instead.
 */
int minirun_spawn(int clone_flags, int sync_fd, const int *join_fds, int join_count,
                  const int *stdio, const char *exe, char *const argv[], char *const envp[])
{
    struct spawn_args a = { clone_flags, sync_fd, join_count, join_fds, stdio, exe, argv, envp };

    if (clone_flags & CLONE_NEWUSER) {
        /* A raw clone with no new stack behaves like fork(): the child continues right here. */
        long pid = syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid < 0)
            return -errno;                                /* parent: clone failed */
        if (pid == 0)
            _exit(child_main(&a));                        /* child: never returns on success */
        return (int)pid;                                  /* parent */
    }

    /* The child's stack lives in this frame: the parent is suspended until the child execs. */
    static const size_t stack_size = 64 * 1024;
    char stack[64 * 1024] __attribute__((aligned(16)));
    int pid = clone(child_main, stack + stack_size, clone_flags | CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    return pid < 0 ? -errno : pid;
}
