// LayersLabTests: lab 6 (docs/labs/en/06-layers.md and its Japanese twin
// docs/labs/ja/06-layers.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's (LabRun: the conventions, where commands
// run, the cleanup).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class LayersLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "06-layers.md", commands: 20, sources: 5);
