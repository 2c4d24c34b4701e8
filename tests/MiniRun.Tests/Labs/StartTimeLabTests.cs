// StartTimeLabTests: lab 11 (docs/labs/en/11-start-time.md and its Japanese twin) cannot rot: every
// command of the English lab is run with the real binary, in order, and its output compared with
// the lab's (LabRun). Step 3 boots the test VM (tests/vm/run-in-vm.sh, reachable from the lab's
// scratch directory) only where /dev/kvm exists.
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

public sealed class StartTimeLabTests(LabScratch s, ITestOutputHelper output) : LabTests(s, output, "11-start-time.md", commands: 4, sources: 3);
