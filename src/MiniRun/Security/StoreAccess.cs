// StoreAccess: the MiniRun root (/var/lib/minirun) and its layers/, blobs/, tmp/, containers/ and
// runtime/ are for root alone: mode 0700, set when they are created and fixed on an existing
// root at every start of a command.
//
// Why: unpacked layers keep their files' modes, setuid-root binaries included, and a container's
// upper and merged directories hold whatever it wrote. With a world-traversable store (0755) an
// unprivileged host user could run a setuid-root program out of a layer, or read a container's
// secrets - the hole Docker closed for CVE-2021-41091 by making its data root 0710/0700. Nothing
// on the host but root needs a path in the store: the overlay is mounted by root, and a
// container's processes see only their own root after pivot_root.
// Traversal for remapped containers (--userns=remap): the remapped root (an unprivileged uid on
// the host) must still read its config.json, so the root, containers/ and the container's
// directory get the mapped gid as group and g+x (Security/UsernsRemap.cs), as Docker's
// userns-remap does (0710). This file leaves that one bit alone and takes everything else from
// group and others (docs/security.md "The store").
//
// Follows: chmod(2), mkdir(2); CVE-2021-41091 (moby GHSA-3fwx-pjgw-3558).
namespace MiniRun.Security;

public static class StoreAccess
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The store's own directories below the root (each is fixed when it exists).</summary>
    public static readonly string[] Directories = ["layers", "blobs", "tmp", "containers", "runtime"];

    /// <summary>Creates <paramref name="root"/> as 0700 when missing; takes group and other access away from it and its directories.</summary>
    public static void Secure(string root)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            string? parent = Path.GetDirectoryName(root);
            if (parent is not null) Directory.CreateDirectory(parent);   // /var/lib: the system's own mode
            Directory.CreateDirectory(root, OwnerOnly);
        }
        Restrict(root);
        foreach (var name in Directories)
        {
            string dir = Path.Combine(root, name);
            if (Directory.Exists(dir)) Restrict(dir);
        }
    }

    /// <summary>What a store directory may grant: rwx to root, and search (x) to its group - the mapped root's, where --userns=remap set one.</summary>
    public const UnixFileMode Allowed = OwnerOnly | UnixFileMode.GroupExecute;

    /// <summary>
    /// chmod to 0700 when the directory grants anything more (setgid and sticky bits go too); the
    /// group's x stays only where the group is not root's own: --userns=remap's mapped gid (0710).
    /// </summary>
    private static void Restrict(string dir)
    {
        var mode = File.GetUnixFileMode(dir);
        var allowed = GroupOf(dir) is > 0 ? Allowed : OwnerOnly;
        if ((mode & ~allowed) != 0 || (mode & OwnerOnly) != OwnerOnly) File.SetUnixFileMode(dir, (mode & allowed) | OwnerOnly);
    }

    private static unsafe long GroupOf(string dir)
    {
        Tmds.Linux.stat st;
        fixed (byte* p = MiniRun.Containers.OverlayLayout.Z(dir))
            return Tmds.Linux.LibC.stat(p, &st) < 0 ? -1 : st.st_gid;
    }
}
