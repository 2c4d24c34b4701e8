// NamespacesLabTests: lab 4 (docs/labs/en/04-namespaces.md and its Japanese twin
// docs/labs/ja/04-namespaces.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class NamespacesLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "04-namespaces.md", commands: 12, sources: 6);
