namespace SecureInstall.Core.Archives;

/// <summary>The rule an archive entry broke; each one stops a known way of writing outside the destination or aliasing a file.</summary>
public enum UnsafeEntryRule
{
    /// <summary>The name is empty (or only separators and dots) but the entry is not a directory.</summary>
    EmptyName,
    /// <summary>A <c>..</c> segment (zip-slip).</summary>
    ParentTraversal,
    /// <summary>A name starting with <c>/</c> or <c>\</c>.</summary>
    AbsolutePath,
    /// <summary>A Windows drive or drive-relative name: <c>C:\x</c>, <c>C:x</c>, <c>C:..</c>.</summary>
    DrivePath,
    /// <summary>A UNC or device name: <c>\\server\share</c>, <c>\\?\C:\</c>, <c>\\.\pipe</c>.</summary>
    UncOrDevicePath,
    /// <summary>NUL or another control character: names that truncate or mislead when displayed.</summary>
    ControlCharacter,
    /// <summary>A character Windows refuses in names: &lt; &gt; " | ? *.</summary>
    InvalidCharacter,
    /// <summary>A <c>:</c> in a segment: an NTFS alternate data stream (<c>file.txt:hidden</c>).</summary>
    AlternateDataStream,
    /// <summary>A Windows reserved device name (CON, NUL, COM1, LPT1…), with or without extension.</summary>
    ReservedName,
    /// <summary>A segment ending in a dot or space, which Windows silently strips (so <c>a.</c> aliases <c>a</c>).</summary>
    TrailingDotOrSpace,
    /// <summary>A segment longer than 255 bytes, more than any common file system stores.</summary>
    NameTooLong,
    /// <summary>The same name twice: the second would silently replace the first.</summary>
    DuplicateEntry,
    /// <summary>Two names that differ only in case or Unicode normalisation: one file on Windows and macOS.</summary>
    NameCollision,
    /// <summary>An entry whose path goes through a symbolic link of the archive: it would be written wherever the link points.</summary>
    WriteThroughLink,
    /// <summary>A symbolic link whose target, followed through the archive's other links, leaves the destination.</summary>
    LinkEscapesDestination,
    /// <summary>A hard link whose target is not a regular file extracted earlier from the same archive.</summary>
    HardLinkTarget,
    /// <summary>A character or block device, or a FIFO.</summary>
    SpecialFile,
    /// <summary>An entry type the extractor does not write (sparse files, multi-volume parts, unknown types).</summary>
    UnsupportedEntryType,
    /// <summary>An OPC (.nupkg) name's percent escape that is malformed, not UTF-8, or decodes to a path separator.</summary>
    InvalidEscape,
    /// <summary>
    /// A segment shaped like an 8.3 short name (<c>PROGRA~1</c>, <c>LONGNA~1.EXE</c>): on NTFS with short names on it may be
    /// another entry's alias, so writing it would replace that file (Git refuses such names under core.protectNTFS).
    /// </summary>
    ShortNameAlias,
}

/// <summary>An entry of the archive would escape the destination, alias another file or create something other than files, folders and safe links.</summary>
public sealed class UnsafeArchiveEntryException : SecureInstallException
{
    public UnsafeArchiveEntryException(string archivePath, string entryName, UnsafeEntryRule rule, string detail)
        : base($"Refused '{archivePath}': entry '{Printable(entryName)}' breaks rule {rule}: {detail} Nothing was extracted; the archive is malformed or hostile.",
               ErrorIds.UnsafeArchiveEntry, FailureKind.Security, entryName)
    {
        ArchivePath = archivePath;
        EntryName = entryName;
        Rule = rule;
        Detail = detail;
    }

    public string ArchivePath { get; }

    /// <summary>The entry's name as stored in the archive (after PAX/GNU long-name overrides).</summary>
    public string EntryName { get; }

    public UnsafeEntryRule Rule { get; }
    public string Detail { get; }

    /// <summary>Control characters in an attacker's name must not reach a terminal raw.</summary>
    internal static string Printable(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        foreach (char c in name)
        {
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        string s = sb.ToString();
        return s.Length > 300 ? s.Substring(0, 300) + "…" : s;
    }
}

/// <summary>Which limit of <see cref="ArchiveExtractionOptions"/> an archive reached.</summary>
public enum ArchiveLimit
{
    TotalBytes,
    EntryCount,
    CompressionRatio,
    NestingDepth,
}

/// <summary>An archive went past a limit while it was being extracted: a decompression bomb, or an archive larger than the limits allow.</summary>
public sealed class ArchiveLimitExceededException : SecureInstallException
{
    public ArchiveLimitExceededException(string archivePath, ArchiveLimit limit, long maximum, string? entryName, string detail)
        : base($"Refused '{archivePath}': {detail} (limit {limit} = {maximum}{(entryName == null ? "" : ", at entry '" + UnsafeArchiveEntryException.Printable(entryName) + "'")}). Nothing was extracted. If the archive is trusted and really this large, raise the limit ({ParameterFor(limit)}).",
               ErrorIds.ArchiveLimitExceeded, FailureKind.LimitExceeded, archivePath)
    {
        ArchivePath = archivePath;
        Limit = limit;
        Maximum = maximum;
        EntryName = entryName;
    }

    public string ArchivePath { get; }
    public ArchiveLimit Limit { get; }
    public long Maximum { get; }
    public string? EntryName { get; }

    private static string ParameterFor(ArchiveLimit limit) => limit switch
    {
        ArchiveLimit.TotalBytes => "-MaxTotalBytes",
        ArchiveLimit.EntryCount => "-MaxEntryCount",
        ArchiveLimit.CompressionRatio => "-MaxCompressionRatio",
        _ => "-MaxDepth",
    };
}

/// <summary>The content is not an archive format the extractor reads, or uses a feature it does not (encryption, a compression method).</summary>
public sealed class UnsupportedArchiveFormatException : SecureInstallException
{
    public UnsupportedArchiveFormatException(string archivePath, string reason, Exception? innerException = null)
        : base($"Cannot extract '{archivePath}': {reason}", ErrorIds.UnsupportedArchiveFormat, FailureKind.NotSupported, archivePath, innerException)
    {
        ArchivePath = archivePath;
        Reason = reason;
    }

    public string ArchivePath { get; }
    public string Reason { get; }
}

/// <summary>The archive is damaged or its headers contradict each other; nothing from it is trusted.</summary>
public sealed class ArchiveCorruptException : SecureInstallException
{
    public ArchiveCorruptException(string archivePath, string reason, Exception? innerException = null)
        : base($"'{archivePath}' is corrupt: {reason} Nothing was extracted.", ErrorIds.ArchiveCorrupt, FailureKind.InvalidData, archivePath, innerException)
    {
        ArchivePath = archivePath;
        Reason = reason;
    }

    public string ArchivePath { get; }
    public string Reason { get; }
}

/// <summary>The destination already exists and replacing it was not asked for.</summary>
public sealed class DestinationExistsException : SecureInstallException
{
    public DestinationExistsException(string destinationPath)
        : base($"'{destinationPath}' already exists. Nothing was extracted; pass -Force (--force) to replace it with the archive's content.",
               ErrorIds.DestinationExists, FailureKind.AlreadyExists, destinationPath)
    {
        DestinationPath = destinationPath;
    }

    public string DestinationPath { get; }
}
