using System.Security.Cryptography;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class FileHasherGrowthTests
{
    /// <summary>Appends to the file being hashed once the hasher has read <c>at</c> bytes: it must read on to the new end.</summary>
    private sealed class AppendWhenRead : IProgress<long>
    {
        private readonly string _path;
        private readonly byte[] _tail;
        private readonly long _at;
        private bool _done;

        public AppendWhenRead(string path, byte[] tail, long at)
        {
            _path = path;
            _tail = tail;
            _at = at;
        }

        public void Report(long value)
        {
            if (_done || value < _at) return;
            _done = true;
            using var f = new FileStream(_path, FileMode.Append, FileAccess.Write);
            f.Write(_tail, 0, _tail.Length);
        }
    }

    [Fact]
    public void AFileThatGrowsWhileItIsHashed_IsReadUntilReadAnswersZero_NotUntilTheSizeItHadWhenOpened()
    {
        // sha256sum's rule: bytes after the size the file had when opened (a download still being written, a stale size on
        // a network file system) are part of what is checked, never silently left out of the digest.
        using var dir = new TempDir();
        // Exactly three reads' worth, so the reads land on the size the file had when it was opened, and it grows just then.
        byte[] body = RandomNumberGenerator.GetBytes(3 * FileHasher.BufferSize);
        byte[] tail = RandomNumberGenerator.GetBytes(1000);
        string path = dir.File("growing.bin", string.Empty);
        File.WriteAllBytes(path, body);

        (string[] digests, long length) = FileHasher.HashFile(path, new[] { ChecksumAlgorithm.SHA256 }, new AppendWhenRead(path, tail, body.Length));

        Assert.Equal(body.Length + tail.Length, length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body.Concat(tail).ToArray())), digests[0]);
    }
}
