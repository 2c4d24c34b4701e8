// LayerPath: cleans a tar member name into a relative path inside the layer directory, the way
// Docker does: leading "/" and "./" are dropped, empty and "." components removed, ".." applied
// lexically; a relative name whose ".." would climb above the layer root is refused (null). In an
// absolute name ".." at the root stays at the root ("/../x" is "/x", as Go's filepath.Clean has it).
//
// Why: the first line of defence against path traversal; the second is that every directory is
// then opened beneath the root without following symlinks (BeneathDirectory). Names stay bytes.
// Follows: moby pkg/archive behaviour (facts only): filepath.Clean of the name, breakout refused;
// path_resolution(7).
using System.Text;

namespace MiniImage.Layers;

internal static class LayerPath
{
    /// Cleaned "a/b/c" (empty for the root itself), or null if the name escapes the root.
    /// Throws FormatException for a NUL byte.
    public static byte[]? Clean(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)0) >= 0) throw new FormatException("name contains a NUL byte");
        var result = new byte[raw.Length];
        int len = 0;
        Span<int> starts = raw.Length <= 512 ? stackalloc int[raw.Length / 2 + 1] : new int[raw.Length / 2 + 1];
        int depth = 0;
        int i = 0;
        bool rooted = raw.Length > 0 && raw[0] == '/';
        while (i < raw.Length)
        {
            int end = raw[i..].IndexOf((byte)'/');
            ReadOnlySpan<byte> comp = end < 0 ? raw[i..] : raw.Slice(i, end);
            i = end < 0 ? raw.Length : i + end + 1;
            if (comp.Length == 0 || comp.SequenceEqual("."u8)) continue;
            if (comp.SequenceEqual(".."u8))
            {
                if (depth == 0)
                {
                    if (rooted) continue;
                    return null;
                }
                len = starts[--depth];
                continue;
            }
            starts[depth++] = len;
            if (len > 0) result[len++] = (byte)'/';
            comp.CopyTo(result.AsSpan(len));
            len += comp.Length;
        }
        return result[..len];
    }

    /// Splits a cleaned non-empty path into parent ("" for the root) and last component.
    public static void Split(byte[] path, out ReadOnlySpan<byte> parent, out ReadOnlySpan<byte> name)
    {
        int slash = path.AsSpan().LastIndexOf((byte)'/');
        parent = slash < 0 ? [] : path.AsSpan(0, slash);
        name = path.AsSpan(slash + 1);
    }

    /// For messages: the name quoted as Go's %q (GoQuote): control characters escaped, bytes that are not UTF-8 as \xNN.
    public static string Quote(ReadOnlySpan<byte> name) => GoQuote.Quote(name);
}
