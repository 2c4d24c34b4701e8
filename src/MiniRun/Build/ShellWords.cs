namespace MiniRun.Build;

public static class ShellWords
{
    public static string Expand(string word, Func<string, string?> lookup, char escape = '\\') => throw new NotImplementedException();
    public static IReadOnlyList<string> ExpandWords(string line, Func<string, string?> lookup, char escape = '\\') => throw new NotImplementedException();
}
