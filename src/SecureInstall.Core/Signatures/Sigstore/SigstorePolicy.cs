using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Who must have signed: either a key (keyed bundles, cosign's --key) or a Fulcio identity (the certificate's subject
/// alternative name, exactly or by a whole-string regex, and the OIDC issuer). One of the two is required: a bundle
/// verified without saying who signed it proves nothing.
/// </summary>
public sealed class SigstorePolicy
{
    private SigstorePolicy() { }

    internal AsymmetricKeyParameter? PublicKey { get; private set; }
    public string? PublicKeySource { get; private set; }
    public string? CertificateIdentity { get; private set; }
    public string? CertificateIdentityRegex { get; private set; }
    public string? CertificateOidcIssuer { get; private set; }
    /// <summary>GitHub artifact attestation rules, checked on top of the identity.</summary>
    public GitHubAttestationPolicy? Attestation { get; private set; }

    public bool IsKeyed => PublicKey != null;

    public static SigstorePolicy ForKey(string pem, string source) =>
        new() { PublicKey = SigstoreKeys.FromPem(pem, source), PublicKeySource = source };

    public static SigstorePolicy ForKeyFile(string path) => ForKey(File.ReadAllText(path), path);

    public static SigstorePolicy ForIdentity(string identity, string oidcIssuer) =>
        new() { CertificateIdentity = Required(identity, nameof(identity)), CertificateOidcIssuer = Required(oidcIssuer, nameof(oidcIssuer)) };

    public static SigstorePolicy ForIdentityRegex(string identityRegex, string oidcIssuer)
    {
        try
        {
            _ = new Regex(Required(identityRegex, nameof(identityRegex)));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"'{identityRegex}' is not a valid regular expression: {ex.Message}", nameof(identityRegex), ex);
        }
        return new SigstorePolicy { CertificateIdentityRegex = identityRegex, CertificateOidcIssuer = Required(oidcIssuer, nameof(oidcIssuer)) };
    }

    /// <summary>A GitHub artifact attestation: the identity comes from the repository/owner/workflow rules.</summary>
    public static SigstorePolicy ForGitHubAttestation(GitHubAttestationPolicy attestation, string oidcIssuer = GitHubAttestationPolicy.GitHubActionsIssuer) =>
        new() { Attestation = attestation ?? throw new ArgumentNullException(nameof(attestation)), CertificateOidcIssuer = oidcIssuer };

    /// <summary>An identity policy with attestation rules on top (slsa-github-generator: a trusted builder, for a source repository).</summary>
    internal SigstorePolicy WithAttestation(GitHubAttestationPolicy attestation) =>
        new() { CertificateIdentity = CertificateIdentity, CertificateIdentityRegex = CertificateIdentityRegex, CertificateOidcIssuer = CertificateOidcIssuer,
                Attestation = attestation ?? throw new ArgumentNullException(nameof(attestation)) };

    public string Describe() =>
        PublicKey != null ? $"the {SigstoreKeys.Describe(PublicKey)} key {PublicKeySource}"
        : Attestation != null && (CertificateIdentity != null || CertificateIdentityRegex != null) ? $"identity matching /{CertificateIdentityRegex ?? CertificateIdentity}/ from issuer {CertificateOidcIssuer}, {Attestation.Describe()}"
        : Attestation != null ? $"a GitHub Actions attestation ({Attestation.Describe()}) from issuer {CertificateOidcIssuer}"
        : $"identity {(CertificateIdentity != null ? "'" + CertificateIdentity + "'" : "matching /" + CertificateIdentityRegex + "/")} from issuer {CertificateOidcIssuer}";

    internal void CheckIdentity(FulcioCertificate cert)
    {
        string? issuer = cert.OidcIssuer;
        if (!string.Equals(issuer, CertificateOidcIssuer, StringComparison.Ordinal))
            throw new SigstoreCheckException($"the certificate's OIDC issuer is '{issuer ?? "(none)"}', not '{CertificateOidcIssuer}'", signerNotTrusted: true);
        if (CertificateIdentity == null && CertificateIdentityRegex == null) return;   // attestation rules decide
        foreach (string san in cert.SubjectAlternativeNames)
        {
            if (CertificateIdentity != null && string.Equals(san, CertificateIdentity, StringComparison.Ordinal)) return;
            // Whole-string match: a regex without anchors must not accept "https://evil.example/?x=trusted-identity".
            if (CertificateIdentityRegex != null && Regex.IsMatch(san, "^(?:" + CertificateIdentityRegex + ")$", RegexOptions.None, TimeSpan.FromSeconds(2))) return;
        }
        throw new SigstoreCheckException($"the certificate identity is '{string.Join("', '", cert.SubjectAlternativeNames)}', which does not match {(CertificateIdentity != null ? "'" + CertificateIdentity + "'" : "/" + CertificateIdentityRegex + "/")}", signerNotTrusted: true);
    }

    private static string Required(string value, string name) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{name} must not be empty", name) : value;
}
