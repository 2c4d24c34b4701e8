// CVE-2019-5736: a container overwrites the runtime's binary through /proc/PID/exe.
//
// The attack (runc before 1.0-rc6): every process that enters a container starts as the runtime
// itself (runc init, or here the clone that `exec` makes, or `minirun init`), so until it calls
// execve its /proc/PID/exe is the runtime's binary ON THE HOST. A container file "#!/proc/self/exe"
// (or a /bin/sh symlinked to /proc/self/exe) makes that execve run the runtime's binary again,
// with the container's own ELF interpreter: attacker code in a process whose /proc/self/exe is
// the host binary. It opens it read-only (writing fails with ETXTBSY while a process runs it),
// waits until the runtime exited, and re-opens /proc/self/fd/N for writing: root in the container
// with CAP_DAC_OVERRIDE may write the host's binary, and the next `run` runs the attacker's code
// as root on the host.
//
// What a naive runtime does: the append below succeeds and the binary's hash changes.
// MiniRun's defence (Runtime/SealedExe.cs): every process that enters a container runs the binary
// from a detached, read-only bind mount of itself (open_tree + mount_setattr MOUNT_ATTR_RDONLY,
// then execveat), so /proc/PID/exe of such a process is a file on a read-only mount and the
// write fails with EROFS, whoever holds the descriptor and for as long as they like.
//
// Harmless: the runtime of these tests is a COPY of artifacts/bin/minirun in a temporary
// directory; the real build is never the target.
using System.Security.Cryptography;
using MiniRun.Tests.Integration;
using MiniRun.Tests.Oci;

namespace MiniRun.Tests.Security;

public sealed class ExeOverwriteTests
{
    [Fact]
    public void Exec_of_a_proc_self_exe_script_cannot_write_the_runtime_binary()
    {
        using var copy = new RuntimeCopy();
        using var b = Attacked(copy);
        b.Edit(c => c["process"]!["args"] = new System.Text.Json.Nodes.JsonArray("sleep", "600"));
        Assert.Equal(0, b.Run("run", "--detach", "--bundle", b.Dir, "victim").Code);
        // `docker exec victim /exec-me`: the program the user runs is the attacker's script.
        var exec = b.Run("exec", "victim", "/exec-me");
        // Exit 139 with nothing on stderr: the attacker's interpreter died in the kernel's exec (exe_grabber.c).
        Assert.True(exec.Code == 0, $"exec: exit {exec.Code}: {exec.Err}");
        string result = Release(b, copy);
        Assert.Equal(copy.Hash, copy.CurrentHash());
        Assert.StartsWith("REFUSED", result);
        Assert.True(result.Contains("Read-only file system"), $"the write was refused, but not by the sealed read-only mount: {result}");
    }

    [Fact]
    public void Init_exec_of_a_proc_self_exe_script_cannot_write_the_runtime_binary()
    {
        using var copy = new RuntimeCopy();
        using var b = Attacked(copy);
        // The image's own command is the script: `minirun init` (PID 1) execs it.
        b.Edit(c => c["process"]!["args"] = new System.Text.Json.Nodes.JsonArray("/run-me"));
        Assert.Equal(0, b.Run("create", "--bundle", b.Dir, "victim").Code);
        Assert.Equal(0, b.Run("start", "victim").Code);
        string result = Release(b, copy);
        Assert.Equal(copy.Hash, copy.CurrentHash());
        Assert.StartsWith("REFUSED", result);
        Assert.True(result.Contains("Read-only file system"), $"the write was refused, but not by the sealed read-only mount: {result}");
    }

    /// <summary>
    /// A bundle whose rootfs holds the attack: the fake ELF interpreter, the two scripts and /grab.sh.
    /// /grab.sh waits for /go (written by the test once no runtime process is left, so ETXTBSY
    /// cannot be what stops it), then appends to the binary and reports in /grab.result.
    /// </summary>
    private static OciBundle Attacked(RuntimeCopy copy)
    {
        var b = new OciBundle("true") { Runtime = copy.Oci };
        try
        {
            string interp = Path.Combine(b.Rootfs, RuntimeCopy.Interpreter.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(interp)!);
            File.Copy(SecurityProbes.ExeGrabber, interp, overwrite: true);
            File.SetUnixFileMode(interp, (UnixFileMode)0x1ed);
            foreach (var name in new[] { "exec-me", "run-me" })
            {
                File.WriteAllText(Path.Combine(b.Rootfs, name), "#!/proc/self/exe\n");
                File.SetUnixFileMode(Path.Combine(b.Rootfs, name), (UnixFileMode)0x1ed);
            }
            File.WriteAllText(Path.Combine(b.Rootfs, "grab.sh"), """
                attack() {
                  i=0
                  while [ ! -e /go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
                  if [ "$2" != opened ]; then echo "NOT-OPENED" > /grab.result; return; fi
                  if { echo PWNED >> /proc/self/fd/9; } 2>/grab.err; then echo WROTE > /grab.result
                  else echo "REFUSED $(cat /grab.err)" > /grab.result; fi
                }
                # exec: leave at once, so the exec (and the runtime) end; the attack goes on alone.
                # run: this is PID 1, it must stay for the container to stay.
                case "$1" in
                  */exec-me) attack "$@" </dev/null >/dev/null 2>&1 & ;;
                  *) attack "$@" ;;
                esac
                """);
            return b;
        }
        catch
        {
            b.Dispose();
            throw;
        }
    }

    /// <summary>Lets the attack go on once no process executes the binary any more, and waits for its verdict.</summary>
    private static string Release(OciBundle b, RuntimeCopy copy)
    {
        // A container that stopped without a verdict will not write one. Asked before the attack
        // goes: `state` runs the binary, and a write while any process executes it fails with
        // ETXTBSY whatever else protects it (a CI run in the VM caught exactly that).
        if (b.Run("state", "victim") is { Code: 0 } st && st.Out.Contains("\"stopped\"") && !File.Exists(Path.Combine(b.Rootfs, "grab.result")))
            Assert.Fail("the container stopped without writing /grab.result: did the attacker's interpreter run? (exe_grabber.c)");
        copy.WaitUntilNoProcessExecutes(TimeSpan.FromSeconds(30));   // an exec still ending, under a slow VM
        File.WriteAllText(Path.Combine(b.Rootfs, "go"), "");
        return b.WaitForFile("grab.result").Trim();
    }
}

/// <summary>A copy of the runtime binary (and its minirun-oci link) in a temporary directory, removed on Dispose.</summary>
public sealed class RuntimeCopy : IDisposable
{
    /// <summary>The ELF interpreter the NativeAOT binary names (PT_INTERP); the attack replaces it in the rootfs.</summary>
    public const string Interpreter = "/lib64/ld-linux-x86-64.so.2";
    public string Dir { get; } = Directory.CreateTempSubdirectory("minirun-copy-").FullName;
    public string Binary => Path.Combine(Dir, "minirun");
    public string Oci => Path.Combine(Dir, "minirun-oci");
    public string Hash { get; }

    public RuntimeCopy()
    {
        File.Copy(MiniRunHost.Binary, Binary);
        File.SetUnixFileMode(Binary, (UnixFileMode)0x1ed);
        File.CreateSymbolicLink(Oci, "minirun");
        Hash = CurrentHash();
    }

    public string CurrentHash() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Binary)));

    /// <summary>Waits until no process's /proc/PID/exe is this binary (same device and inode: a sealed mount shows the same file).</summary>
    public unsafe void WaitUntilNoProcessExecutes(TimeSpan limit)
    {
        var (dev, ino) = Identity(Binary);
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            bool running = false;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
                if (int.TryParse(Path.GetFileName(dir), out _) && Identity(Path.Combine(dir, "exe")) == (dev, ino)) { running = true; break; }
            if (!running) return;
            Thread.Sleep(50);
        }
        Assert.Fail($"a process still executes {Binary} after {limit.TotalSeconds} s");
    }

    private static unsafe (ulong Dev, ulong Ino) Identity(string path)
    {
        Tmds.Linux.stat st;
        byte[] z = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = z)
            return Tmds.Linux.LibC.stat(p, &st) < 0 ? (0, 0) : ((ulong)st.st_dev, (ulong)st.st_ino);
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
