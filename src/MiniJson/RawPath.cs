// RawPath (project MiniJson, shared by MiniImage, the runtime core and the engine): file names as
// the kernel has them, bytes, carried in .NET strings without loss.
//
// Why: a Linux file name is any bytes but '/' and NUL; a layer's author chooses them. .NET's file
// APIs decode names as UTF-8 and turn every invalid byte into U+FFFD, so a name such as "\xffx"
// comes back as "\ufffdx", which names no file: it cannot be stat'ed, copied or removed, and a walk
// over the tree silently skips it. RawPath decodes the way Python's "surrogateescape" does: valid
// UTF-8 as usual, each byte of an invalid sequence (always 0x80-0xFF) as the lone surrogate
// U+DC80-U+DCFF, which valid UTF-8 can never produce; Encode turns them back into the same bytes.
// Code that walks a tree from layers (diff, removal) reads names with readdir, decodes them here
// and encodes them again for openat/fstatat/unlinkat, so every name that exists can be reached.
// Printed, a lone surrogate becomes U+FFFD, as Docker prints such a name (Go's JSON encoding).
// Follows: path_resolution(7) (names are bytes); PEP 383 (the surrogateescape idea).
using System.Text;

namespace MiniJson;

public static class RawPath
{
    /// <summary>The string for the bytes of a name: valid UTF-8 decoded, other bytes as U+DC80-U+DCFF.</summary>
    public static string Decode(ReadOnlySpan<byte> name)
    {
        var sb = new StringBuilder(name.Length);
        while (name.Length > 0)
        {
            if (Rune.DecodeFromUtf8(name, out Rune r, out int used) == System.Buffers.OperationStatus.Done)
            {
                sb.Append(r.ToString());
                name = name[used..];
            }
            else
            {
                sb.Append((char)(0xDC00 + name[0]));
                name = name[1..];
            }
        }
        return sb.ToString();
    }

    /// <summary>The bytes Decode read: U+DC80-U+DCFF back to single bytes, everything else as UTF-8.</summary>
    public static byte[] Encode(string s)
    {
        var bytes = new List<byte>(s.Length + 8);
        Span<byte> buf = stackalloc byte[4];
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is >= '\uDC80' and <= '\uDCFF') { bytes.Add((byte)(c - 0xDC00)); continue; }
            Rune r;
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { r = new Rune(c, s[i + 1]); i++; }
            else if (char.IsSurrogate(c)) r = Rune.ReplacementChar;   // a lone surrogate Decode never makes
            else r = new Rune(c);
            int n = r.EncodeToUtf8(buf);
            for (int k = 0; k < n; k++) bytes.Add(buf[k]);
        }
        return [.. bytes];
    }

    /// <summary>Encode plus the terminating NUL, for a system call.</summary>
    public static byte[] Z(string s) => [.. Encode(s), 0];

    /// <summary>True when the name had bytes that are not UTF-8 (it holds U+DC80-U+DCFF).</summary>
    public static bool HasRawBytes(string s)
    {
        foreach (char c in s) if (c is >= '\uDC80' and <= '\uDCFF') return true;
        return false;
    }
}
