namespace MiniRun.Build;

public static class DockerfileParser
{
    public static DockerfileDocument Parse(string text) => throw new NotImplementedException();
}
