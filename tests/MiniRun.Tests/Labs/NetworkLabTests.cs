// NetworkLabTests: the network lab (docs/labs/en/02-network.md and its Japanese twin
// docs/labs/ja/02-network.md) cannot rot: every command of the English lab is run with the real
// binary, in order, and its output compared with the lab's expected output.
//
// The lab's conventions are every lab's (LabRun, src/MiniRun/Labs/LabFile.cs):
// ```console blocks, "$ " lines are commands, the lines after them their expected output
// (stdout and stderr together), runs of blanks compare as one, `<!-- lab: needs PATH -->` before
// a block runs it only where PATH exists, and the Japanese lab holds exactly the same blocks.
// One addition, written at the top of the lab for the students too: a "<word>" binds. The first
// time a word matches (one run of non-blanks), the text it matched is kept, and every later
// "<word>" of the same name, in any later line of the lab, must be that same text. So the lab's
// claims that tie two outputs together are checked, not only their shapes: the container's
// eth0@if<veth-index> is the index of the host's veth, the port httpd logs is the one conntrack
// recorded, the chain `port-<web-id>` is named after the container id `run -d` printed. The
// run and the judging are LabRun.RunEnglishLab (LabFile.Agrees), which every lab's test shares.
//
// Where it runs: on the students' VM the commands run on the real host with sudo. Here every
// command runs inside a network namespace this test creates (NetnsHost: only `lo`, no route out,
// so no packet can leave and nothing of the machine's own network is touched): `bash -c` under
// `nsenter --net=/run/netns/NAME`, in a scratch directory whose `./minirun` is a script calling
// the built binary with the NetnsHost's temporary --root and a daemon.json of its own (`{}`: the
// default bridge network, which every other test turns off). `sudo` is a shell function that just
// runs its arguments (the tests run as root).
//
// Cleanup, even when a step fails: NetnsHost removes every container and network of its root,
// kills whatever process is left in the namespace (only ours can be there: containers,
// supervisors, the name resolver) and deletes the namespace, with the bridges, veths and the
// nftables table in it; the scratch directory is deleted.
using MiniRun.Tests.Integration;
using MiniRun.Tests.Network;
using Xunit.Abstractions;

namespace MiniRun.Tests.Labs;

[Collection("network")]
public sealed class NetworkLabTests : IClassFixture<NetworkLabTests.Fixture>
{
    public static string EnglishLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/en/02-network.md");
    public static string JapaneseLab => Path.Combine(MiniRunHost.RepoRoot, "docs/labs/ja/02-network.md");

    public sealed class Fixture : IDisposable
    {
        public NetnsHost Host { get; } = new("{}");
        public string Scratch { get; } = Directory.CreateTempSubdirectory("minirun-netlab-").FullName;

        public Fixture()
        {
            // ./minirun in the lab's commands: the built binary with the namespace host's root and daemon.json.
            string wrapper = Path.Combine(Scratch, "minirun");
            File.WriteAllText(wrapper,
                $"#!/bin/sh\nexport {MiniRun.Security.DaemonConfig.PathVariable}='{Host.DaemonConfig}'\n" +
                $"exec '{MiniRunHost.Binary}' --root '{Host.M.Root}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ed);   // 0755
        }

        public void Dispose()
        {
            try { Host.Dispose(); }
            finally { Directory.Delete(Scratch, recursive: true); }
        }
    }

    private readonly Fixture _f;
    private readonly ITestOutputHelper _out;
    public NetworkLabTests(Fixture f, ITestOutputHelper output) { _f = f; _out = output; }

    private string RunInNamespace(string command) => LabDocument.Run(_f.Scratch, command, "nsenter", "--net=" + _f.Host.NetnsPath, "--");

    [Fact]
    public void Every_command_of_the_english_lab_prints_what_the_lab_says()
    {
        // A command that only looks (ip, bridge, cat) is asked again for up to 2 s: the kernel
        // updates a new link's operational state ("state UP") a moment after it is up (linkwatch).
        int ran = LabRun.RunEnglishLab("02-network.md", 30, RunInNamespace, _out,
            c => c.Command.StartsWith("ip ") || c.Command.StartsWith("bridge ") || c.Command.StartsWith("cat "));
        Assert.True(ran >= 30, $"only {ran} commands ran");
        // The lab's containers and network are gone (its last steps remove them), and nothing else is left.
        Assert.Empty(_f.Host.M.ContainerIds());
        Assert.DoesNotContain("veth", _f.Host.In("ip -o link").Stdout);
    }

    [Fact]
    public void A_word_in_angle_brackets_binds_to_the_first_text_it_matched()
    {
        var bound = new Dictionary<string, string>();
        Assert.True(LabRun.Matches("2: eth0@if<veth-index>: <BROADCAST,UP> mtu 1500", "2: eth0@if17: <BROADCAST,UP>  mtu 1500", bound));
        Assert.Equal("17", bound["veth-index"]);
        Assert.True(LabRun.Matches("<veth-index>: <veth>@if2:", "17: veth0abc@if2:", bound));
        Assert.False(LabRun.Matches("<veth-index>: <other>@if2:", "18: veth0abc@if2:", bound));   // bound to 17
        Assert.True(LabRun.Matches("sport=<port> dport=80 dport=<port>", "sport=5 dport=80 dport=5", bound));
        Assert.False(LabRun.Matches("sport=<p2> dport=<p2>", "sport=5 dport=6", bound));   // twice in one line: the same text
        Assert.False(bound.ContainsKey("p2"));   // a line that failed binds nothing
        Assert.False(LabRun.Matches("<BROADCAST,UP>", "<BROADCAST,DOWN>", bound));   // not a word: literal text
    }

    [Fact]
    public void The_japanese_lab_has_the_same_commands_outputs_and_conditions_as_the_english_one()
    {
        LabDocument.AssertTwinsAgree(EnglishLab, JapaneseLab);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("ja")]
    public void Every_source_file_the_lab_names_exists(string language)
    {
        LabDocument.AssertNamedSourcesExist($"{language}/02-network.md", 10);
    }
}
