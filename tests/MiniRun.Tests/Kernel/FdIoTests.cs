// FdIo on real pipes: a write larger than a pipe's buffer arrives whole through short writes
// (a reader drains it meanwhile), a read stops at end of file or at its limit, and a write to a
// pipe with no reader reports EPIPE instead of losing the data silently.
using MiniRun.Kernel;
using Xunit;

namespace MiniRun.Tests.Kernel;

public class FdIoTests
{
    [Fact]
    public async Task A_write_larger_than_the_pipe_arrives_whole_and_read_stops_at_end_of_file()
    {
        var (r, w) = Libc.Pipe();
        var data = new byte[1 << 18];   // 256 KiB: four times a pipe's default 64 KiB, so write(2) returns short
        new Random(7).NextBytes(data);
        byte[] got = [];
        var reader = Task.Run(() => FdIo.ReadToEnd(r, out got));
        Assert.Equal(0, FdIo.WriteAll(w, data));
        Libc.close(w);
        Assert.Equal(0, await reader);
        Libc.close(r);
        Assert.Equal(data, got);
    }

    [Fact]
    public void Read_stops_at_its_limit()
    {
        var (r, w) = Libc.Pipe();
        Assert.Equal(0, FdIo.WriteAll(w, new byte[100]));
        Assert.Equal(0, FdIo.ReadToEnd(r, out var got, limit: 10));
        Libc.close(w);
        Libc.close(r);
        Assert.Equal(10, got.Length);
    }

    [Fact]
    public void A_write_with_no_reader_reports_EPIPE_and_a_bad_descriptor_EBADF()
    {
        var (r, w) = Libc.Pipe();
        Libc.close(r);
        Assert.Equal(Errno.EPIPE, FdIo.WriteAll(w, new byte[] { 1 }));   // .NET ignores SIGPIPE
        Libc.close(w);
        Assert.Equal(Errno.EBADF, FdIo.ReadToEnd(w, out _));
    }
}
