// SpecGenerator: turns an image config plus `minirun run` flags into the OCI runtime spec
// (config.json) of a new container.
//
// Why: this is where Docker's defaults live, so the creating code (parent stage and init) can
// stay a plain OCI runtime that does exactly what config.json says. Decided here:
//   - process: argv (CommandResolution), env (EnvMerge), cwd = -w, else the image's WorkingDir,
//     else "/" (must be absolute; cleaned like Go's filepath.Clean), terminal = -t, consoleSize
//     from the caller's terminal when -t, user = -u else the image's User, recorded unresolved in
//     user.io.minirun.user (init resolves it in the rootfs with UserResolver). With neither, it is
//     "" (never null): the empty spec means root WITH the supplementary groups the image's
//     /etc/group gives root, as in Docker; a null would make init fall back to "uid:gid", and an
//     explicit group means no supplementary groups (runc's rule, right for foreign bundles).
//   - hostname: --hostname, else the first 12 hex digits of the container ID.
//   - namespaces: pid, network, ipc, uts, mount, cgroup; no user namespace (Docker's default). The
//     network entry is then the engine's (Network/ContainerNetwork.cs ApplyToSpec): new for
//     --network none, a path to join for bridge networks and container:NAME, absent for host.
//   - mounts: Docker's /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, then bind mounts of the
//     per-container /etc/hostname, /etc/hosts, /etc/resolv.conf and the marker /.dockerenv (see EtcFiles).
//   - security (Security/SecuritySpec.cs): Docker's masked and read-only paths, its device allow
//     list, and --privileged's devices, --device, --read-only, --tmpfs, --ulimit, --sysctl, --group-add;
//     then capabilities, seccomp, no_new_privs, AppArmor and what --privileged turns off
//     (Security/SecurityPolicy.cs).
//   - the rootfs: overlayfs of the image layers (top-most first) with upper/work dirs in the
//     container directory (MiniRun's io.minirun.overlay extension), mounted at containerDir/rootfs.
//
// Follows: OCI runtime-spec v1.2 config.md, config-linux.md; Docker's default OCI spec
// (oci/defaults.go) and docker-run(1).
using System.Text;
using MiniImage.Oci;

namespace MiniRun.Spec;

public static class SpecGenerator
{
    /// <summary>Annotation: the image reference as the user typed it.</summary>
    public const string ImageAnnotation = "io.minirun.image";
    /// <summary>Annotation: the container name (--name or generated), when known.</summary>
    public const string NameAnnotation = "io.minirun.name";
    /// <summary>Annotation: the image's StopSignal, for `minirun stop`.</summary>
    public const string StopSignalAnnotation = "io.minirun.stop-signal";
    /// <summary>--init: "true" makes `minirun init` stay PID 1, spawn the command, forward signals and reap zombies.</summary>
    public const string InitAnnotation = MiniRun.Init.InitSupervisorStep.Annotation;

    /// <summary>Docker's masked paths (Security/SystemPaths.cs; the per-CPU thermal_throttle ones are added per host).</summary>
    public static IReadOnlyList<string> DefaultMaskedPaths => MiniRun.Security.SystemPaths.Masked;

    public static IReadOnlyList<string> DefaultReadonlyPaths => MiniRun.Security.SystemPaths.ReadOnly;

    /// <param name="image">The image's config blob.</param>
    /// <param name="o">The parsed flags.</param>
    /// <param name="containerId">64 hex digits (see Containers.Naming).</param>
    /// <param name="layerDirsBottomFirst">Unpacked layer directories in image order (base layer first).</param>
    /// <param name="containerDir">The container's directory: holds rootfs, upper, work, hostname, hosts, resolv.conf.</param>
    /// <param name="lookupEnv">Calling environment for `-e VAR` / env-file `VAR` lines; default: this process's.</param>
    public static RuntimeSpec Generate(ImageConfig image, RunOptions o, string containerId,
        IReadOnlyList<string> layerDirsBottomFirst, string containerDir, Func<string, string?>? lookupEnv = null,
        SecurityHostFacts? security = null, MiniRun.Security.IAppArmorHost? appArmor = null)
    {
        ContainerConfig cfg = image.Config ?? new ContainerConfig();

        string hostname = string.IsNullOrEmpty(o.Hostname) ? ShortId(containerId) : o.Hostname;
        ValidateHostname(hostname);

        List<string> args = CommandResolution.Resolve(cfg.Entrypoint, cfg.Cmd, o.Entrypoint, o.Command);
        List<string> env = EnvMerge.Merge(cfg.Env, EnvFile.UserEnv(o, lookupEnv), hostname, o.Tty);
        string cwd = ResolveWorkdir(o.Workdir, cfg.WorkingDir);
        string user = !string.IsNullOrEmpty(o.User) ? o.User : !string.IsNullOrEmpty(cfg.User) ? cfg.User : "";

        var spec = new RuntimeSpec
        {
            Process = new SpecProcess
            {
                Terminal = o.Tty,
                ConsoleSize = o.Tty && o.ConsoleWidth is uint w && o.ConsoleHeight is uint h
                    ? new SpecConsoleSize { Width = w, Height = h }
                    : null,
                User = new SpecUser { Uid = 0, Gid = 0, Username = user, PrimaryGidSupplementary = true },   // Docker: groups=GID
                Args = args,
                Env = env,
                Cwd = cwd,
            },
            Root = new SpecRoot { Path = Path.Combine(containerDir, "rootfs") },
            Hostname = hostname,
            Mounts = DefaultMounts(containerDir),
            Annotations = Annotations(o, cfg),
            Linux = new SpecLinux
            {
                Namespaces = new[] { "pid", "network", "ipc", "uts", "mount", "cgroup" }
                    .Select(t => new SpecNamespace { Type = t }).ToList(),
                Overlay = new SpecOverlay
                {
                    LowerDirs = layerDirsBottomFirst.Reverse().ToList(),
                    UpperDir = Path.Combine(containerDir, "upper"),
                    WorkDir = Path.Combine(containerDir, "work"),
                    Volatile = o.Rm ? true : null,   // --rm: the upper dir is thrown away, no need to sync it
                },
            },
        };
        MiniRun.Security.SecuritySpec.Apply(spec, o);   // masked paths, devices, --read-only, --tmpfs, --ulimit, --sysctl, --group-add
        // Capabilities, seccomp, no_new_privs, AppArmor (minirun-default where the host has AppArmor;
        // ROOT is two levels above the container's directory, ROOT/containers/ID), --privileged.
        MiniRun.Security.SecurityPolicy.Apply(spec, o, user, security?.LastCap, security?.Host, security?.Usable,
            Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(containerDir)))!, appArmor);
        return spec;
    }

    /// <summary>The host facts the security policy reads (tests pass their own; null: this machine's).</summary>
    public sealed record SecurityHostFacts(int LastCap, MiniRun.Security.SeccompHost Host, ulong? Usable = null);

    /// <summary>The container's mounts in the order they must be made.</summary>
    public static List<SpecMount> DefaultMounts(string containerDir) => new()
    {
        Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
        Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
        Mount("/sys/fs/cgroup", "cgroup2", "cgroup", "nosuid", "noexec", "nodev", "ro"),
        Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
        Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
        Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
        Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
        Mount("/etc/hostname", "bind", Path.Combine(containerDir, EtcFiles.HostnameFile), "bind", "rprivate"),
        Mount("/etc/hosts", "bind", Path.Combine(containerDir, EtcFiles.HostsFile), "bind", "rprivate"),
        Mount("/etc/resolv.conf", "bind", Path.Combine(containerDir, EtcFiles.ResolvConfFile), "bind", "rprivate"),
        Mount("/.dockerenv", "bind", Path.Combine(containerDir, EtcFiles.DockerEnvFile), "bind", "rprivate", "ro"),   // the container marker
    };

    /// <summary>-w, else the image's WorkingDir, else "/"; must be absolute; cleaned ("/a/./b/" -> "/a/b").</summary>
    public static string ResolveWorkdir(string? flag, string? imageWorkingDir)
    {
        string dir = !string.IsNullOrEmpty(flag) ? flag : !string.IsNullOrEmpty(imageWorkingDir) ? imageWorkingDir : "/";
        if (dir[0] != '/')
            throw new RunConfigException($"the working directory '{dir}' is invalid, it needs to be an absolute path");
        return CleanAbsolute(dir);
    }

    /// <summary>The short form of a container ID: its first 12 characters.</summary>
    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>sethostname(2) takes at most 64 bytes (HOST_NAME_MAX); control characters would corrupt /etc/hostname.</summary>
    private static void ValidateHostname(string hostname)
    {
        if (Encoding.UTF8.GetByteCount(hostname) > 64)
            throw new RunConfigException($"invalid hostname {GoQuote.Quote(hostname)}: longer than 64 bytes");
        if (hostname.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            throw new RunConfigException($"invalid hostname {GoQuote.Quote(hostname)}: contains whitespace or control characters");
    }

    private static Dictionary<string, string> Annotations(RunOptions o, ContainerConfig cfg)
    {
        var a = new Dictionary<string, string> { [ImageAnnotation] = o.Image };
        if (!string.IsNullOrEmpty(o.Name))
            a[NameAnnotation] = o.Name;
        if (!string.IsNullOrEmpty(cfg.StopSignal))
            a[StopSignalAnnotation] = cfg.StopSignal;
        if (o.Init)
            a[InitAnnotation] = "true";
        return a;
    }

    private static SpecMount Mount(string destination, string type, string source, params string[] options) =>
        new() { Destination = destination, Type = type, Source = source, Options = options.ToList() };

    /// <summary>Lexical clean of an absolute path: collapses "//", ".", ".." (never above "/"), drops a trailing "/".</summary>
    internal static string CleanAbsolute(string path)
    {
        var parts = new List<string>();
        foreach (string p in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (p == ".")
                continue;
            if (p == "..")
            {
                if (parts.Count > 0)
                    parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(p);
        }
        return "/" + string.Join('/', parts);
    }
}
