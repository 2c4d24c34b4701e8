/*
 * stage_report.h - how a native stage child reports a failed step, shared by clone_stage.c and
 * exec_stage.c: "C <errno> <step>" written to the sync descriptor, then _exit(code).
 *
 * Why a header: both stages run in a cloned child that may use only async-signal-safe calls
 * (no malloc, no stdio): the message is built by hand in a stack buffer and sent with write(2).
 * The parent reads it and names the step and errno in its error (Runtime/ContainerStarter.cs,
 * Runtime/ExecNative.cs).
 *
 * Man pages: write(2), _exit(2), errno(3).
 */
#ifndef MINIRUN_STAGE_REPORT_H
#define MINIRUN_STAGE_REPORT_H
#include <errno.h>
#include <unistd.h>

static void stage_fail(int sync_fd, const char *step, int code)
{
    char msg[96] = "C ";
    int err = errno, len = 2;
    char digits[12];
    int n = 0;
    do { digits[n++] = (char)('0' + err % 10); err /= 10; } while (err > 0 && n < 11);
    while (n > 0) msg[len++] = digits[--n];               /* errno as decimal text */
    msg[len++] = ' ';
    for (const char *p = step; *p && len < (int)sizeof msg - 1; p++) msg[len++] = *p;
    (void)!write(sync_fd, msg, (size_t)len);              /* best effort: the reader may be gone */
    _exit(code);
}
#endif
