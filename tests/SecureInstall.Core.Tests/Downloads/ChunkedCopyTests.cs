using System.Security.Cryptography;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

public sealed class ChunkedCopyTests
{
    /// <summary>Records the thread each read runs on.</summary>
    private sealed class ThreadRecordingStream : MemoryStream
    {
        public ThreadRecordingStream(byte[] data) : base(data, writable: false) { }

        public List<bool> OnPoolThread { get; } = new();

        public override int Read(byte[] buffer, int offset, int count)
        {
            lock (OnPoolThread) OnPoolThread.Add(Thread.CurrentThread.IsThreadPoolThread);
            return base.Read(buffer, offset, count);
        }
    }

    [Fact]
    public async Task Copy_RunsItsBlockingReadsOffTheThreadPool_AndHashesEveryByte()
    {
        byte[] data = RandomNumberGenerator.GetBytes(3 * 64 * 1024 + 17);
        using var source = new ThreadRecordingStream(data);
        using var target = new MemoryStream();
        using var sink = new DigestSink(target, null);

        await new ChunkedCopy(64 * 1024).CopyAsync(source, sink, data.Length, long.MaxValue, new Uri("file:///artifact.bin"), null, null, CancellationToken.None);

        Assert.Equal(data, target.ToArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sink.Finish().Sha256);
        Assert.NotEmpty(source.OnPoolThread);
        Assert.DoesNotContain(true, source.OnPoolThread);
    }

    [Fact]
    public async Task Copy_PastTheLimit_FailsWithSizeLimitExceeded()
    {
        byte[] data = RandomNumberGenerator.GetBytes(200_000);
        using var sink = new DigestSink(new MemoryStream(), null);

        SizeLimitExceededException ex = await Assert.ThrowsAsync<SizeLimitExceededException>(() =>
            new ChunkedCopy(64 * 1024).CopyAsync(new MemoryStream(data), sink, null, 100_000, new Uri("file:///artifact.bin"), null, null, CancellationToken.None));

        Assert.True(ex.Seen > 100_000);
    }

    [Fact]
    public async Task Copy_OfAnHtmlPage_FailsWithUnexpectedHtml()
    {
        byte[] page = System.Text.Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>Sign in</body></html>" + new string(' ', 100));
        using var sink = new DigestSink(new MemoryStream(), null);

        await Assert.ThrowsAsync<UnexpectedHtmlException>(() =>
            new ChunkedCopy(64 * 1024).CopyAsync(new MemoryStream(page), sink, page.Length, long.MaxValue, new Uri("file:///artifact.bin"), null, null, CancellationToken.None, checkHtml: true));
    }
}
