// SecurityCli: the security flags of `run` and `create` (--cap-add, --cap-drop, --privileged,
// --security-opt), collected and checked before anything is created, then put on RunOptions.
//
// Why checked here: a wrong capability name or security option is one line and exit 125 with
// nothing left behind, as with Docker ("Error response from daemon: invalid CapAdd: unknown
// capability: \"CAP_FOO\""). A seccomp profile file is read now, as the docker CLI reads it, so
// the record keeps its JSON and a restart does not depend on the file still being there.
//
// Follows: docker-run(1) "--cap-add", "--cap-drop", "--privileged", "--security-opt".
using System.CommandLine;
using MiniRun.Security;
using MiniRun.Spec;

namespace MiniRun.Cli;

public sealed class SecurityCli
{
    public required Option<string[]> CapAdd, CapDrop, SecurityOpt;
    public required Option<bool> Privileged;

    public IEnumerable<Option> All => [CapAdd, CapDrop, Privileged, SecurityOpt];

    public static SecurityCli Options() => new()
    {
        CapAdd = new("--cap-add") { Description = "Add Linux capabilities (e.g. NET_ADMIN, or ALL)" },
        CapDrop = new("--cap-drop") { Description = "Drop Linux capabilities (e.g. CHOWN, or ALL)" },
        Privileged = new("--privileged") { Description = "Give extended privileges to this container (all capabilities, no seccomp, no masked paths)" },
        SecurityOpt = new("--security-opt") { Description = "Security options: no-new-privileges[=true|false], seccomp=FILE|unconfined, apparmor=unconfined" },
    };

    /// <summary>Checks the values and puts them on <paramref name="o"/>; CliError (exit 125) on a bad one.</summary>
    public void Read(ParseResult p, RunOptions o)
    {
        o.CapAdd = (p.GetValue(CapAdd) ?? []).ToList();
        o.CapDrop = (p.GetValue(CapDrop) ?? []).ToList();
        o.Privileged = p.GetValue(Privileged);
        try
        {
            o.SecurityOpt = SecurityOptions.Parse(p.GetValue(SecurityOpt) ?? []).Recorded.ToList();
            int last = CapabilityPolicy.HostLastCap();
            CapabilityPolicy.Normalize(o.CapAdd, "CapAdd", last);
            CapabilityPolicy.Normalize(o.CapDrop, "CapDrop", last);
        }
        catch (RunConfigException e)
        {
            throw new CliError("Error response from daemon: " + e.Message);
        }
    }
}
