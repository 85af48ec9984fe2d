namespace SecureInstall.Core.Archives;

/// <summary>Container formats the extractor reads.</summary>
public enum ArchiveFormat
{
    Zip,
    Tar,
    TarGzip,
    TarXz,
    TarBzip2,
    TarZstd,
}

/// <summary>Tells the format from the first bytes of the content; the file name is never trusted for this.</summary>
public static class ArchiveFormatDetector
{
    /// <summary>Bytes <see cref="Detect(byte[], int)"/> looks at: a whole tar header block.</summary>
    public const int HeaderLength = 512;

    /// <summary>Reads the head of <paramref name="stream"/> and rewinds it. Null when no known format matches.</summary>
    public static ArchiveFormat? Detect(Stream stream)
    {
        if (stream == null) throw new ArgumentNullException(nameof(stream));
        if (!stream.CanSeek) throw new ArgumentException("Format detection needs a seekable stream.", nameof(stream));
        long start = stream.Position;
        byte[] head = new byte[HeaderLength];
        int filled = 0, read;
        while (filled < head.Length && (read = stream.Read(head, filled, head.Length - filled)) > 0) filled += read;
        stream.Position = start;
        return Detect(head, filled);
    }

    public static ArchiveFormat? Detect(byte[] head, int length)
    {
        if (head == null) throw new ArgumentNullException(nameof(head));
        length = Math.Min(length, head.Length);
        // Local file header, or the end record alone for an empty archive.
        if (StartsWith(head, length, 0x50, 0x4B, 0x03, 0x04) || StartsWith(head, length, 0x50, 0x4B, 0x05, 0x06)) return ArchiveFormat.Zip;
        if (StartsWith(head, length, 0x1F, 0x8B)) return ArchiveFormat.TarGzip;
        if (StartsWith(head, length, 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00)) return ArchiveFormat.TarXz;
        if (StartsWith(head, length, 0x28, 0xB5, 0x2F, 0xFD)) return ArchiveFormat.TarZstd;
        if (length >= 4 && head[0] == (byte)'B' && head[1] == (byte)'Z' && head[2] == (byte)'h' && head[3] >= (byte)'1' && head[3] <= (byte)'9') return ArchiveFormat.TarBzip2;
        if (length >= HeaderLength && TarHeader.LooksLikeHeader(head)) return ArchiveFormat.Tar;
        return null;
    }

    private static bool StartsWith(byte[] head, int length, params byte[] magic)
    {
        if (length < magic.Length) return false;
        for (int i = 0; i < magic.Length; i++)
        {
            if (head[i] != magic[i]) return false;
        }
        return true;
    }
}
