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
        return HashChunks((buffer, offset, count) => stream.Read(buffer, offset, count), new[] { algorithm }, progress, managedWhenSmall: false, null, cancellationToken).Digests[0];
    }

    /// <summary>
    /// A file this small, hashed alone (<see cref="HashFile(string, IReadOnlyList{ChecksumAlgorithm}, IProgress{long}?, bool, CancellationToken)"/>
    /// with managedWhenSmall), goes through <see cref="ChecksumAlgorithms.CreateManaged"/>: at this size loading the
    /// platform's implementation costs more than hashing with the managed one.
    /// </summary>
    internal const int SmallFileBytes = 64 * 1024;

    /// <summary>Every algorithm over the same bytes, read once: a list giving two digests of a file has both checked.</summary>
    /// <param name="read">Reads up to the count given into the buffer at the offset given; 0 at the end.</param>
    /// <param name="scratch">The calling thread's buffer and hash objects when it hashes many files, or null.</param>
    private static (string[] Digests, long Length) HashChunks(Func<byte[], int, int, int> read, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress,
        bool managedWhenSmall, HashScratch? scratch, CancellationToken cancellationToken)
    {
        var hashes = new HashAlgorithm[algorithms.Count];
        byte[]? buffer = null;
        bool finished = false;
        try
        {
            long total = 0;
            if (managedWhenSmall)
            {
                // Up to one byte more than a small file, read until the end or that byte: the end says it is small. Below
                // the large-object heap's 85,000 bytes, so one file of a few KiB checked alone costs no 1 MiB buffer.
                byte[] first = new byte[SmallFileBytes + 1];
                int filled = 0, got;
                while (filled < first.Length && (got = read(first, filled, first.Length - filled)) > 0) filled += got;
                cancellationToken.ThrowIfCancellationRequested();
                if (filled <= SmallFileBytes)
                {
                    progress?.Report(filled);
                    return (ManagedDigests(algorithms, first, 0, filled), filled);
                }
                // Larger: the platform's implementation, these bytes first.
                for (int i = 0; i < hashes.Length; i++) hashes[i] = ChecksumAlgorithms.Create(algorithms[i]);
                foreach (HashAlgorithm hash in hashes) hash.TransformBlock(first, 0, filled, null, 0);
                total = filled;
                progress?.Report(total);
            }
            else
            {
                for (int i = 0; i < hashes.Length; i++) hashes[i] = scratch?.Take(algorithms[i]) ?? ChecksumAlgorithms.Create(algorithms[i]);
            }
            buffer = scratch?.Buffer ?? ArrayPool<byte>.Shared.Rent(BufferSize);
            int count;
            while ((count = read(buffer, 0, Math.Min(buffer.Length, BufferSize))) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (HashAlgorithm hash in hashes) hash.TransformBlock(buffer, 0, count, null, 0);
                total += count;
                progress?.Report(total);
                if (scratch != null && count == buffer.Length && buffer.Length < BufferSize) buffer = scratch.Grow();
            }
            cancellationToken.ThrowIfCancellationRequested();
            var digests = new string[hashes.Length];
            for (int i = 0; i < hashes.Length; i++)
            {
                hashes[i].TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                digests[i] = Hex.Encode(hashes[i].Hash!);
            }
            finished = true;
            return (digests, total);
        }
        finally
        {
            if (scratch == null)
            {
                foreach (HashAlgorithm? hash in hashes) hash?.Dispose();
                if (buffer != null) ArrayPool<byte>.Shared.Return(buffer);
            }
            else
            {
                // A hash left midway (a read failed) is not handed back: the next file must start from a fresh state.
                for (int i = 0; i < hashes.Length; i++)
                {
                    if (hashes[i] == null) continue;
                    if (finished) scratch.Give(algorithms[i], hashes[i]);
                    else hashes[i].Dispose();
                }
            }
        }
    }

    /// <summary>
    /// What one thread that hashes many files reuses from file to file: the read buffer and one hash object per algorithm
    /// (reset before each file). Checking 10,000 files of 4 KiB, renting the buffer per file found the pool empty again
    /// and again (7% of the CPU went to allocating 1 MiB arrays on the large-object heap, which brings full collections)
    /// and creating and freeing an OpenSSL context per file took 2% more.
    /// </summary>
    internal sealed class HashScratch : IDisposable
    {
        /// <summary>Where a worker starts: below the large-object heap's 85,000 bytes.</summary>
        private const int FirstBufferBytes = 64 * 1024;

        private readonly HashAlgorithm?[] _idle = new HashAlgorithm?[(int)ChecksumAlgorithm.SHA512 + 1];

        /// <summary>
        /// 64 KiB until a file fills it, then <see cref="BufferSize"/>. A 1 MiB buffer per worker up front is a
        /// large-object allocation, and the second one (after the list's own buffer) set off a full, blocking collection
        /// of the 10,000 parsed entries just as hashing began: 4.5% of the CPU of checking 10,000 files of 4 KiB.
        /// </summary>
        public byte[] Buffer { get; private set; } = new byte[FirstBufferBytes];

        /// <summary>The full-size buffer, from now on (a file larger than the first one is being read).</summary>
        public byte[] Grow()
        {
            if (Buffer.Length < BufferSize) Buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            return Buffer;
        }

        /// <summary>A hash object of <paramref name="algorithm"/> no one else holds until it is given back.</summary>
        public HashAlgorithm Take(ChecksumAlgorithm algorithm)
        {
            HashAlgorithm? hash = _idle[(int)algorithm];
            if (hash == null) return ChecksumAlgorithms.Create(algorithm);
            _idle[(int)algorithm] = null;
            hash.Initialize(); // .NET Framework's TransformFinalBlock does not reset the state; .NET's does, and this is then cheap
            return hash;
        }

        /// <summary>Takes back a hash object of <paramref name="algorithm"/> whose last input was finished.</summary>
        public void Give(ChecksumAlgorithm algorithm, HashAlgorithm hash)
        {
            if (_idle[(int)algorithm] == null) _idle[(int)algorithm] = hash;
            else hash.Dispose();
        }

        public void Dispose()
        {
            for (int i = 0; i < _idle.Length; i++)
            {
                _idle[i]?.Dispose();
                _idle[i] = null;
            }
            if (Buffer.Length >= BufferSize) ArrayPool<byte>.Shared.Return(Buffer);
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
    /// <param name="scratch">The calling thread's reused buffer and hash objects (<see cref="ChecksumVerifier.VerifyMany"/>'s workers), or null.</param>
    /// <param name="folder">The folder to open <paramref name="nameInFolder"/> through (the same file as <paramref name="path"/>), or null.</param>
    internal static (string[] Digests, long Length) HashFile(string path, IReadOnlyList<ChecksumAlgorithm> algorithms, IProgress<long>? progress,
        bool managedWhenSmall, CancellationToken cancellationToken, HashScratch? scratch = null, IO.OpenedFolder? folder = null, string? nameInFolder = null)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (algorithms == null || algorithms.Count == 0) throw new ArgumentException("Name at least one algorithm.", nameof(algorithms));
        if (!UnixFileReader.IsAvailable)
        {
            using FileStream stream = OpenRead(path);
            return HashChunks((buffer, offset, count) => stream.Read(buffer, offset, count), algorithms, progress, managedWhenSmall, scratch, cancellationToken);
        }
        // Only a regular file is hashed: a FIFO or device listed for checking would hang the run (issue 23).
        int fd = RegularFile.OpenToRead(path, folder, nameInFolder);
        try
        {
            // Read until read() answers 0, as sha256sum does, not until the size fstat gave: a file that grows while it is
            // read, or a file system whose size is stale, must not have bytes after that size left out of its digest.
            return HashChunks((buffer, offset, count) => UnixFileReader.Read(fd, buffer, offset, count, path), algorithms, progress, managedWhenSmall, scratch, cancellationToken);
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    /// <summary>
    /// Loads the platform's implementation (OpenSSL on Linux: 2 to 3 ms of a native process's start) on a thread of its
    /// own, for a caller that is about to read a list of many files to hash: the loading and the reading overlap.
    /// </summary>
    public static Task WarmUpAsync() =>
        Task.Factory.StartNew(() => ChecksumAlgorithms.Create(ChecksumAlgorithm.SHA256).Dispose(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public static FileStream OpenRead(string path) =>
        InputFile.OpenRead(path, FileShare.Read | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
}
