using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Where downloaded bytes go: written to the target stream and hashed in the same pass (SHA-256 always, for the
/// result and the cache; the expected algorithm too when it is another one). Resumed transfers append, so the
/// digest covers the whole file; <see cref="Reset"/> starts over when a server ignores a range request.
/// </summary>
internal sealed class DigestSink : IDisposable
{
    internal const int PrefixSize = 64;
    /// <summary>
    /// Each chunk is hashed and written this much at a time. 16 KiB, not 128 KiB: on Linux 6.x (ext4 with large folios) a
    /// larger write() makes the kernel copy into freshly allocated large folios, and that copy cost 2-3x the system time per
    /// byte. Measured (issue 20) pulling 1 GiB from the loopback docker-registry, three interleaved runs each: 128 KiB slices
    /// 3.36-3.51 s system time, 16 KiB 0.84-1.61 s, 8 KiB 1.04-1.77 s (user time the same, 1.4-1.5 s); a write loop of 1 GiB
    /// alone showed the same step between 16 KiB and 64 KiB writes. Re-checked with 5 interleaved runs each (load 17-45): system
    /// time 8 KiB 1.14-2.57 s, 16 KiB 1.06-1.49 s, 32 KiB 1.17-2.77 s, 64 KiB 2.22-3.39 s, 128 KiB 2.58-3.83 s.
    /// </summary>
    private const int Slice = 16 * 1024;
    private readonly Stream _target;
    private readonly ChecksumAlgorithm? _extra;
    private HashAlgorithm _sha256;
    private HashAlgorithm? _extraHash;
    private readonly ChecksumAlgorithm[] _companions;
    private HashAlgorithm[] _companionHashes;
    private readonly WriteBehind? _writeBehind;
    private ChunkThread? _hasher;
    private ChunkThread? _writer;

    /// <param name="flushing">The target will be flushed to disk at the end: push it out while the download runs.</param>
    /// <param name="companions">Further algorithms to hash the same bytes with (a list that gives a file two digests).</param>
    public DigestSink(Stream target, ChecksumAlgorithm? expectedAlgorithm, bool flushing = false, System.Collections.Generic.IReadOnlyList<ChecksumAlgorithm>? companions = null)
    {
        _companions = companions == null ? Array.Empty<ChecksumAlgorithm>() : System.Linq.Enumerable.ToArray(companions);
        _companionHashes = Array.ConvertAll(_companions, ChecksumAlgorithms.Create);
        _target = target;
        _extra = expectedAlgorithm is null or ChecksumAlgorithm.SHA256 ? null : expectedAlgorithm;
        _sha256 = ChecksumAlgorithms.Create(ChecksumAlgorithm.SHA256);
        _extraHash = _extra.HasValue ? ChecksumAlgorithms.Create(_extra.Value) : null;
        if (flushing && target is FileStream file) _writeBehind = new WriteBehind(file);
    }

    /// <summary>Bytes written so far (also the offset a resumed request asks for).</summary>
    public long Length { get; private set; }

    /// <summary>The first bytes of the body, for recognising an HTML page.</summary>
    public byte[] Prefix { get; } = new byte[PrefixSize];

    public int PrefixLength { get; private set; }

    /// <summary>
    /// Hashes and writes one chunk on the calling thread, a slice at a time: each slice is hashed and then written while it
    /// is still in the CPU cache (hashing a whole 1 MiB chunk before writing it on the same thread made it leave the cache,
    /// ~1.7x slower). Used for a body's first and last chunks and for a resumed transfer's kept bytes; the chunks between go
    /// through <see cref="BeginWrite"/>. (Writing on the reading thread while another hashed took 1.5x as long: the reading
    /// thread is the one that must not wait.)
    /// </summary>
    public void Write(byte[] buffer, int count)
    {
        KeepPrefix(buffer, count);
        for (int offset = 0; offset < count; offset += Slice)
        {
            int n = Math.Min(Slice, count - offset);
            HashSlice(buffer, offset, n);
            _target.Write(buffer, offset, n);
        }
        Length += count;
        _writeBehind?.Wrote(count);
    }

    /// <summary>
    /// Starts a chunk's hash and its write, each on a thread of its own and both reading the same buffer, so the caller can
    /// read the next chunk meanwhile; the buffer is the sink's until <see cref="EndWrite"/> returns.
    /// </summary>
    /// <remarks>
    /// Three stages, not two: the network read, the hash and the page-cache write each take a CPU-second or less per GiB,
    /// and on one thread the hash and the write were the slowest stage of a download (about curl's whole run on their own).
    /// A write into freshly allocated page-cache pages is the costly part on a VM that hands freed memory back to its host
    /// (1-3 CPU-s per GiB here, against 0.2 s when the pages are warm): the writer now does only that. Measured: see the
    /// commit. With one core there is nothing to overlap, and a chunk is hashed and written on one thread as before.
    /// </remarks>
    public void BeginWrite(byte[] buffer, int count)
    {
        if (!Overlapped)
        {
            _writer ??= new ChunkThread(Write, "SecureInstall hash+write");
            _writer.Start(buffer, count);
            return;
        }
        KeepPrefix(buffer, count);
        _hasher ??= new ChunkThread(Hash, "SecureInstall hash");
        _writer ??= new ChunkThread(WriteOnly, "SecureInstall write");
        _hasher.Start(buffer, count);
        _writer.Start(buffer, count);
    }

    /// <summary>Waits for the chunk given to <see cref="BeginWrite"/>, if any, and rethrows its failure (the write's first).</summary>
    public void EndWrite()
    {
        try
        {
            _writer?.Wait();
        }
        finally
        {
            _hasher?.Wait();
        }
    }

    private static readonly bool Overlapped = Environment.ProcessorCount > 1;

    private void KeepPrefix(byte[] buffer, int count)
    {
        if (PrefixLength >= PrefixSize) return;
        int n = Math.Min(count, PrefixSize - PrefixLength);
        Buffer.BlockCopy(buffer, 0, Prefix, PrefixLength, n);
        PrefixLength += n;
    }

    private void Hash(byte[] buffer, int count)
    {
        for (int offset = 0; offset < count; offset += Slice) HashSlice(buffer, offset, Math.Min(Slice, count - offset));
    }

    /// <summary>Every digest the sink keeps, over one slice.</summary>
    private void HashSlice(byte[] buffer, int offset, int count)
    {
        _sha256.TransformBlock(buffer, offset, count, null, 0);
        _extraHash?.TransformBlock(buffer, offset, count, null, 0);
        foreach (HashAlgorithm companion in _companionHashes) companion.TransformBlock(buffer, offset, count, null, 0);
    }

    private void WriteOnly(byte[] buffer, int count)
    {
        for (int offset = 0; offset < count; offset += Slice) _target.Write(buffer, offset, Math.Min(Slice, count - offset));
        Length += count;
        _writeBehind?.Wrote(count);
    }

    /// <summary>Throws away what was received: the next bytes are the start of the file again.</summary>
    public void Reset()
    {
        _writeBehind?.Wait();
        _target.SetLength(0);
        _target.Position = 0;
        _sha256.Dispose();
        _sha256 = ChecksumAlgorithms.Create(ChecksumAlgorithm.SHA256);
        if (_extra.HasValue)
        {
            _extraHash!.Dispose();
            _extraHash = ChecksumAlgorithms.Create(_extra.Value);
        }
        foreach (HashAlgorithm companion in _companionHashes) companion.Dispose();
        _companionHashes = Array.ConvertAll(_companions, ChecksumAlgorithms.Create);
        Length = 0;
        PrefixLength = 0;
    }

    /// <summary>The SHA-256, and the digest in the expected algorithm (the same string when that is SHA-256).</summary>
    public (string Sha256, string Expected) Finish()
    {
        _writeBehind?.Wait();
        _sha256.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        string sha = Hex.Encode(_sha256.Hash!);
        if (_extraHash == null) return (sha, sha);
        _extraHash.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return (sha, Hex.Encode(_extraHash.Hash!));
    }

    /// <summary>The digests of the companion algorithms, in the order given; call once, after <see cref="Finish"/>.</summary>
    public string[] FinishCompanions() => Array.ConvertAll(_companionHashes, h =>
    {
        h.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return Hex.Encode(h.Hash!);
    });

    /// <summary>Whether the body starts like an HTML document (after a BOM and white space).</summary>
    public string? HtmlEvidence()
    {
        int i = IO.TextDecoding.Utf8BomLength(Prefix, PrefixLength);
        while (i < PrefixLength && (Prefix[i] == ' ' || Prefix[i] == '\t' || Prefix[i] == '\r' || Prefix[i] == '\n')) i++;
        foreach (string marker in new[] { "<!doctype html", "<html" })
        {
            if (PrefixLength - i < marker.Length) continue;
            bool match = true;
            for (int k = 0; k < marker.Length && match; k++)
            {
                match = char.ToLowerInvariant((char)Prefix[i + k]) == marker[k];
            }
            if (match) return $"the body starts with '{marker}'";
        }
        return null;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _hasher?.Dispose();
        _writeBehind?.Wait();
        _sha256.Dispose();
        _extraHash?.Dispose();
        foreach (HashAlgorithm companion in _companionHashes) companion.Dispose();
    }
}
