// InfoCommand: `minirun info` (also `system info`) and `minirun version`, in Docker's layout,
// from facts read on this machine: containers by state and images in the store, the storage
// driver (overlay2: MiniRun mounts overlayfs per container) and the filesystem under the store,
// cgroup version and driver and what MiniRun can limit here, the kernel, the OS, CPUs, memory,
// security options (seccomp, AppArmor when the kernel has it enabled, user namespaces when
// daemon.json remaps, cgroupns), the runtime, and the store root with its usage.
//
// Why: instructors show `docker info` for the storage driver, cgroup version and security options,
// and `docker version` for what runs; students compare line by line. MiniRun has no daemon:
// "Server:" describes the engine each command runs, and says so. --format runs a Go template
// (Templates/GoTemplate.cs) over the same facts, with Docker's field names (.ServerVersion,
// .Driver, .CgroupVersion, .SecurityOptions, .Server.Version, ...).
// Follows: docker-info(1), docker-version(1) (layout of docker/cli cli/command/system/info.go
// and version.go; version's tabwriter 20/1/1), statfs(2) f_type magic numbers, uname(2),
// proc(5) /proc/meminfo and /proc/self/status "Seccomp:".
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using MiniImage.Store;
using MiniRun.Cli.Templates;
using MiniRun.Containers;

namespace MiniRun.Cli;

public static partial class InfoCommand
{
    public const string Version = "0.1.0";

    /// <summary>The commit the binary was built from (SourceLink's revision in the core's assembly), short.</summary>
    public static string GitCommit
    {
        get
        {
            string? v = typeof(MiniRun.Runtime.RuntimeException).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            int plus = v?.IndexOf('+') ?? -1;
            return plus < 0 ? "unknown" : v![(plus + 1)..][..Math.Min(7, v.Length - plus - 1)];
        }
    }

    /// <summary>Docker's Arch names (GOARCH).</summary>
    public static string GoArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        var a => a.ToString().ToLowerInvariant(),
    };

    private static string Read(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return ""; }
    }

    public static string KernelVersion => Read("/proc/sys/kernel/osrelease");

    private static string BuildTime()
    {
        try
        {
            var t = File.GetLastWriteTimeUtc(Environment.ProcessPath ?? "");
            return t.ToString("ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture).Replace($" {t.Day} ", $" {t.Day,2} ");
        }
        catch (IOException) { return ""; }
    }

    // ---- version ----

    /// <summary>Docker's version template, MiniRun's names; rendered through the tabwriter (20, 1, 1).</summary>
    private const string VersionTemplate = """
        Client: {{.Client.Platform.Name}}
         Version:	{{.Client.Version}}
         Git commit:	{{.Client.GitCommit}}
         Built:	{{.Client.BuildTime}}
         OS/Arch:	{{.Client.Os}}/{{.Client.Arch}}
         .NET version:	{{.Client.DotnetVersion}}
         Context:	{{.Client.Context}}

        Server: {{.Server.Platform.Name}}
        {{- range .Server.Components}}
         {{.Name}}:
          Version:	{{.Version}}
        {{- range .Details}}
          {{index . 0}}:	{{index . 1}}
        {{- end}}
        {{- end}}

        """;

    public static TemplateMap VersionData()
    {
        string commit = GitCommit;
        var client = Map(
            ("Platform", Map(("Name", "MiniRun"))),
            ("Version", Version),
            ("GitCommit", commit),
            ("GoVersion", ""),
            ("DotnetVersion", Environment.Version.ToString()),
            ("Os", "linux"),
            ("Arch", GoArch),
            ("BuildTime", BuildTime()),
            ("Context", "default"));
        var engine = Map(("Name", "Engine"), ("Version", Version), ("Details", Pairs(
            ("Git commit", commit),
            (".NET version", Environment.Version.ToString()),
            ("OS/Arch", "linux/" + GoArch),
            ("Kernel", KernelVersion),
            ("Daemon", "none (each minirun command runs the engine itself)"))));
        var oci = Map(("Name", "minirun-oci"), ("Version", Version), ("Details", Pairs(
            ("GitCommit", commit),
            ("OCI runtime spec", "1.0.0 - 1.2.0"))));
        var server = Map(
            ("Platform", Map(("Name", "MiniRun"))),
            ("Components", new TemplateList([engine, oci])),
            ("Version", Version),
            ("GitCommit", commit),
            ("Os", "linux"),
            ("Arch", GoArch),
            ("KernelVersion", KernelVersion));
        return Map(("Client", client), ("Server", server));
    }

    public static int VersionCmd(string? format, TextWriter stdout)
    {
        var data = VersionData();
        if (!string.IsNullOrEmpty(format)) { stdout.WriteLine(Render(format, data)); return 0; }
        stdout.Write(TabWriter.Format(Render(VersionTemplate, data), 20, 1));
        return 0;
    }

    private static string Render(string format, object data)
    {
        if (format == "json") format = "{{json .}}";
        var t = ImageInspectTemplate.Parse(format);
        try { return t.Execute(data); }
        catch (TemplateException e) { throw new CliError("template: " + e.Message.Replace("template: ", ""), 1); }
    }

    private static TemplateList Pairs(params (string Key, string Value)[] pairs) =>
        new(pairs.Select(p => (object?)new TemplateList([p.Key, p.Value])).ToList());

    private static TemplateMap Map(params (string Key, object? Value)[] entries)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (k, v) in entries) d[k] = v;
        return new TemplateMap(d, Strict: true);
    }

    // ---- info ----

    /// <summary>Docker's names for statfs f_type values (the "Backing Filesystem" of overlay2).</summary>
    public static string FilesystemName(long magic) => magic switch
    {
        0xEF53 => "extfs",
        0x58465342 => "xfs",
        0x9123683E => "btrfs",
        0x01021994 => "tmpfs",
        0x794C7630 => "overlayfs",
        0x2FC12FC1 => "zfs",
        0xF2F52010 => "f2fs",
        0x6969 => "nfs",
        0x65735546 => "fuse",
        0x5346544E => "ntfs",
        0x73717368 => "squashfs",
        _ => $"<unknown> (0x{magic:x})",
    };

    [LibraryImport("libc", EntryPoint = "statfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statfs(string path, byte* buf);

    /// <summary>statfs(2) f_type of the nearest existing directory of `path` (the first field, a long on Linux's 64-bit ABIs).</summary>
    public static unsafe long FilesystemMagic(string path)
    {
        string? p = path;
        while (p is not null && !Directory.Exists(p)) p = Path.GetDirectoryName(p);
        byte* buf = stackalloc byte[256];
        if (p is null || statfs(p, buf) != 0) return -1;
        return *(long*)buf & 0xFFFFFFFF;
    }

    public static TemplateMap InfoData(string root, bool debug)
    {
        int running = 0, paused = 0, stopped = 0;
        if (Directory.Exists(Path.Combine(root, "containers")))
        {
            foreach (var c in new ContainerStore(root).List())
            {
                string s = ContainerLiveness.Effective(c);
                if (s == ContainerStatus.Paused) paused++;
                else if (PsState.IsUp(s)) running++;
                else stopped++;
            }
        }
        int images = 0;
        try { images = new ImageStore(root).List(intermediates: true).Select(i => i.ImageId).Distinct().Count(); }
        catch (Exception e) when (e is IOException or MiniImage.MiniImageException) { }

        var cgroups = MiniRun.Cgroups.CgroupV2Host.Detect();
        string cgroupVersion = cgroups.Layout == MiniRun.Cgroups.CgroupLayout.Unified ? "2" : cgroups.Layout == MiniRun.Cgroups.CgroupLayout.None ? "" : "1";
        var security = new List<object?>();
        bool apparmor = new MiniRun.Security.AppArmorHost().Enabled;
        if (apparmor) security.Add("name=apparmor");
        if (Read("/proc/self/status").Contains("\nSeccomp:", StringComparison.Ordinal)) security.Add("name=seccomp,profile=builtin");
        string remap = "";
        try { remap = MiniRun.Security.DaemonConfig.Load().UsernsRemap; }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        if (remap.Length > 0) security.Add("name=userns");
        security.Add("name=cgroupns");

        var warnings = new List<object?>();
        foreach (var (controller, what) in new[] { ("memory", "memory limit"), ("cpu", "cpu cfs quota"), ("cpuset", "cpuset"), ("pids", "pids limit"), ("io", "io.weight") })
            if (!cgroups.Has(controller)) warnings.Add($"WARNING: No {what} support");
        if (!cgroups.Usable) warnings.Add($"WARNING: MiniRun sets resource limits only with cgroup v2; this host: {cgroups.Description}");

        long memTotal = 0;
        foreach (string line in Read("/proc/meminfo").Split('\n'))
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                memTotal = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

        string backing = FilesystemName(FilesystemMagic(root));
        long usage = 0;
        try { usage = MiniRun.Engine.SystemCommands.DiskUsage(root).Sum(r => r.Size); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MiniImage.MiniImageException) { }

        return Map(
            ("ID", ""),
            ("Containers", (long)(running + paused + stopped)),
            ("ContainersRunning", (long)running),
            ("ContainersPaused", (long)paused),
            ("ContainersStopped", (long)stopped),
            ("Images", (long)images),
            ("Driver", "overlay2"),
            ("DriverStatus", new TemplateList([new TemplateList(["Backing Filesystem", backing])])),
            ("Plugins", Map(
                ("Volume", new TemplateList(["local"])),
                ("Network", new TemplateList(["bridge", "host", "null"])),
                ("Log", new TemplateList(["json-file"])))),
            ("MemoryLimit", cgroups.Has("memory")),
            ("SwapLimit", cgroups.Has("memory")),
            ("CpuCfsPeriod", cgroups.Has("cpu")),
            ("CpuCfsQuota", cgroups.Has("cpu")),
            ("CPUShares", cgroups.Has("cpu")),
            ("CPUSet", cgroups.Has("cpuset")),
            ("PidsLimit", cgroups.Has("pids")),
            ("Debug", debug),
            ("LoggingDriver", "json-file"),
            ("CgroupDriver", "cgroupfs"),
            ("CgroupVersion", cgroupVersion),
            ("CgroupLayout", cgroups.Description),
            ("KernelVersion", KernelVersion),
            ("OperatingSystem", OsRelease("PRETTY_NAME")),
            ("OSVersion", OsRelease("VERSION_ID")),
            ("OSType", "linux"),
            ("Architecture", Read("/proc/sys/kernel/arch") is { Length: > 0 } arch ? arch : RuntimeInformation.OSArchitecture == Architecture.X64 ? "x86_64" : "aarch64"),
            ("NCPU", (long)Environment.ProcessorCount),
            ("MemTotal", memTotal),
            ("DockerRootDir", root),
            ("RootDirUsage", usage),
            ("Name", Read("/proc/sys/kernel/hostname")),
            ("ServerVersion", Version),
            ("Runtimes", Map(("minirun-oci", Map(("path", "minirun-oci"))))),
            ("DefaultRuntime", "minirun-oci"),
            ("UsernsRemap", remap),
            ("SecurityOptions", new TemplateList(security)),
            ("Warnings", new TemplateList(warnings)),
            ("ClientInfo", Map(("Version", Version), ("Context", "default"), ("Debug", debug))));
    }

    private static string OsRelease(string key)
    {
        foreach (string line in Read("/etc/os-release").Split('\n'))
            if (line.StartsWith(key + "=", StringComparison.Ordinal)) return line[(key.Length + 1)..].Trim('"');
        return "";
    }

    /// <summary>go-units BytesSize: binary units, four significant digits ("15.35GiB").</summary>
    public static string BytesSize(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        return v.ToString("G4", CultureInfo.InvariantCulture) + units[u];
    }

    public static int Info(string root, string? format, bool debug, TextWriter stdout, TextWriter stderr)
    {
        var d = InfoData(root, debug);
        if (!string.IsNullOrEmpty(format)) { stdout.WriteLine(Render(format, d)); return 0; }
        object? Get(string key) => d.Entries[key];
        var sb = new StringBuilder();
        sb.Append("Client: MiniRun\n");
        sb.Append($" Version:    {Version}\n");
        sb.Append(" Context:    default\n");
        sb.Append($" Debug Mode: {(debug ? "true" : "false")}\n");
        sb.Append('\n');
        sb.Append("Server:\n");
        sb.Append($" Containers: {Get("Containers")}\n");
        sb.Append($"  Running: {Get("ContainersRunning")}\n");
        sb.Append($"  Paused: {Get("ContainersPaused")}\n");
        sb.Append($"  Stopped: {Get("ContainersStopped")}\n");
        sb.Append($" Images: {Get("Images")}\n");
        sb.Append($" Server Version: {Version}\n");
        sb.Append(" Storage Driver: overlay2\n");
        foreach (var pair in ((TemplateList)Get("DriverStatus")!).Items.Cast<TemplateList>())
            sb.Append($"  {pair.Items[0]}: {pair.Items[1]}\n");
        sb.Append(" Logging Driver: json-file\n");
        sb.Append(" Cgroup Driver: cgroupfs\n");
        sb.Append($" Cgroup Version: {Get("CgroupVersion")}\n");
        sb.Append(" Plugins:\n");
        sb.Append("  Volume: local\n");
        sb.Append("  Network: bridge host null\n");
        sb.Append("  Log: json-file\n");
        sb.Append(" Swarm: inactive\n");
        sb.Append(" Runtimes: minirun-oci\n");
        sb.Append(" Default Runtime: minirun-oci\n");
        sb.Append(" Security Options:\n");
        foreach (string option in ((TemplateList)Get("SecurityOptions")!).Items.Cast<string>())
        {
            var parts = option.Split(',');
            sb.Append($"  {parts[0]["name=".Length..]}\n");
            foreach (string kv in parts.Skip(1))
            {
                var (k, v) = (kv.Split('=')[0], kv.Split('=', 2)[1]);
                sb.Append($"   {CultureInfo.InvariantCulture.TextInfo.ToTitleCase(k)}: {v}\n");
            }
        }
        sb.Append($" Kernel Version: {Get("KernelVersion")}\n");
        sb.Append($" Operating System: {Get("OperatingSystem")}\n");
        sb.Append(" OSType: linux\n");
        sb.Append($" Architecture: {Get("Architecture")}\n");
        sb.Append($" CPUs: {Get("NCPU")}\n");
        sb.Append($" Total Memory: {BytesSize((long)Get("MemTotal")!)}\n");
        sb.Append($" Name: {Get("Name")}\n");
        sb.Append($" MiniRun Root Dir: {root}\n");
        sb.Append($" Root Dir Usage: {HumanFormat.Size((long)Get("RootDirUsage")!)}\n");
        sb.Append($" Debug Mode: {(debug ? "true" : "false")}\n");
        sb.Append(" Experimental: false\n");
        stdout.Write(sb.ToString());
        var warnings = ((TemplateList)Get("Warnings")!).Items;
        if (warnings.Count > 0)
        {
            stderr.WriteLine();
            foreach (var w in warnings) stderr.WriteLine(w);
        }
        return 0;
    }
}
