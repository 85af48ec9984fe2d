using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Signatures.Sigstore;
using DotNetCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2;
using DotNetChain = System.Security.Cryptography.X509Certificates.X509Chain;

namespace SecureInstall.Core.Signatures.Authenticode;

/// <summary>
/// Where an Authenticode chain must end: the root certificates the caller named (-TrustedRoot), or, when none are named,
/// the platform's store (the Windows root store; elsewhere the OpenSSL store .NET reads, which holds TLS roots and so
/// rarely a code-signing root). Certificates carried inside a signature are only ever intermediates, never anchors.
/// </summary>
public sealed class AuthenticodeTrust
{
    internal const string CodeSigning = "1.3.6.1.5.5.7.3.3", TimeStamping = "1.3.6.1.5.5.7.3.8", AnyPurpose = "2.5.29.37.0";
    private const int MaxDepth = 8;

    private readonly IReadOnlyList<X509Certificate> _roots;

    private AuthenticodeTrust(IReadOnlyList<X509Certificate> roots) => _roots = roots;

    /// <summary>Trust the platform's root store.</summary>
    public static AuthenticodeTrust PlatformStore { get; } = new(Array.Empty<X509Certificate>());

    public bool UsesPlatformStore => _roots.Count == 0;

    public string Description => UsesPlatformStore
        ? "the platform's root store"
        : "the trusted root" + (_roots.Count == 1 ? " " : "s ") + string.Join(", ", _roots.Select(r => $"'{r.SubjectDN}' ({Thumbprint(r)})"));

    /// <summary>Reads the root certificates from PEM or DER files (several certificates per PEM file allowed).</summary>
    /// <exception cref="PublicKeyFormatException">a file holds no certificate, or one that cannot be read.</exception>
    public static AuthenticodeTrust FromFiles(IEnumerable<string> paths)
    {
        if (paths == null) throw new ArgumentNullException(nameof(paths));
        var roots = new List<X509Certificate>();
        var parser = new X509CertificateParser();
        foreach (string path in paths)
        {
            int before = roots.Count;
            try
            {
                using FileStream stream = File.OpenRead(path);
                foreach (X509Certificate cert in parser.ReadCertificates(stream)) roots.Add(cert);
            }
            catch (Exception ex) when (ex is CertificateException or IOException and not FileNotFoundException and not DirectoryNotFoundException or ArgumentException or InvalidCastException)
            {
                throw new PublicKeyFormatException(path, "the trusted root cannot be read as a PEM or DER X.509 certificate", ex);
            }
            if (roots.Count == before) throw new PublicKeyFormatException(path, "the file holds no X.509 certificate (PEM or DER)");
        }
        if (roots.Count == 0) throw new ArgumentException("Name at least one trusted root certificate.", nameof(paths));
        return new AuthenticodeTrust(roots);
    }

    internal static string Thumbprint(X509Certificate cert) =>
        Checksums.Hex.Encode(Org.BouncyCastle.Security.DigestUtilities.CalculateDigest("SHA1", cert.GetEncoded())).ToUpperInvariant();

    /// <summary>
    /// Null when <paramref name="leaf"/> chains to a trusted root through <paramref name="pool"/> with every certificate
    /// valid at <paramref name="at"/> and allowed the purpose <paramref name="eku"/>; else why not.
    /// </summary>
    internal string? ChainFailure(X509Certificate leaf, IReadOnlyCollection<X509Certificate> pool, DateTimeOffset at, string eku)
    {
        string? own = UsageFailure(leaf, eku, isCa: false);
        if (own != null) return own;
        return UsesPlatformStore ? PlatformChainFailure(leaf, pool, at, eku) : RootChainFailure(leaf, pool, at, eku);
    }

    private string? RootChainFailure(X509Certificate leaf, IReadOnlyCollection<X509Certificate> pool, DateTimeOffset at, string eku)
    {
        var path = new List<X509Certificate> { leaf };
        X509Certificate current = leaf;
        bool anchored = false;
        while (!anchored)
        {
            if (path.Count > MaxDepth) return $"the chain from '{leaf.SubjectDN}' is longer than {MaxDepth} certificates";
            X509Certificate? root = _roots.FirstOrDefault(r => r.Equals(current) || IssuedBy(current, r));
            if (root != null)
            {
                if (!root.Equals(current)) path.Add(root);
                anchored = true;
                continue;
            }
            X509Certificate? next = pool.FirstOrDefault(c => !path.Contains(c) && IssuedBy(current, c));
            if (next == null)
                return $"'{current.SubjectDN}' is not issued by {Description}, nor by a certificate in the signature that leads to one";
            path.Add(next);
            current = next;
        }
        for (int i = 0; i < path.Count; i++)
        {
            X509Certificate cert = path[i];
            if (!cert.IsValid(at.UtcDateTime))
                return $"the certificate '{cert.SubjectDN}' was not valid at {at:u} (valid {cert.NotBefore:u} to {cert.NotAfter:u})";
            if (i == 0) continue;
            string? usage = UsageFailure(cert, eku, isCa: true);
            if (usage != null) return usage;
        }
        return null;
    }

    private static bool IssuedBy(X509Certificate child, X509Certificate parent) =>
        child.IssuerDN.Equivalent(parent.SubjectDN) && FulcioCertificate.SignedBy(child, parent);

    /// <summary>The leaf must be an end-entity certificate allowed to sign for <paramref name="eku"/>; a CA above it must be a CA, and when it restricts purposes, allow that one.</summary>
    private static string? UsageFailure(X509Certificate cert, string eku, bool isCa)
    {
        bool[]? keyUsage = cert.GetKeyUsage();
        IList<DerObjectIdentifier>? purposes = cert.GetExtendedKeyUsage();
        string purpose = eku == CodeSigning ? "code signing" : "time stamping";
        if (isCa)
        {
            if (cert.GetBasicConstraints() < 0) return $"'{cert.SubjectDN}' issues a certificate in the chain but is not a CA";
            if (keyUsage != null && !keyUsage[5]) return $"the CA '{cert.SubjectDN}' is not allowed to sign certificates (key usage)";
            if (purposes != null && !purposes.Any(p => p.Id == eku || p.Id == AnyPurpose)) return $"the CA '{cert.SubjectDN}' is restricted to purposes that exclude {purpose}";
            return null;
        }
        if (cert.GetBasicConstraints() >= 0) return $"the signer '{cert.SubjectDN}' is a CA certificate, not an end-entity {purpose} certificate";
        if (keyUsage != null && !keyUsage[0]) return $"the signer '{cert.SubjectDN}' is not allowed to make digital signatures (key usage)";
        // Stricter than "no EKU means any purpose": a signer must say it is for this purpose.
        if (purposes == null || !purposes.Any(p => p.Id == eku)) return $"the signer '{cert.SubjectDN}' is not a {purpose} certificate (its extended key usage lacks {eku})";
        return null;
    }

    private static string? PlatformChainFailure(X509Certificate leaf, IReadOnlyCollection<X509Certificate> pool, DateTimeOffset at, string eku)
    {
        using var chain = new DotNetChain();
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        // Revocation is WinVerifyTrust's part on Windows; the managed check is offline by design.
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(eku));
        var extra = new List<DotNetCertificate>();
        try
        {
            foreach (X509Certificate c in pool)
            {
                var dotnet = new DotNetCertificate(c.GetEncoded());
                extra.Add(dotnet);
                chain.ChainPolicy.ExtraStore.Add(dotnet);
            }
            using var signer = new DotNetCertificate(leaf.GetEncoded());
            if (chain.Build(signer)) return null;
            string status = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            return $"the platform's root store does not trust '{leaf.SubjectDN}' for {(eku == CodeSigning ? "code signing" : "time stamping")} at {at:u} ({(status.Length > 0 ? status : "no chain")}); name the publisher's root with -TrustedRoot";
        }
        finally
        {
            foreach (DotNetCertificate c in extra) c.Dispose();
        }
    }
}
