using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
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

    /// <summary>A target that pauses before every few writes (a slow disk), and fails one when told (a full disk).</summary>
    private sealed class SlowTarget : MemoryStream
    {
        private int _writes;

        /// <summary>Every this many writes sleep first (0: never).</summary>
        public int SlowEvery { get; init; }

        /// <summary>The write (1-based) that fails with an I/O error, or 0.</summary>
        public int FailAt { get; init; }

        public override void Write(byte[] buffer, int offset, int count)
        {
            int n = Interlocked.Increment(ref _writes);
            if (n == FailAt) throw new IOException($"No space left on device (write {n})");
            if (SlowEvery > 0 && n % SlowEvery == 0) Thread.Sleep(15);
            base.Write(buffer, offset, count);
        }
    }

    /// <summary>A response body that gives its bytes 16 KiB a read and, once it has given <c>cutAt</c>, fails as a reset connection does.</summary>
    private sealed class CutBody(byte[] data, int cutAt) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= cutAt) throw new IOException("Connection reset by peer");
            int n = Math.Min(Math.Min(count, 16 * 1024), cutAt - _position);
            Buffer.BlockCopy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static readonly Uri Body = new("https://example.invalid/artifact.bin");

    [Fact]
    public async Task Copy_ToATargetSlowerThanTheNetwork_WritesAndHashesEveryChunkOnce_InOrder()
    {
        // The hash and the write of a chunk run on two threads while the next chunk is read into the other buffer: a buffer
        // handed back to the reader while the (slower) writer still reads it would put the next chunk's bytes in the file.
        byte[] data = RandomNumberGenerator.GetBytes(1024 * 1024 + 123);
        using var target = new SlowTarget { SlowEvery = 3 };
        using var sink = new DigestSink(target, ChecksumAlgorithm.SHA512);

        await new ChunkedCopy(64 * 1024).CopyAsync(new MemoryStream(data), sink, data.Length, long.MaxValue, Body, null, null, CancellationToken.None);

        Assert.Equal(data, target.ToArray());
        Assert.Equal(data.Length, sink.Length);
        (string sha256, string sha512) = sink.Finish();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(data)), sha512);
    }

    [Fact]
    public async Task Copy_WhoseTargetFailsOnItsFifthWrite_RaisesThatFailure_NotOneToRetry()
    {
        // A full disk on the writer thread is the copy's failure (not a network failure to resume after), whichever read the
        // other thread is in when it happens; the hash thread is let finish so the sink disposes.
        byte[] data = RandomNumberGenerator.GetBytes(1024 * 1024);
        using var target = new SlowTarget { FailAt = 5 };
        var sink = new DigestSink(target, null);
        using var watch = new StallWatch(TimeSpan.FromMinutes(1), CancellationToken.None);

        IOException ex = await Assert.ThrowsAsync<IOException>(() =>
            new ChunkedCopy(64 * 1024).CopyAsync(new CutBody(data, data.Length), sink, data.Length, long.MaxValue, Body, null, watch, CancellationToken.None));

        Assert.Equal("No space left on device (write 5)", ex.Message);
        sink.Dispose();
    }

    [Fact]
    public async Task Copy_CutOffMidChunk_KeepsWhatArrivedAfterTheChunkInFlight_AndTheResumeGivesTheWholeFileAndDigest()
    {
        // The reset lands while a chunk is still being written (the target is slow) and part of the next has arrived: that part
        // is kept, written after the chunk in flight, hashed once; the resumed copy appends the rest.
        byte[] data = RandomNumberGenerator.GetBytes(1024 * 1024 + 77);
        const int cutAt = 300_001;
        using var target = new SlowTarget { SlowEvery = 2 };
        using var sink = new DigestSink(target, null);
        var copy = new ChunkedCopy(64 * 1024);
        using (var watch = new StallWatch(TimeSpan.FromMinutes(1), CancellationToken.None))
        {
            await Assert.ThrowsAsync<TransientFailure>(() =>
                copy.CopyAsync(new CutBody(data, cutAt), sink, data.Length, long.MaxValue, Body, null, watch, CancellationToken.None));
        }
        Assert.Equal(cutAt, sink.Length);
        Assert.Equal(data.AsSpan(0, cutAt).ToArray(), target.ToArray());

        using (var watch = new StallWatch(TimeSpan.FromMinutes(1), CancellationToken.None))
        {
            await copy.CopyAsync(new MemoryStream(data, cutAt, data.Length - cutAt), sink, data.Length, long.MaxValue, Body, null, watch, CancellationToken.None);
        }

        Assert.Equal(data, target.ToArray());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sink.Finish().Sha256);
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
