using System.Buffers;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// A file kind that carries an embedded Authenticode signature (PE image, cabinet, MSI): where the PKCS#7 blob is, which
/// SpcIndirectDataContent type it must sign, and the digest its format defines. The CMS, chain, EKU and timestamp checks
/// are the same for all (<see cref="ManagedAuthenticode"/>).
/// </summary>
internal interface IAuthenticodeContainer
{
    /// <summary>"PE image", "cabinet", "MSI": how messages name the file kind.</summary>
    string Kind { get; }

    /// <summary>The SpcIndirectDataContent data type a signature of this kind must carry (SpcPeImageData, SpcCabData, SpcSipInfo).</summary>
    string IndirectDataType { get; }

    /// <summary>For an SpcSipInfo kind whose SIP is checked (PowerShell scripts), the SIP GUID its signatures must name; else null.</summary>
    byte[]? SipGuid { get; }

    bool IsSigned { get; }

    /// <summary>Why the file counts as unsigned, for the message ("its certificate table is empty").</summary>
    string UnsignedReason { get; }

    /// <summary>The DER PKCS#7 SignedData; anything but zero padding after it is refused as data no hash covers.</summary>
    byte[] ReadSignature(Stream stream);

    /// <summary>The format's Authenticode digest for each algorithm, in one pass over the file.</summary>
    IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(Stream stream, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel);

    /// <summary>
    /// What is wrong besides the digest, once the digest matched (an MSI's MsiDigitalSignatureEx stream that is not the
    /// metadata pre-hash it claims to be); null when nothing.
    /// </summary>
    string? FailureAfterDigest(ChecksumAlgorithm algorithm);
}

/// <summary>
/// Picks the container by the file's first bytes (a program is one whatever its name), and only for text, which has no
/// magic, by its name (PowerShell scripts, as Windows picks the SIP); and the helpers every container reads with.
/// </summary>
internal static class AuthenticodeContainer
{
    internal static readonly byte[] CompoundFileMagic = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };

    /// <summary>How messages and the check list name a kind's digest: "image hash" (the specification's word), "cabinet hash", "MSI hash", "script hash".</summary>
    public static string HashName(string kind) => kind switch
    {
        PeImage.KindName => "image hash",
        PowerShellScript.KindName => "script hash",
        _ => kind + " hash",
    };

    /// <summary>A signature blob is read whole; real ones are a few KiB to a few hundred KiB.</summary>
    internal const int MaxSignatureBytes = 16 * 1024 * 1024;

    /// <summary>
    /// The kind the magic names: "MZ" a PE image, "MSCF" a cabinet, D0 CF 11 E0 A1 B1 1A E1 an OLE compound file (MSI);
    /// else "PowerShell script" when <paramref name="name"/> ends in .ps1, .psm1, .psd1 or .ps1xml; else null.
    /// </summary>
    public static string? KindOf(Stream stream, string? name = null) =>
        MagicKindOf(stream) ?? (PowerShellScript.IsScriptName(name) ? PowerShellScript.KindName : null);

    private static string? MagicKindOf(Stream stream)
    {
        stream.Position = 0;
        byte[] head = new byte[8];
        int read = 0;
        while (read < head.Length)
        {
            int n = stream.Read(head, read, head.Length - read);
            if (n <= 0) break;
            read += n;
        }
        stream.Position = 0;
        if (read >= 2 && head[0] == 'M' && head[1] == 'Z') return PeImage.KindName;
        if (read >= 4 && head[0] == 'M' && head[1] == 'S' && head[2] == 'C' && head[3] == 'F') return CabinetImage.KindName;
        if (read == 8 && head.SequenceEqual(CompoundFileMagic)) return MsiImage.KindName;
        return null;
    }

    /// <param name="name">the name that says whether text is a PowerShell script (a download's URI while it is checked in a temporary file).</param>
    /// <exception cref="InvalidOperationException">the file is none of the kinds (callers ask <see cref="KindOf"/> first).</exception>
    public static IAuthenticodeContainer Read(Stream stream, string path, string name, CancellationToken cancel) => KindOf(stream, name) switch
    {
        PeImage.KindName => PeImage.Read(stream, path),
        CabinetImage.KindName => CabinetImage.Read(stream, path),
        MsiImage.KindName => MsiImage.Read(stream, path, cancel),
        PowerShellScript.KindName => PowerShellScript.Read(stream, name, path),
        _ => throw new InvalidOperationException($"'{path}' is not a PE, cabinet, MSI file or PowerShell script."),
    };

    /// <summary><paramref name="count"/> bytes at <paramref name="offset"/>, or null when they are not all inside the stream.</summary>
    public static byte[]? TryReadAt(Stream stream, long offset, int count)
    {
        if (offset < 0 || count < 0 || offset + count > stream.Length) return null;
        stream.Position = offset;
        byte[] bytes = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = stream.Read(bytes, read, count - read);
            if (n <= 0) return null;
            read += n;
        }
        return bytes;
    }

    /// <summary>Feeds the bytes [from, to) of the stream to every hasher.</summary>
    public static void Feed(Stream stream, long from, long to, IEnumerable<HashAlgorithm> hashers, byte[] buffer, CancellationToken cancel)
    {
        stream.Position = from;
        long left = to - from;
        while (left > 0)
        {
            cancel.ThrowIfCancellationRequested();
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n <= 0) throw new EndOfStreamException("the file became shorter while it was hashed");
            foreach (HashAlgorithm h in hashers) h.TransformBlock(buffer, 0, n, null, 0);
            left -= n;
        }
    }

    /// <summary>Hashers for the distinct algorithms, the pooled buffer, and the finished digests: the frame every container's Hash fills.</summary>
    public static IReadOnlyDictionary<ChecksumAlgorithm, byte[]> HashWith(IEnumerable<ChecksumAlgorithm> algorithms, Action<IReadOnlyDictionary<ChecksumAlgorithm, HashAlgorithm>, byte[]> feed)
    {
        var hashers = algorithms.Distinct().ToDictionary(a => a, ChecksumAlgorithms.Create);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            feed(hashers, buffer);
            var digests = new Dictionary<ChecksumAlgorithm, byte[]>();
            foreach (var pair in hashers)
            {
                pair.Value.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                digests[pair.Key] = pair.Value.Hash!;
            }
            return digests;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            foreach (HashAlgorithm h in hashers.Values) h.Dispose();
        }
    }

    /// <summary>
    /// The DER SEQUENCE at the start of <paramref name="blob"/>[at..at+available), checked to be followed by nothing but
    /// zero padding; returns the DER bytes or the reason it is refused (definite lengths only: BER's indefinite form is
    /// not Authenticode, and bytes after the signature are covered by no hash).
    /// </summary>
    public static byte[]? SignatureDer(byte[] blob, int at, int available, out string? failure)
    {
        failure = null;
        if (available < 2 || blob[at] != 0x30)
        {
            failure = "it does not hold a DER SEQUENCE (PKCS#7 ContentInfo)";
            return null;
        }
        int first = blob[at + 1];
        long content, header;
        if (first < 0x80)
        {
            content = first;
            header = 2;
        }
        else
        {
            int count = first & 0x7F;
            if (count == 0 || count > 4 || available < 2 + count)
            {
                failure = "the signature's DER length is indefinite or unreadable";
                return null;
            }
            content = 0;
            for (int i = 0; i < count; i++) content = (content << 8) | blob[at + 2 + i];
            header = 2 + count;
        }
        if (header + content > available)
        {
            failure = $"the signature claims {header + content} bytes but only {available} are there";
            return null;
        }
        int length = (int)(header + content);
        for (int i = at + length; i < at + available; i++)
        {
            if (blob[i] != 0)
            {
                failure = $"{available - length} bytes follow the signature and are not zero padding (data hidden where no hash covers it)";
                return null;
            }
        }
        byte[] der = new byte[length];
        Buffer.BlockCopy(blob, at, der, 0, length);
        return der;
    }
}
