using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Commands;

/// <summary>Test-ArtifactSignature: checks files against a minisign, OpenPGP, Authenticode or Sigstore signature made by a key or identity the caller trusts.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ArtifactSignature", DefaultParameterSetName = MinisignSet)]
[OutputType(typeof(SignatureResult))]
public sealed class TestArtifactSignatureCommand : SecureInstallCmdlet
{
    private const string MinisignSet = "Minisign";
    private const string LiteralMinisignSet = "LiteralMinisign";
    private const string PgpSet = "Pgp";
    private const string LiteralPgpSet = "LiteralPgp";
    private const string AuthenticodeSet = "Authenticode";
    private const string LiteralAuthenticodeSet = "LiteralAuthenticode";
    private const string SigstoreKeySet = "SigstoreKey";
    private const string LiteralSigstoreKeySet = "LiteralSigstoreKey";
    private const string SigstoreIdentitySet = "SigstoreIdentity";
    private const string LiteralSigstoreIdentitySet = "LiteralSigstoreIdentity";
    private const string SigstoreRegexSet = "SigstoreIdentityRegex";
    private const string LiteralSigstoreRegexSet = "LiteralSigstoreIdentityRegex";
    private const string AttestationSet = "Attestation";
    private const string LiteralAttestationSet = "LiteralAttestation";

    private DetachedSignatureVerifier? _detached;
    private AuthenticodeVerifier? _authenticode;
    private string? _signature;
    private SigstoreVerifier? _sigstore;
    private IReadOnlyList<SigstoreBundle>? _bundles;

    /// <summary>Files to check; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = MinisignSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PgpSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AuthenticodeSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SigstoreKeySet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SigstoreIdentitySet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = SigstoreRegexSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AttestationSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Files to check, taken exactly as written. Binds PSPath from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralMinisignSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPgpSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralAuthenticodeSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralSigstoreKeySet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralSigstoreIdentitySet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralSigstoreRegexSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralAttestationSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath
    {
        get => Path;
        set => Path = value;
    }

    /// <summary>The minisign public key: the "RWQ…" string, or the path of a minisign.pub file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MinisignSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralMinisignSet)]
    [ValidateNotNullOrEmpty]
    public string MinisignPublicKey { get; set; } = string.Empty;

    /// <summary>The .minisig file; by default the file's path + ".minisig".</summary>
    [Parameter(ParameterSetName = MinisignSet)]
    [Parameter(ParameterSetName = LiteralMinisignSet)]
    [ValidateNotNullOrEmpty]
    public string MinisignSignature { get; set; } = string.Empty;

    /// <summary>The trusted OpenPGP public key file(s), armored or binary.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PgpSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralPgpSet)]
    [ValidateNotNullOrEmpty]
    public string PgpPublicKey { get; set; } = string.Empty;

    /// <summary>The detached signature (.sig/.asc/.gpg); by default one beside the file, or the file's own clear-signature.</summary>
    [Parameter(ParameterSetName = PgpSet)]
    [Parameter(ParameterSetName = LiteralPgpSet)]
    [ValidateNotNullOrEmpty]
    public string PgpSignature { get; set; } = string.Empty;

    /// <summary>Trust only the key with this primary-key fingerprint.</summary>
    [Parameter(ParameterSetName = PgpSet)]
    [Parameter(ParameterSetName = LiteralPgpSet)]
    [ValidateNotNullOrEmpty]
    public string Fingerprint { get; set; } = string.Empty;

    /// <summary>Accept a signature made while the key was valid by a key that has expired since.</summary>
    [Parameter(ParameterSetName = PgpSet)]
    [Parameter(ParameterSetName = LiteralPgpSet)]
    public SwitchParameter AllowExpiredKey { get; set; }

    /// <summary>Authenticode: accept only signer certificates with these SHA-1 thumbprints.</summary>
    [Parameter(ParameterSetName = AuthenticodeSet)]
    [Parameter(ParameterSetName = LiteralAuthenticodeSet)]
    [ValidateNotNullOrEmpty]
    public string[] SignerThumbprint { get; set; } = Array.Empty<string>();

    /// <summary>Authenticode: accept only signer certificates with exactly these subjects.</summary>
    [Parameter(ParameterSetName = AuthenticodeSet)]
    [Parameter(ParameterSetName = LiteralAuthenticodeSet)]
    [ValidateNotNullOrEmpty]
    public string[] SignerSubject { get; set; } = Array.Empty<string>();

    /// <summary>The Sigstore bundle (.sigstore.json, cosign --bundle output) to check each file against.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SigstoreKeySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreKeySet)]
    [Parameter(Mandatory = true, ParameterSetName = SigstoreIdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreIdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = SigstoreRegexSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreRegexSet)]
    [ValidateNotNullOrEmpty]
    public string SigstoreBundle { get; set; } = string.Empty;

    /// <summary>Keyed Sigstore bundles: the signer's PEM public key file (cosign.pub).</summary>
    [Parameter(Mandatory = true, ParameterSetName = SigstoreKeySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreKeySet)]
    [ValidateNotNullOrEmpty]
    public string PublicKey { get; set; } = string.Empty;

    /// <summary>Keyless Sigstore bundles: the exact signer identity (certificate SAN: workflow URI or e-mail).</summary>
    [Parameter(Mandatory = true, ParameterSetName = SigstoreIdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreIdentitySet)]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentity { get; set; } = string.Empty;

    /// <summary>Keyless Sigstore bundles: a regular expression the whole signer identity must match.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SigstoreRegexSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreRegexSet)]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentityRegex { get; set; } = string.Empty;

    /// <summary>The OIDC issuer that must have vouched for the identity; attestations default to GitHub Actions.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SigstoreIdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreIdentitySet)]
    [Parameter(Mandatory = true, ParameterSetName = SigstoreRegexSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralSigstoreRegexSet)]
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string CertificateOidcIssuer { get; set; } = string.Empty;

    /// <summary>The Sigstore trusted_root.json; by default the public-good root shipped with the module.</summary>
    [Parameter(ParameterSetName = SigstoreKeySet)]
    [Parameter(ParameterSetName = LiteralSigstoreKeySet)]
    [Parameter(ParameterSetName = SigstoreIdentitySet)]
    [Parameter(ParameterSetName = LiteralSigstoreIdentitySet)]
    [Parameter(ParameterSetName = SigstoreRegexSet)]
    [Parameter(ParameterSetName = LiteralSigstoreRegexSet)]
    [Parameter(ParameterSetName = AttestationSet)]
    [Parameter(ParameterSetName = LiteralAttestationSet)]
    [ValidateNotNullOrEmpty]
    public string TrustedRoot { get; set; } = string.Empty;

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

    protected override void BeginProcessing()
    {
        if (MyInvocation.BoundParameters.ContainsKey(nameof(SigstoreBundle)) || MyInvocation.BoundParameters.ContainsKey(nameof(Attestation)))
        {
            BeginSigstore();
            return;
        }
        // With pipeline input pending, ParameterSetName is not settled between Path and LiteralPath sets here; the
        // scheme's own parameters are.
        string scheme = MyInvocation.BoundParameters.ContainsKey(nameof(MinisignPublicKey)) ? MinisignSet
            : MyInvocation.BoundParameters.ContainsKey(nameof(PgpPublicKey)) ? PgpSet : AuthenticodeSet;
        try
        {
            switch (scheme)
            {
                case MinisignSet:
                    _detached = CreateSignatureVerifier(MinisignPublicKey, string.Empty, string.Empty, false);
                    if (MinisignSignature.Length > 0) _signature = ResolveSingleFile(MinisignSignature, nameof(MinisignSignature));
                    break;
                case PgpSet:
                    _detached = CreateSignatureVerifier(string.Empty, PgpPublicKey, Fingerprint, AllowExpiredKey);
                    if (PgpSignature.Length > 0) _signature = ResolveSingleFile(PgpSignature, nameof(PgpSignature));
                    if (AllowExpiredKey) WriteVerbose("-AllowExpiredKey: a signature made while its key was valid is accepted even if the key has expired since.");
                    break;
                default:
                    if (SignerThumbprint.Length == 0 && SignerSubject.Length == 0) ThrowTerminatingError(Errors.SignerPinRequired());
                    var options = new AuthenticodeVerifierOptions();
                    foreach (string t in SignerThumbprint) options.SignerThumbprints.Add(t);
                    foreach (string s in SignerSubject) options.SignerSubjects.Add(s);
                    _authenticode = new AuthenticodeVerifier(options);
                    break;
            }
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, PgpPublicKey.Length > 0 ? PgpPublicKey : MinisignPublicKey));
        }
        WriteVerbose(_detached != null ? $"Trusting {_detached.TrustedKeyDescription}." : $"Trusting the Authenticode signer with {_authenticode!.TrustedSignerDescription}.");
    }

    private void BeginSigstore()
    {
        bool attestation = MyInvocation.BoundParameters.ContainsKey(nameof(Attestation));
        string bundlePath = attestation ? Attestation : SigstoreBundle;
        try
        {
            Core.Signatures.Sigstore.TrustedRoot root;
            if (TrustedRoot.Length > 0)
            {
                root = Core.Signatures.Sigstore.TrustedRoot.Load(ResolveSingleFile(TrustedRoot, nameof(TrustedRoot)));
            }
            else
            {
                root = Core.Signatures.Sigstore.TrustedRoot.PublicGood();
            }
            WriteVerbose($"Trusted root: {root.Source} ({root.CertificateAuthorities.Count} certificate authorities, {root.TransparencyLogs.Count} transparency logs, {root.CertificateTransparencyLogs.Count} CT logs, {root.TimestampAuthorities.Count} timestamp authorities).");
            if (root.CertificateTransparencyLogs.Count == 0)
                WriteVerbose("The trusted root lists no certificate transparency log (as GitHub's own Sigstore instance): certificates need no SCT; signing times come from its RFC 3161 timestamp authorities and transparency logs.");
            SigstorePolicy policy;
            if (attestation)
            {
                var rules = new GitHubAttestationPolicy { PredicateType = PredicateType, DenySelfHostedRunners = DenySelfHostedRunners };
                if (Repository.Length > 0) rules.Repository = Repository;
                if (Owner.Length > 0) rules.Owner = Owner;
                if (SignerWorkflow.Length > 0) rules.SignerWorkflow = SignerWorkflow;
                if (rules.Repository == null && rules.Owner == null && rules.SignerWorkflow == null)
                    ThrowTerminatingError(Errors.SignatureParametersInvalid("-Attestation needs -Repository, -Owner or -SignerWorkflow: any GitHub user can attest any file, so an attestation proves nothing until you say whose it must be."));
                policy = CertificateOidcIssuer.Length > 0 ? SigstorePolicy.ForGitHubAttestation(rules, CertificateOidcIssuer) : SigstorePolicy.ForGitHubAttestation(rules);
            }
            else if (PublicKey.Length > 0)
            {
                policy = SigstorePolicy.ForKeyFile(ResolveSingleFile(PublicKey, nameof(PublicKey)));
            }
            else if (CertificateIdentityRegex.Length > 0)
            {
                policy = SigstorePolicy.ForIdentityRegex(CertificateIdentityRegex, CertificateOidcIssuer);
            }
            else
            {
                policy = SigstorePolicy.ForIdentity(CertificateIdentity, CertificateOidcIssuer);
            }
            _bundles = Core.Signatures.Sigstore.SigstoreBundle.LoadAll(ResolveSingleFile(bundlePath, attestation ? nameof(Attestation) : nameof(SigstoreBundle)), CancelToken);
            _sigstore = new SigstoreVerifier(root, policy);
            WriteVerbose(_bundles.Count == 1
                ? $"Trusting {_sigstore.TrustedKeyDescription}; bundle {_bundles[0].Source} ({_bundles[0].MediaType})."
                : $"Trusting {_sigstore.TrustedKeyDescription}; {_bundles.Count} bundles in {bundlePath} (JSON Lines, or an npm attestations document): the first that satisfies the policy counts.");
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

    protected override void ProcessRecord()
    {
        bool literal = ParameterSetName.StartsWith("Literal", StringComparison.Ordinal);
        foreach (string file in ResolveFiles(Path, literal))
        {
            try
            {
                SignatureResult result;
                if (_sigstore != null)
                {
                    WriteVerbose($"Checking '{file}' against the Sigstore bundle {(_bundles!.Count == 1 ? _bundles[0].Source : $"set {_bundles[0].Source}…")}: transparency log, timestamps, certificate chain at signing time, identity, signature.");
                    result = _sigstore.VerifyAny(_bundles, SigstoreArtifact.FromFile(file, SigstoreArtifact.NeededBy(_bundles), CancelToken), CancelToken);
                }
                else if (_detached != null)
                {
                    WriteVerbose($"Checking '{file}' against {(_signature ?? "the signature beside it")} with {_detached.TrustedKeyDescription}.");
                    result = _detached.VerifyFile(file, _signature, CancelToken);
                }
                else
                {
                    WriteVerbose($"Checking the Authenticode signature of '{file}' with WinVerifyTrust.");
                    result = _authenticode!.Verify(file);
                }
                WriteVerbose(Describe(result));
                WriteObject(result);
            }
            catch (SignatureVerificationException ex)
            {
                // As Test-Checksum does: the error for people and -ErrorAction, the invalid result for scripts.
                WriteError(Errors.From(ex, file));
                WriteObject(ex.Result);
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                WriteError(Errors.From(ex, file));
            }
        }
    }

    private static string Describe(SignatureResult r)
    {
        string text = $"Valid {r.Scheme} signature of '{r.Path}' ({r.SignaturePath}) by {r.Signer ?? "?"}, key {r.KeyId}";
        if (r.Fingerprint != null && r.Fingerprint != r.KeyId) text += $", fingerprint {r.Fingerprint}";
        if (r.SignedAt != null) text += $", signed {r.SignedAt.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC";
        if (r.OidcIssuer != null) text += $", OIDC issuer {r.OidcIssuer}";
        if (r.LogIndex != null) text += $", transparency log index {r.LogIndex}";
        if (r.PredicateType != null) text += $", predicate {r.PredicateType}";
        if (r.TrustedComment != null) text += $"; trusted comment: {r.TrustedComment}";
        return text + ".";
    }
}
