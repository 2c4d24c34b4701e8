// ShellWordsTests: the Dockerfile's variable substitution and quoting (src/MiniRun/Build/ShellWords.cs):
// every operator, set/unset/empty variables, quotes, the escape character, word splitting.
// Follows: https://docs.docker.com/reference/dockerfile/#environment-replacement; POSIX 2.6.2.
using MiniRun.Build;

namespace MiniRun.Tests.Build;

public sealed class ShellWordsTests
{
    static readonly Dictionary<string, string> Vars = new()
    {
        ["HOME"] = "/root", ["EMPTY"] = "", ["TWO"] = "a  b", ["FILE"] = "archive.tar.gz", ["PATH1"] = "/usr/local/bin/app",
    };

    static string E(string word, char escape = '\\') => ShellWords.Expand(word, n => Vars.TryGetValue(n, out var v) ? v : null, escape);
    static IReadOnlyList<string> W(string line, char escape = '\\') => ShellWords.ExpandWords(line, n => Vars.TryGetValue(n, out var v) ? v : null, escape);

    [Theory]
    [InlineData("$HOME", "/root")]
    [InlineData("${HOME}", "/root")]
    [InlineData("${HOME}/x", "/root/x")]
    [InlineData("$HOME/x", "/root/x")]
    [InlineData("a$HOME", "a/root")]
    [InlineData("$UNSET", "")]
    [InlineData("${UNSET}", "")]
    [InlineData("$", "$")]
    [InlineData("a$ b", "a$ b")]
    [InlineData("$/x", "$/x")]
    [InlineData("$HOMEx", "")]           // the name is HOMEx
    [InlineData("${HOME}x", "/rootx")]
    public void Variables(string word, string expected) => Assert.Equal(expected, E(word));

    [Theory]
    [InlineData("${UNSET:-def}", "def")]
    [InlineData("${EMPTY:-def}", "def")]
    [InlineData("${HOME:-def}", "/root")]
    [InlineData("${UNSET-def}", "def")]
    [InlineData("${EMPTY-def}", "")]
    [InlineData("${HOME-def}", "/root")]
    [InlineData("${UNSET:+alt}", "")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${HOME:+alt}", "alt")]
    [InlineData("${UNSET+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${HOME+alt}", "alt")]
    [InlineData("${UNSET:-$HOME/sub}", "/root/sub")]   // the word is expanded too
    [InlineData("${UNSET:-\"a b\"}", "a b")]
    [InlineData("${UNSET:-${EMPTY:-deep}}", "deep")]
    [InlineData("${HOME:?}", "/root")]
    [InlineData("${EMPTY?}", "")]
    public void DefaultAndAlternative(string word, string expected) => Assert.Equal(expected, E(word));

    [Theory]
    [InlineData("${UNSET:?}", "UNSET: is not allowed to be unset")]
    [InlineData("${UNSET?}", "UNSET: is not allowed to be unset")]
    [InlineData("${EMPTY:?}", "EMPTY: is not allowed to be empty")]
    [InlineData("${UNSET:?set it please}", "UNSET: set it please")]
    public void RequiredErrors(string word, string message) => Assert.Equal(message, Assert.Throws<BuildException>(() => E(word)).Message);

    [Theory]
    [InlineData("${FILE#*.}", "tar.gz")]
    [InlineData("${FILE##*.}", "gz")]
    [InlineData("${FILE%.*}", "archive.tar")]
    [InlineData("${FILE%%.*}", "archive")]
    [InlineData("${PATH1##*/}", "app")]
    [InlineData("${PATH1%/*}", "/usr/local/bin")]
    [InlineData("${FILE#nomatch}", "archive.tar.gz")]
    [InlineData("${FILE/a/A}", "Archive.tar.gz")]
    [InlineData("${FILE//a/A}", "Archive.tAr.gz")]
    [InlineData("${FILE/.tar*/}", "archive")]
    [InlineData("${UNSET/a/b}", "")]
    public void PatternOperators(string word, string expected) => Assert.Equal(expected, E(word));

    [Theory]
    [InlineData("${}", "bad substitution")]
    [InlineData("${:x}", "bad substitution")]
    [InlineData("${HOME", "missing '}'")]
    [InlineData("${HOME:x}", "unsupported modifier (:x)")]
    [InlineData("${HOME^}", "unsupported modifier (^)")]
    [InlineData("'abc", "matching single-quote")]
    [InlineData("\"abc", "matching double-quote")]
    public void SyntaxErrors(string word, string fragment) => Assert.Contains(fragment, Assert.Throws<BuildException>(() => E(word)).Message);

    [Theory]
    [InlineData("'$HOME'", "$HOME")]
    [InlineData("\"$HOME\"", "/root")]
    [InlineData("\"a'b\"", "a'b")]
    [InlineData("'a\"b'", "a\"b")]
    [InlineData("\\$HOME", "$HOME")]
    [InlineData("\"\\$HOME\"", "$HOME")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\nb\"", "a\\nb")]     // in double quotes the escape stays before other characters
    [InlineData("a\\nb", "anb")]            // outside quotes it makes the next character literal
    [InlineData("'a\\b'", "a\\b")]
    [InlineData("a\\", "a")]
    [InlineData("x\"\"y", "xy")]
    public void Quoting(string word, string expected) => Assert.Equal(expected, E(word));

    [Fact]
    public void BacktickEscape()
    {
        Assert.Equal("c:\\dir\\$HOME", E("c:\\dir\\`$HOME", '`'));
        Assert.Equal("c:\\dir\\/root", E("c:\\dir\\$HOME", '`'));
        Assert.Equal("a\"b", E("\"a`\"b\"", '`'));
    }

    [Fact]
    public void ExpandDoesNotSplit() => Assert.Equal("a  b x", E("$TWO x"));

    [Theory]
    [InlineData("a b  c", new[] { "a", "b", "c" })]
    [InlineData("  \"a b\" 'c d'  ", new[] { "a b", "c d" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("$TWO c", new[] { "a", "b", "c" })]            // an unquoted expansion is split
    [InlineData("\"$TWO\" c", new[] { "a  b", "c" })]          // a quoted one is not
    [InlineData("x$TWO", new[] { "xa", "b" })]
    [InlineData("$EMPTY a", new[] { "a" })]                    // an empty unquoted expansion is no word
    [InlineData("\"\" a", new[] { "", "a" })]                  // "" is an empty word
    [InlineData("src/*.txt ${HOME}/dst/", new[] { "src/*.txt", "/root/dst/" })]
    [InlineData("", new string[0])]
    public void Words(string line, string[] expected) => Assert.Equal(expected, W(line));
}
