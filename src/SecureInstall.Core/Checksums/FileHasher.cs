using System.Buffers;
using System.Security.Cryptography;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Checksums;

/// <summary>Hashes streams and files in one pass through a pooled buffer with the platform's implementation.</summary>
public static class FileHasher
{
    /// <summary>Large reads keep syscall overhead out of the way of SHA-NI; one buffer per concurrent hash, pooled.</summary>
    public const int BufferSize = 1024 * 1024;

    /// <summary>Hashes the rest of <paramref name="stream"/>; returns lower-case hex. Reports bytes read so far.</summary>
    public static string Hash(Stream stream, ChecksumAlgorithm algorithm, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (stream == null) throw new ArgumentNullException(nameof(stream));
        return HashChunks(buffer => stream.Read(buffer, 0, BufferSize), algorithm, progress, cancellationToken);
    }

    private static string HashChunks(Func<byte[], int> read, ChecksumAlgorithm algorithm, IProgress<long>? progress, CancellationToken cancellationToken) =>
        HashChunks(read, new[] { algorithm }, progress, cancellationToken).Digests[0];

    /// <summary>Every algorithm over the same bytes, read once: a list giving two digests of a file has both checked.</summary>
    private static (string[] Digests, long Length) HashChunks(Func<byte[], int> read, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var hashes = new HashAlgorithm[algorithms.Count];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            for (int i = 0; i < hashes.Length; i++) hashes[i] = ChecksumAlgorithms.Create(algorithms[i]);
            long total = 0;
            int count;
            while ((count = read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (HashAlgorithm hash in hashes) hash.TransformBlock(buffer, 0, count, null, 0);
                total += count;
                progress?.Report(total);
            }
            var digests = new string[hashes.Length];
            for (int i = 0; i < hashes.Length; i++)
            {
                hashes[i].TransformFinalBlock(buffer, 0, 0);
                digests[i] = Hex.Encode(hashes[i].Hash!);
            }
            return (digests, total);
        }
        finally
        {
            foreach (HashAlgorithm? hash in hashes) hash?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Hashes a file. On Linux and macOS it is read with bare open/read/close (see <see cref="UnixFileReader"/>: half the
    /// system calls of a FileStream, which is what decides the time for thousands of small files); elsewhere through a
    /// FileStream opened for shared reading, without its own buffer (we read in large blocks already).
    /// </summary>
    public static string HashFile(string path, ChecksumAlgorithm algorithm, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        HashFile(path, new[] { algorithm }, progress, cancellationToken).Digests[0];

    /// <summary>Hashes a file with several algorithms in one read; returns the digests in the order asked and the bytes read.</summary>
    public static (string[] Digests, long Length) HashFile(string path, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (algorithms == null || algorithms.Count == 0) throw new ArgumentException("Name at least one algorithm.", nameof(algorithms));
        if (!UnixFileReader.IsAvailable)
        {
            using FileStream stream = OpenRead(path);
            return HashChunks(buffer => stream.Read(buffer, 0, BufferSize), algorithms, progress, cancellationToken);
        }
        int fd = UnixFileReader.Open(path);
        try
        {
            return HashChunks(buffer => UnixFileReader.Read(fd, buffer, BufferSize, path), algorithms, progress, cancellationToken);
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    public static FileStream OpenRead(string path) =>
        InputFile.OpenRead(path, FileShare.Read | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
}
