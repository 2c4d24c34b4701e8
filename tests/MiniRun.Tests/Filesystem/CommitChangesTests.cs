// CommitChangesTests: `commit -c` instructions in Dockerfile syntax change the new image's config.
//
// Why: the course sets CMD/ENV/WORKDIR of committed images this way; JSON and shell forms differ.
// Follows: Dockerfile reference (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE).
using MiniImage.Oci;
using MiniRun.Cli;

namespace MiniRun.Tests.Filesystem;

public sealed class CommitChangesTests
{
    private static ContainerConfig Apply(params string[] changes)
    {
        var config = new ContainerConfig { Env = ["PATH=/bin", "A=old"], WorkingDir = "/srv" };
        CommitChanges.Parse(changes)(config);
        return config;
    }

    [Fact]
    public void Cmd_JsonAndShellForm()
    {
        Assert.Equal(["cat", "/new"], Apply("CMD [\"cat\", \"/new\"]").Cmd);
        Assert.Equal(["/bin/sh", "-c", "echo hi > /x"], Apply("CMD echo hi > /x").Cmd);
        Assert.Equal(["/entry"], Apply("entrypoint [\"/entry\"]").Entrypoint);
    }

    [Fact]
    public void Env_ReplacesAndAdds_WithQuotes()
    {
        var c = Apply("ENV A=new B=\"two words\"", "ENV C old form value");
        Assert.Equal(["PATH=/bin", "A=new", "B=two words", "C=old form value"], c.Env);
    }

    [Fact]
    public void Workdir_User_Label_Expose()
    {
        var c = Apply("WORKDIR app", "USER nobody", "LABEL a=1 b=\"x y\"", "EXPOSE 80 53/udp");
        Assert.Equal("/srv/app", c.WorkingDir);
        Assert.Equal("nobody", c.User);
        Assert.Equal("x y", c.Labels!["b"]);
        Assert.True(c.ExposedPorts!.ContainsKey("80/tcp") && c.ExposedPorts.ContainsKey("53/udp"));
    }

    [Fact]
    public void UnknownInstruction_IsRejected()
    {
        var e = Assert.Throws<CliError>(() => CommitChanges.Parse(["COPY a b"]));
        Assert.Equal(1, e.ExitCode);
        Assert.Contains("COPY is not a valid change command", e.Message);
    }
}
