// SecurityCli: the security flags of `run` and `create` that map to config.json through
// Security/SecuritySpec.cs: --privileged (its device side here), --device, --read-only, --tmpfs,
// --ulimit, --sysctl, --group-add. Values are collected as typed; a bad one fails with Docker's
// text (exit 125) before anything is created.
//
// Follows: docker-run(1).
using System.CommandLine;
using MiniRun.Spec;

namespace MiniRun.Cli;

public sealed class SecurityCli
{
    public required Option<bool> Privileged, ReadOnly;
    public required Option<string[]> Device, Tmpfs, Ulimit, Sysctl, GroupAdd;

    public IEnumerable<Option> All => [Privileged, Device, ReadOnly, Tmpfs, Ulimit, Sysctl, GroupAdd];

    public static SecurityCli Options()
    {
        static Option<string[]> M(string name, string description) => new(name) { Description = description };
        return new SecurityCli
        {
            Privileged = new Option<bool>("--privileged") { Description = "Give extended privileges to this container (every host device)" },
            Device = M("--device", "Add a host device to the container, HOST[:CONTAINER[:rwm]]"),
            ReadOnly = new Option<bool>("--read-only") { Description = "Mount the container's root filesystem as read only" },
            Tmpfs = M("--tmpfs", "Mount a tmpfs directory, PATH[:OPTIONS] (default noexec,nosuid,nodev)"),
            Ulimit = M("--ulimit", "Ulimit options, NAME=SOFT[:HARD] (e.g. nofile=1024:2048)"),
            Sysctl = M("--sysctl", "Namespaced kernel parameter, KEY=VALUE (net.*, fs.mqueue.*, kernel.shm*/msg*/sem)"),
            GroupAdd = M("--group-add", "Add an additional group to join (name in the image's /etc/group, or a number)"),
        };
    }

    /// <summary>Copies the values into <paramref name="o"/> and checks them (RunConfigException with Docker's text).</summary>
    public void Read(ParseResult p, RunOptions o)
    {
        o.Privileged = p.GetValue(Privileged);
        o.ReadOnly = p.GetValue(ReadOnly);
        o.Devices = (p.GetValue(Device) ?? []).ToList();
        o.Tmpfs = (p.GetValue(Tmpfs) ?? []).ToList();
        o.Ulimits = (p.GetValue(Ulimit) ?? []).ToList();
        o.Sysctls = (p.GetValue(Sysctl) ?? []).ToList();
        o.GroupAdd = (p.GetValue(GroupAdd) ?? []).ToList();
        MiniRun.Security.SecuritySpec.Check(o);
    }
}
