// TarEntry: one tar member after its ustar header, GNU long-name records and PAX records have been
// merged. Names, link targets and xattr values are raw bytes, exactly as in the archive.
//
// Why: Linux file names and xattr values are byte strings; decoding them (as System.Formats.Tar
// does for PAX values) corrupts binary values such as security.capability.
// Follows: POSIX.1-2017 pax(1) "ustar Interchange Format" and "pax Extended Header".
namespace MiniImage.Layers;

internal enum TarEntryType { File, HardLink, Symlink, CharDevice, BlockDevice, Directory, Fifo }

internal sealed class TarEntry
{
    public TarEntryType Type;
    public byte[] Name = [];
    public byte[] LinkName = [];
    public long Size;
    public int Mode;               // permission bits incl. setuid/setgid/sticky (07777)
    public uint Uid, Gid;
    public long MtimeSec, AtimeSec;
    public int MtimeNsec, AtimeNsec;
    public bool HasAtime;
    public uint DevMajor, DevMinor;
    public readonly List<KeyValuePair<byte[], byte[]>> Xattrs = [];

    public void Reset()
    {
        Type = TarEntryType.File;
        Name = LinkName = [];
        Size = 0; Mode = 0; Uid = Gid = 0;
        MtimeSec = AtimeSec = 0; MtimeNsec = AtimeNsec = 0; HasAtime = false;
        DevMajor = DevMinor = 0;
        Xattrs.Clear();
    }

    public void SetXattr(byte[] name, byte[] value)
    {
        for (int i = 0; i < Xattrs.Count; i++)
            if (Xattrs[i].Key.AsSpan().SequenceEqual(name)) { Xattrs[i] = new(name, value); return; }
        Xattrs.Add(new(name, value));
    }
}
