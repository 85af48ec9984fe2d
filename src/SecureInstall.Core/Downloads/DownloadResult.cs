namespace SecureInstall.Core.Downloads;

/// <summary>A file that was fetched, checked and placed.</summary>
public sealed class DownloadResult
{
    internal DownloadResult(string path, Uri uri, Uri finalUri, string sha256, long size, string digestSource, bool verified,
                            bool fromCache, TimeSpan elapsed, IReadOnlyList<Uri> redirects, int attempts)
    {
        Path = path;
        Uri = uri;
        // Pre-signed redirect targets (X-Amz-Signature=, token=) are secrets for their lifetime: the result, which
        // scripts print and serialize, keeps them redacted, like every message and log line.
        FinalUri = UriText.RedactedUri(finalUri);
        Sha256 = sha256;
        Size = size;
        DigestSource = digestSource;
        Verified = verified;
        FromCache = fromCache;
        Elapsed = elapsed;
        Redirects = redirects.Select(UriText.RedactedUri).ToList();
        Attempts = attempts;
    }

    /// <summary>Full path of the placed file.</summary>
    public string Path { get; }

    /// <summary>The URI (of the mirrors given) the file came from; for a cache hit, the first one.</summary>
    public Uri Uri { get; }

    /// <summary>Where the bytes came from after redirects, with user:password and signature-like query values shown as ***.</summary>
    public Uri FinalUri { get; }

    /// <summary>Lower-case hex SHA-256 of the placed file, whatever algorithm verified it.</summary>
    public string Sha256 { get; }

    public long Size { get; }

    /// <summary>Where the expected digest came from ("-Sha256", "SHA256SUMS:3"), or "none" when verification was skipped.</summary>
    public string DigestSource { get; }

    /// <summary>False only when the caller skipped verification.</summary>
    public bool Verified { get; }

    public bool FromCache { get; }
    public TimeSpan Elapsed { get; }

    /// <summary>The redirect chain, in order, not including <see cref="Uri"/>; redacted like <see cref="FinalUri"/>.</summary>
    public IReadOnlyList<Uri> Redirects { get; }

    /// <summary>The signature that vouched for the checksum list or the artifact, when one was required; else null.</summary>
    public SecureInstall.Core.Signatures.SignatureResult? Signature { get; internal set; }

    /// <summary>HTTP requests made for the artifact (retries and resumes included); 0 for a cache hit.</summary>
    public int Attempts { get; }
}

/// <summary>Bytes received so far for one download, reported a few times a second.</summary>
public sealed class DownloadProgress
{
    public DownloadProgress(Uri uri, long bytesReceived, long? totalBytes, double bytesPerSecond)
    {
        Uri = uri;
        BytesReceived = bytesReceived;
        TotalBytes = totalBytes;
        BytesPerSecond = bytesPerSecond;
    }

    public Uri Uri { get; }
    public long BytesReceived { get; }

    /// <summary>Null when the server did not say.</summary>
    public long? TotalBytes { get; }
    public double BytesPerSecond { get; }

    /// <summary>Null when the total or the rate is unknown.</summary>
    public TimeSpan? Remaining => RemainingOf(TotalBytes, BytesReceived, BytesPerSecond);

    /// <summary>The time left at <paramref name="bytesPerSecond"/> (one download's, or a batch's summed); null when the total or the rate is unknown.</summary>
    internal static TimeSpan? RemainingOf(long? totalBytes, long bytesReceived, double bytesPerSecond) =>
        totalBytes.HasValue && bytesPerSecond > 0 ? TimeSpan.FromSeconds(Math.Max(0, totalBytes.Value - bytesReceived) / bytesPerSecond) : null;

    public int? PercentComplete =>
        TotalBytes.HasValue && TotalBytes.Value > 0 ? (int)Math.Min(100, BytesReceived * 100 / TotalBytes.Value) : null;
}
