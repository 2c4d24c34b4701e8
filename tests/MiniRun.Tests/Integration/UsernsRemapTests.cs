// UsernsRemapTests: `--userns=remap` on real containers (busybox fixture, this host's kernel):
// root inside is the range's first uid on the host, the layers are shared through idmapped
// mounts (same inode, no copy), a file root writes lands in upper/ owned by the mapped uid,
// exec/cp/diff/commit/export keep the container's view of owners, --trace narrates the map sync,
// inspect shows the mode and the maps, daemon.json turns it on and --userns=host off.
// The remap user: the feature creates "minirun" (and its ranges) when absent, as Docker creates
// "dockremap". If it did not exist before these tests, the fixture deletes it again with its
// ranges and group, so the machine is left as it was found.
using System.Text.Json;
using MiniRun.Security;

namespace MiniRun.Tests.Integration;

[Collection(RemapUserCollection)]
public sealed class UsernsRemapTests : IClassFixture<UsernsRemapTests.Fixture>
{
    /// <summary>Test classes that may create and delete the "minirun" user: never at the same time.</summary>
    public const string RemapUserCollection = "remap user";

    public sealed class Fixture : IDisposable
    {
        public MiniRunHost MiniRun { get; } = new();
        private readonly bool _userExisted = RemapUser.UidOf(RemapUser.DefaultUser, "/etc/passwd") is not null;

        /// <summary>The first host uid and gid of minirun's ranges (made by the first remapped container if needed).</summary>
        public (long Uid, long Gid) Range
        {
            get
            {
                var id = RemapUser.Ensure("default");
                return (id.Uids.Start, id.Gids.Start);
            }
        }

        public void Dispose()
        {
            MiniRun.Dispose();
            if (_userExisted || RemapUser.UidOf(RemapUser.DefaultUser, "/etc/passwd") is null) return;
            // We made it: remove its ranges, the user and its group (userdel keeps the ranges on some shadow versions).
            var id = RemapUser.Ensure("default");
            Tool("usermod", "--del-subuids", $"{id.Uids.Start}-{id.Uids.End - 1}", "--del-subgids", $"{id.Gids.Start}-{id.Gids.End - 1}", RemapUser.DefaultUser);
            Tool("userdel", RemapUser.DefaultUser);
            if (File.ReadAllLines("/etc/group").Any(l => l.StartsWith(RemapUser.DefaultUser + ":", StringComparison.Ordinal)))
                Tool("groupdel", RemapUser.DefaultUser);
        }

        private static void Tool(string name, params string[] args)
        {
            var psi = new System.Diagnostics.ProcessStartInfo(name) { RedirectStandardError = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
        }
    }

    private readonly Fixture _f;
    private readonly MiniRunHost _m;
    public UsernsRemapTests(Fixture f) { _f = f; _m = f.MiniRun; }

    private string Ok(params string[] args) => _m.Ok(args).Trim();

    private string ContainerDir(string name) => Path.Combine(_m.Root, "containers", Ok("inspect", "-f", "{{.Id}}", name));

    private static unsafe (long Uid, long Gid, long Inode) Stat(string path)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = System.Text.Encoding.UTF8.GetBytes(path + "\0"))
            Assert.True(Tmds.Linux.LibC.lstat(p, &st) == 0, $"lstat {path}");
        return ((uint)st.st_uid, (uint)st.st_gid, (long)(ulong)st.st_ino);
    }

    private static string Squeeze(string s) => string.Join(' ', s.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Root_inside_is_the_ranges_first_uid_on_the_host_and_exec_joins_the_same_namespace()
    {
        string name = "ur-ps-" + Guid.NewGuid().ToString("N")[..6];
        Ok("run", "-d", "--userns=remap", "--name", name, "busybox", "sleep", "600");
        var (uid, gid) = _f.Range;
        int pid = int.Parse(Ok("inspect", "-f", "{{.State.Pid}}", name));
        var status = File.ReadAllLines($"/proc/{pid}/status");
        Assert.Equal($"Uid: {uid} {uid} {uid} {uid}", Squeeze(status.Single(l => l.StartsWith("Uid:"))));   // what `ps -o uid` shows
        Assert.Equal($"Gid: {gid} {gid} {gid} {gid}", Squeeze(status.Single(l => l.StartsWith("Gid:"))));
        Assert.Equal($"0 {uid} 65536", Squeeze(File.ReadAllText($"/proc/{pid}/uid_map").Trim()));
        Assert.Equal($"0\n0 {uid} 65536\n0 {gid} 65536", string.Join('\n',
            Ok("exec", name, "sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map").Split('\n').Select(Squeeze)));

        // cp into the running container: the new file belongs to the mapped root, root inside sees 0.
        string src = Path.Combine(_m.Root, "cp-src.txt");
        File.WriteAllText(src, "x");
        Ok("cp", src, name + ":/tmp/");
        Assert.Equal("0 0", Ok("exec", name, "stat", "-c", "%u %g", "/tmp/cp-src.txt"));
        var upper = Stat(Path.Combine(ContainerDir(name), "upper", "tmp", "cp-src.txt"));
        Assert.Equal((uid, gid), (upper.Uid, upper.Gid));
        Ok("rm", "-f", name);
    }

    [Fact]
    public void The_layers_are_shared_through_idmapped_mounts_not_copied_and_roots_files_land_in_upper_as_the_mapped_uid()
    {
        string layers = Path.Combine(_m.Root, "layers");
        var before = Directory.GetFileSystemEntries(layers).Order().ToList();
        string busybox = Directory.EnumerateDirectories(layers).Select(d => Path.Combine(d, "bin", "busybox")).First(File.Exists);
        long inode = Stat(busybox).Inode;

        string name = "ur-fs-" + Guid.NewGuid().ToString("N")[..6];
        string remapped = Ok("run", "--userns=remap", "--name", name, "busybox", "sh", "-c", "stat -c '%i %u %g' /bin/busybox; echo hi > /made; id -u");
        string plain = Ok("run", "--rm", "busybox", "stat", "-c", "%i %u %g", "/bin/busybox");
        Assert.Equal($"{inode} 0 0\n0", remapped);       // the layer's own inode, owned by root as the container sees it
        Assert.Equal($"{inode} 0 0", plain);             // and the same inode in an unremapped container
        Assert.Equal(before, Directory.GetFileSystemEntries(layers).Order().ToList());   // no per-range copy of a layer

        var (uid, gid) = _f.Range;
        string upper = Path.Combine(ContainerDir(name), "upper");
        var made = Stat(Path.Combine(upper, "made"));
        Assert.Equal((uid, gid), (made.Uid, made.Gid));
        Assert.False(Directory.Exists(Path.Combine(upper, "bin")));   // nothing of the image was copied up
        Assert.Equal(0, Stat(layers).Gid);   // layers/ stays closed: the runtime reaches it, not the container
        Ok("rm", name);
    }

    [Fact]
    public void Cp_diff_commit_and_export_of_a_stopped_remapped_container_keep_the_containers_view_of_owners()
    {
        string name = "ur-cdc-" + Guid.NewGuid().ToString("N")[..6];
        Ok("run", "--userns=remap", "--name", name, "busybox", "sh", "-c", "echo a > /by-root; mkdir /etc/sub; chown 1000:1000 /etc/sub");
        var (uid, gid) = _f.Range;
        string src = Path.Combine(_m.Root, "in.txt");
        File.WriteAllText(src, "copied");
        Ok("cp", src, name + ":/bin/");   // stopped: the overlay is mounted privately, over idmapped layers
        string upper = Path.Combine(ContainerDir(name), "upper");
        foreach (var path in new[] { "bin", "bin/in.txt", "etc", "by-root" })
        {
            var f = Stat(Path.Combine(upper, path));
            Assert.True((uid, gid) == (f.Uid, f.Gid), $"{path}: {f.Uid}:{f.Gid}");
        }
        Assert.Equal(uid + 1000, Stat(Path.Combine(upper, "etc", "sub")).Uid);

        var diff = Ok("diff", name).Split('\n');
        Assert.Contains("A /by-root", diff);
        Assert.Contains("A /bin/in.txt", diff);
        Assert.Contains("C /bin", diff);

        string image = "ur-commit-" + Guid.NewGuid().ToString("N")[..6];
        Ok("commit", name, image);
        Assert.Equal("0:0 0:0 0:0 1000:1000", Ok("run", "--rm", image, "stat", "-c", "%u:%g", "/by-root", "/bin/in.txt", "/bin", "/etc/sub").Replace('\n', ' '));

        var r = _m.RunWith(null, null, "cp", "-a", name + ":/etc/sub", "-");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1000", Tar(r.Stdout, "sub"));

        var export = Path.Combine(_m.Root, "export.tar");
        Ok("export", "-o", export, name);
        using var tar = new System.Formats.Tar.TarReader(File.OpenRead(export));
        var owners = new Dictionary<string, string>();
        while (tar.GetNextEntry() is { } e) owners[e.Name.TrimEnd('/')] = $"{e.Uid}:{e.Gid}";
        Assert.Equal("0:0", owners["by-root"]);
        Assert.Equal("0:0", owners["bin/busybox"]);
        Assert.Equal("1000:1000", owners["etc/sub"]);
        Ok("rm", name);
    }

    private static string Tar(string text, string name)
    {
        using var tar = new System.Formats.Tar.TarReader(new MemoryStream(System.Text.Encoding.Latin1.GetBytes(text)));
        var e = tar.GetNextEntry()!;
        Assert.Equal(name, e.Name.TrimEnd('/'));
        return $"{e.Uid}:{e.Gid}";
    }

    [Fact]
    public void Trace_narrates_the_map_sync_and_shows_the_same_process_from_both_sides()
    {
        var (uid, _) = _f.Range;
        var r = _m.Run("run", "--rm", "--userns=remap", "--trace", "busybox", "true");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string t = r.Stderr;
        Assert.Contains("waits in clone_stage.c: read(sync socket)", t);
        Assert.Matches($@"\[\d+\] write\(""/proc/\d+/uid_map"", ""0 {uid} 65536""\) = ok", t);
        Assert.Contains("not switched yet: on the host uid 0 gid 0; inside uid 65534", t);
        Assert.Contains("MOUNT_ATTR_IDMAP", t);
        Assert.Contains("write(sync socket, \"G\")", t);
        Assert.Contains("inside: uid 0 gid 0", t);
        Assert.Contains($"on the host: uid {uid} gid", t);
        Assert.True(t.IndexOf("inside: uid 0 gid 0", StringComparison.Ordinal) < t.IndexOf($"on the host: uid {uid}", StringComparison.Ordinal));
        var numbers = System.Text.RegularExpressions.Regex.Matches(t, @"^\[(\d+)\]", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal(numbers.Distinct().Count(), numbers.Count);   // the parent's and init's calls share one numbering
    }

    [Fact]
    public void Inspect_shows_the_mode_and_the_maps_next_to_the_hosts()
    {
        var (uid, _) = _f.Range;
        string remapped = "ur-in-" + Guid.NewGuid().ToString("N")[..6], host = remapped + "-h", plain = remapped + "-p";
        Ok("create", "--userns=remap", "--name", remapped, "busybox", "true");
        Ok("create", "--userns=host", "--name", host, "busybox", "true");
        Ok("create", "--name", plain, "busybox", "true");
        Assert.Equal("remap", Ok("inspect", "-f", "{{.HostConfig.UsernsMode}}", remapped));
        Assert.Equal("host", Ok("inspect", "-f", "{{.HostConfig.UsernsMode}}", host));
        Assert.Equal("", Ok("inspect", "-f", "{{.HostConfig.UsernsMode}}", plain));
        var ns = JsonDocument.Parse(Ok("inspect", remapped)).RootElement[0].GetProperty("MiniRun").GetProperty("UserNamespace");
        Assert.True(ns.GetProperty("Remapped").GetBoolean());
        Assert.Equal($"0 {uid} 65536", ns.GetProperty("UidMap")[0].GetString());
        Assert.Equal("0 0 4294967295", ns.GetProperty("HostUidMap")[0].GetString());
        Ok("start", "-a", remapped);   // a created remapped container starts through the supervisor (no early clone)
        Assert.Equal("0", Ok("inspect", "-f", "{{.State.ExitCode}}", remapped));
        Ok("rm", remapped, host, plain);
    }

    [Fact]
    public void Daemon_json_userns_remap_turns_it_on_and_userns_host_opts_one_container_out()
    {
        var (uid, _) = _f.Range;
        string config = Path.Combine(_m.Root, "daemon.json");
        File.WriteAllText(config, """{ "userns-remap": "default", "bridge": "none" }""");   // no bridge: tests keep off the machine's network
        var env = new Dictionary<string, string> { [DaemonConfig.PathVariable] = config };
        var on = _m.RunWith(null, env, "run", "--rm", "busybox", "cat", "/proc/self/uid_map");
        Assert.True(on.ExitCode == 0, on.Stderr);
        Assert.Equal($"0 {uid} 65536", Squeeze(on.Stdout.Trim()));
        var off = _m.RunWith(null, env, "run", "--rm", "--userns=host", "busybox", "cat", "/proc/self/uid_map");
        Assert.True(off.ExitCode == 0, off.Stderr);
        Assert.Equal("0 0 4294967295", Squeeze(off.Stdout.Trim()));

        File.WriteAllText(config, """{ "userns-remap": 5 }""");
        var bad = _m.RunWith(null, env, "run", "--rm", "busybox", "true");
        Assert.Equal(125, bad.ExitCode);
        Assert.Contains("\"userns-remap\" must be a string", bad.Stderr);
    }
}
