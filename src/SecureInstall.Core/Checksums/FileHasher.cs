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
        return HashChunks((buffer, count) => stream.Read(buffer, 0, count), new[] { algorithm }, progress, managedWhenSmall: false, cancellationToken).Digests[0];
    }

    /// <summary>
    /// A file this small, hashed alone (<see cref="HashFile(string, IReadOnlyList{ChecksumAlgorithm}, IProgress{long}?, bool, CancellationToken)"/>
    /// with managedWhenSmall), goes through <see cref="ChecksumAlgorithms.CreateManaged"/>: at this size loading the
    /// platform's implementation costs more than hashing with the managed one.
    /// </summary>
    internal const int SmallFileBytes = 64 * 1024;

    /// <summary>Every algorithm over the same bytes, read once: a list giving two digests of a file has both checked.</summary>
    /// <param name="read">Reads up to the count given into the start of the buffer; 0 at the end.</param>
    private static (string[] Digests, long Length) HashChunks(Func<byte[], int, int> read, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress,
        bool managedWhenSmall, CancellationToken cancellationToken)
    {
        var hashes = new HashAlgorithm[algorithms.Count];
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            int count = read(buffer, BufferSize);
            int offset = 0;
            if (managedWhenSmall && count <= SmallFileBytes)
            {
                // The first read's bytes move above the window a second read fills: that read says whether they are all.
                Buffer.BlockCopy(buffer, 0, buffer, SmallFileBytes, count);
                offset = SmallFileBytes;
                int more = count == 0 ? 0 : read(buffer, SmallFileBytes);
                cancellationToken.ThrowIfCancellationRequested();
                if (more == 0)
                {
                    progress?.Report(count);
                    return (ManagedDigests(algorithms, buffer, offset, count), count);
                }
                // Larger than its first read: the platform's implementation, the first read's bytes first.
                for (int i = 0; i < hashes.Length; i++) hashes[i] = ChecksumAlgorithms.Create(algorithms[i]);
                foreach (HashAlgorithm hash in hashes) hash.TransformBlock(buffer, offset, count, null, 0);
                total = count;
                progress?.Report(total);
                (count, offset) = (more, 0);
            }
            else
            {
                for (int i = 0; i < hashes.Length; i++) hashes[i] = ChecksumAlgorithms.Create(algorithms[i]);
            }
            while (count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (HashAlgorithm hash in hashes) hash.TransformBlock(buffer, 0, count, null, 0);
                total += count;
                progress?.Report(total);
                count = read(buffer, BufferSize);
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

    private static string[] ManagedDigests(IReadOnlyList<ChecksumAlgorithm> algorithms, byte[] buffer, int offset, int count)
    {
        var digests = new string[algorithms.Count];
        for (int i = 0; i < digests.Length; i++)
        {
            Org.BouncyCastle.Crypto.IDigest digest = ChecksumAlgorithms.CreateManaged(algorithms[i]);
            digest.BlockUpdate(buffer, offset, count);
            byte[] result = new byte[digest.GetDigestSize()];
            digest.DoFinal(result, 0);
            digests[i] = Hex.Encode(result);
        }
        return digests;
    }

    /// <summary>
    /// Hashes a file. On Linux and macOS it is read with bare open/read/close (see <see cref="UnixFileReader"/>: half the
    /// system calls of a FileStream, which is what decides the time for thousands of small files); elsewhere through a
    /// FileStream opened for shared reading, without its own buffer (we read in large blocks already).
    /// </summary>
    public static string HashFile(string path, ChecksumAlgorithm algorithm, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        HashFile(path, new[] { algorithm }, progress, managedWhenSmall: false, cancellationToken).Digests[0];

    /// <summary>Hashes a file with several algorithms in one read; returns the digests in the order asked and the bytes read.</summary>
    public static (string[] Digests, long Length) HashFile(string path, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default) =>
        HashFile(path, algorithms, progress, managedWhenSmall: false, cancellationToken);

    /// <param name="managedWhenSmall">The file is the only one this process hashes: up to <see cref="SmallFileBytes"/> it is hashed with the managed implementation.</param>
    internal static (string[] Digests, long Length) HashFile(string path, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress,
        bool managedWhenSmall, CancellationToken cancellationToken)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (algorithms == null || algorithms.Count == 0) throw new ArgumentException("Name at least one algorithm.", nameof(algorithms));
        if (!UnixFileReader.IsAvailable)
        {
            using FileStream stream = OpenRead(path);
            return HashChunks((buffer, count) => stream.Read(buffer, 0, count), algorithms, progress, managedWhenSmall, cancellationToken);
        }
        int fd = UnixFileReader.Open(path);
        try
        {
            return HashChunks((buffer, count) => UnixFileReader.Read(fd, buffer, count, path), algorithms, progress, managedWhenSmall, cancellationToken);
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    public static FileStream OpenRead(string path) =>
        InputFile.OpenRead(path, FileShare.Read | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
}
