using System.Management.Automation;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Commands;

/// <summary>
/// Test-SigstoreBundle: checks files against a Sigstore bundle, offline, signed by a key or a keyless identity the caller
/// trusts, or against a GitHub artifact attestation made by a repository's workflow (secureinstall verify-bundle for bash).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "SigstoreBundle", DefaultParameterSetName = IdentitySet)]
[OutputType(typeof(SignatureResult))]
public sealed class TestSigstoreBundleCommand : ArtifactSignatureCmdlet
{
    private const string KeySet = "Key";
    private const string LiteralKeySet = "LiteralKey";
    private const string IdentitySet = "Identity";
    private const string LiteralIdentitySet = "LiteralIdentity";
    private const string AttestationSet = "Attestation";
    private const string LiteralAttestationSet = "LiteralAttestation";

    private SigstoreVerifier? _verifier;
    private IReadOnlyList<SigstoreBundle>? _bundles;

    /// <summary>Files to check; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = KeySet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdentitySet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AttestationSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Files to check, taken exactly as written. Binds PSPath from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralKeySet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralIdentitySet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralAttestationSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath
    {
        get => Path;
        set => Path = value;
    }

    /// <summary>The Sigstore bundle (.sigstore.json, cosign --bundle output) to check each file against.</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralKeySet)]
    [Parameter(Mandatory = true, ParameterSetName = IdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralIdentitySet)]
    [Alias("SigstoreBundle")]
    [ValidateNotNullOrEmpty]
    public string Bundle { get; set; } = string.Empty;

    /// <summary>Keyed bundles: the signer's PEM public key file (cosign.pub).</summary>
    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralKeySet)]
    [ValidateNotNullOrEmpty]
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>Keyless bundles: the exact signer identity (certificate SAN: workflow URI or e-mail).</summary>
    [Parameter(ParameterSetName = IdentitySet)]
    [Parameter(ParameterSetName = LiteralIdentitySet)]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentity { get; set; } = string.Empty;

    /// <summary>Keyless bundles: a regular expression the whole signer identity must match (instead of -CertificateIdentity).</summary>
    [Parameter(ParameterSetName = IdentitySet)]
    [Parameter(ParameterSetName = LiteralIdentitySet)]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentityRegex { get; set; } = string.Empty;

    /// <summary>The OIDC issuer that must have vouched for the identity; attestations default to GitHub Actions.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralIdentitySet)]
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string CertificateOidcIssuer { get; set; } = string.Empty;

    /// <summary>A GitHub artifact attestation bundle (gh attestation download, or the attest action's output).</summary>
    [Parameter(Mandatory = true, ParameterSetName = AttestationSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string Attestation { get; set; } = string.Empty;

    /// <summary>Attestations: the source repository (owner/repo) whose workflow must have signed.</summary>
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string Repository { get; set; } = string.Empty;

    /// <summary>Attestations: the owner (user or organization) of the source repository.</summary>
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string Owner { get; set; } = string.Empty;

    /// <summary>Attestations: the workflow that signed (owner/repo/.github/workflows/file.yml).</summary>
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string SignerWorkflow { get; set; } = string.Empty;

    /// <summary>Attestations: the in-toto predicate type required; SLSA provenance v1 by default.</summary>
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string PredicateType { get; set; } = GitHubAttestationPolicy.SlsaProvenanceV1;

    /// <summary>Attestations: refuse attestations made on self-hosted runners.</summary>
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    public SwitchParameter DenySelfHostedRunners { get; set; }

    /// <summary>The Sigstore trusted_root.json; by default the public-good root shipped with the module.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string TrustedRoot { get; set; } = string.Empty;

    protected override void BeginProcessing()
    {
        // With pipeline input pending, ParameterSetName is not settled between Path and LiteralPath sets here; -Attestation is.
        bool attestation = MyInvocation.BoundParameters.ContainsKey(nameof(Attestation));
        string bundlePath = attestation ? Attestation : Bundle;
        try
        {
            var options = new SigstorePolicyOptions
            {
                CertificateIdentity = CertificateIdentity, CertificateIdentityRegex = CertificateIdentityRegex, CertificateOidcIssuer = CertificateOidcIssuer,
                GitHubAttestation = attestation, Repository = Repository, Owner = Owner, SignerWorkflow = SignerWorkflow,
                PredicateType = attestation ? PredicateType : null, DenySelfHostedRunners = DenySelfHostedRunners,
            };
            if (TrustedRoot.Length > 0) options.TrustedRootFile = ResolveSingleFile(TrustedRoot, nameof(TrustedRoot));
            Core.Signatures.Sigstore.TrustedRoot root = options.LoadTrustedRoot();
            WriteVerbose($"Trusted root: {root.Source} ({root.CertificateAuthorities.Count} certificate authorities, {root.TransparencyLogs.Count} transparency logs, {root.CertificateTransparencyLogs.Count} CT logs, {root.TimestampAuthorities.Count} timestamp authorities).");
            if (root.CertificateTransparencyLogs.Count == 0)
                WriteVerbose("The trusted root lists no certificate transparency log (as GitHub's own Sigstore instance): certificates need no SCT; signing times come from its RFC 3161 timestamp authorities and transparency logs.");
            if (PublicKey.Length > 0) options.PublicKeyFile = ResolveSingleFile(PublicKey, nameof(PublicKey));
            SigstorePolicy policy = options.CreatePolicy();
            _bundles = SigstoreBundle.LoadAll(ResolveSingleFile(bundlePath, attestation ? nameof(Attestation) : nameof(Bundle)), CancelToken);
            _verifier = new SigstoreVerifier(root, policy);
            WriteVerbose(_bundles.Count == 1
                ? $"Trusting {_verifier.TrustedKeyDescription}; bundle {_bundles[0].Source} ({_bundles[0].MediaType})."
                : $"Trusting {_verifier.TrustedKeyDescription}; {_bundles.Count} bundles in {bundlePath} (JSON Lines, or an npm attestations document): the first that satisfies the policy counts.");
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(Errors.SignatureParametersInvalid(ex.Message));
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, bundlePath));
        }
    }

    protected override string[] Files => Path;

    protected override SignatureResult Check(string file)
    {
        WriteVerbose($"Checking '{file}' against the Sigstore bundle {(_bundles!.Count == 1 ? _bundles[0].Source : $"set {_bundles[0].Source}…")}: transparency log, timestamps, certificate chain at signing time, identity, signature.");
        return _verifier!.VerifyAny(_bundles, SigstoreArtifact.FromFile(file, SigstoreArtifact.NeededBy(_bundles), CancelToken), CancelToken);
    }
}
