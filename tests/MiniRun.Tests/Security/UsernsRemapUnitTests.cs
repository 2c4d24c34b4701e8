// UsernsRemapUnitTests: the pure parts of --userns=remap: /etc/subuid parsing and the choice of a
// free range, daemon.json's "userns-remap", the mode a flag and the daemon default give, the
// user namespace written into config.json, id translation for cp/commit/export, and the search
// check of directories above the MiniRun root.
using MiniRun.Containers;
using MiniRun.Security;
using MiniRun.Spec;

namespace MiniRun.Tests.Security;

public sealed class UsernsRemapUnitTests
{
    [Fact]
    public void Subuid_lines_are_parsed_and_comments_blank_and_malformed_lines_skipped()
    {
        var r = SubordinateIds.Parse("# ranges\nalice:100000:65536\n\nbob:x:1\ncarol:165536:0\n1001:231072:65536\ntrailing:1:2:3\n");
        Assert.Equal(new[] { new IdRange("alice", 100000, 65536), new IdRange("1001", 231072, 65536) }, r);
        Assert.Equal(new IdRange("1001", 231072, 65536), SubordinateIds.RangeOf(r, "dave", 1001));   // owner by uid
        Assert.Null(SubordinateIds.RangeOf(r, "dave", 1002));
    }

    [Theory]
    [InlineData("", 100000)]                                              // empty files: Docker's start
    [InlineData("a:100000:65536", 165536)]                                // right after it
    [InlineData("a:165536:65536", 100000)]                                // the gap below it is exactly wide enough
    [InlineData("a:165535:10", 165545)]                                   // one id short below: after it
    [InlineData("a:100000:65536\nb:165536:65536\nc:300000:5", 231072)]   // first gap that fits
    [InlineData("a:120000:10\nb:100000:1000000", 1100000)]               // a range inside another
    [InlineData("a:1000:10", 100000)]                                     // ranges below the start do not matter
    public void The_next_free_range_overlaps_none_and_starts_as_low_as_possible(string taken, long expected) =>
        Assert.Equal(expected, SubordinateIds.NextFree(SubordinateIds.Parse(taken)));

    [Fact]
    public void Daemon_json_userns_remap_is_read_like_dockers()
    {
        Assert.Equal("default", DaemonConfig.Parse("""{"userns-remap": "default", "log-level": "debug"}""", "f").UsernsRemap);
        Assert.Equal("", DaemonConfig.Parse("{}", "f").UsernsRemap);
        Assert.Equal("", DaemonConfig.Parse("""{"userns-remap": null}""", "f").UsernsRemap);
        Assert.Contains("f: \"userns-remap\" must be a string", Assert.Throws<FormatException>(() => DaemonConfig.Parse("""{"userns-remap": true}""", "f")).Message);
        Assert.StartsWith("f: not valid JSON", Assert.Throws<FormatException>(() => DaemonConfig.Parse("{", "f")).Message);
        Assert.Equal("", DaemonConfig.Load("/nonexistent/daemon.json").UsernsRemap);
    }

    [Theory]
    [InlineData(null, "", "")]
    [InlineData(null, "default", "remap")]
    [InlineData("host", "default", "host")]
    [InlineData("remap", "", "remap")]
    [InlineData("remap", "someone", "remap")]
    [InlineData("", "default", "remap")]
    public void The_flag_wins_over_the_daemon_default(string? flag, string daemon, string mode) =>
        Assert.Equal(mode, UsernsRemap.ModeOf(flag, new DaemonConfig(daemon)));

    [Fact]
    public void An_unknown_userns_value_is_refused_by_name()
    {
        var e = Assert.Throws<ContainerException>(() => UsernsRemap.ModeOf("private", DaemonConfig.Empty));
        Assert.Equal("invalid --userns value \"private\": use \"remap\" or \"host\"", e.Message);
    }

    private static RuntimeSpec Spec() => SpecGenerator.Generate(new MiniImage.Oci.ImageConfig(), new RunOptions { Image = "x", Command = ["true"] },
        new string('a', 64), ["/l/base"], "/c", _ => null, appArmor: MiniRun.Security.NoAppArmorHost.Instance);

    [Fact]
    public void Remap_adds_a_user_namespace_mapping_the_whole_range_from_container_id_0()
    {
        var spec = Spec();
        UsernsRemap.ApplyToSpec(spec, new UsernsPlan("remap", new RemapIdentity("minirun", new IdRange("minirun", 100000, 65536), new IdRange("minirun", 200000, 70000))));
        Assert.Single(spec.Linux.Namespaces, n => n.Type == "user" && n.Path is null);
        Assert.Equal("0 100000 65536\n", MiniRun.Runtime.IdMaps.Format(spec.Linux.UidMappings!));
        Assert.Equal("0 200000 70000\n", MiniRun.Runtime.IdMaps.Format(spec.Linux.GidMappings!));
        Assert.Null(SpecValidator.Problem(spec));

        var host = Spec();
        UsernsRemap.ApplyToSpec(host, new UsernsPlan("host", null));
        Assert.DoesNotContain(host.Linux.Namespaces, n => n.Type == "user");
        Assert.Null(host.Linux.UidMappings);
    }

    [Fact]
    public void Ids_translate_both_ways_and_unmapped_ones_become_the_overflow_id()
    {
        var spec = Spec();
        UsernsRemap.ApplyToSpec(spec, new UsernsPlan("remap", new RemapIdentity("m", new IdRange("m", 100000, 65536), new IdRange("m", 300000, 65536))));
        var ids = IdTranslation.Of(spec)!;
        Assert.Equal(0u, ids.UidToContainer(100000));
        Assert.Equal(1000u, ids.UidToContainer(101000));
        Assert.Equal(65534u, ids.UidToContainer(0));         // the host's root is nobody inside
        Assert.Equal(65534u, ids.UidToContainer(165536));    // just past the range
        Assert.Equal(5u, ids.GidToContainer(300005));
        Assert.Equal(100000u, ids.UidToHost(0));
        Assert.Equal(300005u, ids.GidToHost(5));
        Assert.Equal(165534u, ids.UidToHost(70000));         // outside the map: the mapped nobody
        Assert.Null(IdTranslation.Of(Spec()));                // no user namespace: nothing to translate
    }

    [Fact]
    public void Search_permission_follows_owner_then_group_then_others()
    {
        string dir = Directory.CreateTempSubdirectory("minirun-search-").FullName;
        try
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);   // 0700 root:root
            Assert.False(UsernsRemap.CanSearch(dir, 100000, 100000));
            Assert.True(UsernsRemap.CanSearch(dir, 0, 5));                                                          // the owner
            File.SetUnixFileMode(dir, File.GetUnixFileMode(dir) | UnixFileMode.OtherExecute);                       // 0701
            Assert.True(UsernsRemap.CanSearch(dir, 100000, 100000));
            Assert.False(UsernsRemap.CanSearch(dir, 100000, 0));                                                    // group root: group bits (none)
        }
        finally { Directory.Delete(dir); }
    }
}
