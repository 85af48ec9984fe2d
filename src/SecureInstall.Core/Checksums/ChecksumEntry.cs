using System;

namespace SecureInstall.Core.Checksums;

/// <summary>One expected digest: from a checksum list line, or given directly by the caller.</summary>
public sealed class ChecksumEntry
{
    public ChecksumEntry(string? fileName, ChecksumAlgorithm algorithm, string digest, string source, int lineNumber = 0)
    {
        if (digest == null) throw new ArgumentNullException(nameof(digest));
        FileName = fileName;
        Algorithm = algorithm;
        Digest = digest.ToLowerInvariant();
        Source = source ?? throw new ArgumentNullException(nameof(source));
        LineNumber = lineNumber;
    }

    /// <summary>The name as the list wrote it (unescaped), or null for a hash-only sidecar or a digest given directly.</summary>
    public string? FileName { get; }

    public ChecksumAlgorithm Algorithm { get; }

    /// <summary>Lower-case hex.</summary>
    public string Digest { get; }

    /// <summary>Where the digest came from, for messages: a list path, "-Hash", a URI.</summary>
    public string Source { get; }

    /// <summary>1-based line in the list, 0 when not from a list.</summary>
    public int LineNumber { get; }

    /// <summary>
    /// Reads a digest given by a person: hex in any case, optionally prefixed "sha256:" (the form used by
    /// OCI, Sigstore and lock files). The algorithm comes from the prefix, then <paramref name="algorithm"/>,
    /// then the length; a disagreement between them is an error, not a guess.
    /// </summary>
    public static ChecksumEntry FromDigest(string value, ChecksumAlgorithm? algorithm, string source)
    {
        if (value == null) throw new ArgumentNullException(nameof(value));
        string hex = value.Trim();
        ChecksumAlgorithm? named = algorithm;
        int colon = hex.IndexOf(':');
        if (colon > 0)
        {
            if (!ChecksumAlgorithms.TryParse(hex.Substring(0, colon), out ChecksumAlgorithm prefixed))
                throw new InvalidDigestException(value, $"unknown algorithm prefix '{hex.Substring(0, colon)}'.");
            if (named.HasValue && named.Value != prefixed)
                throw new InvalidDigestException(value, $"the prefix says {prefixed} but {named} was asked for.");
            named = prefixed;
            hex = hex.Substring(colon + 1);
        }
        if (!Hex.IsHex(hex))
            throw new InvalidDigestException(value, "a digest is hexadecimal (0-9, a-f).");
        ChecksumAlgorithm? byLength = ChecksumAlgorithms.FromHexLength(hex.Length);
        if (byLength == null)
            throw new InvalidDigestException(value, $"{hex.Length} hex digits match no supported algorithm (SHA-256 has 64, SHA-384 96, SHA-512 128).");
        if (named.HasValue && named.Value != byLength.Value)
            throw new InvalidDigestException(value, $"{named} digests have {ChecksumAlgorithms.DigestBytes(named.Value) * 2} hex digits, this one has {hex.Length}.");
        return new ChecksumEntry(null, byLength.Value, hex, source);
    }

    public override string ToString() => FileName == null ? $"{Algorithm}:{Digest}" : $"{Algorithm}:{Digest}  {FileName}";
}
