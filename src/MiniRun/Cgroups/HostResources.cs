// HostResources: what the host offers that resource flags are checked against: its CPUs, its
// memory nodes, and a way to turn a device path into the block device's major:minor.
//
// Why: "--cpus 3" on a 2-CPU machine, "--cpuset-cpus 4" where only 0-1 exist, or
// "--device-read-bps /dev/nosuch:1mb" must fail before anything is created (exit 125), with a
// message naming the flag and what the host allows. Taking these as values (and the stat as a
// callback) keeps ResourceFlags a pure function that tests drive with any host they like.
//
// Follows: statx(2) (stx_mode, stx_rdev_major/minor), sysfs-devices-system-cpu ("online" list),
// Documentation/admin-guide/cgroup-v2.rst (io.max is keyed by "MAJ:MIN").
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Cgroups;

/// <summary>What stat says about a device path: whether it is a block device, and its numbers.</summary>
public sealed record DeviceNumber(uint Major, uint Minor, bool IsBlockDevice);

public sealed record HostResources(int CpuCount, string OnlineCpus, string MemoryNodes,
    Func<string, DeviceNumber> StatDevice)
{
    /// <summary>This machine: online CPUs and memory nodes from sysfs, devices through statx(2).</summary>
    public static HostResources Current()
    {
        static string ReadOr(string path, string fallback)
        {
            try { return File.ReadAllText(path).Trim() is { Length: > 0 } s ? s : fallback; }
            catch (IOException) { return fallback; }
            catch (UnauthorizedAccessException) { return fallback; }
        }
        var cpus = ReadOr("/sys/devices/system/cpu/online", $"0-{Environment.ProcessorCount - 1}");
        var nodes = ReadOr("/sys/devices/system/node/online", "0");
        return new HostResources(Environment.ProcessorCount, cpus, nodes, StatDeviceWithStatx);
    }

    /// <summary>statx(AT_FDCWD, path, 0, STATX_TYPE): the fixed layout of struct statx is the same on every architecture.</summary>
    public static unsafe DeviceNumber StatDeviceWithStatx(string path)
    {
        byte* buf = stackalloc byte[256];
        new Span<byte>(buf, 256).Clear();
        if (StatxInterop.statx(-100 /* AT_FDCWD */, path, 0, 0x1 /* STATX_TYPE */, buf) != 0)
            throw new KernelException($"stat {path}", Marshal.GetLastPInvokeError());
        ushort mode = *(ushort*)(buf + 28);          // stx_mode
        uint major = *(uint*)(buf + 128);             // stx_rdev_major
        uint minor = *(uint*)(buf + 132);             // stx_rdev_minor
        return new DeviceNumber(major, minor, (mode & 0xF000) == 0x6000 /* S_IFBLK */);
    }
}

internal static unsafe partial class StatxInterop
{
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, byte* statxbuf);
}
