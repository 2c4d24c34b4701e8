// UserStep: switch to the user the container runs as: supplementary groups, then gid, then uid.
//
// Why in this order: setgroups and setresgid need privilege, which setresuid to a non-root user
// gives up; so the uid is always last. Names (`-u nobody`, an image's `User: www-data`) are
// looked up in the IMAGE's /etc/passwd and /etc/group, read after pivot_root, never the host's.
// HOME comes from the passwd entry when the environment does not set it. Groups named by
// `--group-add` (user.io.minirun.additionalGroups) are looked up in the same /etc/group. With
// user.io.minirun.primaryGidSupplementary (the engine sets it, as Docker's daemon does) the primary
// gid comes first in the supplementary list (`id`: groups=1000). The supplementary groups
// are always set (an empty list drops the runtime's), except in a user namespace whose
// /proc/self/setgroups is "deny", where only an empty list is skipped.
//
// Follows: setgroups(2), setresgid(2), setresuid(2), passwd(5), group(5),
// runtime-spec config.md "User".
using MiniRun.Spec;

using MiniRun.Trace;

namespace MiniRun.Init;

public static class UserStep
{
    public static void Run(InitContext c)
    {
        var user = c.Spec.Process.User;
        string spec = user.Username ?? $"{user.Uid}:{user.Gid}";
        ResolvedUser resolved;
        List<uint> added;
        try
        {
            string? groupText = c.Kernel.ReadFile("/etc/group");
            resolved = UserResolver.Resolve(spec, c.Kernel.ReadFile("/etc/passwd"), groupText);
            added = UserResolver.ResolveGroups(user.AdditionalGroups, groupText);
        }
        catch (RunConfigException e)
        {
            throw new InitFailure(125, e.Message);
        }
        // In a user namespace whose setgroups the runtime had to deny (an unprivileged map writer,
        // Runtime/IdMaps.cs) an empty list cannot be set, and is skipped; a list of groups then fails.
        // Docker's primary-gid rule is left out there: it would turn an empty list into a failing one.
        bool setGroupsDenied = c.Spec.Linux.Namespaces.Any(n => n.Type == "user") &&
                               c.Kernel.ReadFile("/proc/self/setgroups")?.Trim() == "deny";
        IEnumerable<uint> primary = setGroupsDenied ? [] : UserResolver.Primary(resolved, user);
        var groups = primary.Concat(resolved.AdditionalGids).Concat(user.AdditionalGids ?? []).Concat(added).Distinct().ToList();
        string shown = spec.Length == 0 ? "root (the image sets no user)" : spec;
        c.BeginStep(Messages.UserTitle.With(shown, resolved.Uid, resolved.Gid), Messages.UserWhy);
        if (!(setGroupsDenied && groups.Count == 0))
            c.Kernel.SetGroups(groups);
        c.Kernel.SetResGid(resolved.Gid);
        c.Kernel.SetResUid(resolved.Uid);
        if (!c.Env.Any(e => e.StartsWith("HOME=", StringComparison.Ordinal)))
            c.Env.Add("HOME=" + resolved.Home);
    }
}
