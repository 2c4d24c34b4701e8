namespace MiniRun.Build;

public sealed class DockerIgnore
{
    public static DockerIgnore Parse(string text) => throw new NotImplementedException();
    public static readonly DockerIgnore None = new();
    public bool IsExcluded(string relativePath) => throw new NotImplementedException();
}
