using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// The layout of a PE32 or PE32+ file as far as Authenticode needs it: where the CheckSum field, the certificate-table
/// directory entry and the certificate table are, so that the image hash skips exactly those three and nothing else.
/// Reading refuses every layout that would leave bytes outside the hash or let two parsers disagree about the file
/// (sections outside the file or overlapping, a certificate table that does not end the file, data hidden after the
/// signature inside the table).
/// </summary>
internal sealed class PeImage : IAuthenticodeContainer
{
    internal const string KindName = "PE image";

    private const int DosHeaderSize = 64, FileHeaderSize = 20, SectionHeaderSize = 40, CertificateDirectory = 4;

    /// <summary>The certificate table is read whole; real ones are a few KiB to a few hundred KiB.</summary>
    internal const int MaxCertificateTable = 16 * 1024 * 1024;

    private PeImage(string path, long length, bool pe32Plus, long checkSumOffset, long certificateEntryOffset, long tableOffset, long tableSize)
    {
        Path = path;
        Length = length;
        IsPe32Plus = pe32Plus;
        CheckSumOffset = checkSumOffset;
        CertificateEntryOffset = certificateEntryOffset;
        CertificateTableOffset = tableOffset;
        CertificateTableSize = tableSize;
    }

    public string Path { get; }
    public long Length { get; }
    public bool IsPe32Plus { get; }
    public long CheckSumOffset { get; }
    public long CertificateEntryOffset { get; }
    public long CertificateTableOffset { get; }
    public long CertificateTableSize { get; }
    public bool IsSigned => CertificateTableSize > 0;
    public string Kind => KindName;
    public string IndirectDataType => AuthenticodeSignedData.SpcPeImageData;
    public byte[]? SipGuid => null;
    public string UnsignedReason => "its certificate table is empty";
    public string? FailureAfterDigest(ChecksumAlgorithm algorithm) => null;

    /// <exception cref="PeImageMalformedException">the headers are not a PE image Authenticode can hash unambiguously.</exception>
    public static PeImage Read(Stream stream, string path)
    {
        long length = stream.Length;
        byte[] dos = ReadAt(stream, 0, DosHeaderSize, path, PeDefect.NotPeImage, "the file is shorter than a DOS header");
        if (dos[0] != 'M' || dos[1] != 'Z') throw new PeImageMalformedException(path, PeDefect.NotPeImage, "the file does not start with the DOS 'MZ' magic");
        long peOffset = BitConverter.ToUInt32(dos, 0x3C);
        if (peOffset < 4 || peOffset + 4 + FileHeaderSize > length)
            throw new PeImageMalformedException(path, PeDefect.BadPeHeaderOffset, $"e_lfanew (0x{peOffset:X}) points outside the file ({length} bytes)");
        byte[] nt = ReadAt(stream, peOffset, 4 + FileHeaderSize, path, PeDefect.BadPeHeaderOffset, "the PE header is cut short");
        if (nt[0] != 'P' || nt[1] != 'E' || nt[2] != 0 || nt[3] != 0)
            throw new PeImageMalformedException(path, PeDefect.BadPeHeaderOffset, $"no 'PE\\0\\0' signature at e_lfanew (0x{peOffset:X})");
        int sections = BitConverter.ToUInt16(nt, 4 + 2);
        int optionalSize = BitConverter.ToUInt16(nt, 4 + 16);
        long optionalOffset = peOffset + 4 + FileHeaderSize;
        if (optionalSize < 2 || optionalOffset + optionalSize > length)
            throw new PeImageMalformedException(path, PeDefect.BadOptionalHeader, $"the optional header ({optionalSize} bytes at 0x{optionalOffset:X}) does not fit in the file");
        byte[] optional = ReadAt(stream, optionalOffset, optionalSize, path, PeDefect.BadOptionalHeader, "the optional header is cut short");
        ushort magic = BitConverter.ToUInt16(optional, 0);
        bool plus = magic switch
        {
            0x10b => false,
            0x20b => true,
            _ => throw new PeImageMalformedException(path, PeDefect.BadOptionalHeader, $"the optional header magic is 0x{magic:X}, neither PE32 (0x10B) nor PE32+ (0x20B)"),
        };
        int directoriesAt = plus ? 112 : 96;
        if (optionalSize < directoriesAt)
            throw new PeImageMalformedException(path, PeDefect.BadOptionalHeader, $"the optional header is {optionalSize} bytes, too short for a {(plus ? "PE32+" : "PE32")} header");
        uint sizeOfImage = BitConverter.ToUInt32(optional, 56);
        uint sizeOfHeaders = BitConverter.ToUInt32(optional, 60);
        uint directoryCount = BitConverter.ToUInt32(optional, directoriesAt - 4);
        if (directoryCount <= CertificateDirectory || directoryCount > 16 || directoriesAt + directoryCount * 8 > optionalSize)
            throw new PeImageMalformedException(path, PeDefect.BadOptionalHeader,
                $"NumberOfRvaAndSizes is {directoryCount} in a {optionalSize}-byte optional header; the certificate-table entry (index 4) must be inside it and there are at most 16");

        long sectionTable = optionalOffset + optionalSize;
        long headersEnd = sectionTable + (long)sections * SectionHeaderSize;
        if (headersEnd > length || sizeOfHeaders > length || sizeOfHeaders < headersEnd)
            throw new PeImageMalformedException(path, PeDefect.HeadersOutsideFile,
                $"SizeOfHeaders is {sizeOfHeaders} and the section table ends at {headersEnd}, in a file of {length} bytes");

        long tableOffset = BitConverter.ToUInt32(optional, directoriesAt + CertificateDirectory * 8);
        long tableSize = BitConverter.ToUInt32(optional, directoriesAt + CertificateDirectory * 8 + 4);
        for (int i = 0; i < directoryCount; i++)
        {
            if (i == CertificateDirectory) continue; // a file offset, checked below; the others are RVAs into the image
            ulong rva = BitConverter.ToUInt32(optional, directoriesAt + i * 8), size = BitConverter.ToUInt32(optional, directoriesAt + i * 8 + 4);
            if ((rva != 0 || size != 0) && rva + size > sizeOfImage)
                throw new PeImageMalformedException(path, PeDefect.DirectoryOutOfBounds, $"data directory {i} (RVA 0x{rva:X}, {size} bytes) reaches past SizeOfImage (0x{sizeOfImage:X})");
        }

        bool signed = tableOffset != 0 || tableSize != 0;
        long dataEnd = signed ? tableOffset : length;
        if (signed)
        {
            if (tableSize < 8 || tableSize > MaxCertificateTable || tableOffset % 8 != 0 || tableOffset < sizeOfHeaders || tableOffset + tableSize != length)
                throw new PeImageMalformedException(path, PeDefect.CertificateTableNotAtEnd,
                    $"the certificate table (offset {tableOffset}, {tableSize} bytes) must be 8-byte aligned, after the headers, at most {MaxCertificateTable} bytes and end exactly at the end of the file ({length} bytes); bytes outside it would not be covered by the signature");
        }

        byte[] table = ReadAt(stream, sectionTable, (int)(headersEnd - sectionTable), path, PeDefect.HeadersOutsideFile, "the section table is cut short");
        var ranges = new List<(long Start, long End, string Name)>();
        for (int i = 0; i < sections; i++)
        {
            int at = i * SectionHeaderSize;
            string name = new string(System.Text.Encoding.ASCII.GetString(table, at, 8).TakeWhile(c => c != '\0').Select(c => c < ' ' || c > '~' ? '?' : c).ToArray());
            long rawSize = BitConverter.ToUInt32(table, at + 16), rawPointer = BitConverter.ToUInt32(table, at + 20);
            if (rawSize == 0) continue;
            if (rawPointer < sizeOfHeaders || rawPointer + rawSize > dataEnd)
                throw new PeImageMalformedException(path, PeDefect.SectionOutOfBounds,
                    $"section {i} '{name}' (raw data at {rawPointer}, {rawSize} bytes) lies {(rawPointer < sizeOfHeaders ? "inside the headers" : signed ? "over the certificate table or past the end of the file" : "past the end of the file")}");
            ranges.Add((rawPointer, rawPointer + rawSize, name));
        }
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Start < ranges[i - 1].End)
                throw new PeImageMalformedException(path, PeDefect.SectionOutOfBounds, $"sections '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap in the file");
        }

        return new PeImage(path, length, plus, optionalOffset + 64, optionalOffset + directoriesAt + CertificateDirectory * 8, signed ? tableOffset : length, signed ? tableSize : 0);
    }

    /// <summary>
    /// The PKCS#7 SignedData of the one WIN_CERTIFICATE entry. Anything else in the table (a second entry Windows would
    /// not read, bytes after the DER inside the entry, non-zero padding) is refused: such bytes are covered by no hash.
    /// </summary>
    public byte[] ReadSignature(Stream stream)
    {
        if (!IsSigned) throw new InvalidOperationException("unsigned");
        byte[] table = ReadAt(stream, CertificateTableOffset, (int)CertificateTableSize, Path, PeDefect.CertificateTableNotAtEnd, "the certificate table is cut short");
        uint entryLength = BitConverter.ToUInt32(table, 0);
        ushort revision = BitConverter.ToUInt16(table, 4), type = BitConverter.ToUInt16(table, 6);
        if (entryLength < 8 || entryLength > table.Length)
            throw new PeImageMalformedException(Path, PeDefect.BadCertificateEntry, $"the WIN_CERTIFICATE length ({entryLength}) does not fit the {table.Length}-byte certificate table");
        if (revision != 0x0200 || type != 0x0002)
            throw new PeImageMalformedException(Path, PeDefect.BadCertificateEntry, $"the WIN_CERTIFICATE is revision 0x{revision:X4}, type 0x{type:X4}; Authenticode is revision 0x0200, type 0x0002 (PKCS#7 SignedData)");
        byte[] der = AuthenticodeContainer.SignatureDer(table, 8, (int)entryLength - 8, out string? failure)
            ?? throw new PeImageMalformedException(Path, PeDefect.BadCertificateEntry, $"the WIN_CERTIFICATE entry is refused: {failure}");
        for (long i = entryLength; i < table.Length; i++)
        {
            if (table[i] != 0)
                throw new PeImageMalformedException(Path, PeDefect.BadCertificateEntry,
                    $"the certificate table holds more than one entry or non-zero padding at offset {i}; Windows reads only the first entry, so the rest would be covered by no check");
        }
        return der;
    }

    /// <summary>The Authenticode image hashes in one pass: everything before the certificate table except the CheckSum field and the certificate-table entry.</summary>
    public IReadOnlyDictionary<ChecksumAlgorithm, byte[]> Hash(Stream stream, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancel) =>
        AuthenticodeContainer.HashWith(algorithms, (hashers, buffer) =>
        {
            AuthenticodeContainer.Feed(stream, 0, CheckSumOffset, hashers.Values, buffer, cancel);
            AuthenticodeContainer.Feed(stream, CheckSumOffset + 4, CertificateEntryOffset, hashers.Values, buffer, cancel);
            AuthenticodeContainer.Feed(stream, CertificateEntryOffset + 8, CertificateTableOffset, hashers.Values, buffer, cancel);
        });

    private static byte[] ReadAt(Stream stream, long offset, int count, string path, PeDefect defect, string reason) =>
        AuthenticodeContainer.TryReadAt(stream, offset, count) ?? throw new PeImageMalformedException(path, defect, reason);
}
