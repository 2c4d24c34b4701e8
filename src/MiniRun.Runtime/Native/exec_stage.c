/*
 * exec_stage.c - start a process inside a running container (`minirun exec`), or as a plain child
 * of the caller (`minirun init` with --init spawning the command).
 *
 * Why C: setns(2) into a user or mount namespace fails in a multithreaded process, and a cloned
 * child of a .NET process must not run managed code (shared/notes/platform-facts.md). So the
 * caller (C#) prepares everything - namespace fds, the cgroup.procs fd, the resolved executable,
 * argv, envp, ids, cwd, stdio, capability masks, the compiled seccomp filter - and this file
 * does only system calls from clone to execve.
 *
 * The processes (each clone is CLONE_VM|CLONE_VFORK on its own stack, as posix_spawn(3) does:
 * no page tables are copied and each parent sleeps until its child execs or exits):
 *
 *   caller ─clone─> joiner: sets the process's rlimits and oom_score_adj (inherited by the
 *                   worker; set before joining a user namespace, while raising them is still
 *                   allowed), writes "0" to the container's cgroup.procs (before setns into the
 *                   cgroup namespace, which would hide the path between the two cgroups), then
 *                   setns into each namespace, user first.
 *      joiner ─clone(CLONE_PARENT)─> worker: a child of the CALLER (so the caller can waitpid it
 *                   and get its exit status) that is in the container's PID namespace (setns
 *                   into a PID namespace applies only to children of the caller of setns).
 *                   worker: setsid + TIOCSCTTY for a terminal, stdio, the AppArmor label, then the process's
 *                   security attributes (exec_security.c) around the user switch, in the order
 *                   of the container's init (Init/InitSteps.cs), which runc's exec follows too:
 *                     seccomp filter   here only WITHOUT no_new_privs: the kernel then wants
 *                                      CAP_SYS_ADMIN, which the next steps may take away
 *                     bounding set     PR_SET_KEEPCAPS, PR_CAPBSET_DROP (needs CAP_SETPCAP)
 *                     user             setgroups, setresgid, setresuid (uid last)
 *                     chdir            as the user; getcwd must then be inside the root
 *                     capabilities     capset (setresuid cleared the effective set), ambient
 *                     umask, no_new_privs, close-on-exec for every other fd
 *                     seccomp filter   here WITH no_new_privs: as late as possible
 *                   default signals, execve.
 *      detach:     worker ─clone─> runner: execs instead of the worker, which exits at once,
 *                   so the runner is orphaned inside the container and the kernel gives it to
 *                   the container's PID 1 (a process is reparented to the init of the PID
 *                   namespace its dying parent is in).
 *   With no namespace to join (--init) the caller clones the worker directly.
 *
 * Every step is async-signal-safe: no malloc, no stdio, no locks. A failed step writes
 * "C <errno> <step>" to sync_fd (a close-on-exec pipe: EOF there means execve succeeded) and the
 * process exits with 125, or with 127/126 when execve fails with ENOENT/other errors, as Docker.
 *
 * Man pages: clone(2), setns(2), namespaces(7), pid_namespaces(7) (reparenting), cgroups(7)
 * (cgroup.procs), credentials(7), setgroups(2), ioctl_tty(2) TIOCSCTTY, close_range(2), execve(2),
 * capabilities(7), seccomp(2) (the privilege rule for loading a filter).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exec_security.h"
#include "stage_report.h"

#define STAGE_STACK (64 * 1024)

/* Everything the stage needs; filled by ExecNative.cs (same field order and types). */
struct minirun_exec_args {
    const int *ns_fds;          /* namespace fds to setns into, in order (user first) */
    int ns_count;
    int cgroup_fd;              /* open cgroup.procs of the container's cgroup, or -1 */
    int sync_fd;                /* close-on-exec write end of the error pipe */
    int stdio[3];               /* fds for 0, 1, 2; -1 keeps the inherited one */
    int tty;                    /* 1: new session, stdio[0] becomes the controlling terminal */
    int set_user;               /* 1: set groups, gid, uid below */
    unsigned int uid, gid;
    int ngroups;
    const unsigned int *groups;
    const char *cwd;            /* NULL: keep the current directory */
    const char *exe;            /* path of the program, as seen inside the container */
    char *const *argv, *const *envp;
    int detach;                 /* 1: the program is orphaned to the container's PID 1 */
    int pid;                    /* out: the pid to wait for (the worker), 0 if none started */
    char *stacks;               /* 3 * STAGE_STACK bytes, 16-byte aligned, for the three clones */
    const struct minirun_exec_security *sec;   /* the process's security attributes; NULL: none */
};

/* The joiner is needed only to enter namespaces or a cgroup (--init starts the worker directly). */
static int uses_joiner(const struct minirun_exec_args *a)
{
    return a->ns_count > 0 || a->cgroup_fd >= 0;
}

/* Report a failed step on the pipe ("C <errno> <step>"), then exit with `code`. */
static void fail(int sync_fd, const char *step, int code) { stage_fail(sync_fd, step, code); }

/* Default dispositions for every signal (the caller's .NET handlers must not run here). */
static void reset_signal_handlers(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < _NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);                 /* fails harmlessly for SIGKILL/STOP */
}

/* The last step of worker or runner: empty signal mask, then become the program. */
static int exec_program(const struct minirun_exec_args *a)
{
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)        /* the caller blocked all around clone */
        fail(a->sync_fd, "sigprocmask", 125);
    execve(a->exe, a->argv, a->envp);
    fail(a->sync_fd, "execve", errno == ENOENT ? 127 : 126);   /* Docker: 127 missing, 126 not executable */
    return 125;                                           /* not reached */
}

/* detach: the runner only execs (everything else was done by the worker, its parent). */
static int runner_main(void *p)
{
    return exec_program(p);
}

/* The worker: in every namespace of the container; becomes the program (or starts the runner). */
static int worker_main(void *p)
{
    struct minirun_exec_args *a = p;
    reset_signal_handlers();

    /* A terminal: a new session whose controlling terminal is the pty slave on stdio[0]. */
    if (a->tty) {
        if (setsid() < 0)
            fail(a->sync_fd, "setsid", 125);
        if (ioctl(a->stdio[0], TIOCSCTTY, 0) < 0)
            fail(a->sync_fd, "ioctl TIOCSCTTY", 125);
    }

    /* stdio: dup2 clears close-on-exec on the new descriptor, so these survive execve. */
    for (int fd = 0; fd < 3; fd++)
        if (a->stdio[fd] >= 0 && a->stdio[fd] != fd && dup2(a->stdio[fd], fd) < 0)
            fail(a->sync_fd, "dup2 stdio", 125);

    /* AppArmor: the label the kernel applies at execve (before seccomp, which may forbid openat). */
    exec_set_apparmor(a->sec, a->sync_fd);

    /* Limits: the joiner set them already, and this worker inherited them at clone. */
    if (!uses_joiner(a))
        exec_set_limits(a->sec, a->sync_fd);

    /* Without no_new_privs the kernel takes a filter only while CAP_SYS_ADMIN is held. */
    if (a->sec && !a->sec->no_new_privs)
        exec_load_seccomp(a->sec, a->sync_fd);

    /* The bounding set shrinks while CAP_SETPCAP is still held; keepcaps spans setresuid. */
    exec_limit_bounding_set(a->sec, a->sync_fd);

    /* Credentials: groups and gid need privilege that setresuid to a non-root user gives up. */
    if (a->set_user) {
        /* Raw system calls: glibc's wrappers would try to change the credentials of every thread
         * of the .NET parent whose memory (and thread list) this child shares, and can hang. */
        if (a->ngroups >= 0 && syscall(SYS_setgroups, (size_t)a->ngroups, (const gid_t *)a->groups) < 0)
            fail(a->sync_fd, "setgroups", 125);
        if (syscall(SYS_setresgid, a->gid, a->gid, a->gid) < 0)
            fail(a->sync_fd, "setresgid", 125);
        if (syscall(SYS_setresuid, a->uid, a->uid, a->uid) < 0)
            fail(a->sync_fd, "setresuid", 125);
    }

    /* The working directory, entered as the target user (after the switch, as runc does). */
    if (a->cwd && chdir(a->cwd) < 0)
        fail(a->sync_fd, "chdir", 126);

    /* CVE-2024-21626: a cwd such as /proc/self/fd/N follows a descriptor this process inherited
     * from the caller, which may be a directory of the host; getcwd(2) answers a path that does
     * not start with "/" ("(unreachable)...") when the directory is not below our root. */
    if (a->cwd) {
        char cwd[4096];
        long n = syscall(SYS_getcwd, cwd, sizeof cwd);
        if (n <= 0 || cwd[0] != '/') {
            errno = EXDEV;
            fail(a->sync_fd, "cwd outside root", 126);
        }
    }

    /* The capability sets setresuid cleared, then the ambient set; umask; no_new_privs. */
    exec_set_capabilities(a->sec, a->sync_fd);
    exec_set_umask_and_no_new_privs(a->sec, a->sync_fd);

    /* No descriptor of the caller survives execve except 0, 1, 2 (sync_fd is close-on-exec). */
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0)
        fail(a->sync_fd, "close_range", 125);

    /* With no_new_privs the filter comes last: from here on only sigprocmask and execve (or, with
     * -d, clone and _exit) run under it. */
    if (a->sec && a->sec->no_new_privs)
        exec_load_seccomp(a->sec, a->sync_fd);

    if (!a->detach)
        return exec_program(a);

    /* detach: the runner execs; this worker exits, which orphans the runner inside the container. */
    int pid = clone(runner_main, a->stacks + 3 * STAGE_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
    if (pid < 0)
        fail(a->sync_fd, "clone runner", 125);
    _exit(0);                                             /* after the runner exec'd (or failed) */
}

/* The joiner: moves into the container's cgroup and namespaces, then clones the worker. */
static int joiner_main(void *p)
{
    struct minirun_exec_args *a = p;
    reset_signal_handlers();

    /* rlimits and oom_score_adj first, while still in the caller's user namespace. */
    exec_set_limits(a->sec, a->sync_fd);

    /* Cgroup first: "0" means the writing process; the worker inherits the cgroup at clone. */
    if (a->cgroup_fd >= 0 && write(a->cgroup_fd, "0", 1) != 1)
        fail(a->sync_fd, "write cgroup.procs", 125);

    /* One process, one thread, its own fs_struct (no CLONE_FS): setns works for every type. */
    for (int i = 0; i < a->ns_count; i++)
        if (setns(a->ns_fds[i], 0) < 0)
            fail(a->sync_fd, "setns", 125);

    /* CLONE_PARENT: the worker is the caller's child; it is created in the joined PID namespace. */
    int pid = clone(worker_main, a->stacks + 2 * STAGE_STACK,
                    CLONE_VM | CLONE_VFORK | CLONE_PARENT | SIGCHLD, a);
    if (pid < 0)
        fail(a->sync_fd, "clone worker", 125);
    a->pid = pid;                                         /* shared memory (CLONE_VM): the caller reads it */
    _exit(0);
}

/*
 * minirun_exec: start the program described by `a`. Returns 0 when the process tree was created
 * (a->pid is then the worker the caller must waitpid, or 0 if the joiner failed and reported on
 * sync_fd), or -errno when the first clone failed. On return the program has exec'd or failed:
 * read sync_fd after closing its write end to tell which.
 */
int minirun_exec(struct minirun_exec_args *a)
{
    /* Block every signal around the clones: the children must not run the caller's handlers
     * before they reset them (they inherit this mask and clear it right before execve). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    a->pid = 0;
    int rc = 0;
    if (!uses_joiner(a)) {
        int pid = clone(worker_main, a->stacks + 2 * STAGE_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
        if (pid < 0) rc = -errno; else a->pid = pid;
    } else {
        int joiner = clone(joiner_main, a->stacks + STAGE_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
        if (joiner < 0) {
            rc = -errno;
        } else {
            int status;
            while (waitpid(joiner, &status, 0) < 0 && errno == EINTR) { }   /* reap the joiner */
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* The size of the stack area minirun_exec expects in a->stacks. */
int minirun_exec_stack_size(void)
{
    return 3 * STAGE_STACK;
}
