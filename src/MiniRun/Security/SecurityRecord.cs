// SecurityRecord: the security flags in the container's record (container.json) and in
// `inspect`, in Docker's shapes: HostConfig.CapAdd / CapDrop (lists or null) and
// SecurityOpt (list or null; a seccomp profile file appears as "seccomp={...json...}"); Privileged is
// written with the device fields (SecurityHostConfigJson.cs).
//
// Why the record keeps them: `inspect` shows them as Docker does, and they are what the
// container was asked for; config.json holds what they became (the capability sets, the filter).
//
// Follows: Docker Engine API ContainerInspect, HostConfig (CapAdd, CapDrop, Privileged, SecurityOpt).
using System.Text.Json;
using MiniRun.Containers;
using MiniRun.Spec;

namespace MiniRun.Security;

public static class SecurityRecord
{
    /// <summary>The flags of <paramref name="o"/> into the record's HostConfig.</summary>
    public static void Fill(ContainerRecordHostConfig h, RunOptions o)
    {
        h.CapAdd = o.CapAdd.Count > 0 ? o.CapAdd.ToList() : null;
        h.CapDrop = o.CapDrop.Count > 0 ? o.CapDrop.ToList() : null;
        h.Privileged = o.Privileged;
        h.SecurityOpt = o.SecurityOpt.Count > 0 ? o.SecurityOpt.ToList() : null;
    }

    /// <summary>CapAdd, CapDrop and SecurityOpt, for container.json and for `inspect` (Privileged is SecurityHostConfigJson's).</summary>
    public static void Write(Utf8JsonWriter w, ContainerRecordHostConfig h)
    {
        List("CapAdd", h.CapAdd);
        List("CapDrop", h.CapDrop);
        List("SecurityOpt", h.SecurityOpt);   // Privileged: Security/SecurityHostConfigJson.cs

        void List(string name, List<string>? values)
        {
            if (values is null) { w.WriteNull(name); return; }
            w.WriteStartArray(name);
            foreach (var v in values) w.WriteStringValue(v);
            w.WriteEndArray();
        }
    }
}
