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
 * What the child does, in order (each step is async-signal-safe: no malloc, no stdio, no locks):
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

/*
 * minirun_spawn: clone a child into new namespaces and exec `exe` in it.
 *   clone_flags  CLONE_NEW* flags for the namespaces to create (SIGCHLD is added here)
 *   sync_fd      child's end of the parent/child socketpair; kept open across execve
 *   join_fds     namespace fds to setns() into before anything else, join_count of them (user first)
 *   stdio        three fds for the child's 0, 1, 2; -1 keeps the inherited one
 *   exe, argv, envp  what to execute (NULL-terminated arrays)
 * Returns the child's pid (as seen from the caller's PID namespace) or -errno.
 */
int minirun_spawn(int clone_flags, int sync_fd, const int *join_fds, int join_count,
                  const int *stdio, const char *exe, char *const argv[], char *const envp[])
{
    /* A raw clone with no new stack behaves like fork(): the child continues right here on a
     * copy of this thread's stack. glibc's clone() wrapper would need a separate stack. */
    long pid = syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid < 0)
        return -errno;                                    /* parent: clone failed */
    if (pid > 0)
        return (int)pid;                                  /* parent: done, C# takes over */

    /* ---- child: native code only from here to execve ---- */

    /* 1. Join namespaces (setns into a user namespace works here: this process has one thread). */
    for (int i = 0; i < join_count; i++)
        if (setns(join_fds[i], 0) < 0)
            fail(sync_fd, "setns");

    /* 2. New user namespace: wait for the parent's one-byte "maps written", then become root. */
    if (clone_flags & CLONE_NEWUSER) {
        char go;
        if (read(sync_fd, &go, 1) != 1)
            fail(sync_fd, "wait for uid_map");
        if (setresgid(0, 0, 0) < 0)
            fail(sync_fd, "setresgid");
        if (setresuid(0, 0, 0) < 0)
            fail(sync_fd, "setresuid");
    }

    /* 3. stdio: dup2 clears close-on-exec on the new descriptor, so these survive execve. */
    for (int fd = 0; fd < 3; fd++)
        if (stdio[fd] >= 0 && stdio[fd] != fd && dup2(stdio[fd], fd) < 0)
            fail(sync_fd, "dup2 stdio");

    /* 4. Signals: default dispositions and an empty mask, as a freshly booted PID 1 expects. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);                 /* fails harmlessly for SIGKILL/STOP */
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
        fail(sync_fd, "sigprocmask");

    /* 5. The sync socket was created close-on-exec; clear that flag in this child only. */
    if (fcntl(sync_fd, F_SETFD, 0) < 0)
        fail(sync_fd, "fcntl sync socket");

    /* 6. Become `minirun init` (or, for exec, the target program). */
    execve(exe, argv, envp);
    fail(sync_fd, "execve");
    return -1;                                            /* not reached */
}
