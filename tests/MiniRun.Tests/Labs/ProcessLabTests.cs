// ProcessLabTests: lab 3 (docs/labs/en/03-process.md and its Japanese twin docs/labs/ja/03-process.md)
// cannot rot: every command of the English lab is run with the real binary, in order, and its
// output compared with the lab's (LabRun: the conventions, where commands run, the cleanup).
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class ProcessLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "03-process.md", commands: 15, sources: 6);
