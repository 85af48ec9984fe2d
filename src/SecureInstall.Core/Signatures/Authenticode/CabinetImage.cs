using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// A cabinet (MS-CAB) as far as Authenticode needs it. A signed cabinet sets FLAG_RESERVE_PRESENT with a 20-byte header
/// reserve (cbCFHeader 20, cbCFFolder and cbCFData 0) that starts 00 00 10 00 and holds the offset and size of the PKCS#7
/// blob appended after the cabinet. The digest (as Windows and osslsigncode compute it) covers the file up to the blob
/// except reserved1 (bytes 4-7) and iCabinet plus the reserve's first 16 bytes (34-55), which signing rewrites.
/// Reading refuses a blob that does not end the file, data after the DER, and a folder table that does not end where
/// coffFiles says (two readers would then see different files).
/// </summary>
internal sealed class CabinetImage : IAuthenticodeContainer
{
    internal const string KindName = "cabinet";
    private const int FixedHeader = 36, SignedHeader = 60, FolderSize = 8, MaxNameBytes = 256;
    private const ushort FlagPrevCabinet = 0x0001, FlagNextCabinet = 0x0002, FlagReservePresent = 0x0004;

    private CabinetImage(string path, long signatureOffset, long signatureSize, string unsignedReason)
    {
        Path = path;
        SignatureOffset = signatureOffset;
        SignatureSize = signatureSize;
        UnsignedReason = unsignedReason;
    }

    public string Path { get; }
    public long SignatureOffset { get; }
    public long SignatureSize { get; }
    public string Kind => KindName;
    public string IndirectDataType => AuthenticodeSignedData.SpcCabData;
    public byte[]? SipGuid => null;
    public bool IsSigned => SignatureSize > 0;
    public string UnsignedReason { get; }
    public string? FailureAfterDigest(ChecksumAlgorithm algorithm) => null;

    /// <exception cref="CabinetMalformedException">the header is not a cabinet the Authenticode rules can hash unambiguously.</exception>
    public static CabinetImage Read(Stream stream, string path)
    {
        long length = stream.Length;
        byte[] head = AuthenticodeContainer.TryReadAt(stream, 0, FixedHeader)
            ?? throw new CabinetMalformedException(path, CabinetDefect.NotCabinet, $"the file ({length} bytes) is shorter than a cabinet header");
        if (head[0] != 'M' || head[1] != 'S' || head[2] != 'C' || head[3] != 'F')
            throw new CabinetMalformedException(path, CabinetDefect.NotCabinet, "the file does not start with the 'MSCF' magic");
        if (BitConverter.ToUInt32(head, 4) != 0)
            throw new CabinetMalformedException(path, CabinetDefect.BadHeader, "reserved1 (bytes 4-7) is not zero; it is outside the signed digest, so it must hold nothing");
        if (head[25] != 1 || head[24] != 3)
            throw new CabinetMalformedException(path, CabinetDefect.BadHeader, $"the cabinet format version is {head[25]}.{head[24]}, not 1.3");
        ushort flags = BitConverter.ToUInt16(head, 30);
        if ((flags & FlagReservePresent) == 0) return new CabinetImage(path, 0, 0, "it has no header reserve, where a cabinet's signature is recorded");

        byte[] reserve = AuthenticodeContainer.TryReadAt(stream, FixedHeader, SignedHeader - FixedHeader)
            ?? throw new CabinetMalformedException(path, CabinetDefect.BadHeader, "the header reserve is cut short");
        ushort cbHeader = BitConverter.ToUInt16(reserve, 0);
        if (cbHeader != 20 || reserve[2] != 0 || reserve[3] != 0 || BitConverter.ToUInt32(reserve, 4) != 0x00100000)
            return new CabinetImage(path, 0, 0, $"its header reserve ({cbHeader} bytes, folder reserve {reserve[2]}, data reserve {reserve[3]}) is not the 20-byte Authenticode reserve");
        long offset = BitConverter.ToUInt32(reserve, 8), size = BitConverter.ToUInt32(reserve, 12);
        if (offset == 0 && size == 0) return new CabinetImage(path, 0, 0, "its signature reserve records no signature");
        if (offset == 0 || size == 0 || offset + size != length || size > AuthenticodeContainer.MaxSignatureBytes)
            throw new CabinetMalformedException(path, CabinetDefect.SignatureNotAtEnd,
                $"the signature (offset {offset}, {size} bytes) must be at most {AuthenticodeContainer.MaxSignatureBytes} bytes and end exactly at the end of the file ({length} bytes); bytes after it would be covered by no hash");

        // The folder table must end where coffFiles says: the digest walks the header, the cabinet names and the
        // folders in order, and a reader following coffFiles would otherwise read files from bytes the walk skipped.
        long at = SignedHeader;
        if ((flags & FlagPrevCabinet) != 0) at = SkipNames(stream, at, offset, path, "szCabinetPrev/szDiskPrev");
        if ((flags & FlagNextCabinet) != 0) at = SkipNames(stream, at, offset, path, "szCabinetNext/szDiskNext");
        at += (long)BitConverter.ToUInt16(head, 26) * FolderSize;
        long coffFiles = BitConverter.ToUInt32(head, 16);
        if (at != coffFiles || at > offset)
            throw new CabinetMalformedException(path, CabinetDefect.BadHeader, $"the header, cabinet names and {BitConverter.ToUInt16(head, 26)} folders end at {at}, but coffFiles is {coffFiles} (signature at {offset})");
        return new CabinetImage(path, offset, size, "");
    }

    private static long SkipNames(Stream stream, long at, long end, string path, string which)
    {
        for (int name = 0; name < 2; name++)
        {
            byte[] bytes = AuthenticodeContainer.TryReadAt(stream, at, (int)Math.Min(MaxNameBytes, Math.Max(0, end - at)))
                ?? throw new CabinetMalformedException(path, CabinetDefect.BadHeader, $"{which} runs past the signature");
            int nul = Array.IndexOf(bytes, (byte)0);
            if (nul < 0) throw new CabinetMalformedException(path, CabinetDefect.BadHeader, $"{which} at {at} is not a NUL-terminated name of at most {MaxNameBytes - 1} bytes");
            at += nul + 1;
        }
        return at;
    }

    public byte[] ReadSignature(Stream stream)
    {
        if (!IsSigned) throw new InvalidOperationException("unsigned");
        byte[] blob = AuthenticodeContainer.TryReadAt(stream, SignatureOffset, (int)SignatureSize)
            ?? throw new CabinetMalformedException(Path, CabinetDefect.SignatureNotAtEnd, "the signature is cut short");
        return AuthenticodeContainer.SignatureDer(blob, 0, blob.Length, out string? failure)
            ?? throw new CabinetMalformedException(Path, CabinetDefect.BadSignatureBlob, $"the signature blob is refused: {failure}");
    }

    public IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(Stream stream, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel) =>
        AuthenticodeContainer.HashWith(algorithms, (hashers, buffer) =>
        {
            AuthenticodeContainer.Feed(stream, 0, 4, hashers.Values, buffer, cancel);
            AuthenticodeContainer.Feed(stream, 8, 34, hashers.Values, buffer, cancel);
            AuthenticodeContainer.Feed(stream, 56, SignatureOffset, hashers.Values, buffer, cancel);
        });
}

/// <summary>What is wrong with a cabinet's layout; the name is stable (scripts and tests match on it).</summary>
public enum CabinetDefect
{
    /// <summary>No "MSCF" magic, or the file is shorter than a cabinet header.</summary>
    NotCabinet,
    /// <summary>reserved1 is not zero, the version is not 1.3, the cabinet names or the folder table do not end at coffFiles.</summary>
    BadHeader,
    /// <summary>The signature the reserve records does not end the file, or only one of its offset and size is set.</summary>
    SignatureNotAtEnd,
    /// <summary>The signature area does not hold one DER PKCS#7 blob followed by nothing but zero padding.</summary>
    BadSignatureBlob,
}

/// <summary>The file is not a cabinet the Authenticode rules can hash unambiguously.</summary>
public sealed class CabinetMalformedException : AuthenticodeLayoutException<CabinetDefect>
{
    public CabinetMalformedException(string path, CabinetDefect defect, string reason)
        : base(path, defect, reason, "cabinet", ErrorIds.CabinetMalformed)
    {
    }
}
