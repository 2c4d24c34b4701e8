// SpecTempDir: a private temporary directory under /tmp for one test, removed in Dispose even when
// the test fails. Used by the Spec and Containers tests (env files, etc files, config.json).
namespace MiniRun.Tests.Spec;

internal sealed class SpecTempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("minirun-spec-test-").FullName;

    public string File(string name, string text)
    {
        string p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, text);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
