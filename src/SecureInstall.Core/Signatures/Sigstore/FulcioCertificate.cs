using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// A Fulcio signing certificate: its identity (subject alternative names) and the OIDC facts Fulcio copies into
/// extensions under 1.3.6.1.4.1.57264.1, and its chain to a certificate authority of the trusted root.
/// </summary>
public sealed class FulcioCertificate
{
    public const string OidcIssuerV1 = "1.3.6.1.4.1.57264.1.1";
    public const string OidcIssuerV2 = "1.3.6.1.4.1.57264.1.8";
    public const string BuildSignerUri = "1.3.6.1.4.1.57264.1.9";
    public const string RunnerEnvironment = "1.3.6.1.4.1.57264.1.11";
    public const string SourceRepositoryUri = "1.3.6.1.4.1.57264.1.12";
    public const string SourceRepositoryDigest = "1.3.6.1.4.1.57264.1.13";
    public const string SourceRepositoryRef = "1.3.6.1.4.1.57264.1.14";
    public const string SourceRepositoryOwnerUri = "1.3.6.1.4.1.57264.1.16";
    public const string BuildConfigUri = "1.3.6.1.4.1.57264.1.18";
    private const string CodeSigning = "1.3.6.1.5.5.7.3.3";

    internal FulcioCertificate(X509Certificate certificate)
    {
        Certificate = certificate;
    }

    internal X509Certificate Certificate { get; }

    /// <summary>The identities the certificate binds: URIs (workflows), e-mail addresses, and Fulcio usernames.</summary>
    public IReadOnlyList<string> SubjectAlternativeNames
    {
        get
        {
            var names = new List<string>();
            Asn1OctetString? ext = Certificate.GetExtensionValue(X509Extensions.SubjectAlternativeName);
            if (ext == null) return names;
            foreach (GeneralName name in GeneralNames.GetInstance(Asn1Object.FromByteArray(ext.GetOctets())).GetNames())
            {
                switch (name.TagNo)
                {
                    case GeneralName.UniformResourceIdentifier:
                    case GeneralName.Rfc822Name:
                    case GeneralName.DnsName:
                        names.Add(((IAsn1String)name.Name).GetString());
                        break;
                    case GeneralName.OtherName:
                        var other = Asn1Sequence.GetInstance(name.Name);
                        if (other.Count == 2 && Asn1TaggedObject.GetInstance(other[1]).GetExplicitBaseObject() is IAsn1String s) names.Add(s.GetString());
                        break;
                }
            }
            return names;
        }
    }

    /// <summary>The OIDC issuer that vouched for the identity: the v2 extension (DER string), else the v1 one (raw bytes).</summary>
    public string? OidcIssuer => Extension(OidcIssuerV2) ?? RawExtension(OidcIssuerV1);

    /// <summary>A Fulcio v2 extension (1.3.6.1.4.1.57264.1.8 and later): a DER UTF8String.</summary>
    public string? Extension(string oid)
    {
        Asn1OctetString? ext = Certificate.GetExtensionValue(new DerObjectIdentifier(oid));
        if (ext == null) return null;
        return Asn1Object.FromByteArray(ext.GetOctets()) is IAsn1String s ? s.GetString() : null;
    }

    // The deprecated v1 extensions (…57264.1.1 to .6) hold the bare UTF-8 bytes, not DER.
    private string? RawExtension(string oid)
    {
        Asn1OctetString? ext = Certificate.GetExtensionValue(new DerObjectIdentifier(oid));
        return ext == null ? null : Encoding.UTF8.GetString(ext.GetOctets());
    }

    public DateTimeOffset NotBefore => new(DateTime.SpecifyKind(Certificate.NotBefore, DateTimeKind.Utc));
    public DateTimeOffset NotAfter => new(DateTime.SpecifyKind(Certificate.NotAfter, DateTimeKind.Utc));

    public bool IsValidAt(DateTimeOffset time) => time >= NotBefore && time <= NotAfter;

    /// <summary>
    /// Builds the chain by hand against one trusted-root CA (never the machine store): each certificate signed by the
    /// next, CAs only above the leaf, a self-signed root, and every certificate valid at every verified signing time.
    /// Returns the issuer of the leaf (its key hash binds the SCT).
    /// </summary>
    internal X509Certificate VerifyChain(IReadOnlyList<CertificateAuthority> authorities, IReadOnlyList<DateTimeOffset> signingTimes)
    {
        bool[]? usage = Certificate.GetKeyUsage();
        if (usage != null && !usage[0]) throw new SigstoreCheckException("the signing certificate is not allowed to make digital signatures");
        IList<DerObjectIdentifier>? eku = Certificate.GetExtendedKeyUsage();
        bool codeSigning = false;
        if (eku != null) foreach (DerObjectIdentifier o in eku) codeSigning |= o.Id == CodeSigning;
        if (!codeSigning) throw new SigstoreCheckException("the signing certificate is not a code-signing certificate");
        if (Certificate.GetBasicConstraints() >= 0) throw new SigstoreCheckException("the signing certificate is a CA certificate");
        foreach (DateTimeOffset t in signingTimes)
        {
            if (!IsValidAt(t)) throw new SigstoreCheckException($"the signing time {t:u} is outside the certificate's validity ({NotBefore:u} .. {NotAfter:u})");
        }

        string why = "no certificate authority in the trusted root was valid when the certificate was issued";
        foreach (CertificateAuthority ca in authorities)
        {
            if (!ca.ValidFor.Contains(NotBefore)) continue;
            IReadOnlyList<X509Certificate> path = FromIssuer(ca.Chain);
            string? failure = ChainFailure(Certificate, path, signingTimes);
            if (failure == null) return path[0];
            why = failure;
        }
        throw new SigstoreCheckException(why);
    }

    // A trusted chain is listed leaf-side first, but a certificate may be issued by any CA in it, not only the first:
    // GitHub's release attestations are signed by a certificate that "Fulcio Intermediate l1" issued directly, while
    // the root's chain starts at "l2". Every certificate of the chain is trusted alike, so the path starts at the one
    // that names itself the leaf's issuer; when none does, the whole chain is checked and the mismatch reported.
    private IReadOnlyList<X509Certificate> FromIssuer(IReadOnlyList<X509Certificate> chain)
    {
        for (int i = 1; i < chain.Count; i++)
        {
            if (!Certificate.IssuerDN.Equivalent(chain[0].SubjectDN) && Certificate.IssuerDN.Equivalent(chain[i].SubjectDN))
            {
                var rest = new List<X509Certificate>();
                for (int j = i; j < chain.Count; j++) rest.Add(chain[j]);
                return rest;
            }
        }
        return chain;
    }

    internal static string? ChainFailure(X509Certificate leaf, IReadOnlyList<X509Certificate> chain, IReadOnlyList<DateTimeOffset> times)
    {
        X509Certificate child = leaf;
        for (int i = 0; i < chain.Count; i++)
        {
            X509Certificate parent = chain[i];
            if (!child.IssuerDN.Equivalent(parent.SubjectDN) || !SignedBy(child, parent))
                return $"the certificate '{child.SubjectDN}' is not signed by the trusted CA '{parent.SubjectDN}'";
            if (parent.GetBasicConstraints() < 0) return $"the trusted certificate '{parent.SubjectDN}' is not a CA";
            foreach (DateTimeOffset t in times)
            {
                if (!parent.IsValid(t.UtcDateTime)) return $"the CA certificate '{parent.SubjectDN}' was not valid at {t:u}";
            }
            child = parent;
        }
        if (!child.IssuerDN.Equivalent(child.SubjectDN) || !SignedBy(child, child)) return $"the trusted chain does not end in a self-signed root ('{child.SubjectDN}')";
        return null;
    }

    internal static bool SignedBy(X509Certificate child, X509Certificate parent)
    {
        try
        {
            child.Verify(parent.GetPublicKey());
            return true;
        }
        catch (Exception ex) when (ex is Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException
                                   or Org.BouncyCastle.Security.Certificates.CertificateException or ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// The chain is built from the trusted root alone, so a certificate after the leaf may only repeat one the trusted root
    /// holds (npm's and sigstore-js's 2023 bundles carry the production intermediate and root): it is then ignored. Any
    /// other root or intermediate is an attempt to bring one's own and is refused, as is a self-signed leaf.
    /// </summary>
    internal static void CheckBundleChain(IReadOnlyList<X509Certificate> bundleChain, IReadOnlyList<CertificateAuthority> authorities)
    {
        if (IsSelfSigned(bundleChain[0]))
            throw new SigstoreCheckException("the bundle's signing certificate is a self-signed root certificate; roots come only from the trusted root");
        for (int i = 1; i < bundleChain.Count; i++)
        {
            X509Certificate cert = bundleChain[i];
            if (HeldBy(authorities, cert.GetEncoded())) continue;
            string kind = IsSelfSigned(cert) ? "a root certificate" : "a CA certificate";
            throw new SigstoreCheckException($"the bundle's certificate chain contains {kind} the trusted root does not hold ('{cert.SubjectDN}'); roots and intermediates come only from the trusted root");
        }
    }

    private static bool HeldBy(IReadOnlyList<CertificateAuthority> authorities, byte[] der)
    {
        foreach (CertificateAuthority ca in authorities)
        {
            foreach (X509Certificate held in ca.Chain)
            {
                if (SigstoreKeys.BytesEqual(held.GetEncoded(), der)) return true;
            }
        }
        return false;
    }

    internal static bool IsSelfSigned(X509Certificate cert) => cert.IssuerDN.Equivalent(cert.SubjectDN) && SignedBy(cert, cert);
}
