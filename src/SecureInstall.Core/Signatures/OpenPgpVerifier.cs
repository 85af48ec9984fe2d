using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace SecureInstall.Core.Signatures;

public sealed class OpenPgpVerifierOptions
{
    /// <summary>Trust only the key whose primary-key fingerprint is this (40 or 64 hex digits; spaces allowed).</summary>
    public string? Fingerprint { get; set; }

    /// <summary>
    /// Accept a signature from a key that has expired since, as long as the signature was made while the key was valid
    /// (old releases signed with a since-expired key). Off by default: an expired key is not trusted.
    /// </summary>
    public bool AllowExpiredKey { get; set; }

    /// <summary>The time expiry is judged at; the current time unless a test fixes it.</summary>
    public DateTimeOffset? ReferenceTime { get; set; }
}

/// <summary>A clear-signed text whose signature verified, and the text that was signed (nothing outside it).</summary>
public sealed class ClearSignedText
{
    internal ClearSignedText(SignatureResult signature, string signedText)
    {
        Signature = signature;
        SignedText = signedText;
    }

    public SignatureResult Signature { get; }

    /// <summary>The signed lines, dash-escaping undone, LF line endings. Only this text is vouched for.</summary>
    public string SignedText { get; }
}

/// <summary>
/// Verifies OpenPGP signatures (RFC 4880: detached binary or armored, and clear-signed text) against the caller's
/// trusted public keys. A signature counts only when its key is in the trusted set (and matches the fingerprint pin),
/// the signing key is the primary or a subkey bound to it by a valid binding signature with a back-signature, neither
/// is revoked, expired or not allowed to sign, and the signature itself is not expired and uses no broken hash.
/// Those checks on the key and the signature are in OpenPgpVerifier.KeyChecks.cs.
/// </summary>
public sealed partial class OpenPgpVerifier : DetachedSignatureVerifier
{
    /// <summary>Clock skew tolerated for a signature that says it was made in the future.</summary>
    private static readonly TimeSpan FutureSkew = TimeSpan.FromDays(1);

    private readonly OpenPgpKeyRing _keys;
    private readonly OpenPgpVerifierOptions _options;
    private readonly string? _pin;
    private readonly List<PgpPublicKeyRing> _trusted;

    /// <exception cref="InvalidFingerprintException">the fingerprint pin is not a full fingerprint.</exception>
    public OpenPgpVerifier(OpenPgpKeyRing keys, OpenPgpVerifierOptions? options = null)
    {
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _options = options ?? new OpenPgpVerifierOptions();
        if (_options.Fingerprint != null)
        {
            _pin = OpenPgpKeyRing.NormalizeFingerprint(_options.Fingerprint)
                ?? throw new InvalidFingerprintException(_options.Fingerprint, "give the primary key's full fingerprint (40 hex digits, gpg --fingerprint); short key ids can be forged.");
        }
        _trusted = keys.Rings.Where(r => _pin == null || OpenPgpKeyRing.FormatFingerprint(r.GetPublicKey().GetFingerprint()) == _pin).ToList();
    }

    public override SignatureScheme Scheme => SignatureScheme.OpenPgp;

    public override string TrustedKeyDescription =>
        _pin != null ? $"OpenPGP key {_pin} (pinned, from {_keys.Source})" : $"OpenPGP key(s) {string.Join(", ", _keys.Fingerprints)} (from {_keys.Source})";

    public override IReadOnlyList<string> SignatureExtensions { get; } = new[] { ".sig", ".asc", ".gpg" };

    /// <summary>A file with no detached signature beside it may be clear-signed itself (a SHA256SUMS made with gpg --clearsign).</summary>
    protected override SignatureResult? VerifyInlineSignature(string path, CancellationToken cancellationToken)
    {
        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        byte[] head = new byte[200];
        int read = stream.Read(head, 0, head.Length);
        int bom = IO.TextDecoding.Utf8BomLength(head, read);
        string start = Encoding.ASCII.GetString(head, bom, read - bom).TrimStart(' ', '\t', '\r', '\n');
        if (!start.StartsWith("-----BEGIN PGP SIGNED MESSAGE-----", StringComparison.Ordinal)) return null;
        stream.Position = 0;
        return VerifyClearSigned(stream, path, cancellationToken).Signature;
    }

    private DateTime Now => (_options.ReferenceTime ?? DateTimeOffset.UtcNow).UtcDateTime;

    public override SignatureResult Verify(Stream data, string dataName, Stream signature, string signatureName, CancellationToken cancellationToken = default)
    {
        if (data == null) throw new ArgumentNullException(nameof(data));
        if (dataName == null) throw new ArgumentNullException(nameof(dataName));
        if (signature == null) throw new ArgumentNullException(nameof(signature));
        if (signatureName == null) throw new ArgumentNullException(nameof(signatureName));
        List<PgpSignature> signatures = ReadDetached(signature, signatureName);
        List<Candidate> candidates = Prepare(signatures, dataName, signatureName, clearSigned: false);
        MinisignVerifier.Pump(data, (buffer, count) =>
        {
            foreach (Candidate c in candidates) c.Signature.Update(buffer, 0, count);
        }, cancellationToken);
        return Finish(candidates);
    }

    /// <summary>
    /// Verifies a clear-signed text (a SHA256SUMS published with gpg --clearsign) and returns the signed text, which is
    /// all a caller may read: lines before or after the signed block are refused, not skipped, because a checksum parser
    /// would otherwise read entries no signature covers.
    /// </summary>
    public ClearSignedText VerifyClearSigned(Stream message, string source, CancellationToken cancellationToken = default)
    {
        if (message == null) throw new ArgumentNullException(nameof(message));
        if (source == null) throw new ArgumentNullException(nameof(source));
        byte[] bytes = ReadSmall(message, source, Checksums.ChecksumListParser.DefaultMaximumBytes > int.MaxValue ? int.MaxValue : (int)Checksums.ChecksumListParser.DefaultMaximumBytes,
            reason => new SignatureFormatException(source, reason));
        string text;
        try
        {
            text = DecodeText(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new SignatureFormatException(source, "a clear-signed message is UTF-8 text; this one is not.", ex);
        }
        ClearSignedParts parts = ClearSignedParts.Parse(text, source);
        List<PgpSignature> signatures = ReadDetached(new MemoryStream(Encoding.ASCII.GetBytes(parts.SignatureArmor)), source);
        List<Candidate> candidates = Prepare(signatures, source, "clear-signed", clearSigned: true);
        foreach (PgpSignature s in signatures)
        {
            if (!parts.HashAllowed(s.HashAlgorithm))
                throw new SignatureFormatException(source, $"the signature uses {s.HashAlgorithm}, which the 'Hash:' header does not announce.");
        }
        cancellationToken.ThrowIfCancellationRequested();
        byte[] canonical = Encoding.UTF8.GetBytes(parts.CanonicalText);
        foreach (Candidate c in candidates) c.Signature.Update(canonical, 0, canonical.Length);
        return new ClearSignedText(Finish(candidates), parts.SignedText);
    }

    private sealed class Candidate
    {
        public Candidate(PgpSignature signature, SignatureResult result)
        {
            Signature = signature;
            Result = result;
        }

        public PgpSignature Signature { get; }
        public SignatureResult Result { get; }
    }

    /// <summary>Finds the signatures made by trusted keys, checks those keys, and readies each signature to hash the data.</summary>
    private List<Candidate> Prepare(List<PgpSignature> signatures, string dataName, string signatureName, bool clearSigned)
    {
        var candidates = new List<Candidate>();
        var issuers = new List<string>();
        foreach (PgpSignature s in signatures)
        {
            if (s.SignatureType != PgpSignature.BinaryDocument && s.SignatureType != PgpSignature.CanonicalTextDocument)
                throw new SignatureFormatException(signatureName, $"it holds a signature of type 0x{s.SignatureType:X2}, not a document signature (0x00 binary or 0x01 text).");
            if (clearSigned && s.SignatureType != PgpSignature.CanonicalTextDocument)
                throw new SignatureFormatException(signatureName, "a clear-signed message must carry a text signature (type 0x01).");

            long issuer = IssuerKeyId(s);
            byte[]? issuerFingerprint = s.GetHashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint() ?? s.GetUnhashedSubPackets()?.GetIssuerFingerprint()?.GetFingerprint();
            issuers.Add(issuerFingerprint != null ? OpenPgpKeyRing.FormatFingerprint(issuerFingerprint) : OpenPgpKeyRing.FormatKeyId(issuer));
            if (issuer == 0) continue;

            foreach (PgpPublicKeyRing ring in _trusted)
            {
                PgpPublicKey? key = ring.GetPublicKey(issuer);
                if (key == null) continue;
                if (issuerFingerprint != null && !key.GetFingerprint().SequenceEqual(issuerFingerprint)) continue;
                SignatureResult result = Describe(s, ring, key, dataName, signatureName);
                CheckSigningKey(s, ring, key, result);
                CheckSignature(s, result);
                try
                {
                    s.InitVerify(key);
                }
                catch (PgpException ex)
                {
                    throw new SignatureNotSupportedException(dataName, $"the signature's algorithm ({key.Algorithm}, {s.HashAlgorithm}) is not supported ({ex.Message})");
                }
                candidates.Add(new Candidate(s, result));
                break;
            }
        }
        if (candidates.Count == 0)
        {
            var unsigned = new SignatureResult(SignatureScheme.OpenPgp, false, dataName, signatureName) { KeyId = string.Join(", ", issuers) };
            string trusted = _pin ?? string.Join(", ", _keys.Fingerprints);
            string reason = _pin != null && _trusted.Count == 0
                ? $"{_keys.Source} holds no key with the pinned fingerprint (it holds {string.Join(", ", _keys.Fingerprints)})"
                : "no signature was made by a trusted key";
            throw new SignerNotTrustedException(unsigned, trusted, issuers.Count == 0 ? "(no issuer)" : string.Join(", ", issuers), reason);
        }
        return candidates;
    }

    /// <summary>Every signature by a trusted key must hold; one that does not means the data changed.</summary>
    private static SignatureResult Finish(List<Candidate> candidates)
    {
        foreach (Candidate c in candidates)
        {
            bool ok;
            try
            {
                ok = c.Signature.Verify();
            }
            catch (PgpException ex)
            {
                throw new SignatureInvalidException(c.Result.AsInvalid(), "the signature cannot be checked (" + ex.Message + ")", ex);
            }
            if (!ok)
                throw new SignatureInvalidException(c.Result.AsInvalid(), $"the data does not match the signature by key {c.Result.KeyId} (the file was changed, or the signature belongs to another file)");
        }
        return candidates[0].Result;
    }

    private static SignatureResult Describe(PgpSignature s, PgpPublicKeyRing ring, PgpPublicKey key, string dataName, string signatureName)
    {
        PgpPublicKey primary = ring.GetPublicKey();
        return new SignatureResult(SignatureScheme.OpenPgp, true, dataName, signatureName)
        {
            Signer = PrimaryUserId(primary),
            KeyId = OpenPgpKeyRing.FormatKeyId(key.KeyId),
            Fingerprint = OpenPgpKeyRing.FormatFingerprint(primary.GetFingerprint()),
            SignedAt = new DateTimeOffset(DateTime.SpecifyKind(s.CreationTime, DateTimeKind.Utc)),
            Algorithm = $"{AlgorithmName(key.Algorithm)}{(key.BitStrength > 0 ? " " + key.BitStrength : "")}, {s.HashAlgorithm.ToString().ToUpperInvariant()}",
        };
    }

    /// <summary>Reads the signature packets of a detached signature, armored or binary.</summary>
    internal static List<PgpSignature> ReadDetached(Stream stream, string source)
    {
        byte[] bytes = ReadSmall(stream, source, MaximumSignatureBytes, reason => new SignatureFormatException(source, reason));
        if (bytes.Length == 0) throw new SignatureFormatException(source, "it is empty.");
        var signatures = new List<PgpSignature>();
        try
        {
            Stream input = new MemoryStream(bytes);
            if (OpenPgpKeyRing.LooksArmored(bytes))
            {
                // The mark is skipped as bytes: decoded as ASCII it is '???', not U+FEFF.
                int bom = IO.TextDecoding.Utf8BomLength(bytes, bytes.Length);
                string head = Encoding.ASCII.GetString(bytes, bom, Math.Min(bytes.Length - bom, 200)).TrimStart(' ', '\t', '\r', '\n');
                if (head.StartsWith("-----BEGIN PGP SIGNED MESSAGE-----", StringComparison.Ordinal))
                    throw new SignatureFormatException(source, "it is a clear-signed message, not a detached signature; verify it as a clear-signed list instead.");
                if (!head.StartsWith("-----BEGIN PGP SIGNATURE-----", StringComparison.Ordinal))
                    throw new SignatureFormatException(source, head.StartsWith("untrusted comment:", StringComparison.Ordinal)
                        ? "it is a minisign signature, not an OpenPGP one."
                        : "it is text but not an armored OpenPGP signature ('-----BEGIN PGP SIGNATURE-----').");
                input = new ArmoredInputStream(new MemoryStream(bytes, bom, bytes.Length - bom, writable: false));
            }
            Collect(new PgpObjectFactory(input), signatures, source, depth: 0);
        }
        catch (Exception ex) when (ex is PgpException or IOException or ArgumentException or InvalidOperationException or FormatException)
        {
            throw new SignatureFormatException(source, "it is not a readable OpenPGP signature (" + ex.Message + ").", ex);
        }
        if (signatures.Count == 0) throw new SignatureFormatException(source, "it holds no OpenPGP signature.");
        return signatures;
    }

    private static void Collect(PgpObjectFactory factory, List<PgpSignature> into, string source, int depth)
    {
        object? next;
        while ((next = factory.NextPgpObject()) != null)
        {
            switch (next)
            {
                case PgpSignatureList list:
                    for (int i = 0; i < list.Count; i++) into.Add(list[i]);
                    break;
                case PgpMarker:
                    break;
                case PgpCompressedData compressed when depth == 0:
                    Collect(new PgpObjectFactory(compressed.GetDataStream()), into, source, depth + 1);
                    break;
                default:
                    throw new SignatureFormatException(source, $"it holds {next.GetType().Name} where a detached signature was expected (is it a signed message or a key?).");
            }
        }
    }
}
