namespace SecureInstall.Core.Archives;

/// <summary>The facts of one central-directory record that ZipArchiveEntry does not expose on netstandard2.0.</summary>
internal readonly struct ZipCentralRecord
{
    public ZipCentralRecord(int madeBy, int flags, int method, long compressedSize, long uncompressedSize, long localHeaderOffset, uint externalAttributes)
    {
        MadeBy = madeBy;
        Flags = flags;
        Method = method;
        CompressedSize = compressedSize;
        UncompressedSize = uncompressedSize;
        LocalHeaderOffset = localHeaderOffset;
        ExternalAttributes = externalAttributes;
    }

    public int MadeBy { get; }
    public int Flags { get; }
    public int Method { get; }
    public long CompressedSize { get; }
    public long UncompressedSize { get; }
    public long LocalHeaderOffset { get; }
    public uint ExternalAttributes { get; }

    public bool IsEncrypted => (Flags & 0x1) != 0 || Method == 99;

    /// <summary>Unix st_mode from the high half of the external attributes, when the entry was made on Unix or macOS.</summary>
    public int UnixMode => (MadeBy >> 8) is 3 or 19 ? (int)(ExternalAttributes >> 16) : 0;
}

/// <summary>
/// Reads the zip central directory directly: ZipArchive (netstandard2.0) hides the encryption flag, the compression
/// method and the Unix mode, and trusts sizes that overlap — the trick behind non-recursive zip bombs.
/// </summary>
internal static class ZipCentralDirectory
{
    private const uint EndSignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const uint CentralSignature = 0x02014b50;
    private const int LocalHeaderLength = 30;

    public static List<ZipCentralRecord> Read(Stream stream, string archivePath)
    {
        long length = stream.Length;
        long endOffset = FindEnd(stream, length) ?? throw new ArchiveCorruptException(archivePath, "no zip end-of-central-directory record.");
        byte[] end = ReadAt(stream, endOffset, 22, archivePath);
        long count = BitConverter.ToUInt16(end, 10);
        long cdSize = BitConverter.ToUInt32(end, 12);
        long cdOffset = BitConverter.ToUInt32(end, 16);

        if ((count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) && endOffset >= 20)
        {
            byte[] locator = ReadAt(stream, endOffset - 20, 20, archivePath);
            if (BitConverter.ToUInt32(locator, 0) == Zip64LocatorSignature)
            {
                long end64Offset = (long)BitConverter.ToUInt64(locator, 8);
                byte[] end64 = ReadAt(stream, end64Offset, 56, archivePath);
                if (BitConverter.ToUInt32(end64, 0) != Zip64EndSignature) throw new ArchiveCorruptException(archivePath, "the zip64 end record is missing.");
                count = (long)BitConverter.ToUInt64(end64, 32);
                cdSize = (long)BitConverter.ToUInt64(end64, 40);
                cdOffset = (long)BitConverter.ToUInt64(end64, 48);
            }
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > length || count < 0 || count > cdSize / 46 + 1)
            throw new ArchiveCorruptException(archivePath, "the central directory lies outside the file.");

        byte[] cd = ReadAt(stream, cdOffset, checked((int)cdSize), archivePath);
        var records = new List<ZipCentralRecord>((int)count);
        int p = 0;
        for (long i = 0; i < count; i++)
        {
            if (p + 46 > cd.Length || BitConverter.ToUInt32(cd, p) != CentralSignature)
                throw new ArchiveCorruptException(archivePath, $"central directory record {i + 1} of {count} is damaged.");
            int madeBy = BitConverter.ToUInt16(cd, p + 4);
            int flags = BitConverter.ToUInt16(cd, p + 8);
            int method = BitConverter.ToUInt16(cd, p + 10);
            long compressed = BitConverter.ToUInt32(cd, p + 20);
            long uncompressed = BitConverter.ToUInt32(cd, p + 24);
            int nameLength = BitConverter.ToUInt16(cd, p + 28);
            int extraLength = BitConverter.ToUInt16(cd, p + 30);
            int commentLength = BitConverter.ToUInt16(cd, p + 32);
            uint external = BitConverter.ToUInt32(cd, p + 38);
            long offset = BitConverter.ToUInt32(cd, p + 42);
            int extra = p + 46 + nameLength;
            if (extra + extraLength + commentLength > cd.Length) throw new ArchiveCorruptException(archivePath, $"central directory record {i + 1} runs past the directory.");
            ReadZip64Extra(cd, extra, extraLength, ref uncompressed, ref compressed, ref offset);
            records.Add(new ZipCentralRecord(madeBy, flags, method, compressed, uncompressed, offset, external));
            p = extra + extraLength + commentLength;
        }
        CheckNoOverlap(records, cdOffset, archivePath);
        return records;
    }

    /// <summary>
    /// Each entry's local header and data must end before the next entry starts. Overlapping entries let a 2 MB file
    /// declare hundreds of GB (David Fifield's "quoted overlap" bomb): refused before anything is inflated.
    /// </summary>
    private static void CheckNoOverlap(List<ZipCentralRecord> records, long cdOffset, string archivePath)
    {
        var order = new List<ZipCentralRecord>(records);
        order.Sort((a, b) => a.LocalHeaderOffset.CompareTo(b.LocalHeaderOffset));
        for (int i = 0; i < order.Count; i++)
        {
            long next = i + 1 < order.Count ? order[i + 1].LocalHeaderOffset : cdOffset;
            ZipCentralRecord r = order[i];
            if (r.LocalHeaderOffset < 0 || r.CompressedSize < 0 || r.LocalHeaderOffset + LocalHeaderLength + r.CompressedSize > next)
                throw new ArchiveCorruptException(archivePath, "entries overlap or claim more compressed data than the file holds (a zip-bomb construction).");
        }
    }

    private static void ReadZip64Extra(byte[] cd, int start, int length, ref long uncompressed, ref long compressed, ref long offset)
    {
        int p = start, end = start + length;
        while (p + 4 <= end)
        {
            int id = BitConverter.ToUInt16(cd, p);
            int size = BitConverter.ToUInt16(cd, p + 2);
            int q = p + 4;
            if (q + size > end) return;
            if (id == 0x0001)
            {
                // only the fields whose 32-bit value is saturated are present, in this order
                if (uncompressed == 0xFFFFFFFF && q + 8 <= p + 4 + size) { uncompressed = (long)BitConverter.ToUInt64(cd, q); q += 8; }
                if (compressed == 0xFFFFFFFF && q + 8 <= p + 4 + size) { compressed = (long)BitConverter.ToUInt64(cd, q); q += 8; }
                if (offset == 0xFFFFFFFF && q + 8 <= p + 4 + size) { offset = (long)BitConverter.ToUInt64(cd, q); }
                return;
            }
            p = q + size;
        }
    }

    private static long? FindEnd(Stream stream, long length)
    {
        // the end record is 22 bytes plus a comment of at most 65535
        int window = (int)Math.Min(length, 22 + 65535);
        if (window < 22) return null;
        byte[] tail = ReadAt(stream, length - window, window, "");
        for (int i = window - 22; i >= 0; i--)
        {
            if (tail[i] == 0x50 && tail[i + 1] == 0x4B && tail[i + 2] == 0x05 && tail[i + 3] == 0x06) return length - window + i;
        }
        return null;
    }

    private static byte[] ReadAt(Stream stream, long offset, int count, string archivePath)
    {
        if (offset < 0 || offset + count > stream.Length) throw new ArchiveCorruptException(archivePath, "a zip record points outside the file.");
        stream.Position = offset;
        byte[] buffer = new byte[count];
        int filled = 0, read;
        while (filled < count && (read = stream.Read(buffer, filled, count - filled)) > 0) filled += read;
        if (filled < count) throw new ArchiveCorruptException(archivePath, "the file ends inside a zip record.");
        return buffer;
    }
}
