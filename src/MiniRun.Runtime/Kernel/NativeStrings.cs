// NativeStrings: NUL-terminated UTF-8 copies of a path, argv and envp for execve(2) and the
// native clone stage, allocated in unmanaged memory.
//
// Why: execve needs char*[] arrays that end with a NULL pointer (forgetting the trailing NULL
// makes the kernel read garbage, see platform-facts.md), and the native stage must not touch
// managed memory in the child.
using System.Runtime.InteropServices;
using System.Text;

namespace MiniRun.Kernel;

internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _blocks = new();
    public byte* Path { get; }
    public byte** Argv { get; }
    public byte** Envp { get; }

    public NativeStrings(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        Path = Str(path);
        Argv = Array(argv);
        Envp = Array(envp);
    }

    private byte* Str(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        _blocks.Add((nint)p);
        fixed (char* c = s) Encoding.UTF8.GetBytes(c, s.Length, p, n);
        p[n] = 0;
        return p;
    }

    private byte** Array(IReadOnlyList<string> items)
    {
        byte** a = (byte**)NativeMemory.Alloc((nuint)(items.Count + 1), (nuint)sizeof(nint));
        _blocks.Add((nint)a);
        for (int i = 0; i < items.Count; i++) a[i] = Str(items[i]);
        a[items.Count] = null;   // the trailing NULL execve(2) requires
        return a;
    }

    public void Dispose()
    {
        foreach (var b in _blocks) NativeMemory.Free((void*)b);
        _blocks.Clear();
    }
}
