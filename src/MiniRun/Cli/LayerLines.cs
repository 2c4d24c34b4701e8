// LayerLines: the per-layer lines of `pull` and `push` ("4abcf2066143: Pull complete"): one line
// per layer ID, redrawn in place on a terminal, one-shot lines otherwise.
//
// Why: Docker's pull and push outputs share this drawing: on a terminal each layer keeps its own
// line, updated by moving the cursor up to it (ESC [ n A), clearing it (ESC [ 2K) and back down
// (ESC [ n B); without a terminal every line is simply written, with no escape sequence (the
// callers leave out the repeating progress lines there).
// Follows: moby pkg/jsonmessage (cursor movement per line ID).
namespace MiniRun.Cli;

public sealed class LayerLines
{
    private readonly TextWriter _out;
    private readonly bool _terminal;
    private readonly List<string> _ids = new();

    public LayerLines(TextWriter output, bool terminal)
    {
        _out = output;
        _terminal = terminal;
    }

    /// <summary>"ID: text", on the layer's own line (a new one the first time the ID is seen).</summary>
    public void Write(string id, string text)
    {
        string line = $"{id}: {text}";
        if (!_terminal)
        {
            _out.Write(line + "\n");
        }
        else
        {
            int index = _ids.IndexOf(id);
            if (index < 0)
            {
                _ids.Add(id);
                _out.Write("\x1b[2K" + line + "\n");
            }
            else
            {
                int up = _ids.Count - index;
                _out.Write($"\x1b[{up}A\r\x1b[2K{line}\x1b[{up}B\r");
            }
        }
        _out.Flush();
    }

    /// <summary>The next lines start a new block (the next tag of `push -a`).</summary>
    public void Clear() => _ids.Clear();
}
