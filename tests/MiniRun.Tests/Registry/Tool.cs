// Tool: runs an external program (skopeo, umoci, htpasswd, curl, tar, zstd) for the registry
// tests and returns its exit code and output; Check throws with the program's stderr when it fails.
//
// Why: the registry tests publish and inspect images with real, independent tools so that MiniRun
// is judged against them and not against code of its own. One helper keeps every call the same:
// no shell, arguments passed as a list, a time limit, output captured for the failure message.
// Follows: System.Diagnostics.Process (ArgumentList, so no quoting), skopeo(1), umoci(1).
using System.Diagnostics;

namespace MiniRun.Tests.Registry;

public sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

public static class Tool
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; optional stdin text and extra environment.</summary>
    public static ToolResult Run(string file, IEnumerable<string> args, string? stdin = null,
        IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"start {file} failed");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {limit.TotalSeconds} s");
        }
        p.WaitForExit();
        return new ToolResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the program and throws when it exits non-zero; returns its stdout.</summary>
    public static string Check(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr.Trim()} {r.Stdout.Trim()}");
        return r.Stdout;
    }

    /// <summary>Throws a clear message when a program the registry tests need is not installed.</summary>
    public static void Require(string path, string package)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: install the Debian package {package} (.ci/install-deps.sh)");
    }
}
