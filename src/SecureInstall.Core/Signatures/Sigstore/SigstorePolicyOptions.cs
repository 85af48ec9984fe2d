namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// Who must have signed a Sigstore bundle, and against which trusted root, as every front end takes it: the parameters
/// of Test-SigstoreBundle and Get-VerifiedArtifact, the options of <c>secureinstall verify-bundle</c>, a manifest's or
/// lock's <c>signature:</c> settings (<see cref="SigstoreRequirement"/>). They fill this and <see cref="CreatePolicy"/>
/// alone decides which combinations make a policy, so a combination one front end refuses, all of them refuse.
/// </summary>
public sealed class SigstorePolicyOptions
{
    /// <summary>Keyed bundles (cosign --key): the signer's PEM public key file.</summary>
    public string? PublicKeyFile { get; set; }

    /// <summary>Keyless bundles: the exact signer identity (the certificate's SAN).</summary>
    public string? CertificateIdentity { get; set; }

    /// <summary>Keyless bundles: a regular expression the whole signer identity must match.</summary>
    public string? CertificateIdentityRegex { get; set; }

    /// <summary>The OIDC issuer that vouched for the identity; a GitHub attestation defaults to GitHub Actions.</summary>
    public string? CertificateOidcIssuer { get; set; }

    /// <summary>A GitHub artifact attestation: the identity comes from <see cref="Repository"/>, <see cref="Owner"/>, <see cref="SignerWorkflow"/>.</summary>
    public bool GitHubAttestation { get; set; }

    /// <summary>Attestations: "owner/repo", the source repository the workflow ran in.</summary>
    public string? Repository { get; set; }

    /// <summary>Attestations: the repository owner (user or organization).</summary>
    public string? Owner { get; set; }

    /// <summary>Attestations: "owner/repo/.github/workflows/file.yml" or its full URL.</summary>
    public string? SignerWorkflow { get; set; }

    /// <summary>Attestations: the in-toto predicate type required; SLSA provenance v1 when null.</summary>
    public string? PredicateType { get; set; }

    /// <summary>Attestations: refuse attestations made on self-hosted runners.</summary>
    public bool DenySelfHostedRunners { get; set; }

    /// <summary>The trusted_root.json to verify against; null for the public-good root shipped in the core.</summary>
    public string? TrustedRootFile { get; set; }

    /// <summary>
    /// The policy: a key, an identity (exact or regex) with its issuer, or GitHub attestation rules, exactly one. A setting
    /// the chosen kind would not check is refused rather than ignored: a policy quietly narrower than the one asked for
    /// ("key and identity": only the key checked) must not pass.
    /// </summary>
    /// <exception cref="ArgumentException">the combination is not one policy, or a value is malformed.</exception>
    /// <exception cref="PublicKeyFormatException">the key file holds no PEM public key.</exception>
    /// <exception cref="System.IO.IOException">the key file cannot be read.</exception>
    public SigstorePolicy CreatePolicy()
    {
        string? key = Given(PublicKeyFile), identity = Given(CertificateIdentity), regex = Given(CertificateIdentityRegex), issuer = Given(CertificateOidcIssuer);
        var attestationOnly = new List<string>();
        if (Given(Repository) != null) attestationOnly.Add("a repository");
        if (Given(Owner) != null) attestationOnly.Add("an owner");
        if (Given(SignerWorkflow) != null) attestationOnly.Add("a signer workflow");
        if (Given(PredicateType) != null) attestationOnly.Add("a predicate type");
        if (DenySelfHostedRunners) attestationOnly.Add("denying self-hosted runners");

        if (GitHubAttestation)
        {
            if (key != null || identity != null || regex != null)
                throw new ArgumentException("a GitHub attestation takes its signer from the repository, owner or signer workflow: a public key or a certificate identity is not checked there, so it is refused");
            var rules = new GitHubAttestationPolicy
            {
                Repository = Given(Repository), Owner = Given(Owner), SignerWorkflow = Given(SignerWorkflow),
                PredicateType = Given(PredicateType) ?? GitHubAttestationPolicy.SlsaProvenanceV1, DenySelfHostedRunners = DenySelfHostedRunners,
            };
            rules.Validate();
            return SigstorePolicy.ForGitHubAttestation(rules, issuer ?? GitHubAttestationPolicy.GitHubActionsIssuer);
        }
        if (attestationOnly.Count > 0)
            throw new ArgumentException($"{string.Join(", ", attestationOnly)} apply to GitHub attestations only; a Sigstore bundle's signer is a public key or a certificate identity");
        if (key != null)
        {
            if (identity != null || regex != null || issuer != null)
                throw new ArgumentException("give either a public key (keyed bundles) or a certificate identity and its OIDC issuer (keyless bundles), not both");
            return SigstorePolicy.ForKeyFile(key);
        }
        if (identity != null && regex != null)
            throw new ArgumentException("give a certificate identity or an identity regex, not both");
        if (identity == null && regex == null)
            throw new ArgumentException("no signer was named: give a public key (keyed bundles), or a certificate identity (or identity regex: the certificate's SAN) and its OIDC issuer; a bundle verified without saying who signed it proves nothing");
        if (issuer == null)
            throw new ArgumentException("no OIDC issuer was named for the certificate identity (the issuer of the signing identity, e.g. https://token.actions.githubusercontent.com)");
        return identity != null ? SigstorePolicy.ForIdentity(identity, issuer) : SigstorePolicy.ForIdentityRegex(regex!, issuer);
    }

    /// <summary>The trusted root: <see cref="TrustedRootFile"/>, or the public-good root shipped in the core.</summary>
    public TrustedRoot LoadTrustedRoot() => Given(TrustedRootFile) is string file ? TrustedRoot.Load(file) : TrustedRoot.PublicGood();

    private static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
}
