using System.Security.Cryptography;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

public sealed class DigestSinkTests
{
    [Fact]
    public void ChunksWrittenOnTheSinksThread_GiveTheSameFileAndDigest_AsWritingInline()
    {
        byte[] data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        using var target = new MemoryStream();
        using var sink = new DigestSink(target, null);
        byte[][] buffers = { new byte[1024 * 1024], new byte[1024 * 1024] };

        for (int offset = 0, i = 0; offset < data.Length; offset += 1024 * 1024, i ^= 1)
        {
            int n = Math.Min(1024 * 1024, data.Length - offset);
            sink.EndWrite(); // the buffer about to be refilled is free again
            Buffer.BlockCopy(data, offset, buffers[i], 0, n);
            sink.BeginWrite(buffers[i], n);
        }
        sink.EndWrite();

        Assert.Equal(data, target.ToArray());
        Assert.Equal(data.Length, sink.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), sink.Finish().Sha256);
    }

    [SkippableFact]
    public void DiskFullOnTheSinksThread_IsRaisedByEndWrite_AndTheSinkStillDisposes()
    {
        // /dev/full fails every write with ENOSPC, as a full volume does.
        Skip.IfNot(File.Exists("/dev/full"), "needs /dev/full (Linux)");
        using var target = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
        var sink = new DigestSink(target, null);

        sink.BeginWrite(new byte[256 * 1024], 256 * 1024);
        IOException ex = Assert.ThrowsAny<IOException>(sink.EndWrite);

        Assert.Contains("space", ex.Message, StringComparison.OrdinalIgnoreCase);
        sink.EndWrite(); // reported once
        sink.Dispose();
    }
}
