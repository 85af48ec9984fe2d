namespace SecureInstall.Core.Archives;

/// <summary>
/// Reads a tar stream (v7, ustar, GNU, PAX) one entry at a time, in one pass. Written here rather than taken from a
/// library because the extractor must see every header as stored: the real type flag (SharpCompress's reader folds
/// hard links, devices and FIFOs into plain entries), the PAX path and linkpath overrides, and sizes in base-256.
/// </summary>
internal sealed class TarEntryReader
{
    /// <summary>A PAX or GNU long-name record this large is an attack on memory, not a name.</summary>
    private const int MaxMetadataBytes = 1024 * 1024;

    private readonly Stream _source;
    private readonly string _archivePath;
    private readonly byte[] _block = new byte[TarHeader.BlockSize];
    private readonly Dictionary<string, string> _globalPax = new(StringComparer.Ordinal);
    private long _remaining;   // data bytes of the current entry not yet consumed
    private long _padding;     // zero bytes after the data, up to the next 512-byte boundary
    private bool _ended;

    private readonly bool _compressed;
    private bool _sawHeader;

    /// <param name="compressed">The tar came out of a decompressor, so nothing has checked yet that it is a tar at all.</param>
    public TarEntryReader(Stream source, string archivePath, bool compressed = false)
    {
        _source = source;
        _archivePath = archivePath;
        _compressed = compressed;
    }

    public ArchiveItem? Current { get; private set; }

    /// <summary>Advances to the next entry, skipping whatever of the current one was not read. False at the end of the archive.</summary>
    public bool MoveNext()
    {
        if (_ended) return false;
        SkipData();
        Skip(_padding, tolerateEnd: true);
        _padding = 0;
        Current = null;

        Dictionary<string, string>? pax = null;
        string? longName = null, longLink = null;
        bool first = true;
        while (true)
        {
            if (!ReadBlock(allowEnd: true))
            {
                // End of input at a header boundary: tolerated (many writers omit the two zero blocks); but not between a PAX/GNU header and its entry.
                if (!first) throw Corrupt("the archive ends between an extended header and its entry.");
                _ended = true;
                return false;
            }
            if (TarHeader.IsZeroBlock(_block))
            {
                if (!first) throw Corrupt("an extended header is followed by an end-of-archive block.");
                _ended = true;
                return false;
            }
            if (!TarHeader.ChecksumMatches(_block))
            {
                if (!_sawHeader && _compressed && !TarHeader.LooksLikeHeader(_block))
                    throw new UnsupportedArchiveFormatException(_archivePath, "the compressed stream does not hold a tar archive (a single compressed file is not an archive).");
                throw Corrupt("a header's checksum does not match its content.");
            }
            _sawHeader = true;
            first = false;

            char flag = (char)_block[156];
            if (!TarHeader.TryParseOctal(_block, 124, 12, out long size)) throw Corrupt("a header has an unreadable size.");
            switch (flag)
            {
                case 'x':
                    pax = ParsePax(ReadMetadata(size), pax ?? new Dictionary<string, string>(StringComparer.Ordinal));
                    continue;
                case 'g':
                    ParsePax(ReadMetadata(size), _globalPax);
                    continue;
                case 'L':
                    longName = TrimTrailingNuls(ReadMetadata(size));
                    continue;
                case 'K':
                    longLink = TrimTrailingNuls(ReadMetadata(size));
                    continue;
            }

            string name = ReadName();
            string linkName = TarHeader.ReadString(_block, 157, 100);
            TarHeader.TryParseOctal(_block, 100, 8, out long mode);
            TarHeader.TryParseOctal(_block, 136, 12, out long mtime);
            DateTime? modified = mtime > 0 && mtime < 253402300800L ? DateTimeOffset.FromUnixTimeSeconds(mtime).UtcDateTime : null;

            if (longName != null) name = longName;
            if (longLink != null) linkName = longLink;
            if (Lookup(pax, "path") is string paxPath) name = paxPath;
            if (Lookup(pax, "linkpath") is string paxLink) linkName = paxLink;
            if (Lookup(pax, "size") is string paxSize)
            {
                if (!long.TryParse(paxSize, NumberStyles.None, CultureInfo.InvariantCulture, out size)) throw Corrupt($"the PAX size of '{name}' is not a number.");
            }
            if (Lookup(pax, "mtime") is string paxTime && TryParsePaxTime(paxTime, out DateTime paxModified)) modified = paxModified;

            ArchiveItemType type;
            string? description = null;
            switch (flag)
            {
                case '0': case '\0': case '7':
                    // v7 archives mark folders only by the trailing slash
                    type = name.EndsWith("/", StringComparison.Ordinal) && flag == '\0' ? ArchiveItemType.Directory : ArchiveItemType.File;
                    break;
                case '1': type = ArchiveItemType.HardLink; break;
                case '2': type = ArchiveItemType.SymbolicLink; break;
                case '3': type = ArchiveItemType.CharacterDevice; break;
                case '4': type = ArchiveItemType.BlockDevice; break;
                case '5': type = ArchiveItemType.Directory; break;
                case '6': type = ArchiveItemType.Fifo; break;
                case 'D': type = ArchiveItemType.Directory; break; // GNU dump directory: a folder plus a listing we do not need
                case 'S': type = ArchiveItemType.Unsupported; description = "GNU sparse file"; break;
                case 'M': type = ArchiveItemType.Unsupported; description = "GNU multi-volume continuation"; break;
                case 'V': type = ArchiveItemType.Unsupported; description = "GNU volume label"; break;
                default: type = ArchiveItemType.Unsupported; description = $"type flag '{Printable(flag)}'"; break;
            }
            if (pax != null && HasSparseKeys(pax)) { type = ArchiveItemType.Unsupported; description = "PAX sparse file"; }
            // Links, folders, devices and FIFOs carry no data in any tar writer; a size there would hide bytes we skip unchecked.
            if (size != 0 && type is not (ArchiveItemType.File or ArchiveItemType.Unsupported) && flag != 'D')
                throw Corrupt($"'{name}' is a {type} but declares {size} bytes of data.");

            _remaining = size;
            _padding = (TarHeader.BlockSize - size % TarHeader.BlockSize) % TarHeader.BlockSize;
            Current = new ArchiveItem(name, type, size, (int)(mode & 0xFFF), modified,
                                      type is ArchiveItemType.SymbolicLink or ArchiveItemType.HardLink ? linkName : null, description);
            return true;
        }
    }

    /// <summary>The current entry's data; reading stops at its declared size.</summary>
    public int ReadData(byte[] buffer, int offset, int count)
    {
        if (_remaining <= 0) return 0;
        int want = (int)Math.Min(count, _remaining);
        int read = _source.Read(buffer, offset, want);
        if (read <= 0) throw Corrupt($"the archive ends inside the data of '{Current?.Name}'.");
        _remaining -= read;
        return read;
    }

    private string ReadName()
    {
        string name = TarHeader.ReadString(_block, 0, 100);
        bool ustar = _block[257] == 'u' && _block[258] == 's' && _block[259] == 't' && _block[260] == 'a' && _block[261] == 'r' && _block[262] == 0;
        if (ustar && _block[345] != 0)
        {
            // POSIX ustar splits long names: prefix (155 bytes at 345) + "/" + name. GNU tar uses that area for other fields.
            name = TarHeader.ReadString(_block, 345, 155) + "/" + name;
        }
        return name;
    }

    private static string? Lookup(Dictionary<string, string>? local, string key) => local != null && local.TryGetValue(key, out string? v) ? v : null;

    private static bool HasSparseKeys(Dictionary<string, string> pax)
    {
        foreach (string key in pax.Keys)
        {
            if (key.StartsWith("GNU.sparse.", StringComparison.Ordinal)) return true;
        }
        return false;
    }

    private byte[] ReadMetadata(long size)
    {
        if (size < 0 || size > MaxMetadataBytes) throw Corrupt($"an extended header declares {size} bytes (more than {MaxMetadataBytes}).");
        byte[] data = new byte[size];
        ReadExactly(data, (int)size);
        Skip((TarHeader.BlockSize - size % TarHeader.BlockSize) % TarHeader.BlockSize, tolerateEnd: false);
        return data;
    }

    private static string TrimTrailingNuls(byte[] data)
    {
        int end = data.Length;
        while (end > 0 && data[end - 1] == 0) end--;
        return Encoding.UTF8.GetString(data, 0, end);
    }

    /// <summary>PAX records: "LEN key=value\n", LEN counting the whole record. Values may hold any byte, NUL included.</summary>
    private Dictionary<string, string> ParsePax(byte[] data, Dictionary<string, string> into)
    {
        int p = 0;
        while (p < data.Length)
        {
            if (data[p] == 0) break; // padding some writers leave
            int space = Array.IndexOf(data, (byte)' ', p);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, p, space - p), NumberStyles.None, CultureInfo.InvariantCulture, out int length)
                || length <= space - p + 1 || p + length > data.Length || data[p + length - 1] != '\n')
                throw Corrupt("a PAX extended header is malformed.");
            int eq = Array.IndexOf(data, (byte)'=', space + 1, p + length - space - 1);
            if (eq < 0) throw Corrupt("a PAX record has no '='.");
            string key = Encoding.UTF8.GetString(data, space + 1, eq - space - 1);
            string value = Encoding.UTF8.GetString(data, eq + 1, p + length - 1 - eq - 1);
            into[key] = value;
            p += length;
        }
        return into;
    }

    private static bool TryParsePaxTime(string value, out DateTime time)
    {
        time = default;
        int dot = value.IndexOf('.');
        string whole = dot < 0 ? value : value.Substring(0, dot);
        if (!long.TryParse(whole, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)) return false;
        if (seconds <= 0 || seconds >= 253402300800L) return false;
        time = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return true;
    }

    private bool ReadBlock(bool allowEnd)
    {
        int filled = 0;
        while (filled < TarHeader.BlockSize)
        {
            int read = _source.Read(_block, filled, TarHeader.BlockSize - filled);
            if (read <= 0)
            {
                if (filled == 0 && allowEnd) return false;
                throw Corrupt("the archive ends inside a header.");
            }
            filled += read;
        }
        return true;
    }

    private void ReadExactly(byte[] buffer, int count)
    {
        int filled = 0;
        while (filled < count)
        {
            int read = _source.Read(buffer, filled, count - filled);
            if (read <= 0) throw Corrupt("the archive ends inside an extended header.");
            filled += read;
        }
    }

    private void SkipData()
    {
        byte[] scratch = new byte[(int)Math.Min(Math.Max(_remaining, 1), 64 * 1024)];
        while (_remaining > 0) ReadData(scratch, 0, scratch.Length);
    }

    private void Skip(long count, bool tolerateEnd)
    {
        if (count <= 0) return;
        byte[] scratch = new byte[(int)Math.Min(count, 64 * 1024)];
        while (count > 0)
        {
            int read = _source.Read(scratch, 0, (int)Math.Min(count, scratch.Length));
            if (read <= 0)
            {
                // a missing tail of padding after the last entry is not worth refusing; a missing extended header is
                if (tolerateEnd) return;
                throw Corrupt("the archive ends inside an extended header.");
            }
            count -= read;
        }
    }

    private static string Printable(char c) => c < 0x20 || c > 0x7E ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : c.ToString();

    private ArchiveCorruptException Corrupt(string reason) => new(_archivePath, reason);
}
