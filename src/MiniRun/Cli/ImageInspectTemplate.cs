// ImageInspectTemplate: `inspect -f/--format` (containers, images, networks, volumes): the Go
// template (Cli/Templates/GoTemplate.cs) executed over each inspect JSON document.
//
// Why: the course uses `docker inspect -f '{{.Config.Cmd}}' busybox`, `{{json .RootFS.Layers}}`,
// `{{range .Config.Env}}...{{end}}`, `{{if eq .State.Status "created"}}`. The document is the
// inspect JSON: its objects are maps where a missing key is an error (Docker's inspect fallback
// runs with missingkey=error), the label-like maps print "<no value>" for a missing key, and the
// list/map fields that are null print "[]" / "map[]" as Docker's typed nil slices do.
// Errors read as Docker's: "template parsing error: template: :1:2: executing "" at <.Nope>: map
// has no entry for key "Nope"", exit 64 for a template that does not parse, 1 otherwise.
// Follows: docker-inspect(1) "--format"; docker/cli cli/command/inspect (raw JSON fallback).
using System.Text.Json;
using MiniRun.Cli.Templates;

namespace MiniRun.Cli;

public static class ImageInspectTemplate
{
    /// <summary>Renders `template` for one document; throws CliError for bad templates or failed execution.</summary>
    public static string Render(string template, JsonElement root)
    {
        var parsed = Parse(template);
        try { return parsed.Execute(TemplateValues.FromJson(root)); }
        catch (TemplateException e) { throw new CliError("template parsing error: " + e.Message, 1); }
    }

    /// <summary>Parses once; a template that does not parse is Docker's exit 64.</summary>
    public static GoTemplate Parse(string template)
    {
        try { return GoTemplate.Parse(template); }
        catch (TemplateException e) { throw new CliError("template parsing error: " + e.Message, 64); }
    }
}
