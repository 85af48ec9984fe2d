using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Cms;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>One Authenticode signature that passed every check.</summary>
public sealed class AuthenticodeSigner
{
    internal AuthenticodeSigner(int index, string thumbprint, string subject, string algorithm, ChecksumAlgorithm? imageHash, DateTimeOffset? timestamp, string? timestampKind)
    {
        Index = index;
        Thumbprint = thumbprint;
        Subject = subject;
        Algorithm = algorithm;
        ImageHash = imageHash;
        Timestamp = timestamp;
        TimestampKind = timestampKind;
    }

    /// <summary>0 for the primary signature, 1… for nested ones.</summary>
    public int Index { get; }

    /// <summary>The signer certificate's SHA-1 thumbprint, upper-case hex (as Get-AuthenticodeSignature shows it).</summary>
    public string Thumbprint { get; }

    /// <summary>The signer certificate's subject in the .NET/Windows form ("CN=…, O=…").</summary>
    public string Subject { get; }

    public string Algorithm { get; }
    /// <summary>The file-digest algorithm the managed check compared (PE image hash, cabinet or MSI hash); null when only the platform's check ran (scripts on Windows).</summary>
    public ChecksumAlgorithm? ImageHash { get; }

    /// <summary>The verified countersignature or RFC 3161 time; null when unsigned by a timestamp authority (the chain was then checked at "now").</summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>"RFC 3161" or "countersignature", when there is a timestamp.</summary>
    public string? TimestampKind { get; }
}

/// <summary>
/// Authenticode verification of PE, cabinet, MSI files and PowerShell scripts in managed code, on every OS: the file's
/// digest as its format defines it (<see cref="PeImage"/>, <see cref="CabinetImage"/>, <see cref="MsiImage"/>,
/// <see cref="PowerShellScript"/>), the SpcIndirectDataContent digest, the signer's signature over its signed attributes, the
/// chain to <see cref="AuthenticodeTrust"/> with the code-signing EKU, at the time a verified timestamp states or else
/// now, and every nested signature the same way. Any signature failing fails the file.
/// </summary>
public sealed class ManagedAuthenticode
{
    private readonly AuthenticodeTrust _trust;
    private readonly Func<DateTimeOffset> _now;

    public ManagedAuthenticode(AuthenticodeTrust trust, Func<DateTimeOffset>? now = null)
    {
        _trust = trust ?? throw new ArgumentNullException(nameof(trust));
        _now = now ?? (() => DateTimeOffset.UtcNow);
    }

    public AuthenticodeTrust Trust => _trust;

    /// <summary>True when the file starts like a kind this class verifies or <paramref name="name"/> names a PowerShell script.</summary>
    public static bool Handles(string path, string? name = null) => KindOf(path, name) != null;

    /// <summary>
    /// The kind of the file ("PE image", "cabinet", "MSI") by its first bytes (a program is one whatever its name), else
    /// "PowerShell script" when <paramref name="name"/> (default the path; a download's URI while it is checked in a
    /// temporary file) ends in .ps1, .psm1, .psd1 or .ps1xml (by name, as Windows picks the SIP: text has no magic); else null.
    /// </summary>
    public static string? KindOf(string path, string? name = null)
    {
        using FileStream stream = File.OpenRead(path);
        return AuthenticodeContainer.KindOf(stream, name ?? path);
    }

    /// <summary>Every signature of the file, verified; <paramref name="result"/> carries the facts into the exceptions.</summary>
    /// <exception cref="PeImageMalformedException">the PE layout is refused.</exception>
    /// <exception cref="CabinetMalformedException">the cabinet layout is refused.</exception>
    /// <exception cref="MsiMalformedException">the MSI's compound-file structure is refused.</exception>
    /// <exception cref="SignatureFormatException">the signature blob cannot be read.</exception>
    /// <exception cref="SignatureInvalidException">unsigned, changed after signing, or a signature does not verify.</exception>
    /// <exception cref="SignerNotTrustedException">a signer does not chain to the trust, is not for code signing, or was not valid at the signing time.</exception>
    public IReadOnlyList<AuthenticodeSigner> Verify(string path, SignatureResult result, CancellationToken cancel = default) => Verify(path, null, result, cancel);

    /// <summary>As <see cref="Verify(string, SignatureResult, CancellationToken)"/>; <paramref name="name"/> picks a script's form when the path's own name does not (<see cref="KindOf"/>).</summary>
    public IReadOnlyList<AuthenticodeSigner> Verify(string path, string? name, SignatureResult result, CancellationToken cancel = default)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        if (result == null) throw new ArgumentNullException(nameof(result));
        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        IAuthenticodeContainer container = AuthenticodeContainer.Read(stream, result.Path, name ?? path, cancel);
        if (!container.IsSigned) throw new SignatureInvalidException(result.AsInvalid(), $"the file carries no Authenticode signature ({container.UnsignedReason})");
        IReadOnlyList<AuthenticodeSignedData> signatures = AuthenticodeSignedData.ReadAll(container.ReadSignature(stream), result.Path, container.IndirectDataType, container.Kind, container.SipGuid);
        IReadOnlyDictionary<ChecksumAlgorithm, byte[]> digests = container.Hash(stream, signatures.Select(s => s.ImageHashAlgorithm), cancel);

        var verified = new List<AuthenticodeSigner>();
        foreach (AuthenticodeSignedData signature in signatures)
        {
            verified.Add(VerifyOne(container, signature, digests[signature.ImageHashAlgorithm], result));
        }
        return verified;
    }

    private AuthenticodeSigner VerifyOne(IAuthenticodeContainer container, AuthenticodeSignedData signature, byte[] imageDigest, SignatureResult result)
    {
        string which = signature.Index == 0 ? "the signature" : $"nested signature {signature.Index}";
        X509Certificate? cert = signature.Cms.GetCertificates().EnumerateMatches(signature.Signer.SignerID).FirstOrDefault();
        if (cert != null)
        {
            result.Signer = DotNetSubject(cert);
            result.KeyId = result.Fingerprint = AuthenticodeTrust.Thumbprint(cert);
        }
        if (!Sigstore.SigstoreKeys.BytesEqual(imageDigest, signature.ImageDigest))
            throw new SignatureInvalidException(result.AsInvalid(),
                $"the file was changed after it was signed: its {signature.ImageHashAlgorithm} Authenticode {AuthenticodeContainer.HashName(container.Kind)} is {Hex.Encode(imageDigest)}, {which} is over {Hex.Encode(signature.ImageDigest)}");
        if (container.FailureAfterDigest(signature.ImageHashAlgorithm) is { } afterDigest)
            throw new SignatureInvalidException(result.AsInvalid(), $"{which}: {afterDigest}");
        if (cert == null) throw new SignatureInvalidException(result.AsInvalid(), $"{which} does not carry its signer's certificate");

        string? contentType = (signature.Signer.SignedAttributes[CmsAttributes.ContentType]?.AttrValues[0] as DerObjectIdentifier)?.Id;
        if (contentType != AuthenticodeSignedData.SpcIndirectDataContent)
            throw new SignatureInvalidException(result.AsInvalid(), $"{which}'s signed content-type attribute is {contentType ?? "missing"}, not SpcIndirectDataContent");
        if (!SignerVerifies(signature.Signer, cert))
            throw new SignatureInvalidException(result.AsInvalid(), $"{which}'s signature over its signed attributes (and so over the image digest) does not verify with the signer certificate '{cert.SubjectDN}'");

        (DateTimeOffset At, string Kind)? timestamp = Timestamp(signature, which, result);
        DateTimeOffset at = timestamp?.At ?? _now();
        string? failure = _trust.ChainFailure(cert, signature.Certificates, at, AuthenticodeTrust.CodeSigning);
        if (failure != null)
            throw new SignerNotTrustedException(result.AsInvalid(), _trust.Description, $"thumbprint {result.Fingerprint}, subject '{result.Signer}'",
                $"{which}: {failure}{(timestamp == null ? " (no timestamp: checked at the current time)" : $" (checked at its {timestamp.Value.Kind} timestamp)")}");

        string algorithm = $"{cert.GetPublicKey().GetType().Name.Replace("KeyParameters", string.Empty).Replace("Parameters", string.Empty)}, {signature.ImageHashAlgorithm}";
        return new AuthenticodeSigner(signature.Index, result.Fingerprint!, result.Signer!, algorithm, signature.ImageHashAlgorithm, timestamp?.At, timestamp?.Kind);
    }

    /// <summary>
    /// The verified time of an RFC 3161 timestamp (Microsoft's unsigned attribute) or a legacy countersignature over the
    /// signer's signature value; null when there is neither. A timestamp that is present but does not verify fails the
    /// file: it is there to be relied on, so it is never silently ignored.
    /// </summary>
    private (DateTimeOffset At, string Kind)? Timestamp(AuthenticodeSignedData signature, string which, SignatureResult result)
    {
        Org.BouncyCastle.Asn1.Cms.AttributeTable? unsigned = signature.Signer.UnsignedAttributes;
        if (unsigned == null) return null;

        Org.BouncyCastle.Asn1.Cms.Attribute? rfc3161 = unsigned[new DerObjectIdentifier(AuthenticodeSignedData.Rfc3161CounterSignature)];
        if (rfc3161 != null)
        {
            DateTimeOffset at = VerifyRfc3161(rfc3161, signature.Signer.GetSignature(), $"{which}'s RFC 3161 timestamp", result);
            result.SignedAt ??= at;
            return (at, "RFC 3161");
        }

        SignerInformation? counter = signature.Signer.GetCounterSignatures().GetSigners().FirstOrDefault();
        if (counter == null) return null;
        string what = $"{which}'s timestamp countersignature";
        X509Certificate? tsa = signature.Cms.GetCertificates().EnumerateMatches(counter.SignerID).FirstOrDefault()
            ?? throw new SignatureInvalidException(result.AsInvalid(), $"{what} does not carry its signer's certificate");
        if (!SignerVerifies(counter, tsa))
            throw new SignatureInvalidException(result.AsInvalid(), $"{what} does not verify over the signature value");
        Asn1Encodable? time = counter.SignedAttributes?[CmsAttributes.SigningTime]?.AttrValues[0];
        if (time == null) throw new SignatureInvalidException(result.AsInvalid(), $"{what} states no signing time");
        var stamped = new DateTimeOffset(DateTime.SpecifyKind(Org.BouncyCastle.Asn1.Cms.Time.GetInstance(time).ToDateTime(), DateTimeKind.Utc));
        string? failure = _trust.ChainFailure(tsa, signature.Certificates, stamped, AuthenticodeTrust.TimeStamping);
        if (failure != null) throw new SignerNotTrustedException(result.AsInvalid(), _trust.Description, $"timestamp authority '{tsa.SubjectDN}'", $"{what}: {failure}");
        result.SignedAt ??= stamped;
        return (stamped, "countersignature");
    }

    private DateTimeOffset VerifyRfc3161(Org.BouncyCastle.Asn1.Cms.Attribute attribute, byte[] signatureValue, string what, SignatureResult result)
    {
        TimeStampToken token;
        try
        {
            token = new TimeStampToken(new CmsSignedData(ContentInfo.GetInstance(attribute.AttrValues[0])));
        }
        catch (Exception ex) when (ex is TspException or TspValidationException or CmsException or ArgumentException or InvalidCastException or IOException)
        {
            throw new SignatureInvalidException(result.AsInvalid(), $"{what} cannot be read ({ex.Message})", ex);
        }
        TimeStampTokenInfo info = token.TimeStampInfo;
        byte[] imprint;
        try
        {
            imprint = DigestUtilities.CalculateDigest(info.MessageImprintAlgOid, signatureValue);
        }
        catch (SecurityUtilityException ex)
        {
            throw new SignatureInvalidException(result.AsInvalid(), $"{what} uses an unknown digest ({info.MessageImprintAlgOid})", ex);
        }
        if (!Sigstore.SigstoreKeys.BytesEqual(imprint, info.GetMessageImprintDigest()))
            throw new SignatureInvalidException(result.AsInvalid(), $"{what} is not over this signature (its message imprint differs)");
        X509Certificate? tsa = token.GetCertificates().EnumerateMatches(token.SignerID).FirstOrDefault()
            ?? throw new SignatureInvalidException(result.AsInvalid(), $"{what} does not carry its authority's certificate");
        try
        {
            // The token's signature, the ESS signing-certificate binding, the critical timeStamping EKU, validity at genTime.
            token.Validate(tsa);
        }
        catch (Exception ex) when (ex is TspException or TspValidationException or CmsException or ArgumentException or InvalidOperationException)
        {
            throw new SignatureInvalidException(result.AsInvalid(), $"{what} does not verify ({ex.Message})", ex);
        }
        var genTime = new DateTimeOffset(DateTime.SpecifyKind(info.GenTime, DateTimeKind.Utc));
        var pool = token.GetCertificates().EnumerateMatches(null).ToList();
        string? failure = _trust.ChainFailure(tsa, pool, genTime, AuthenticodeTrust.TimeStamping);
        if (failure != null) throw new SignerNotTrustedException(result.AsInvalid(), _trust.Description, $"timestamp authority '{tsa.SubjectDN}'", $"{what}: {failure}");
        return genTime;
    }

    private static bool SignerVerifies(SignerInformation signer, X509Certificate cert)
    {
        try
        {
            // The key, not the certificate: BouncyCastle would check validity at the signer's own (unverified) signingTime claim.
            return signer.Verify(cert.GetPublicKey());
        }
        catch (Exception ex) when (ex is CmsException or InvalidKeyException or SignatureException or ArgumentException or InvalidOperationException
                                   or Org.BouncyCastle.Security.Certificates.CertificateException)
        {
            return false;
        }
    }

    internal static string DotNetSubject(X509Certificate cert)
    {
        using var dotnet = new System.Security.Cryptography.X509Certificates.X509Certificate2(cert.GetEncoded());
        return dotnet.Subject;
    }
}
