using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Verifies a Sigstore bundle offline against a trusted root, in the order the Sigstore client spec gives: the
/// transparency-log entries (body, inclusion proof, checkpoint, signed entry timestamp) and RFC 3161 timestamps first,
/// which yield the verified signing times; then the certificate chain, SCT and identity at those times; then the
/// signature over the artifact (or the DSSE envelope and its in-toto subject). Every check runs; none is optional.
/// </summary>
public sealed class SigstoreVerifier
{
    /// <summary>Ed25519 message signatures cover the whole file, which is then held in memory up to this size.</summary>
    public const long MaxInMemoryArtifact = 256L * 1024 * 1024;

    private readonly TrustedRoot _root;
    private readonly SigstorePolicy _policy;

    public SigstoreVerifier(TrustedRoot root, SigstorePolicy policy)
    {
        _root = root ?? throw new ArgumentNullException(nameof(root));
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
    }

    public string TrustedKeyDescription => _policy.Describe() + $", trusted root {_root.Source}";

    /// <summary>Returns a valid result or throws <see cref="SignatureInvalidException"/> / <see cref="SignerNotTrustedException"/>.</summary>
    public SignatureResult Verify(SigstoreBundle bundle, SigstoreArtifact artifact, CancellationToken cancellationToken = default)
    {
        if (bundle == null) throw new ArgumentNullException(nameof(bundle));
        if (artifact == null) throw new ArgumentNullException(nameof(artifact));
        var result = new SignatureResult(SignatureScheme.Sigstore, true, artifact.Display, bundle.Source);
        try
        {
            Check(bundle, artifact, result, cancellationToken);
            return result;
        }
        catch (SigstoreCheckException ex) when (ex.SignerNotTrusted)
        {
            throw new SignerNotTrustedException(result.AsInvalid(), _policy.Describe(), result.Signer ?? "?", ex.Reason);
        }
        catch (SigstoreCheckException ex)
        {
            throw new SignatureInvalidException(result.AsInvalid(), ex.Reason, ex);
        }
    }

    /// <summary>
    /// Verifies with the first of <paramref name="bundles"/> that satisfies the policy (a JSON Lines attestation file
    /// holds one bundle per predicate type and signer). When none does, the error names every bundle and why it failed;
    /// it is <see cref="SignerNotTrustedException"/> only when every bundle was sound but signed by someone else.
    /// </summary>
    public SignatureResult VerifyAny(IReadOnlyList<SigstoreBundle> bundles, SigstoreArtifact artifact, CancellationToken cancellationToken = default)
    {
        if (bundles == null) throw new ArgumentNullException(nameof(bundles));
        if (bundles.Count == 0) throw new ArgumentException("no bundle to verify with.", nameof(bundles));
        if (bundles.Count == 1) return Verify(bundles[0], artifact, cancellationToken);
        var failures = new List<SignatureVerificationException>();
        foreach (SigstoreBundle bundle in bundles)
        {
            try
            {
                return Verify(bundle, artifact, cancellationToken);
            }
            catch (SignatureVerificationException ex)
            {
                failures.Add(ex);
            }
        }
        string reasons = $"none of the {bundles.Count} bundles verified: " +
            string.Join("; ", failures.Select(f => $"{f.Result.SignaturePath}: {Reason(f)}"));
        var result = new SignatureResult(SignatureScheme.Sigstore, false, artifact.Display, WithoutLineNumber(bundles[0].Source));
        if (failures.All(f => f is SignerNotTrustedException))
            throw new SignerNotTrustedException(result, _policy.Describe(), string.Join(", ", failures.Select(f => f.Result.Signer ?? "?").Distinct()), reasons);
        throw new SignatureInvalidException(result, reasons);
    }

    private static string Reason(SignatureVerificationException failure) => failure switch
    {
        SignerNotTrustedException n => n.Reason,
        SignatureInvalidException i => i.Reason,
        _ => failure.Message,
    };

    // "attestations.jsonl:3" -> "attestations.jsonl"
    private static string WithoutLineNumber(string source)
    {
        int colon = source.LastIndexOf(':');
        return colon > 0 && colon < source.Length - 1 && source.Skip(colon + 1).All(char.IsDigit) ? source.Substring(0, colon) : source;
    }

    private void Check(SigstoreBundle bundle, SigstoreArtifact artifact, SignatureResult result, CancellationToken cancellationToken)
    {
        // 1. Who signed, as the bundle claims it.
        FulcioCertificate? cert = null;
        AsymmetricKeyParameter key;
        byte[] verifierDer;
        if (_policy.IsKeyed)
        {
            key = _policy.PublicKey!;
            verifierDer = SigstoreKeys.SubjectPublicKeyInfo(key);
            if (bundle.Certificates.Count > 0) throw new SigstoreCheckException("the bundle is signed with a certificate, not with the given key", signerNotTrusted: true);
            result.KeyId = Hex.Encode(SigstoreKeys.Sha256(verifierDer));
            result.Signer = _policy.PublicKeySource;
        }
        else
        {
            if (bundle.Certificates.Count == 0) throw new SigstoreCheckException("the bundle is signed with a key, not a Fulcio certificate; verify it with the publisher's public key", signerNotTrusted: true);
            FulcioCertificate.CheckBundleChain(bundle.Certificates, _root.CertificateAuthorities);
            cert = new FulcioCertificate(bundle.Certificates[0]);
            key = cert.Certificate.GetPublicKey();
            verifierDer = cert.Certificate.GetEncoded();
            result.Signer = cert.SubjectAlternativeNames is { Count: > 0 } names ? names[0] : null;
            result.OidcIssuer = cert.OidcIssuer;
            result.Fingerprint = Hex.Encode(SigstoreKeys.Sha256(verifierDer));
            result.KeyId = result.Fingerprint;
        }
        result.Algorithm = SigstoreKeys.Describe(key) + (bundle.Envelope != null ? ", DSSE" : ", message signature");

        ChecksumAlgorithm signedAlgorithm = TransparencyLogBody.SignedDigestAlgorithm(bundle);
        byte[] signedDigest = bundle.Envelope != null ? SigstoreKeys.Sha256(bundle.Envelope.PreAuthenticationEncoding()) : artifact.Required(signedAlgorithm);

        // 2. The transparency log and the timestamps: the verified signing times.
        var times = new List<DateTimeOffset>();
        if (_root.TransparencyLogs.Count > 0 && bundle.TransparencyLogEntries.Count == 0)
            throw new SigstoreCheckException("the bundle has no transparency-log entry");
        foreach (TransparencyLogEntry entry in bundle.TransparencyLogEntries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DateTimeOffset? t = CheckLogEntry(entry, bundle, signedAlgorithm, signedDigest, verifierDer, cert != null);
            if (t != null) times.Add(t.Value);
            result.LogIndex ??= entry.LogIndex;
        }
        foreach (byte[] stamp in bundle.Rfc3161Timestamps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            times.Add(Rfc3161Timestamp.Verify(stamp, bundle.Signature, _root.TimestampAuthorities));
        }
        if (times.Count == 0)
            throw new SigstoreCheckException("the bundle has no verified signing time (no signed entry timestamp and no RFC 3161 timestamp)");
        result.SignedAt = times.Min();

        // 3. The certificate at those times: chain, certificate transparency, identity.
        if (cert != null)
        {
            X509Certificate issuer = cert.VerifyChain(_root.CertificateAuthorities, times);
            // An instance without certificate transparency (GitHub's own: private and internal repositories) lists no
            // CT log in its root, and its certificates carry no SCT; its signing times come from RFC 3161 timestamps
            // checked above against the root's timestamp authorities. A root that lists CT logs requires a valid SCT.
            if (_root.CertificateTransparencyLogs.Count > 0)
                SignedCertificateTimestamps.Verify(cert.Certificate, issuer, _root.CertificateTransparencyLogs);
            _policy.CheckIdentity(cert);
            _policy.Attestation?.CheckCertificate(cert);
        }

        // 4. The signature over the artifact.
        cancellationToken.ThrowIfCancellationRequested();
        if (bundle.Envelope != null)
        {
            if (!SigstoreKeys.Verify(key, bundle.Envelope.PreAuthenticationEncoding(), bundle.Signature))
                throw new SigstoreCheckException("the DSSE envelope's signature does not verify");
            result.PredicateType = GitHubAttestationPolicy.CheckStatement(bundle.Envelope, artifact, _policy.Attestation is { AnySlsaProvenance: false } a ? a.PredicateType : null);
            if (_policy.Attestation is { AnySlsaProvenance: true } && !result.PredicateType.StartsWith(SlsaProvenance.SlsaProvenancePrefix, StringComparison.Ordinal))
                throw new SigstoreCheckException($"the statement's predicate type is '{result.PredicateType}', not SLSA provenance");
        }
        else
        {
            if (_policy.Attestation != null) throw new SigstoreCheckException("an attestation is a DSSE envelope; this bundle signs the artifact directly");
            if (bundle.MessageDigest != null && SigstoreArtifact.FromSigstoreName(bundle.MessageDigestAlgorithm) is ChecksumAlgorithm named
                && artifact.Digest(named) is byte[] own && !SigstoreKeys.BytesEqual(bundle.MessageDigest, own))
                throw new SigstoreCheckException($"the bundle's message digest is not the artifact's {bundle.MessageDigestAlgorithm}: the bundle is for another file");
            bool ok = key is Org.BouncyCastle.Crypto.Parameters.Ed25519PublicKeyParameters
                ? SigstoreKeys.Verify(key, artifact.ReadAll(MaxInMemoryArtifact), bundle.Signature)
                : SigstoreKeys.VerifyDigest(key, signedAlgorithm, signedDigest, bundle.Signature);
            if (!ok) throw new SigstoreCheckException("the signature does not match the artifact");
        }
    }

    /// <summary>Checks one log entry; returns its integrated time when a signed entry timestamp vouches for it.</summary>
    private DateTimeOffset? CheckLogEntry(TransparencyLogEntry entry, SigstoreBundle bundle, ChecksumAlgorithm signedAlgorithm, byte[] signedDigest, byte[] verifierDer, bool isCert)
    {
        TransparencyLogKey log = _root.TransparencyLogs.FirstOrDefault(l => SigstoreKeys.BytesEqual(l.LogId, entry.LogId))
            ?? throw new SigstoreCheckException($"log entry {entry.LogIndex} is from a log the trusted root does not know (log id {Convert.ToBase64String(entry.LogId)})");

        TransparencyLogBody.Verify(entry, bundle, signedAlgorithm, signedDigest, verifierDer, isCert);

        DateTimeOffset? integrated = entry.IntegratedTime is long secs ? DateTimeOffset.FromUnixTimeSeconds(secs) : null;
        if (integrated != null && !log.ValidFor.Contains(integrated.Value))
            throw new SigstoreCheckException($"the entry's integrated time {integrated:u} is outside the validity of log {log.BaseUrl} ({log.ValidFor})");

        // v0.1 bundles may rely on the promise alone; from v0.2 on the proof (with its checkpoint) is required.
        if (bundle.MinorVersion == 1 && entry.SignedEntryTimestamp == null)
            throw new SigstoreCheckException("a v0.1 bundle's log entry must carry a signed entry timestamp");
        if (bundle.MinorVersion >= 2 && entry.InclusionProof?.Checkpoint == null)
            throw new SigstoreCheckException("the log entry has no inclusion proof with a checkpoint; it cannot be checked offline");

        bool setVerified = false;
        if (entry.SignedEntryTimestamp != null)
        {
            SignedEntryTimestamp.Verify(entry, log);
            setVerified = true;
        }
        if (entry.InclusionProof is InclusionProof proof)
        {
            MerkleInclusionProof.Verify(proof.LogIndex, proof.TreeSize, MerkleInclusionProof.LeafHash(entry.CanonicalizedBody), proof.Hashes, proof.RootHash);
            if (proof.Checkpoint != null)
            {
                Checkpoint checkpoint = Checkpoint.Parse(proof.Checkpoint);
                checkpoint.VerifySignedBy(log);
                if (checkpoint.TreeSize != proof.TreeSize || !SigstoreKeys.BytesEqual(checkpoint.RootHash, proof.RootHash))
                    throw new SigstoreCheckException("the signed checkpoint is for another tree than the inclusion proof");
            }
        }
        return setVerified ? integrated : null;
    }
}
