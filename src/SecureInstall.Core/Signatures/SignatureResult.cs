namespace SecureInstall.Core.Signatures;

/// <summary>The signature systems SecureInstall verifies, all in process.</summary>
public enum SignatureScheme
{
    Minisign,
    OpenPgp,
    Authenticode,
    /// <summary>A Sigstore bundle (cosign, GitHub artifact attestations), verified offline against a trusted root.</summary>
    Sigstore,
}

/// <summary>
/// The outcome of checking one signature. Properties are set by the verifiers (netstandard2.0 has no init accessors). A verifier returns it only when <see cref="IsValid"/> is true; a failure
/// is a <see cref="SignatureVerificationException"/> that carries an invalid result with the facts that were read.
/// </summary>
public sealed class SignatureResult
{
    public SignatureResult(SignatureScheme scheme, bool isValid, string path, string? signaturePath)
    {
        Scheme = scheme;
        IsValid = isValid;
        Path = path ?? throw new ArgumentNullException(nameof(path));
        SignaturePath = signaturePath;
    }

    public SignatureScheme Scheme { get; }
    public bool IsValid { get; }

    /// <summary>The signed file (or list) the signature was checked against.</summary>
    public string Path { get; }

    /// <summary>Where the signature came from: a .minisig/.sig/.asc file, "clear-signed", or the file itself (Authenticode).</summary>
    public string? SignaturePath { get; }

    /// <summary>Who signed: the OpenPGP primary user ID, the Authenticode certificate subject; for minisign "minisign key &lt;id&gt;".</summary>
    public string? Signer { get; internal set; }

    /// <summary>The id of the key that made the signature: minisign key id, OpenPGP (sub)key id, certificate thumbprint.</summary>
    public string? KeyId { get; internal set; }

    /// <summary>The OpenPGP primary-key fingerprint or the Authenticode signer's SHA-1 thumbprint.</summary>
    public string? Fingerprint { get; internal set; }

    /// <summary>Minisign's signed trusted comment (verified by the global signature); null for other schemes.</summary>
    public string? TrustedComment { get; internal set; }

    /// <summary>When the signature says it was made (OpenPGP creation time, minisign "timestamp:" of the trusted comment, Authenticode timestamp).</summary>
    public DateTimeOffset? SignedAt { get; internal set; }

    /// <summary>The algorithms, e.g. "Ed25519, prehashed BLAKE2b-512" or "RSA 4096, SHA512".</summary>
    public string? Algorithm { get; internal set; }

    /// <summary>Sigstore: the OIDC issuer that vouched for the signer's identity (from the Fulcio certificate).</summary>
    public string? OidcIssuer { get; internal set; }

    /// <summary>Sigstore: the index of the transparency-log entry that records the signature.</summary>
    public long? LogIndex { get; internal set; }

    /// <summary>Sigstore DSSE bundles: the in-toto predicate type (e.g. https://slsa.dev/provenance/v1).</summary>
    public string? PredicateType { get; internal set; }

    /// <summary>Authenticode: which checks ran, e.g. "managed (image hash, signature, chain to …, 2 signatures); WinVerifyTrust".</summary>
    public string? Checks { get; internal set; }

    public SignatureResult AsInvalid() => new(Scheme, false, Path, SignaturePath)
    {
        Signer = Signer, KeyId = KeyId, Fingerprint = Fingerprint, TrustedComment = TrustedComment, SignedAt = SignedAt, Algorithm = Algorithm,
        OidcIssuer = OidcIssuer, LogIndex = LogIndex, PredicateType = PredicateType, Checks = Checks,
    };
}
