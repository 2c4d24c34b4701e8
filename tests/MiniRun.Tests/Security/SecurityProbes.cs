// SecurityProbes: helpers shared by the escape tests - the compiled attacker programs and a
// temporary directory the test owns, the only thing a failed protection may change.
using System.Diagnostics;
using MiniRun.Tests.Integration;

namespace MiniRun.Tests.Security;

public static class SecurityProbes
{
    private static readonly Lazy<string> Grabber = new(() => Compile("exe_grabber.c", "-static", "-nostdlib", "-fno-stack-protector", "-O2"));

    /// <summary>exe_grabber.c built static without libc (the fake ELF interpreter of the CVE-2019-5736 test).</summary>
    public static string ExeGrabber => Grabber.Value;

    private static string Compile(string source, params string[] flags)
    {
        string src = Path.Combine(MiniRunHost.RepoRoot, "tests/MiniRun.Tests/Security", source);
        string dir = Directory.CreateTempSubdirectory("minirun-probe-").FullName;
        // One build per test process, removed when the process ends (the tests that use it hold no copy).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } };
        string output = Path.Combine(dir, Path.GetFileNameWithoutExtension(source));
        var psi = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var f in flags) psi.ArgumentList.Add(f);
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(output);
        psi.ArgumentList.Add(src);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"gcc {source} failed: {err}");
        return output;
    }
}

/// <summary>A temporary host directory owned by one test (the target of every redirect), removed on Dispose.</summary>
public sealed class OwnedDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("minirun-owned-").FullName;

    public string File(string name, string text)
    {
        string path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Every entry below the directory, as relative paths (to show that nothing was created there).</summary>
    public string[] Entries() =>
        Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories).Select(e => System.IO.Path.GetRelativePath(Path, e)).Order().ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
