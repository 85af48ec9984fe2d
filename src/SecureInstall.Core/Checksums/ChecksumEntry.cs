using System.Text.RegularExpressions;

namespace SecureInstall.Core.Checksums;

/// <summary>One expected digest: from a checksum list line, or given directly by the caller.</summary>
public sealed class ChecksumEntry
{
    // Subresource Integrity (W3C SRI), as npm/yarn/pnpm lock files, HTML integrity= and Nix write digests.
    private static readonly Regex Sri = new(@"^(?<alg>[A-Za-z0-9]+)-(?<b64>[A-Za-z0-9+/]+={0,2})$", RegexOptions.CultureInvariant);

    public ChecksumEntry(string? fileName, ChecksumAlgorithm algorithm, string digest, string source, int lineNumber = 0, long? size = null)
    {
        if (digest == null) throw new ArgumentNullException(nameof(digest));
        if (size < 0) throw new ArgumentOutOfRangeException(nameof(size));
        FileName = fileName;
        Algorithm = algorithm;
        Digest = digest.ToLowerInvariant();
        Source = source ?? throw new ArgumentNullException(nameof(source));
        LineNumber = lineNumber;
        Size = size;
    }

    /// <summary>The size in bytes the source states beside the digest (Debian Release lists), or null.</summary>
    public long? Size { get; }

    /// <summary>
    /// The other digests the same source gives for the same file (a list with MD5Sum and SHA256 sections, an SRI value
    /// with two hashes). Each is checked too, in the same pass: two algorithms that disagree make a mismatch, whichever
    /// is stronger.
    /// </summary>
    public IReadOnlyList<ChecksumEntry> Companions { get; private set; } = Array.Empty<ChecksumEntry>();

    /// <summary>This entry with <paramref name="others"/> (other algorithms for the same file) to be checked alongside it.</summary>
    public ChecksumEntry WithCompanions(IEnumerable<ChecksumEntry> others)
    {
        if (others == null) throw new ArgumentNullException(nameof(others));
        var list = others.Where(o => !ReferenceEquals(o, this)).ToList();
        if (list.Count == 0) return this;
        return new ChecksumEntry(FileName, Algorithm, Digest, Source, LineNumber, Size ?? list.Select(o => o.Size).FirstOrDefault(z => z != null))
        {
            Companions = list,
        };
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
        string[] parts = value.Trim().Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length > 1)
        {
            // An SRI value may list several hashes ("sha384-… sha512-…"); browsers use the strongest, we require every one.
            var all = parts.Select(p => FromOne(p, algorithm, source, value)).ToList();
            ChecksumEntry primary = all.OrderBy(e => ChecksumAlgorithms.IsWeak(e.Algorithm) ? 0 : 1).ThenBy(e => ChecksumAlgorithms.DigestBytes(e.Algorithm)).Last();
            return primary.WithCompanions(all);
        }
        return FromOne(value.Trim(), algorithm, source, value);
    }

    /// <summary>
    /// Reads a Subresource Integrity value as a manifest's <c>integrity:</c> and a lock hold it: every hash written
    /// &lt;algorithm&gt;-&lt;base64&gt; (several separated by spaces, all required), none of them md5 or sha1, and no algorithm
    /// given twice with two digests. The strongest is returned, the others as its companions.
    /// </summary>
    /// <exception cref="InvalidDigestException">any of those is not so; the message says which.</exception>
    public static ChecksumEntry FromIntegrity(string value, string source)
    {
        if (value == null) throw new ArgumentNullException(nameof(value));
        if (value.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } parts && parts.Any(p => !Sri.IsMatch(p) || Hex.IsHex(p.Replace("-", string.Empty))))
            throw new InvalidDigestException(value, "Subresource Integrity writes each hash as <algorithm>-<base64> (sha512-… as npm lock files have it).");
        if (value.Trim().Length == 0) throw new InvalidDigestException(value, "it is empty.");
        ChecksumEntry entry = FromDigest(value, null, source);
        var all = new[] { entry }.Concat(entry.Companions).ToList();
        if (all.FirstOrDefault(e => ChecksumAlgorithms.IsWeak(e.Algorithm)) is { } weak)
            throw new InvalidDigestException(value, $"it names {weak.Algorithm}, which is broken and pins nothing; use sha256, sha384 or sha512 (npm writes sha512-…).");
        if (all.GroupBy(e => e.Algorithm).FirstOrDefault(g => g.Select(e => e.Digest).Distinct().Count() > 1) is { } twice)
            throw new InvalidDigestException(value, $"it gives two different {twice.Key} digests.");
        return entry;
    }

    /// <summary>
    /// The digests several pins give one file (a manifest's or lock's sha256 and integrity), as one entry to check: the
    /// strongest, the others as companions, each algorithm once, all from <paramref name="source"/>. Null when none is given.
    /// </summary>
    /// <exception cref="InvalidDigestException">two pins give one algorithm different digests: they contradict each other.</exception>
    public static ChecksumEntry? Combine(IEnumerable<ChecksumEntry?> pins, string source)
    {
        if (pins == null) throw new ArgumentNullException(nameof(pins));
        var all = new List<ChecksumEntry>();
        foreach (ChecksumEntry e in pins.Where(p => p != null).SelectMany(p => new[] { p! }.Concat(p!.Companions)))
        {
            ChecksumEntry? same = all.FirstOrDefault(a => a.Algorithm == e.Algorithm);
            if (same == null) all.Add(new ChecksumEntry(null, e.Algorithm, e.Digest, source));
            else if (same.Digest != e.Digest)
                throw new InvalidDigestException(e.Digest, $"one pin gives {e.Algorithm} {same.Digest} and another {e.Digest}: the two pins contradict each other.");
        }
        if (all.Count == 0) return null;
        return all.OrderBy(e => ChecksumAlgorithms.DigestBytes(e.Algorithm)).Last().WithCompanions(all);
    }

    private static ChecksumEntry FromOne(string text, ChecksumAlgorithm? algorithm, string source, string value)
    {
        string hex = text;
        Match sri = Sri.Match(hex);
        if (sri.Success && hex.IndexOf(':') < 0 && !Hex.IsHex(hex.Replace("-", string.Empty)))
        {
            if (!ChecksumAlgorithms.TryParse(sri.Groups["alg"].Value, out ChecksumAlgorithm sriAlgorithm))
                throw new InvalidDigestException(value, $"unknown algorithm prefix '{sri.Groups["alg"].Value}-'.");
            if (algorithm.HasValue && algorithm.Value != sriAlgorithm)
                throw new InvalidDigestException(value, $"the prefix says {sriAlgorithm} but {algorithm} was asked for.");
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(sri.Groups["b64"].Value);
            }
            catch (FormatException)
            {
                throw new InvalidDigestException(value, "the part after the SRI prefix is not base64.");
            }
            if (bytes.Length != ChecksumAlgorithms.DigestBytes(sriAlgorithm))
                throw new InvalidDigestException(value, $"an {sriAlgorithm} digest has {ChecksumAlgorithms.DigestBytes(sriAlgorithm)} bytes, this SRI value decodes to {bytes.Length}.");
            return new ChecksumEntry(null, sriAlgorithm, Hex.Encode(bytes), source);
        }
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
