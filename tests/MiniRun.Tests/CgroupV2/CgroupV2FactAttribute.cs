// CgroupV2FactAttribute: a [Fact] that skips itself, saying why, unless this host has a usable
// cgroup v2 with the controllers the test needs (CgroupV2Host.Detect, the same detection `run`
// uses). The development machine's hybrid layout skips; the test VM (tests/vm/run-in-vm.sh) runs them.
using MiniRun.Cgroups;

namespace MiniRun.Tests.CgroupV2;

public sealed class CgroupV2FactAttribute : FactAttribute
{
    public CgroupV2FactAttribute(params string[] controllers)
    {
        var host = CgroupV2Host.Detect();
        var missing = controllers.Where(c => !host.Has(c)).ToList();
        if (!host.Usable || missing.Count > 0)
            Skip = $"needs a usable cgroup v2 with {(controllers.Length == 0 ? "its freezer" : string.Join(' ', controllers))} " +
                   $"(run it in tests/vm/run-in-vm.sh); this host: {host.Description}";
    }
}
