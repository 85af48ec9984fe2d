using System.Buffers;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// What a bundle is checked against: a file, read once and hashed with SHA-256 and, in the same pass, SHA-384 and/or
/// SHA-512 (an in-toto subject may name it by any of them: npm provenance uses sha512 alone), or only a digest ("sha256:HEX", the
/// sigstore-conformance DIGEST mode or a digest pinned in a lock; "sha384:HEX" and "sha512:HEX" too).
/// </summary>
public sealed class SigstoreArtifact
{
    /// <summary>The algorithms an in-toto subject is matched by, strongest last; md5 and sha1 never identify an artifact.</summary>
    public static readonly IReadOnlyList<ChecksumAlgorithm> SubjectAlgorithms = new[] { ChecksumAlgorithm.SHA256, ChecksumAlgorithm.SHA384, ChecksumAlgorithm.SHA512 };

    private readonly IReadOnlyDictionary<ChecksumAlgorithm, byte[]> _digests;

    private SigstoreArtifact(string? path, IReadOnlyDictionary<ChecksumAlgorithm, byte[]> digests, string display)
    {
        FilePath = path;
        _digests = digests;
        Display = display;
    }

    /// <summary>The file, when there is one; null for a digest.</summary>
    public string? FilePath { get; }

    /// <summary>
    /// The SHA-256 (what message signatures and hashedrekord entries sign). A sha384:/sha512: digest has none: a bundle
    /// that needs it fails with a message saying to give the file.
    /// </summary>
    public byte[] Sha256 => Required(ChecksumAlgorithm.SHA256);

    /// <summary>
    /// The digest with <paramref name="algorithm"/> that a bundle is checked against (a hashedrekord entry may log the
    /// SHA-384 or SHA-512); when only others are known, a message saying to give the file or that digest.
    /// </summary>
    public byte[] Required(ChecksumAlgorithm algorithm) => Digest(algorithm)
        ?? throw new SigstoreCheckException($"this bundle is checked against the artifact's {AlgorithmName(algorithm).ToUpperInvariant().Insert(3, "-")}, and '{Display}' gives only its {Names}; give the file or its {AlgorithmName(algorithm)}:HEX");

    /// <summary>The path, or "sha256:HEX" (the algorithm given).</summary>
    public string Display { get; }

    /// <summary>The algorithms this artifact's digest is known by: all of <see cref="SubjectAlgorithms"/> for a file.</summary>
    public IEnumerable<ChecksumAlgorithm> Algorithms => _digests.Keys;

    /// <summary>The digest with <paramref name="algorithm"/>, or null when only another one is known.</summary>
    public byte[]? Digest(ChecksumAlgorithm algorithm) => _digests.TryGetValue(algorithm, out byte[]? d) ? d : null;

    /// <summary>"sha256:HEX, sha512:HEX": what an error shows.</summary>
    public string DescribeDigests() => string.Join(", ", _digests.OrderBy(d => d.Key).Select(d => AlgorithmName(d.Key) + ":" + Hex.Encode(d.Value)));

    private string Names => string.Join(", ", _digests.Keys.Select(AlgorithmName));

    /// <summary>The in-toto DigestSet name: sha256, sha384, sha512.</summary>
    public static string AlgorithmName(ChecksumAlgorithm algorithm) => ChecksumAlgorithms.LowerName(algorithm);

    /// <summary>The name Sigstore's protobuf messages give an algorithm (messageDigest, hashedrekord 0.0.2): SHA2_256, SHA2_384, SHA2_512.</summary>
    public static string ProtobufName(ChecksumAlgorithm algorithm) => "SHA2_" + (ChecksumAlgorithms.DigestBytes(algorithm) * 8).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One of <see cref="SubjectAlgorithms"/> by its exact Sigstore spelling (sha512 or SHA2_512), else null.</summary>
    public static ChecksumAlgorithm? FromSigstoreName(string? name)
    {
        foreach (ChecksumAlgorithm a in SubjectAlgorithms)
        {
            if (string.Equals(name, AlgorithmName(a), StringComparison.Ordinal) || string.Equals(name, ProtobufName(a), StringComparison.Ordinal)) return a;
        }
        return null;
    }

    /// <summary>Reads the file once, feeding every block to SHA-256, SHA-384 and SHA-512.</summary>
    public static SigstoreArtifact FromFile(string path, CancellationToken cancellationToken = default) =>
        FromFile(path, SubjectAlgorithms, cancellationToken);

    /// <summary>
    /// Reads the file once with SHA-256 and whichever of SHA-384 and SHA-512 <paramref name="algorithms"/> names (see
    /// <see cref="NeededBy"/>): a multi-gigabyte file checked against a message signature is not hashed three times over.
    /// </summary>
    public static SigstoreArtifact FromFile(string path, IEnumerable<ChecksumAlgorithm> algorithms, CancellationToken cancellationToken = default)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (algorithms == null) throw new ArgumentNullException(nameof(algorithms));
        var wanted = SubjectAlgorithms.Where(a => a == ChecksumAlgorithm.SHA256 || algorithms.Contains(a)).ToArray();
        var hashes = wanted.Select(ChecksumAlgorithms.Create).ToArray();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileHasher.BufferSize);
        try
        {
            using (FileStream stream = FileHasher.OpenRead(path))
            {
                int count;
                while ((count = stream.Read(buffer, 0, FileHasher.BufferSize)) > 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (HashAlgorithm h in hashes) h.TransformBlock(buffer, 0, count, null, 0);
                }
            }
            var digests = new Dictionary<ChecksumAlgorithm, byte[]>();
            for (int i = 0; i < hashes.Length; i++)
            {
                hashes[i].TransformFinalBlock(buffer, 0, 0);
                digests[wanted[i]] = hashes[i].Hash!;
            }
            return new SigstoreArtifact(path, digests, path);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            foreach (HashAlgorithm h in hashes) h.Dispose();
        }
    }

    /// <summary>
    /// The digests verifying against <paramref name="bundles"/> needs: SHA-256 always, the algorithm a message signature
    /// signed and logged, and the supported algorithms the in-toto subjects of their DSSE statements list. The statements are not trusted here, only read to choose what
    /// to compute; a statement that cannot be read asks for all three (its verification then says what is wrong).
    /// </summary>
    public static IReadOnlyList<ChecksumAlgorithm> NeededBy(IEnumerable<SigstoreBundle> bundles)
    {
        if (bundles == null) throw new ArgumentNullException(nameof(bundles));
        var needed = new HashSet<ChecksumAlgorithm> { ChecksumAlgorithm.SHA256 };
        foreach (SigstoreBundle bundle in bundles)
        {
            // A message signature over the SHA-384 or SHA-512 (P-384 and P-521 keys) is checked against that digest.
            if (bundle.Envelope == null)
            {
                needed.Add(TransparencyLogBody.SignedDigestAlgorithm(bundle));
                continue;
            }
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(bundle.Envelope.Payload);
                if (!doc.RootElement.TryGetProperty("subject", out var subjects) || subjects.ValueKind != System.Text.Json.JsonValueKind.Array) continue;
                foreach (var subject in subjects.EnumerateArray())
                {
                    if (subject.ValueKind != System.Text.Json.JsonValueKind.Object || !subject.TryGetProperty("digest", out var set) || set.ValueKind != System.Text.Json.JsonValueKind.Object) continue;
                    foreach (var d in set.EnumerateObject())
                    {
                        foreach (ChecksumAlgorithm a in SubjectAlgorithms)
                        {
                            if (string.Equals(d.Name, AlgorithmName(a), StringComparison.OrdinalIgnoreCase)) needed.Add(a);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
            {
                return SubjectAlgorithms;
            }
        }
        return SubjectAlgorithms.Where(needed.Contains).ToList();
    }

    public static SigstoreArtifact FromDigest(byte[] sha256)
    {
        if (sha256 == null || sha256.Length != 32) throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(sha256));
        return FromDigest(ChecksumAlgorithm.SHA256, sha256);
    }

    /// <summary>A digest of one of <see cref="SubjectAlgorithms"/>.</summary>
    public static SigstoreArtifact FromDigest(ChecksumAlgorithm algorithm, byte[] digest)
    {
        if (!SubjectAlgorithms.Contains(algorithm)) throw new ArgumentException($"{AlgorithmName(algorithm)} does not identify an artifact; give sha256, sha384 or sha512", nameof(algorithm));
        if (digest == null || digest.Length != ChecksumAlgorithms.DigestBytes(algorithm))
            throw new ArgumentException($"a {AlgorithmName(algorithm)} digest is {ChecksumAlgorithms.DigestBytes(algorithm)} bytes", nameof(digest));
        return new SigstoreArtifact(null, new Dictionary<ChecksumAlgorithm, byte[]> { [algorithm] = digest }, AlgorithmName(algorithm) + ":" + Hex.Encode(digest));
    }

    /// <summary>
    /// The digests a pin gives (an entry and its companions: a manifest's sha256: and integrity:, or a lock's): those of
    /// <see cref="SubjectAlgorithms"/>; md5 and sha1 are ignored, and an entry with none of the three is refused.
    /// </summary>
    public static SigstoreArtifact FromDigests(ChecksumEntry pinned)
    {
        if (pinned == null) throw new ArgumentNullException(nameof(pinned));
        var digests = new Dictionary<ChecksumAlgorithm, byte[]>();
        foreach (ChecksumEntry e in new[] { pinned }.Concat(pinned.Companions))
            if (SubjectAlgorithms.Contains(e.Algorithm) && Hex.TryDecode(e.Digest) is { } bytes && bytes.Length == ChecksumAlgorithms.DigestBytes(e.Algorithm))
                digests[e.Algorithm] = bytes;
        if (digests.Count == 0) throw new ArgumentException($"{pinned.Algorithm} does not identify an artifact; give sha256, sha384 or sha512", nameof(pinned));
        var primary = digests.OrderBy(d => d.Key).First();
        return new SigstoreArtifact(null, digests, AlgorithmName(primary.Key) + ":" + Hex.Encode(primary.Value));
    }

    /// <summary>True for "sha256:", "sha384:" or "sha512:" followed by that digest's hex.</summary>
    public static bool TryParseDigest(string text, out SigstoreArtifact? artifact)
    {
        artifact = null;
        if (text == null) return false;
        foreach (ChecksumAlgorithm algorithm in SubjectAlgorithms)
        {
            string prefix = AlgorithmName(algorithm) + ":";
            if (!text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            byte[]? bytes = text.Length == prefix.Length + 2 * ChecksumAlgorithms.DigestBytes(algorithm) ? Hex.TryDecode(text.Substring(prefix.Length)) : null;
            if (bytes == null) return false;
            artifact = FromDigest(algorithm, bytes);
            return true;
        }
        return false;
    }

    internal byte[] ReadAll(long limit)
    {
        if (FilePath == null) throw new SigstoreCheckException("this signature covers the whole artifact, so it cannot be checked from a digest alone; give the file");
        var info = new FileInfo(FilePath);
        if (info.Length > limit) throw new SigstoreCheckException($"the artifact is larger than {limit} bytes, the most an Ed25519 signature is checked over in memory");
        byte[] bytes = File.ReadAllBytes(FilePath);
        using SHA256 sha = SHA256.Create();
        // The file must still be the one that was hashed.
        if (!SigstoreKeys.BytesEqual(sha.ComputeHash(bytes), Sha256)) throw new SigstoreCheckException("the artifact changed while it was being verified");
        return bytes;
    }
}
