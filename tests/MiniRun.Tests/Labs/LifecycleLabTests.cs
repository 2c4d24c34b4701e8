// LifecycleLabTests: lab 7 (docs/labs/en/07-lifecycle.md and its Japanese twin
// docs/labs/ja/07-lifecycle.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup). Its pause block needs cgroup v2 (`needs /sys/fs/cgroup/cgroup.subtree_control`):
// skipped on a hybrid host, run in the VM stage, which selects this class by its name ("Lifecycle").
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class LifecycleLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "07-lifecycle.md", commands: 24, sources: 6);
