// VolumesBuildLabTests: lab 8 (docs/labs/en/08-volumes-build.md and its Japanese twin
// docs/labs/ja/08-volumes-build.md) cannot rot: every command of the English lab is run with the
// real binary, in order, and its output compared with the lab's (LabRun: the conventions, where
// commands run, the cleanup). The lab's bind-mounted directories live in the scratch directory.
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class VolumesBuildLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "08-volumes-build.md", commands: 25, sources: 6);
