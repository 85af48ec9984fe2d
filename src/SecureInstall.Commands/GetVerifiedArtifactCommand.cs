using System.Collections.Concurrent;
using System.Management.Automation;
using System.Net;
using System.Runtime.InteropServices;
using System.Security;
using SecureInstall.Core;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Commands;

/// <summary>Get-VerifiedArtifact: downloads, hashes, checks and places a file in one pass (or many, in parallel).</summary>
/// <remarks>
/// Over 400 lines on purpose: about half is the parameter surface (each digest source is its own parameter set, so the
/// digest, signature and Sigstore parameters are declared once per set they join: that is how PowerShell refuses a mix,
/// at binding, before anything runs). The rules those parameters feed live in the core (DownloadRequestBuilder,
/// SignatureKeySpec, SigstorePolicyOptions, VerifiedDownloader); this file only binds, fills them and reports.
/// </remarks>
[Cmdlet(VerbsCommon.Get, "VerifiedArtifact", DefaultParameterSetName = Sha256Set, SupportsShouldProcess = true)]
[OutputType(typeof(DownloadResult))]
public sealed class GetVerifiedArtifactCommand : SecureInstallCmdlet
{
    private const string Sha256Set = "Sha256";
    private const string HashSet = "Hash";
    private const string ChecksumUriSet = "ChecksumUri";
    private const string ChecksumFileSet = "ChecksumFile";
    private const string SkipSet = "SkipVerification";
    private const int ProgressActivityId = 0x51C2;

    private readonly List<DownloadRequest> _requests = new();
    private string? _checksumFile;
    private volatile object? _latestProgress;
    private DownloadRequestBuilder? _builder;
    private Core.Signatures.Sigstore.SigstoreRequirement? _sigstore;
    private byte[]? _sigstoreBundle;
    private HostBoundToken? _token;
    private IWebProxy? _proxy;

    /// <summary>The artifact's URI; several are mirrors, tried in order.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Url")]
    [ValidateNotNullOrEmpty]
    public Uri[] Uri { get; set; } = Array.Empty<Uri>();

    /// <summary>Where to place the verified file; an existing folder receives it under the URI's file name.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = string.Empty;

    /// <summary>The expected SHA-256 in hex (any case, optionally prefixed "sha256:").</summary>
    [Parameter(ParameterSetName = Sha256Set, ValueFromPipelineByPropertyName = true)]
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>The expected digest in another algorithm; the algorithm comes from -Algorithm or the length.</summary>
    [Parameter(Mandatory = true, ParameterSetName = HashSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Hash { get; set; } = string.Empty;

    [Parameter(ParameterSetName = HashSet)]
    public ChecksumAlgorithm? Algorithm { get => (ChecksumAlgorithm?)_algorithm; set => _algorithm = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be: PowerShell lays out the cmdlet types while it
    // lists the module's commands, before ModuleInitializer has said where SecureInstall.Core comes from.
    private object? _algorithm;

    /// <summary>A checksum list published beside the artifact, searched for the artifact's file name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ChecksumUriSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri? ChecksumUri { get; set; }

    /// <summary>A local checksum list, searched for the artifact's file name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ChecksumFileSet)]
    [ValidateNotNullOrEmpty]
    public string ChecksumFile { get; set; } = string.Empty;

    /// <summary>
    /// A detached signature of the checksum list (with -ChecksumUri/-ChecksumFile) or, without a list, of the artifact.
    /// Needs -MinisignPublicKey or -PgpPublicKey.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri? SignatureUri { get; set; }

    /// <summary>The trusted minisign public key (RWQ… or a minisign.pub path) the signature must be made with.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string MinisignPublicKey { get; set; } = string.Empty;

    /// <summary>The trusted OpenPGP public key file the signature must be made with.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string PgpPublicKey { get; set; } = string.Empty;

    /// <summary>Trust only the OpenPGP key with this primary-key fingerprint.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Fingerprint { get; set; } = string.Empty;

    /// <summary>A Sigstore bundle (a path, or an https/file URI) that must vouch for the artifact's SHA-256 before it is placed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string SigstoreBundle { get; set; } = string.Empty;

    /// <summary>The signing certificate's identity (SAN) the Sigstore bundle must carry, exactly.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentity { get; set; } = string.Empty;

    /// <summary>A regular expression (anchored) the certificate identity must match.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CertificateIdentityRegex { get; set; } = string.Empty;

    /// <summary>The OIDC issuer of the signing identity, e.g. https://token.actions.githubusercontent.com.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CertificateOidcIssuer { get; set; } = string.Empty;

    /// <summary>A PEM public key for a keyed Sigstore bundle (instead of an identity).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string SigstorePublicKey { get; set; } = string.Empty;

    /// <summary>Authenticode (PE files, cabinets, MSI packages): accept only a signer certificate with one of these SHA-1 thumbprints; checked before the file is placed.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] SignerThumbprint { get; set; } = Array.Empty<string>();

    /// <summary>Authenticode (PE files, cabinets, MSI packages): accept only a signer certificate with exactly one of these subjects.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] SignerSubject { get; set; } = Array.Empty<string>();

    /// <summary>Authenticode: the root certificate file(s) (PEM or DER) the signer's chain must end at; by default the platform's root store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] TrustedRoot { get; set; } = Array.Empty<string>();

    /// <summary>Keep the file whatever it hashes to; a warning names the digest seen so it can be pinned.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SkipSet)]
    public SwitchParameter SkipVerification { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(0, long.MaxValue)]
    public long? ExpectedSize { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaximumSize { get; set; } = VerifiedDownloaderOptions.DefaultMaximumSize;

    /// <summary>A bearer token (SecureString or string), sent only to the hosts it is tied to: -Uri's when typed with it, and -TokenHost.</summary>
    [Parameter]
    public object? Token { get; set; }

    /// <summary>The hosts (host, host:port or https:// URI) that may receive -Token; needed when the URIs come from the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] TokenHost { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter AllowInsecureTransport { get; set; }

    [Parameter]
    public SwitchParameter AllowWeakAlgorithm { get; set; }

    [Parameter]
    public Uri? Proxy { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? ProxyCredential { get; set; }

    [Parameter]
    public SwitchParameter NoCache { get; set; }

    [Parameter]
    public SwitchParameter FlushToDisk { get; set; }

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>The signature, Sigstore and Authenticode parameters: each says who must vouch for the bytes, which -SkipVerification gives up.</summary>
    private static readonly string[] VouchingParameters =
    {
        nameof(SignatureUri), nameof(MinisignPublicKey), nameof(PgpPublicKey), nameof(Fingerprint), nameof(SigstoreBundle),
        nameof(CertificateIdentity), nameof(CertificateIdentityRegex), nameof(CertificateOidcIssuer), nameof(SigstorePublicKey),
        nameof(SignerThumbprint), nameof(SignerSubject), nameof(TrustedRoot),
    };

    protected override void BeginProcessing()
    {
        // One rule instead of four parameter-set lines on each of twelve parameters: -SkipVerification takes none of them.
        if (SkipVerification && VouchingParameters.FirstOrDefault(MyInvocation.BoundParameters.ContainsKey) is { } vouching)
            ThrowTerminatingError(Errors.SignatureParametersInvalid($"-SkipVerification checks nothing, so -{vouching} would be ignored: drop one of them."));
        if ((Token is PSObject boxed ? boxed.BaseObject : Token) is { } token && token is not (string or SecureString))
            ThrowTerminatingError(Errors.TokenInvalid(token));
        if (ProxyCredential != null && Proxy == null)
            ThrowTerminatingError(Errors.ProxyCredentialWithoutProxy());
        try
        {
            // First: the Sigstore bundle below is fetched through the same proxy.
            if (Proxy != null) _proxy = ProxyAddress.Create(Proxy, ProxyCredential?.GetNetworkCredential());
            BindToken();
        }
        catch (Exception ex) when (ex is SecureInstallException or ArgumentException)
        {
            ThrowTerminatingError(Errors.From(ex, null));
        }
        if (MyInvocation.BoundParameters.ContainsKey(nameof(ChecksumFile))) _checksumFile = ResolveSingleFile(ChecksumFile, nameof(ChecksumFile));
        Core.Signatures.SignatureKeySpec keys = KeySpec(MinisignPublicKey, PgpPublicKey, Fingerprint, allowExpiredKey: false);
        Core.Signatures.DetachedSignatureVerifier? verifier = null;
        try
        {
            verifier = CreateSignatureVerifier(keys);
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, MinisignPublicKey.Length > 0 ? MinisignPublicKey : PgpPublicKey));
        }
        if (verifier != null) WriteVerbose($"Signatures must be made by {verifier.TrustedKeyDescription}.");
        Core.Signatures.AuthenticodeVerifier? authenticode = null;
        try
        {
            authenticode = Core.Signatures.AuthenticodeVerifier.FromPins(SignerThumbprint, SignerSubject,
                TrustedRoot.Select(root => ResolveSingleFile(root, nameof(TrustedRoot))).ToArray(), "-" + nameof(TrustedRoot));
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, string.Join(", ", TrustedRoot)));
        }
        if (authenticode != null) WriteVerbose($"The artifact must carry an Authenticode signature by {authenticode.TrustedSignerDescription}; checks: {authenticode.CheckDescription}.");
        _builder = new DownloadRequestBuilder(keys, verifier, _token, authenticode: authenticode);
        if (SigstoreBundle.Length > 0) LoadSigstoreBundle();
        else if (CertificateIdentity.Length + CertificateIdentityRegex.Length + CertificateOidcIssuer.Length + SigstorePublicKey.Length > 0)
            ThrowTerminatingError(Errors.SignatureParametersInvalid("-CertificateIdentity, -CertificateIdentityRegex, -CertificateOidcIssuer and -SigstorePublicKey need -SigstoreBundle."));
    }

    /// <summary>
    /// Ties -Token to the hosts the user chose: -Uri when it is on the command line (at this point only command-line
    /// parameters are bound; pipeline rows bind later) and -TokenHost. A token with neither is refused.
    /// </summary>
    private void BindToken()
    {
        bool typed = MyInvocation.BoundParameters.ContainsKey(nameof(Uri)) && Uri.Length > 0;
        _token = HostBoundToken.FromOptions(TokenText(), typed ? Uri[0] : null, TokenHost);
        if (_token != null) WriteVerbose($"-Token is sent only to {_token} (and never after a redirect to another host).");
    }

    protected override void ProcessRecord()
    {
        Uri first = Uri[0];
        DownloadRequest request;
        try
        {
            request = _builder!.Create(Uri, ResolveOutputPath(OutFile), SignatureUri);
            switch (ParameterSetName)
            {
                case Sha256Set when Sha256.Length > 0:
                    request.Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256");
                    break;
                case HashSet:
                    request.Expected = ChecksumEntry.FromDigest(Hash, Algorithm, "-Hash");
                    break;
                case ChecksumUriSet:
                    request.ChecksumUri = ChecksumUri;
                    break;
                case ChecksumFileSet:
                    request.ChecksumFile = _checksumFile;
                    break;
                case SkipSet:
                    // A pipeline row may bring a SignatureUri: refused as on the command line.
                    if (SignatureUri != null)
                    {
                        WriteError(Errors.SignatureParametersInvalid("-SkipVerification checks nothing, so -SignatureUri would be ignored: drop one of them."));
                        return;
                    }
                    request.SkipVerification = true;
                    break;
            }
            if (_sigstore != null)
            {
                Core.Signatures.Sigstore.SigstoreRequirement requirement = _sigstore;
                byte[] bundle = _sigstoreBundle!;
                request.DigestCheck = (digests, ct) => requirement.Verify(bundle, SigstoreBundle, digests, ct);
            }
            request.ExpectedSize = ExpectedSize;
            if (_token != null && _token.For(first) == null)
                WriteVerbose($"-Token is not sent for {UriText.Redact(first)}: {HostBoundToken.HostOf(first)} is not a host it is tied to ({_token}). Add it with -TokenHost if it should be.");
        }
        catch (Exception ex) when (ex is SecureInstallException or ArgumentException or NotSupportedException)
        {
            WriteError(Errors.From(ex, first));
            return;
        }
        if (!ShouldProcess(request.Destination, $"Download {UriText.Redact(first)}, verify it and place it")) return;
        _requests.Add(request);
    }

    protected override void EndProcessing()
    {
        if (_requests.Count == 0) return;
        var options = new VerifiedDownloaderOptions
        {
            MaximumSize = MaximumSize,
            AllowInsecureTransport = AllowInsecureTransport,
            AllowWeakAlgorithm = AllowWeakAlgorithm,
            NoCache = NoCache,
            FlushToDisk = FlushToDisk,
            Log = Log,
        };
        if (_proxy != null) options.Proxy = _proxy;
        foreach (string loosened in LoosenedLimits.Of(options, name => "-" + name)) WriteVerbose(loosened);
        if (NoCache) WriteVerbose("-NoCache: the artifact cache is neither read nor filled.");
        if (FlushToDisk) WriteVerbose("-FlushToDisk: each verified file is written to disk before it is renamed into place.");
        if (Proxy != null) WriteVerbose($"Using the proxy {UriText.Redact(Proxy)}{(_proxy?.Credentials != null ? " with the credentials given for it" : "")}.");

        using var downloader = new VerifiedDownloader(options);
        using var progress = new ThrottledProgress(this, ProgressActivityId, _requests.Count == 1 ? $"Downloading {UriText.Redact(_requests[0].Uris[0])}" : $"Downloading {_requests.Count} artifacts");
        var outcomes = new List<(DownloadRequest Request, DownloadResult? Result, Exception? Error)>();
        if (_requests.Count == 1)
        {
            DownloadRequest request = _requests[0];
            Task<DownloadResult> single = downloader.DownloadAsync(request, new InlineProgress<DownloadProgress>(p => _latestProgress = p), CancelToken);
            WaitForCompletion(single, () => ShowProgress(progress));
            try
            {
                outcomes.Add((request, single.GetAwaiter().GetResult(), null));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcomes.Add((request, null, ex));
            }
        }
        else
        {
            Task<IReadOnlyList<DownloadOutcome>> many = downloader.DownloadManyAsync(_requests, ThrottleLimit,
                new InlineProgress<BatchProgress>(p => _latestProgress = p), CancelToken);
            WaitForCompletion(many, () => ShowProgress(progress));
            foreach (DownloadOutcome o in many.GetAwaiter().GetResult()) outcomes.Add((o.Request, o.Result, o.Error));
        }

        foreach ((DownloadRequest request, DownloadResult? result, Exception? error) in outcomes)
        {
            if (result != null)
            {
                if (!result.Verified)
                    WriteWarning($"'{result.Path}' was NOT verified (-SkipVerification). Its SHA-256 is {result.Sha256}; pin it with -Sha256 {result.Sha256} once you trust it.");
                WriteObject(result);
            }
            else
            {
                WriteError(Errors.From(error!, UriText.Redact(request.Uris[0])));
            }
        }
    }

    /// <summary>Reads -SigstoreBundle (a file, or fetched over https) and the identity or key it must carry; any failure stops the command.</summary>
    private void LoadSigstoreBundle()
    {
        var options = new Core.Signatures.Sigstore.SigstorePolicyOptions
        {
            CertificateIdentity = CertificateIdentity, CertificateIdentityRegex = CertificateIdentityRegex, CertificateOidcIssuer = CertificateOidcIssuer,
        };
        if (SigstorePublicKey.Length > 0) options.PublicKeyFile = ResolveSingleFile(SigstorePublicKey, nameof(SigstorePublicKey));
        try
        {
            _sigstore = Core.Signatures.Sigstore.SigstoreRequirement.FromOptions(options);
        }
        catch (ArgumentException ex)
        {
            // As Test-SigstoreBundle and verify-bundle: the same parameter mistake, the same ErrorId.
            ThrowTerminatingError(Errors.SignatureParametersInvalid(ex.Message));
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, SigstoreBundle));
        }
        try
        {
            if (System.Uri.TryCreate(SigstoreBundle, UriKind.Absolute, out Uri? remote) && (remote.Scheme == System.Uri.UriSchemeHttps || remote.Scheme == System.Uri.UriSchemeHttp))
            {
                using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log, NoCache = true, AllowInsecureTransport = AllowInsecureTransport, Proxy = _proxy });
                // The bundle needs no pin: it is only data until it verifies against the trusted root and the identity. Capped before it is read.
                _sigstoreBundle = Wait(downloader.FetchSmallAsync(remote, Core.Signatures.Sigstore.SigstoreBundle.MaximumBytes, "Sigstore bundle", cancellationToken: CancelToken));
            }
            else
            {
                string local = remote is { IsFile: true } ? remote.LocalPath : ResolveSingleFile(SigstoreBundle, nameof(SigstoreBundle));
                _sigstoreBundle = Core.Signatures.Sigstore.SigstoreBundle.ReadFile(local, local);
            }
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, SigstoreBundle));
        }
        WriteVerbose($"The artifact's digest must be vouched for by the Sigstore bundle {SigstoreBundle}: {_sigstore!.Verifier.TrustedKeyDescription}.");
    }

    /// <summary>Throttled progress from the latest report of the core, written from the cmdlet's thread.</summary>
    private void ShowProgress(ThrottledProgress progress)
    {
        switch (_latestProgress)
        {
            case DownloadProgress p:
                progress.Update(Describe(p.BytesReceived, p.TotalBytes, p.BytesPerSecond), p.PercentComplete ?? -1, null, Seconds(p.Remaining));
                break;
            case BatchProgress b:
                progress.Update($"{b.Completed} of {b.Count} done; {Describe(b.BytesReceived, b.TotalBytes, b.BytesPerSecond)}",
                    b.TotalBytes is long t && t > 0 ? (int)(b.BytesReceived * 100 / t) : -1, null, Seconds(b.Remaining));
                break;
        }
    }

    private static string Describe(long received, long? total, double rate) =>
        $"{Mib(received)}{(total.HasValue ? " of " + Mib(total.Value) : "")} MiB at {rate / (1024 * 1024):0.0} MiB/s";

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("0.0", System.Globalization.CultureInfo.CurrentCulture);

    private static int Seconds(TimeSpan? remaining) => remaining.HasValue ? (int)Math.Min(int.MaxValue, remaining.Value.TotalSeconds) : -1;

    /// <summary>The token as text for the Authorization header only; it is never written to output, verbose or errors.</summary>
    private string? TokenText()
    {
        switch (Token is PSObject wrapped ? wrapped.BaseObject : Token)
        {
            case null:
                return null;
            case string text:
                return text.Length == 0 ? null : text;
            case SecureString secure:
                IntPtr pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
                try
                {
                    return Marshal.PtrToStringUni(pointer);
                }
                finally
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(pointer);
                }
            default:
                throw new ArgumentException("-Token takes a SecureString or a string.");
        }
    }
}
