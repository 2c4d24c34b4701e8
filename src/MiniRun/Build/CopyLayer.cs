namespace MiniRun.Build;

public static class CopyLayer
{
    public static void Write(Stream tarOut, IReadOnlyList<ContextEntry> entries, int? uid, int? gid, UnixFileMode? chmod, bool extractArchives)
        => throw new NotImplementedException();
}
