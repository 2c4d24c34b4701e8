// CgroupV2FactAttribute: a [Fact] that skips itself, saying why, unless this host has a usable
// cgroup v2 with the controllers the test needs (CgroupV2Host.Detect, the same detection `run`
// uses) and, when Tools names some, those programs on PATH. The development machine's hybrid
// layout skips; the test VM (tests/vm/run-in-vm.sh) runs them.
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

    /// <summary>Programs the test runs (looked up on PATH); a missing one skips the test, naming it.</summary>
    public string[] Tools
    {
        get => _tools;
        set
        {
            _tools = value;
            var missing = value.Where(t => !Oci.OciEngines.OnPath(t)).ToList();
            if (Skip is null && missing.Count > 0)
                Skip = $"needs {string.Join(", ", missing)} on PATH (.ci/install-deps.sh installs {(missing.Count == 1 ? "it" : "them")})";
        }
    }

    private string[] _tools = [];
}
