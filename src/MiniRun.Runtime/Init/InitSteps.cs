// InitSteps: the ordered list of steps `minirun init` runs inside the new namespaces, from a copy
// of the host's mounts to exec of the container's command.
//
// Why this order (each step needs the ones before it):
//      Credentials       --trace with a user namespace: this process's ids inside and on the host
//   0. CgroupNamespace     a new cgroup namespace rooted at the container's cgroup (the parent
//                          moved this process there before init started its steps)
//   1. MakeMountsPrivate   mounts made later must not propagate back to the host (slave or shared
//                          instead when linux.rootfsPropagation asks for it)
//   1b. RootfsParentPrivate with / shared: the mount holding the rootfs becomes private, before the
//                          rootfs is mounted on it (nothing below reaches the host; pivot_root works)
//   2. MountRootfs         the image's layers stacked with overlayfs: the future /
//   3. MountSpecMounts     /proc, /sys, /dev, /dev/pts, /dev/shm, /dev/mqueue, /etc/{hostname,hosts,resolv.conf},
//                          and any other mount the spec lists, with its options
//   4. CreateDevices       the few device nodes and /dev symlinks a program expects, plus linux.devices
//      CompileSeccomp      with linux.seccomp: check it and build the filter with the host's libseccomp
//                          (or take the same filter from the runtime's cache)
//                          (the library must be loaded while the host's / is still ours)
//      CreateHooks         with hooks: report "H", the parent runs prestart and createRuntime on
//                          the host; then createContainer here (Init/HookSteps.cs)
//   5. PivotRoot           the rootfs becomes /, the host's tree is detached and gone
//   5b. RootPropagation    linux.rootfsPropagation on / (pivot_root refuses a shared root)
//   6. Sysctl              namespaced kernel parameters, into the container's own /proc/sys
//                          while it is still writable
//   7. MaskPaths           hide /proc and /sys files that reveal or control the host
//   8. SetHostname         the UTS namespace gets the container's own name
//   9. BringUpLoopback     the new network namespace's only interface, lo, comes up
//  10. SetupTerminal       with -t: a pseudo-terminal from the container's own devpts
//  11. PrepareWorkdir      create the working directory (as Docker does), while still root
//  11b. RootReadonly      root.readonly: remount / read-only, after the last write to it (mkdir)
//  12. ProcessLimits       rlimits and oom_score_adj, while still privileged
//      AppArmor            with process.apparmorProfile: "exec PROFILE" into attr/apparmor/exec (through
//                          a private procfs: fsopen needs CAP_SYS_ADMIN); the kernel applies it at execve
//      LoadSeccomp         without no_new_privs: the filter goes in while CAP_SYS_ADMIN is still held
//  13. BoundingSet         keep caps across setresuid; drop what the bounding set does not list
//  14. SwitchUser          groups, gid, uid of the image's user or -u
//  15. ChangeDirectory     chdir into the working directory, as that user
//  16. CapabilitySets      capset (effective, permitted, inheritable), then the ambient set
//  17. LookPath            find the command in the container's PATH
//      StartGate           OCI create only: report "created", block on exec.fifo until `start`
//      StartHooks          startContainer hooks, in the container, before the program
//  18. ExecAttributes      umask and no_new_privs, the last attributes before the command
//      LoadSeccomp         with no_new_privs: the filter as late as possible, before --init's supervisor
//  19. SuperviseCommand    with --init only: init stays PID 1, spawns the command as its child,
//                          forwards signals, reaps zombies, exits with the command's status
//  20. Exec                close every inherited descriptor, then execve
//
// Follows: runtime-spec runtime.md "Lifecycle" (create runs these before the user process).
namespace MiniRun.Init;

public static class InitSteps
{
    public static readonly (string Name, Action<InitContext> Run)[] All =
    [
        ("show credentials", CredentialsStep.Run),
        ("enter cgroup namespace", CgroupNamespaceStep.Run),
        ("make / private", RootfsSteps.MakeMountsPrivate),
        ("make the rootfs's parent mount private", RootMountSteps.MakeRootfsParentPrivate),
        ("mount rootfs", RootfsSteps.MountRootfs),
        ("mount filesystems", SpecMountSteps.MountAll),
        ("create devices", DeviceSteps.CreateDevices),
        ("compile seccomp filter", SeccompStep.Compile),
        ("run create hooks", HookSteps.CreateHooks),
        ("pivot_root", PivotRootStep.Run),
        ("set root propagation", RootMountSteps.SetPropagation),
        ("set sysctls", SysctlStep.Run),
        ("mask paths", MaskPathsStep.Run),
        ("set hostname", HostnameStep.Run),
        ("bring up lo", LoopbackStep.Run),
        ("set up terminal", TerminalStep.Run),
        ("prepare working directory", WorkdirSteps.Prepare),
        ("make / read-only", RootMountSteps.MakeReadonly),
        ("set process limits", ProcessLimitsStep.Run),
        ("set AppArmor profile", AppArmorStep.Run),
        ("load seccomp filter (privileged)", SeccompStep.LoadWhilePrivileged),
        ("limit the bounding set", CapabilitiesStep.LimitBoundingSet),
        ("switch user", UserStep.Run),
        ("change directory", WorkdirSteps.ChangeDirectory),
        ("set capabilities", CapabilitiesStep.SetSets),
        ("look up command", ExecSteps.LookPath),
        ("wait for start", StartGateStep.Run),
        ("run startContainer hooks", HookSteps.StartHooks),
        ("set umask and no_new_privs", ExecAttributesStep.Run),
        ("load seccomp filter", SeccompStep.LoadLast),
        ("stay PID 1 (--init)", InitSupervisorStep.Run),
        ("exec", ExecSteps.Exec),
    ];
}
