// PullOutput: prints a pull's progress the way `docker pull` does: one line per layer, redrawn in
// place with a progress bar on a terminal, plain one-shot lines otherwise; then Digest and Status.
//
//   latest: Pulling from library/alpine
//   4abcf2066143: Pulling fs layer
//   4abcf2066143: Downloading [=================>                                 ]  1.234MB/3.409MB
//   4abcf2066143: Verifying Checksum
//   4abcf2066143: Download complete
//   4abcf2066143: Extracting [==================================================>]  3.409MB/3.409MB
//   4abcf2066143: Pull complete
//   Digest: sha256:...
//   Status: Downloaded newer image for alpine:latest
//   docker.io/library/alpine:latest                      (`pull` only, not `run`)
// On a terminal each layer keeps one line, redrawn in place (LayerLines, shared with PushOutput).
// Without a terminal, Downloading and Extracting (which repeat) are not printed, and no escape
// sequences are written.
// Follows: Docker's pull output (moby pkg/jsonmessage: progress bar 50 wide, "%8v/%v" sizes,
// cursor movement per line ID); go-units HumanSize (decimal units, 4 significant digits).
using System.Globalization;
using MiniImage.Pull;
using MiniImage.Reference;

namespace MiniRun.Cli;

public sealed class PullOutput : IPullProgress
{
    private const int BarWidth = 50;
    private readonly TextWriter _out;
    private readonly bool _terminal;
    private readonly bool _printReference;
    private readonly LayerLines _lines;

    /// <param name="terminal">Redraw progress lines with ANSI cursor movement.</param>
    /// <param name="printReference">Print the full reference last (`docker pull` does, `docker run` does not).</param>
    public PullOutput(TextWriter output, bool terminal, bool printReference)
    {
        _out = output;
        _terminal = terminal;
        _lines = new LayerLines(output, terminal);
        _printReference = printReference;
    }

    public void Start(ImageReference reference)
    {
        string what = reference.Digest?.ToString() ?? reference.Tag ?? ImageReference.DefaultTag;
        _out.Write($"{what}: Pulling from {reference.Path}\n");
        _out.Flush();
    }

    public void Layer(string id, LayerEvent e, long current = 0, long total = 0)
    {
        string? text = e switch
        {
            LayerEvent.PullingFsLayer => "Pulling fs layer",
            LayerEvent.AlreadyExists => "Already exists",
            LayerEvent.Waiting => "Waiting",
            LayerEvent.Downloading => _terminal ? "Downloading " + Progress(current, total) : null,
            LayerEvent.VerifyingChecksum => "Verifying Checksum",
            LayerEvent.DownloadComplete => "Download complete",
            LayerEvent.Extracting => _terminal ? "Extracting " + Progress(current, total) : null,
            LayerEvent.PullComplete => "Pull complete",
            _ => null,
        };
        if (text is not null) _lines.Write(id, text);
    }

    public void Done(PullResult result)
    {
        _out.Write($"Digest: {result.Digest}\n");
        string name = result.Reference.ToFamiliarString();
        _out.Write(result.Updated ? $"Status: Downloaded newer image for {name}\n" : $"Status: Image is up to date for {name}\n");
        if (_printReference) _out.Write(result.Reference + "\n");
        _out.Flush();
    }

    /// <summary>"[=====>      ]  1.234MB/3.409MB" (the bar is left out when the total is unknown).</summary>
    public static string Progress(long current, long total)
    {
        string numbers = total > 0
            ? $"{Size(current),8}/{Size(total)}"
            : $"{Size(current),8}";
        if (total <= 0) return numbers;
        // moby: "[" + "=" x (percent/2) + ">" + " " x (50 - percent/2) + "] "
        int filled = (int)(Math.Clamp((double)current / total, 0, 1) * 100) / 2;
        return "[" + new string('=', filled) + ">" + new string(' ', BarWidth - filled) + "] " + numbers;
    }

    private static readonly string[] Units = ["B", "kB", "MB", "GB", "TB", "PB"];

    /// <summary>Decimal size with four significant digits, as Docker's progress shows it: 1.234MB, 512B.</summary>
    public static string Size(long bytes)
    {
        double v = bytes;
        int unit = 0;
        while (v >= 1000 && unit < Units.Length - 1) { v /= 1000; unit++; }
        string digits = v.ToString("G4", CultureInfo.InvariantCulture);
        if (digits.Contains('E')) digits = Math.Round(v).ToString(CultureInfo.InvariantCulture);
        return digits + Units[unit];
    }
}
