using System.Management.Automation;
using SecureInstall.Core;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Commands;

/// <summary>Test-ArtifactSignature: checks files against a detached minisign or OpenPGP signature, or their Authenticode signature, made by a key or signer the caller trusts. Sigstore bundles and attestations: Test-SigstoreBundle.</summary>
[Cmdlet(VerbsDiagnostic.Test, "ArtifactSignature", DefaultParameterSetName = MinisignSet)]
[OutputType(typeof(SignatureResult))]
public sealed class TestArtifactSignatureCommand : ArtifactSignatureCmdlet
{
    private const string MinisignSet = "Minisign";
    private const string LiteralMinisignSet = "LiteralMinisign";
    private const string PgpSet = "Pgp";
    private const string LiteralPgpSet = "LiteralPgp";
    private const string AuthenticodeSet = "Authenticode";
    private const string LiteralAuthenticodeSet = "LiteralAuthenticode";

    private DetachedSignatureVerifier? _detached;
    private AuthenticodeVerifier? _authenticode;
    private string? _signature;

    /// <summary>Files to check; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = MinisignSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PgpSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = AuthenticodeSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Files to check, taken exactly as written. Binds PSPath from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralMinisignSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPgpSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralAuthenticodeSet)]
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

    /// <summary>Authenticode: the root certificate file(s) (PEM or DER) the signer's chain must end at; by default the platform's root store.</summary>
    [Parameter(ParameterSetName = AuthenticodeSet)]
    [Parameter(ParameterSetName = LiteralAuthenticodeSet)]
    [ValidateNotNullOrEmpty]
    public string[] TrustedRoot { get; set; } = Array.Empty<string>();

    protected override void BeginProcessing()
    {
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
                    // -TrustedRoot without a pin is refused by FromPins, the rule every front end shares; with nothing at all, here.
                    if (SignerThumbprint.Length == 0 && SignerSubject.Length == 0 && TrustedRoot.Length == 0) ThrowTerminatingError(Errors.SignerPinRequired());
                    var roots = new string[TrustedRoot.Length];
                    for (int i = 0; i < roots.Length; i++) roots[i] = ResolveSingleFile(TrustedRoot[i], nameof(TrustedRoot));
                    _authenticode = AuthenticodeVerifier.FromPins(SignerThumbprint, SignerSubject, roots, "-" + nameof(TrustedRoot));
                    break;
            }
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, PgpPublicKey.Length > 0 ? PgpPublicKey : MinisignPublicKey.Length > 0 ? MinisignPublicKey : string.Join(", ", TrustedRoot)));
        }
        WriteVerbose(_detached != null ? $"Trusting {_detached.TrustedKeyDescription}." : $"Trusting the Authenticode signer with {_authenticode!.TrustedSignerDescription}; checks: {_authenticode.CheckDescription}.");
    }

    protected override string[] Files => Path;

    protected override SignatureResult Check(string file)
    {
        if (_detached != null)
        {
            WriteVerbose($"Checking '{file}' against {(_signature ?? "the signature beside it")} with {_detached.TrustedKeyDescription}.");
            return _detached.VerifyFile(file, _signature, CancelToken);
        }
        WriteVerbose($"Checking the Authenticode signature of '{file}'.");
        SignatureResult result = _authenticode!.Verify(file, CancelToken);
        WriteVerbose($"'{file}': Authenticode checks that ran: {result.Checks}.");
        return result;
    }
}
