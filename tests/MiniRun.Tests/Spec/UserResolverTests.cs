// Tests of UserResolver: every user spec form against an image's passwd/group text.
using MiniRun.Spec;

namespace MiniRun.Tests.Spec;

public class UserResolverTests
{
    private const string Passwd =
        "# comment line\n" +
        "root:x:0:0:root:/root:/bin/sh\n" +
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
        "\n" +
        "broken line without colons\n" +
        "bad:x:notanumber:5:bad:/bad:/bin/sh\n" +
        "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n" +
        "1234:x:2000:2000:numeric name:/home/n:/bin/sh\n" +
        "nohome:x:1500:1500\n" +
        "alice:x:1001:1001:second alice:/home/alice2:/bin/sh\n" +
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

    private const string Group =
        "root:x:0:root\n" +
        "bin:x:1:root,daemon\n" +
        "wheel:x:10: root , alice \n" +
        "# comment\n" +
        "garbage\n" +
        "alice:x:1000:\n" +
        "staff:x:50:alice,bob\n" +
        "users:x:100:\n" +
        "staff2:x:50:alice\n";

    [Fact]
    public void EmptySpecIsRootFromPasswd()
    {
        var u = UserResolver.Resolve("", Passwd, Group);
        Assert.Equal((0u, 0u, "/root", "root"), (u.Uid, u.Gid, u.Home, u.Name));
        Assert.Equal(new uint[] { 0, 1, 10 }, u.AdditionalGids);
        Assert.Equal(0u, UserResolver.Resolve(null, Passwd, Group).Uid);
    }

    [Fact]
    public void EmptySpecWithoutFilesIsRootWithSlashHome()
    {
        var u = UserResolver.Resolve(null, null, null);
        Assert.Equal((0u, 0u, "/", (string?)null), (u.Uid, u.Gid, u.Home, u.Name));
        Assert.Empty(u.AdditionalGids);
    }

    [Fact]
    public void NameGivesIdsHomeAndSupplementaryGroups()
    {
        var u = UserResolver.Resolve("alice", Passwd, Group);
        Assert.Equal((1000u, 1000u, "/home/alice", "alice"), (u.Uid, u.Gid, u.Home, u.Name));
        // Groups listing alice as a member, file order, gid 50 once.
        Assert.Equal(new uint[] { 10, 50 }, u.AdditionalGids);
    }

    [Fact]
    public void FirstMatchingPasswdLineWins() =>
        Assert.Equal(1000u, UserResolver.Resolve("alice", Passwd, Group).Uid);

    [Fact]
    public void UidInPasswd()
    {
        var u = UserResolver.Resolve("1", Passwd, Group);
        Assert.Equal((1u, 1u, "/usr/sbin", "daemon"), (u.Uid, u.Gid, u.Home, u.Name));
        Assert.Equal(new uint[] { 1 }, u.AdditionalGids);
    }

    [Fact]
    public void NumericSpecIsAlwaysAUidEvenIfAUserHasThatName()
    {
        var u = UserResolver.Resolve("1234", Passwd, Group);
        Assert.Equal((1234u, 0u, "/"), (u.Uid, u.Gid, u.Home));
        Assert.Null(u.Name);
    }

    [Fact]
    public void UidNotInPasswdGetsGidZeroAndSlashHome()
    {
        var u = UserResolver.Resolve("4242", Passwd, Group);
        Assert.Equal((4242u, 0u, "/"), (u.Uid, u.Gid, u.Home));
        Assert.Empty(u.AdditionalGids);
        Assert.Equal(4242u, UserResolver.Resolve("4242", null, null).Uid);
    }

    [Fact]
    public void PasswdEntryWithoutHomeFieldGetsSlash() =>
        Assert.Equal("/", UserResolver.Resolve("nohome", Passwd, Group).Home);

    [Fact]
    public void NameAndGroupName()
    {
        var u = UserResolver.Resolve("alice:users", Passwd, Group);
        Assert.Equal((1000u, 100u, "/home/alice"), (u.Uid, u.Gid, u.Home));
        Assert.Empty(u.AdditionalGids); // explicit group: no supplementary groups
    }

    [Fact]
    public void NameAndGid()
    {
        Assert.Equal((1000u, 50u), Pair(UserResolver.Resolve("alice:50", Passwd, Group)));
        var u = UserResolver.Resolve("alice:777", Passwd, Group); // gid not in group file: fine
        Assert.Equal((1000u, 777u), Pair(u));
        Assert.Empty(u.AdditionalGids);
    }

    [Fact]
    public void UidAndGid()
    {
        Assert.Equal((5000u, 6000u), Pair(UserResolver.Resolve("5000:6000", Passwd, Group)));
        Assert.Equal((5000u, 6000u), Pair(UserResolver.Resolve("5000:6000", null, null)));
    }

    [Fact]
    public void UidAndGroupName() =>
        Assert.Equal((5000u, 50u), Pair(UserResolver.Resolve("5000:staff", Passwd, Group)));

    [Fact]
    public void EmptyUserWithGroup() =>
        Assert.Equal((0u, 50u), Pair(UserResolver.Resolve(":staff", Passwd, Group)));

    [Fact]
    public void UnknownUserName()
    {
        var e = Assert.Throws<RunConfigException>(() => UserResolver.Resolve("mallory", Passwd, Group));
        Assert.Equal("unable to find user mallory: no matching entries in passwd file", e.Message);
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("alice", null, Group));
    }

    [Fact]
    public void UnknownGroupName()
    {
        var e = Assert.Throws<RunConfigException>(() => UserResolver.Resolve("alice:nogroup", Passwd, Group));
        Assert.Equal("unable to find group nogroup: no matching entries in group file", e.Message);
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("0:staff", Passwd, null));
    }

    [Fact]
    public void OutOfRangeIdsAreErrors()
    {
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("-1", Passwd, Group));
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("2147483648", Passwd, Group));
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("0:-5", Passwd, Group));
        Assert.Equal(2147483647u, UserResolver.Resolve("2147483647", null, null).Uid);
    }

    [Fact]
    public void MalformedLinesAreSkipped()
    {
        Assert.Throws<RunConfigException>(() => UserResolver.Resolve("bad", Passwd, Group));
        Assert.Equal(7, UserResolver.ParsePasswd(Passwd).Count);
        Assert.Equal(7, UserResolver.ParseGroup(Group).Count);
    }

    private static (uint, uint) Pair(ResolvedUser u) => (u.Uid, u.Gid);
}
