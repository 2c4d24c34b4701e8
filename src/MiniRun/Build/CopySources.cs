namespace MiniRun.Build;

public static class CopySources
{
    public static IReadOnlyList<ContextEntry> Resolve(string sourceDir, DockerIgnore ignore, IReadOnlyList<string> sources, string dest, string workdir)
        => throw new NotImplementedException();
    public static string Digest(IReadOnlyList<ContextEntry> entries) => throw new NotImplementedException();
}
