// ContainerPrune: `container prune`: every stopped container (created, exited, dead) is removed,
// as `rm` removes one, and the space its writable layer held is counted.
//
// Why: after a lesson the machine holds dozens of exited containers; Docker's answer is one
// command. Running, paused and restarting containers are never touched, and a container that
// starts between the listing and its removal is skipped (ContainerLifecycle.Remove refuses a
// running container without force, and prune never forces). Filters are Docker's two:
// `until=` (a Go duration such as 24h, or a timestamp) and `label=KEY[=VALUE]` / `label!=...`.
// Follows: docker-container-prune(1).
using MiniRun.Containers;

namespace MiniRun.Engine;

public sealed record ContainerPruneResult(IReadOnlyList<string> Deleted, long ReclaimedBytes);

public static class ContainerPrune
{
    /// <summary>Removes the stopped containers that every filter accepts.</summary>
    public static ContainerPruneResult Prune(ContainerStore store, IReadOnlyList<string> filters, DateTimeOffset now)
    {
        var accept = Filters(filters, now);
        CgroupReservation.Sweep(store, MiniRun.Cgroups.CgroupV2Host.Detect().MountPoint);   // cgroups of `run`s killed before their record existed
        var deleted = new List<string>();
        long reclaimed = 0;
        foreach (var c in store.List().OrderBy(c => c.Created))
        {
            if (ContainerLiveness.IsRunning(c) || c.State.Status is ContainerStatus.Running or ContainerStatus.Paused or ContainerStatus.Restarting)
                continue;
            if (!accept(c)) continue;
            long size = DiskSize.Of(Path.Combine(store.DirOf(c.Id), "upper"));
            try { ContainerLifecycle.Remove(store, c, force: false); }
            catch (ContainerException) { continue; }        // it started meanwhile: not ours to remove
            catch (ContainerNotFoundException) { continue; } // removed meanwhile by someone else
            deleted.Add(c.Id);
            reclaimed += size;
        }
        return new ContainerPruneResult(deleted, reclaimed);
    }

    /// <summary>The filters as one predicate; a bad filter is refused before anything is removed.</summary>
    public static Func<ContainerRecord, bool> Filters(IReadOnlyList<string> filters, DateTimeOffset now)
    {
        var tests = new List<Func<ContainerRecord, bool>>();
        foreach (var f in filters)
        {
            int eq = f.IndexOf('=');
            if (eq <= 0) throw new ContainerException($"invalid filter '{f}'", 1);
            string key = f[..eq], value = f[(eq + 1)..];
            bool negate = key.EndsWith('!');
            if (negate) key = key[..^1];
            switch (key)
            {
                case "until":
                    var limit = Until(value, now);
                    tests.Add(c => c.Created < limit);
                    break;
                case "label":
                    int veq = value.IndexOf('=');
                    string lk = veq < 0 ? value : value[..veq];
                    string? lv = veq < 0 ? null : value[(veq + 1)..];
                    Func<ContainerRecord, bool> has = c => c.Config.Labels.TryGetValue(lk, out var v) && (lv is null || v == lv);
                    tests.Add(negate ? c => !has(c) : has);
                    break;
                default:
                    throw new ContainerException($"invalid filter '{key}'", 1);
            }
        }
        return c => tests.All(t => t(c));
    }

    private static DateTimeOffset Until(string value, DateTimeOffset now)
    {
        if (Health.GoDuration.TryParseNanoseconds(value) is long ns) return now - TimeSpan.FromTicks(ns / 100);
        if (long.TryParse(value, out long seconds)) return DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var at)) return at;
        throw new ContainerException($"failed to parse value of filter (until): {GoQuote.Quote(value)} is not a duration, a Unix time or a timestamp", 1);
    }
}
