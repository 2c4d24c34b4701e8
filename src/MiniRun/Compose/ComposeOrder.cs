// ComposeOrder: depends_on as an order - every dependency starts before its dependents, `down`
// and `stop` go the other way - and the checks Compose makes first: a dependency on a service the
// file does not define, and a cycle.
//
// Why: `up` must start `redis` before `web` when web depends on it, and must know what to wait
// for (service_started, service_healthy, service_completed_successfully) before the next start.
// The order is stable: services with no order between them keep the file's order.
//
// Follows: compose-spec 05-services.md "depends_on"; docker compose's messages ("service \"web\"
// depends on undefined service \"db\": invalid compose project", "dependency cycle detected").
namespace MiniRun.Compose;

public static class ComposeOrder
{
    /// <summary>Unknown services and cycles, as errors before anything is done.</summary>
    public static void Check(ComposeProject project)
    {
        var names = project.Services.Select(s => s.Name).ToHashSet();
        foreach (var s in project.Services)
            foreach (var d in s.DependsOn)
                if (!names.Contains(d.Service) && d.Required)
                    throw new ComposeException($"service {GoQuote.Quote(s.Name)} depends on undefined service {GoQuote.Quote(d.Service)}: invalid compose project");
        Sort(project, project.Services);
    }

    /// <summary><paramref name="selected"/> in start order (dependencies first).</summary>
    public static List<ComposeService> Sort(ComposeProject project, IEnumerable<ComposeService> selected)
    {
        var wanted = selected.Select(s => s.Name).ToHashSet();
        var result = new List<ComposeService>();
        var state = new Dictionary<string, int>();   // 1 visiting, 2 done
        var stack = new List<string>();
        foreach (var s in project.Services.Where(s => wanted.Contains(s.Name))) Visit(s);
        return result;

        void Visit(ComposeService s)
        {
            if (state.TryGetValue(s.Name, out int st))
            {
                if (st == 2) return;
                int at = stack.IndexOf(s.Name);
                throw new ComposeException($"dependency cycle detected: {string.Join(" -> ", stack.Skip(at).Append(s.Name))}");
            }
            state[s.Name] = 1;
            stack.Add(s.Name);
            foreach (var d in s.DependsOn)
                if (project.Services.FirstOrDefault(x => x.Name == d.Service) is { } dep && wanted.Contains(dep.Name)) Visit(dep);
            stack.RemoveAt(stack.Count - 1);
            state[s.Name] = 2;
            result.Add(s);
        }
    }

    /// <summary>The services named plus, unless <paramref name="noDeps"/>, everything they depend on; none named: every enabled service.</summary>
    public static List<ComposeService> Select(ComposeProject project, IReadOnlyList<string> names, bool noDeps)
    {
        var chosen = new List<ComposeService>();
        if (names.Count == 0) chosen.AddRange(project.Enabled);
        else
            foreach (var n in names) chosen.Add(project.Service(n));   // naming a service enables it even outside the active profiles
        if (!noDeps)
        {
            var queue = new Queue<ComposeService>(chosen);
            while (queue.TryDequeue(out var s))
                foreach (var d in s.DependsOn)
                    if (project.Services.FirstOrDefault(x => x.Name == d.Service) is { } dep && !chosen.Contains(dep))
                    {
                        chosen.Add(dep);
                        queue.Enqueue(dep);
                    }
        }
        return Sort(project, chosen);
    }
}
