// HostnameStep and LoopbackStep: give the new UTS namespace its hostname, and bring up the new
// network namespace's loopback interface.
//
// Why: in its own UTS namespace the container can have its own hostname (Docker's default is
// the first 12 hex digits of the container ID, which is why the prompt reads root@3f2a9c1d0b7e)
// without changing the host's. A new network namespace starts with only `lo`, and down; Docker
// brings it up so 127.0.0.1 works inside.
//
// Follows: sethostname(2), uts_namespaces(7), network_namespaces(7), netdevice(7).
using MiniRun.Trace;

namespace MiniRun.Init;

public static class HostnameStep
{
    public static void Run(InitContext c)
    {
        if (string.IsNullOrEmpty(c.Spec.Hostname)) return;
        if (!c.Spec.Linux.Namespaces.Any(n => n.Type == "uts" && n.Path is null))
            throw new InvalidDataException("the spec sets a hostname but does not create a UTS namespace: that would rename the host");
        c.BeginStep(Messages.HostnameTitle, Messages.HostnameWhy);
        c.Kernel.Sethostname(c.Spec.Hostname);
    }
}

public static class LoopbackStep
{
    public static void Run(InitContext c)
    {
        if (!c.Spec.Linux.Namespaces.Any(n => n.Type == "network" && n.Path is null)) return;
        c.BeginStep(Messages.LoopbackTitle, Messages.LoopbackWhy);
        c.Kernel.InterfaceUp("lo");
    }
}
