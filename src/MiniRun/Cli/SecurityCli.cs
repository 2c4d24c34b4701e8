// SecurityCli: the security flags of `run` and `create`, collected and checked before anything is
// created, then put on RunOptions: --cap-add, --cap-drop, --privileged, --security-opt (applied by
// Security/SecurityPolicy.cs) and --device, --read-only, --tmpfs, --ulimit, --sysctl, --group-add
// (Security/SecuritySpec.cs).
//
// Why checked here: a wrong capability name, security option or device is one line and exit 125
// with nothing left behind, as with Docker ("Error response from daemon: invalid CapAdd: unknown
// capability: \"CAP_FOO\""). A seccomp profile file is read now, as the docker CLI reads it, so
// the record keeps its JSON and a restart does not depend on the file still being there.
//
// Follows: docker-run(1) "--cap-add", "--cap-drop", "--privileged", "--security-opt", "--device",
// "--read-only", "--tmpfs", "--ulimit", "--sysctl", "--group-add".
using System.CommandLine;
using MiniRun.Security;
using MiniRun.Spec;

namespace MiniRun.Cli;

public sealed class SecurityCli
{
    public required Option<string[]> CapAdd, CapDrop, SecurityOpt, Device, Tmpfs, Ulimit, Sysctl, GroupAdd;
    public required Option<bool> Privileged, ReadOnly;

    public IEnumerable<Option> All => [CapAdd, CapDrop, Privileged, SecurityOpt, Device, ReadOnly, Tmpfs, Ulimit, Sysctl, GroupAdd];

    public static SecurityCli Options()
    {
        static Option<string[]> M(string name, string description) => new(name) { Description = description };
        return new SecurityCli
        {
            CapAdd = M("--cap-add", "Add Linux capabilities (e.g. NET_ADMIN, or ALL)"),
            CapDrop = M("--cap-drop", "Drop Linux capabilities (e.g. CHOWN, or ALL)"),
            Privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to this container (all capabilities and host devices, no seccomp, no masked paths)" },
            SecurityOpt = M("--security-opt", "Security options: no-new-privileges[=true|false], seccomp=FILE|unconfined, apparmor=PROFILE|unconfined"),
            Device = M("--device", "Add a host device to the container, HOST[:CONTAINER[:rwm]]"),
            ReadOnly = new Option<bool>("--read-only") { Description = "Mount the container's root filesystem as read only" },
            Tmpfs = M("--tmpfs", "Mount a tmpfs directory, PATH[:OPTIONS] (default noexec,nosuid,nodev)"),
            Ulimit = M("--ulimit", "Ulimit options, NAME=SOFT[:HARD] (e.g. nofile=1024:2048)"),
            Sysctl = M("--sysctl", "Namespaced kernel parameter, KEY=VALUE (net.*, fs.mqueue.*, kernel.shm*/msg*/sem)"),
            GroupAdd = M("--group-add", "Add an additional group to join (name in the image's /etc/group, or a number)"),
        };
    }

    /// <summary>Checks the values and puts them on <paramref name="o"/>; CliError (exit 125) on a bad one.</summary>
    public void Read(ParseResult p, RunOptions o)
    {
        o.CapAdd = (p.GetValue(CapAdd) ?? []).ToList();
        o.CapDrop = (p.GetValue(CapDrop) ?? []).ToList();
        o.Privileged = p.GetValue(Privileged);
        o.ReadOnly = p.GetValue(ReadOnly);
        o.Devices = (p.GetValue(Device) ?? []).ToList();
        o.Tmpfs = (p.GetValue(Tmpfs) ?? []).ToList();
        o.Ulimits = (p.GetValue(Ulimit) ?? []).ToList();
        o.Sysctls = (p.GetValue(Sysctl) ?? []).ToList();
        o.GroupAdd = (p.GetValue(GroupAdd) ?? []).ToList();
        try
        {
            o.SecurityOpt = SecurityOptions.Parse(p.GetValue(SecurityOpt) ?? []).Recorded.ToList();
            int last = CapabilityPolicy.HostLastCap();
            CapabilityPolicy.Normalize(o.CapAdd, "CapAdd", last);
            CapabilityPolicy.Normalize(o.CapDrop, "CapDrop", last);
        }
        catch (RunConfigException e)
        {
            throw CliError.Daemon(e.Message, 125);
        }
        try { SecuritySpec.Check(o); }
        catch (RunConfigException e) { throw new CliError(e.Message); }
    }
}
