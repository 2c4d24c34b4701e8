// ChannelTrace: the trace inside `minirun init`, which sends its lines to the parent.
//
// Why: init's stdout and stderr belong to the container (or are its terminal), so init never
// prints narration itself; it sends each line over the sync socket ("T <line>") and the parent
// prints it. In pause mode a step first asks the parent ("P <line>") and waits for "A".
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

    public void Step(string title, string why)
    {
        if (!Enabled) return;
        string text = TraceFormat.Step(title, why);
        if (!_pause) { _channel.Send("T " + text); return; }
        _channel.Send("P " + text);
        string? ack = _channel.Receive();
        if (ack != "A") throw new InvalidOperationException("trace pause: the parent went away");
    }

    public void Call(string call, string result) { if (Enabled) _channel.Send("T " + TraceFormat.Call(_number++, call, result)); }
    public void Note(string text) { if (Enabled) _channel.Send("T " + TraceFormat.Note(text)); }
}
