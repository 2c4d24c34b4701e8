// ChannelTrace: the trace inside `minirun init`, which sends its lines to the parent.
//
// Why: init's stdout and stderr belong to the container (or are its terminal), so init never
// prints narration itself; it sends each line over the sync socket ("T <line>") and the parent
// prints it (numbering its step heading, shortening and wrapping it). In pause mode a step first
// asks the parent ("P <line>") and waits for "A". A fact for the closing summary goes as
// "R <fact> <value>". The narration is in the language the parent passed in _MINIRUN_TRACE.
using MiniRun.Runtime;

namespace MiniRun.Trace;

public sealed class ChannelTrace : ITrace
{
    private readonly SyncChannel _channel;
    private readonly bool _pause;
    private int _number;

    public ChannelTrace(SyncChannel channel, int firstNumber, bool pause)
    {
        _channel = channel;
        _number = firstNumber;
        _pause = pause;
    }

    /// <summary>The parent numbered more calls after the clone (a user namespace's maps): continue after them ("N", sync 0).</summary>
    public void ContinueFrom(int number) => _number = number;

    /// <summary>Off once the channel is closed: after `create` reported "W", its parent (the reader) is gone.</summary>
    public bool Enabled => _channel.Fd >= 0;

    public void Step(Narration title, Narration why)
    {
        if (!Enabled) return;
        string text = TraceFormat.Step(title.Text, why.Text);
        if (!_pause) { _channel.Send("T " + text); return; }
        _channel.Send("P " + text);
        string? ack = _channel.Receive();
        if (ack != "A") throw new InvalidOperationException("trace pause: the parent went away");
    }

    public void Call(string call, string result) { if (Enabled) _channel.Send("T " + TraceFormat.Call(_number++, call, result)); }
    public void Note(Narration text) { if (Enabled) _channel.Send("T " + TraceFormat.Note(text.Text)); }
    public void Listing(string line) { if (Enabled) _channel.Send("T " + TraceFormat.Note(line)); }
    public void Fact(TraceFact fact, string value) { if (Enabled) _channel.Send($"R {(int)fact} {value}"); }
}
