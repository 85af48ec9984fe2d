using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Archives;

/// <summary>
/// What <see cref="SafeArchiveExtractor"/> may write. The limits default to values no real release archive
/// reaches and every decompression bomb does; raising one is an explicit choice of the caller.
/// </summary>
public sealed class ArchiveExtractionOptions
{
    public const long DefaultMaxTotalBytes = 4L * 1024 * 1024 * 1024;
    public const int DefaultMaxEntryCount = 100_000;
    public const int DefaultMaxCompressionRatio = 200;
    public const int DefaultMaxDepth = 64;

    /// <summary>Bytes written to disk, counted as they are written (hard-link copies included), never taken from headers.</summary>
    public long MaxTotalBytes { get; set; } = DefaultMaxTotalBytes;

    /// <summary>Entries of any kind, folders and links included.</summary>
    public int MaxEntryCount { get; set; } = DefaultMaxEntryCount;

    /// <summary>
    /// Bytes written per compressed byte read: per entry for zip, over the whole stream for compressed tar.
    /// Source code compresses 3–10×; bombs reach 1,000× and more.
    /// </summary>
    public int MaxCompressionRatio { get; set; } = DefaultMaxCompressionRatio;

    /// <summary>
    /// Folder levels of one entry. Archives inside the archive are written as files and never opened, so
    /// this is the only nesting there is: a recursive (42.zip-style) bomb stays one harmless layer.
    /// </summary>
    public int MaxDepth { get; set; } = DefaultMaxDepth;

    /// <summary>Leading path segments dropped from every entry (tar's --strip-components); entries left with no name are skipped.</summary>
    public int StripComponents { get; set; }

    /// <summary>
    /// Only entries whose path (after stripping) matches one of these are written. <c>*</c> and <c>?</c> stay within a
    /// segment, <c>**</c> crosses segments; a pattern without <c>/</c> also matches a file name alone. Empty: everything.
    /// Every entry is still checked against every rule: a hostile entry is refused even when it would not be written.
    /// </summary>
    public IList<string> Include { get; set; } = new List<string>();

    /// <summary>Replace an existing destination (after the whole archive has been extracted beside it).</summary>
    public bool Overwrite { get; set; }

    /// <summary>
    /// Entry names are OPC part names (a .nupkg): percent escapes are decoded ("My%20Module.psm1" is "My Module.psm1"), as
    /// NuGet and PSResourceGet do, before every rule runs on the decoded name. Zip only.
    /// </summary>
    public bool DecodePercentEscapes { get; set; }

    /// <summary>When set, the archive is hashed (through the same open handle that is then extracted) and refused on mismatch.</summary>
    public ChecksumEntry? ExpectedDigest { get; set; }

    /// <summary>
    /// A copy to change for one extraction (an installer setting strip_components per artifact): every setting is carried,
    /// so a limit added here later cannot be dropped by a caller copying fields one by one.
    /// </summary>
    public ArchiveExtractionOptions Clone()
    {
        var copy = (ArchiveExtractionOptions)MemberwiseClone();
        copy.Include = new List<string>(Include);
        return copy;
    }

    internal void Validate()
    {
        if (MaxTotalBytes <= 0) throw new ArgumentOutOfRangeException(nameof(MaxTotalBytes), "must be positive.");
        if (MaxEntryCount <= 0) throw new ArgumentOutOfRangeException(nameof(MaxEntryCount), "must be positive.");
        if (MaxCompressionRatio <= 0) throw new ArgumentOutOfRangeException(nameof(MaxCompressionRatio), "must be positive.");
        if (MaxDepth <= 0) throw new ArgumentOutOfRangeException(nameof(MaxDepth), "must be positive.");
        if (StripComponents < 0) throw new ArgumentOutOfRangeException(nameof(StripComponents), "cannot be negative.");
        if (Include == null) throw new ArgumentNullException(nameof(Include));
    }
}
