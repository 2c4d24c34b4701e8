// HostnameLabTests: lab 5 (docs/labs/en/05-hostname-files.md and its Japanese twin
// docs/labs/ja/05-hostname-files.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class HostnameLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "05-hostname-files.md", commands: 15, sources: 5);
