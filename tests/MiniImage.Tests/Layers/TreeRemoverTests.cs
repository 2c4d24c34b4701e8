// TreeRemoverTests: DeletePath removes a tree whose names are not UTF-8 and never follows a
// symlink out of it (src/MiniImage/Layers/TreeRemover.cs).
using System.Diagnostics;
using MiniImage.Layers;

namespace MiniImage.Tests.Layers;

public sealed class TreeRemoverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minirun-treeremover-").FullName;

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Sh($"rm -rf '{_dir}'");
    }

    private static void Sh(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("sh", ["-c", script]) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
    }

    [Fact]
    public void Removes_names_that_are_not_UTF8_and_leaves_symlink_targets_alone()
    {
        string tree = Path.Combine(_dir, "tree"), outside = Path.Combine(_dir, "outside");
        Sh($"mkdir -p '{tree}/a/b' '{outside}' && echo keep > '{outside}/file' && " +
           $"echo x > \"{tree}/a/$(printf '\\377x')\" && mkdir \"{tree}/$(printf '\\376')\" && echo y > \"{tree}/$(printf '\\376')/f\" && " +
           $"ln -s '{outside}' '{tree}/a/b/link' && ln -s '{outside}/file' '{tree}/filelink'");
        Assert.Throws<IOException>(() => Directory.Delete(tree, recursive: true));   // what .NET does with such names

        TreeRemover.DeletePath(tree);

        Assert.False(Directory.Exists(tree));
        Assert.Equal("keep\n", File.ReadAllText(Path.Combine(outside, "file")));
        TreeRemover.DeletePath(tree);   // already gone: fine
    }

    [Fact]
    public void A_file_or_a_symlink_is_removed_itself()
    {
        string file = Path.Combine(_dir, "f"), link = Path.Combine(_dir, "l");
        File.WriteAllText(file, "x");
        File.CreateSymbolicLink(link, _dir);
        TreeRemover.DeletePath(link);
        Assert.True(File.Exists(file));
        TreeRemover.DeletePath(file);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public void What_cannot_be_removed_is_an_error_naming_the_entry()
    {
        string tree = Path.Combine(_dir, "ro");
        Sh($"mkdir -p '{tree}/sub' && echo x > '{tree}/sub/f' && mount -t tmpfs -o size=1m tmpfs '{tree}/sub' 2>/dev/null || true");
        bool mounted = File.ReadAllText("/proc/self/mountinfo").Contains(Path.Combine(tree, "sub"));
        try
        {
            if (!mounted) return;   // not root or no mount permission: nothing to show
            var e = Assert.Throws<IOException>(() => TreeRemover.DeletePath(tree));
            Assert.Contains($"remove {tree}: \"sub\": ", e.Message);
            Assert.Contains("errno 16: Device or resource busy", e.Message);   // EBUSY: a mount point
        }
        finally { if (mounted) Sh($"umount '{tree}/sub'"); }
    }
}
