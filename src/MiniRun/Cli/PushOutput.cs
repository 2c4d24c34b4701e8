// PushOutput: prints a push's progress the way `docker push` does: one line per layer, redrawn in
// place with a progress bar on a terminal, plain one-shot lines otherwise; then the digest line.
//
//   The push refers to repository [127.0.0.1:5000/busybox]
//   5f70bf18a086: Preparing
//   5f70bf18a086: Pushing [=================>                                 ]  1.234MB/3.409MB
//   5f70bf18a086: Pushed                      (or "Layer already exists", "Mounted from library/x")
//   latest: digest: sha256:... size: 527
// On a terminal each layer keeps one line, updated by moving the cursor up to it (LayerLines,
// shared with PullOutput). Without a terminal, Pushing (which repeats) is not printed, and no escape sequences are.
// Follows: Docker's push output (moby pkg/jsonmessage: progress bar 50 wide, "%8v/%v" sizes;
// distribution/push_v2.go: "<tag>: digest: <digest> size: <n>"); docker-push(1).
using MiniImage.Push;
using MiniImage.Reference;

namespace MiniRun.Cli;

public sealed class PushOutput : IPushProgress
{
    private readonly TextWriter _out;
    private readonly bool _terminal;
    private readonly LayerLines _lines;

    /// <param name="terminal">Redraw progress lines with ANSI cursor movement.</param>
    public PushOutput(TextWriter output, bool terminal)
    {
        _out = output;
        _terminal = terminal;
        _lines = new LayerLines(output, terminal);
    }

    public void Start(ImageReference repository)
    {
        _out.Write($"The push refers to repository [{repository.Name}]\n");
        _out.Flush();
    }

    public void Layer(string id, PushEvent e, long current = 0, long total = 0, string? from = null)
    {
        string? text = e switch
        {
            PushEvent.Preparing => "Preparing",
            PushEvent.Waiting => "Waiting",
            PushEvent.Pushing => _terminal ? "Pushing " + PullOutput.Progress(current, total) : null,
            PushEvent.Pushed => "Pushed",
            PushEvent.LayerAlreadyExists => "Layer already exists",
            PushEvent.MountedFrom => $"Mounted from {from}",
            _ => null,
        };
        if (text is not null) _lines.Write(id, text);
    }

    public void Done(PushResult result)
    {
        _out.Write($"{result.Reference.Tag}: digest: {result.Digest} size: {result.Size}\n");
        _out.Flush();
        _lines.Clear(); // the next tag of `push -a` starts its own block of lines
    }
}
