/*
 * no_clone3.c - runs a command in which clone3(2) fails with ENOSYS, as on a kernel older than
 * 5.3 (or under a seccomp profile that hides it): a seccomp filter (after PR_SET_NO_NEW_PRIVS)
 * answers ENOSYS to clone3 and allows everything else. glibc then creates threads with clone(2);
 * MiniRun must fall back from clone3(CLONE_INTO_CGROUP) to a clone and a move through cgroup.procs.
 *
 * Usage: no_clone3 PROGRAM [ARG...]    Man pages: seccomp(2), prctl(2) PR_SET_NO_NEW_PRIVS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: no_clone3 PROGRAM [ARG...]\n");
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        perror("no_clone3: seccomp");
        return 125;
    }
    execvp(argv[1], argv + 1);
    perror("no_clone3: execvp");
    return 127;
}
