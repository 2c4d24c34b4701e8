// KernelRandom: random bytes straight from the kernel's CSPRNG with getrandom(2).
//
// Why: container IDs and generated names need unpredictable values. .NET's
// RandomNumberGenerator gives the same quality but loads OpenSSL's libcrypto on first use,
// which costs milliseconds on every `minirun run` - a sizeable share of a container start.
// getrandom(2) is one system call.
//
// Follows: getrandom(2), random(7).
using System.Runtime.InteropServices;
using MiniRun.Kernel;

namespace MiniRun.Containers;

internal static unsafe partial class KernelRandom
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial nint getrandom(byte* buf, nuint buflen, uint flags);

    public static byte[] Bytes(int count)
    {
        var buffer = new byte[count];
        fixed (byte* p = buffer)
        {
            for (int done = 0; done < count;)
            {
                nint n = getrandom(p + done, (nuint)(count - done), 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == Errno.EINTR) continue;
                    throw new KernelException("getrandom", errno);
                }
                done += (int)n;
            }
        }
        return buffer;
    }

    /// <summary>A uniform integer in [0, bound), without modulo bias.</summary>
    public static int Below(int bound)
    {
        uint limit = uint.MaxValue - uint.MaxValue % (uint)bound;
        while (true)
        {
            uint v = BitConverter.ToUInt32(Bytes(4));
            if (v < limit) return (int)(v % (uint)bound);
        }
    }
}
