namespace SecureInstall.Core.Checksums;

/// <summary>The outcome of checking one file against one expected digest (and the size and other digests its source gave).</summary>
public sealed class ChecksumResult
{
    public ChecksumResult(string path, ChecksumAlgorithm algorithm, string expectedHash, string actualHash, string source)
        : this(path, algorithm, expectedHash, actualHash, source, null, null, Array.Empty<ChecksumResult>())
    {
    }

    internal ChecksumResult(string path, ChecksumAlgorithm algorithm, string expectedHash, string actualHash, string source,
        long? expectedSize, long? actualSize, IReadOnlyList<ChecksumResult> companions)
    {
        Path = path;
        Algorithm = algorithm;
        ExpectedHash = expectedHash;
        ActualHash = actualHash;
        Source = source;
        ExpectedSize = expectedSize;
        ActualSize = actualSize;
        Companions = companions;
        IsValid = Hex.DigestEquals(expectedHash, actualHash)
                  && (expectedSize == null || expectedSize == actualSize)
                  && companions.All(c => c.IsValid);
    }

    public string Path { get; }
    public ChecksumAlgorithm Algorithm { get; }
    public string ExpectedHash { get; }
    public string ActualHash { get; }

    /// <summary>False when the digest differs, the stated size differs, or any other digest the source gave differs.</summary>
    public bool IsValid { get; }

    /// <summary>Where the expected digest came from: "-Hash", or the list and line ("SHA256SUMS:12").</summary>
    public string Source { get; }

    /// <summary>The size the source stated (Debian Release lists), or null.</summary>
    public long? ExpectedSize { get; }

    /// <summary>The bytes hashed, when a size was stated or other digests were checked; else null.</summary>
    public long? ActualSize { get; }

    /// <summary>The other digests the source gave for this file, each checked over the same bytes.</summary>
    public IReadOnlyList<ChecksumResult> Companions { get; }

    /// <summary>The failure to report: the main digest first, then another algorithm that disagrees, then the size.</summary>
    public ChecksumMismatchException ToMismatch()
    {
        if (!Hex.DigestEquals(ExpectedHash, ActualHash) || Companions.All(c => c.IsValid) && (ExpectedSize == null || ExpectedSize == ActualSize))
            return new ChecksumMismatchException(Path, Algorithm, ExpectedHash, ActualHash, Source, SizeNote());
        ChecksumResult? other = Companions.FirstOrDefault(c => !c.IsValid);
        if (other != null)
            return new ChecksumMismatchException(Path, other.Algorithm, other.ExpectedHash, other.ActualHash, other.Source,
                $"its {Algorithm} matches {Source}, but the two digests of one source disagree, so neither proves anything");
        return new ChecksumMismatchException(Path, Algorithm, ExpectedHash, ActualHash, Source, SizeNote());
    }

    private string? SizeNote() =>
        ExpectedSize != null && ExpectedSize != ActualSize ? $"the file is {ActualSize} bytes, {Source} states {ExpectedSize}" : null;
}
