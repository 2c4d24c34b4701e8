// Tests of Naming: container ID format, short IDs, generated names and name validation.
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Tests.Containers;

public class NamingTests
{
    [Fact]
    public void NewIdIs64LowercaseHexAndUnique()
    {
        var ids = new HashSet<string>();
        for (int i = 0; i < 200; i++)
        {
            string id = Naming.NewId();
            Assert.Equal(64, id.Length);
            Assert.True(Naming.IsFullId(id), id);
            Assert.All(id, c => Assert.True(c is >= '0' and <= '9' or >= 'a' and <= 'f'));
            Assert.False(Naming.ShortId(id).All(char.IsAsciiDigit));
            Assert.True(ids.Add(id));
        }
    }

    [Fact]
    public void ShortId()
    {
        Assert.Equal("0123456789ab", Naming.ShortId("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        Assert.Equal("abc", Naming.ShortId("abc"));
    }

    [Fact]
    public void IsFullId()
    {
        Assert.False(Naming.IsFullId(new string('A', 64)));
        Assert.False(Naming.IsFullId(new string('a', 63)));
        Assert.False(Naming.IsFullId(new string('g', 64)));
        Assert.True(Naming.IsFullId(new string('f', 64)));
    }

    [Fact]
    public void WordListsAreSensible()
    {
        Assert.True(Naming.Adjectives.Length >= 60);
        Assert.True(Naming.Surnames.Length >= 100);
        Assert.Equal(Naming.Adjectives.Length, Naming.Adjectives.Distinct().Count());
        Assert.Equal(Naming.Surnames.Length, Naming.Surnames.Distinct().Count());
        Assert.All(Naming.Adjectives.Concat(Naming.Surnames), w => Assert.Matches("^[a-z]+$", w));
    }

    [Fact]
    public void GeneratedNamesAreValidAdjectiveUnderscoreSurname()
    {
        for (int i = 0; i < 100; i++)
        {
            string n = Naming.GenerateName();
            Assert.True(Naming.IsValidName(n), n);
            string[] parts = n.Split('_');
            Assert.Equal(2, parts.Length);
            Assert.Contains(parts[0], Naming.Adjectives);
            Assert.Contains(parts[1], Naming.Surnames);

            string r = Naming.GenerateName(retry: 1);
            Assert.Matches("^[a-z]+_[a-z]+[0-9]$", r);
        }
    }

    [Fact]
    public void GenerateUniqueNameAvoidsTakenNames()
    {
        var taken = new HashSet<string>();
        foreach (string a in Naming.Adjectives)
            foreach (string s in Naming.Surnames)
                taken.Add(a + "_" + s);
        string n = Naming.GenerateUniqueName(taken.Contains);
        Assert.DoesNotContain(n, taken);
        Assert.Matches("^[a-z]+_[a-z]+[0-9]$", n);

        Assert.Throws<InvalidOperationException>(() => Naming.GenerateUniqueName(_ => true));
    }

    [Theory]
    [InlineData("web")]
    [InlineData("ab")]
    [InlineData("My.App-1_x")]
    [InlineData("0abc")]
    [InlineData("/web")]
    public void ValidNames(string name) => Assert.True(Naming.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("_web")]
    [InlineData("-web")]
    [InlineData(".web")]
    [InlineData("we b")]
    [InlineData("web/1")]
    [InlineData("wéb")]
    [InlineData("web\n")]
    [InlineData("//web")]
    public void InvalidNames(string name)
    {
        Assert.False(Naming.IsValidName(name));
        var e = Assert.Throws<RunConfigException>(() => Naming.ValidateName(name));
        Assert.Equal($"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", e.Message);
    }

    [Fact]
    public void ValidateNameDropsLeadingSlash()
    {
        Assert.Equal("web", Naming.ValidateName("/web"));
        Assert.Equal("web", Naming.ValidateName("web"));
    }
}
