namespace SecureInstall.Core.Checksums;

/// <summary>The outcome of checking one file against one expected digest.</summary>
public sealed class ChecksumResult
{
    public ChecksumResult(string path, ChecksumAlgorithm algorithm, string expectedHash, string actualHash, string source)
    {
        Path = path;
        Algorithm = algorithm;
        ExpectedHash = expectedHash;
        ActualHash = actualHash;
        Source = source;
        IsValid = Hex.DigestEquals(expectedHash, actualHash);
    }

    public string Path { get; }
    public ChecksumAlgorithm Algorithm { get; }
    public string ExpectedHash { get; }
    public string ActualHash { get; }
    public bool IsValid { get; }

    /// <summary>Where the expected digest came from: "-Hash", or the list and line ("SHA256SUMS:12").</summary>
    public string Source { get; }

    public ChecksumMismatchException ToMismatch() => new(Path, Algorithm, ExpectedHash, ActualHash, Source);
}
