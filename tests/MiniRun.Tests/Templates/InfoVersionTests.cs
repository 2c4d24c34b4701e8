// InfoVersionTests: `info` and `version` facts and layout (Docker's), on a temporary root.
using MiniRun.Cli;
using MiniRun.Cli.Templates;
using MiniRun.Containers;

namespace MiniRun.Tests.Templates;

public sealed class InfoVersionTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("minirun-info-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Info_CountsContainersByState_AndNamesTheStore()
    {
        var store = new ContainerStore(_root);
        store.Create("one", r => r);
        store.Create("two", r => { r.State.Status = ContainerStatus.Exited; return r; });
        var o = new StringWriter();
        Assert.Equal(0, InfoCommand.Info(_root, null, false, o, TextWriter.Null));
        string text = o.ToString();
        Assert.Contains("\nServer:\n Containers: 2\n  Running: 0\n  Paused: 0\n  Stopped: 2\n Images: 0\n", text);
        Assert.Contains("\n Storage Driver: overlay2\n  Backing Filesystem: ", text);
        Assert.Contains($"\n MiniRun Root Dir: {_root}\n", text);
        Assert.Contains($"\n Kernel Version: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}\n", text);
        Assert.Contains("\n Cgroup Driver: cgroupfs\n Cgroup Version: ", text);
        Assert.Contains("\n Security Options:\n", text);
        Assert.Contains("\n  cgroupns\n", text);

        var f = new StringWriter();
        InfoCommand.Info(_root, "{{.Containers}} {{.ContainersStopped}} {{.Driver}} {{.OSType}}", false, f, TextWriter.Null);
        Assert.Equal("2 2 overlay2 linux\n", f.ToString());
        var bad = Assert.Throws<CliError>(() => InfoCommand.Info(_root, "{{.Nope}}", false, TextWriter.Null, TextWriter.Null));
        Assert.Contains("map has no entry for key \"Nope\"", bad.Message);
    }

    [Fact]
    public void Version_DockersLayout_AndFormat()
    {
        var o = new StringWriter();
        InfoCommand.VersionCmd(null, o);
        string text = o.ToString();
        Assert.StartsWith("Client: MiniRun\n Version:           0.1.0\n Git commit:        ", text);   // tabwriter 20/1/1
        Assert.Contains($"\n OS/Arch:           linux/{InfoCommand.GoArch}\n", text);
        Assert.Contains("\n\nServer: MiniRun\n Engine:\n  Version:          0.1.0\n", text);
        Assert.Contains("\n minirun-oci:\n  Version:          0.1.0\n", text);
        var f = new StringWriter();
        InfoCommand.VersionCmd("{{.Client.Version}} {{.Server.Version}} {{.Server.Os}}", f);
        Assert.Equal("0.1.0 0.1.0 linux\n", f.ToString());
    }

    [Theory]
    [InlineData(0xEF53L, "extfs")]
    [InlineData(0x58465342L, "xfs")]
    [InlineData(0x01021994L, "tmpfs")]
    [InlineData(0x1234L, "<unknown> (0x1234)")]
    public void BackingFilesystem_DockersNames(long magic, string name) => Assert.Equal(name, InfoCommand.FilesystemName(magic));

    [Fact]
    public void FilesystemMagic_OfTmpfsAndProc()
    {
        Assert.Equal(0x9fa0, InfoCommand.FilesystemMagic("/proc"));   // PROC_SUPER_MAGIC
        Assert.NotEqual(-1, InfoCommand.FilesystemMagic(Path.Combine(_root, "not", "yet")));   // the nearest existing directory
    }

    [Theory]
    [InlineData(1024L * 1024 * 1024 * 16, "16GiB")]
    [InlineData(25276821504L, "23.54GiB")]
    [InlineData(512L, "512B")]
    public void TotalMemory_GoUnitsBytesSize(long bytes, string text) => Assert.Equal(text, InfoCommand.BytesSize(bytes));
}
