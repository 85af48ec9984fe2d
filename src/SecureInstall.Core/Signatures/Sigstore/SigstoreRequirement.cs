using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Signatures.Sigstore;

/// <summary>
/// A Sigstore or GitHub-attestation requirement described by settings, as a manifest's <c>signature:</c> block and the
/// lock write them: <c>scheme: sigstore</c> with <c>identity</c> (or <c>identity_regex</c>) and <c>issuer</c>, or <c>key</c>
/// (a PEM file); <c>scheme: github-attestation</c> with <c>repository</c>, <c>owner</c>, <c>workflow</c>,
/// <c>predicate_type</c>, <c>deny_self_hosted_runners</c>; optional <c>trusted_root</c> (default: the shipped public-good
/// root) and <c>bundle</c> (the bundle's URL pattern; default <c>{url}.sigstore.json</c>; <c>{sha256}</c> the pinned digest). It verifies offline, against the
/// artifact's SHA-256, so the lock can keep the bundle and re-verify later with no network.
/// </summary>
public sealed class SigstoreRequirement
{
    private static readonly string[] Known =
    {
        "scheme", "identity", "identity_regex", "issuer", "key", "repository", "owner", "workflow", "predicate_type",
        "deny_self_hosted_runners", "trusted_root", "bundle",
    };

    // scheme: slsa-provenance (slsa-github-generator): the provenance's URL pattern, the source repository, the Rekor to ask.
    // builder: the trusted builder's identity (a whole-string regex), slsa-github-generator's SLSA3 workflows when absent.
    private static readonly string[] KnownSlsa = { "scheme", "provenance", "source_uri", "rekor", "builder", "trusted_root" };

    private SigstoreRequirement(SigstoreVerifier verifier, string bundlePattern, IReadOnlyDictionary<string, string> settings)
    {
        Verifier = verifier;
        BundlePattern = bundlePattern;
        Settings = settings;
    }

    public SigstoreVerifier Verifier { get; }

    /// <summary>Where the bundle is: {url} the artifact URL, {file} its name, {version} the version; relative to the artifact URL.</summary>
    public string BundlePattern { get; }

    /// <summary>The settings it was built from (key and trusted-root paths made absolute), as the lock records them.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary><c>scheme: slsa-provenance</c>: the Rekor that holds the provenance's log entries (<see cref="BundlePattern"/> is the provenance's URL); null otherwise.</summary>
    public Uri? Rekor { get; private set; }

    public static bool IsSigstoreScheme(string scheme) =>
        scheme.Trim().Equals("sigstore", StringComparison.OrdinalIgnoreCase) || scheme.Trim().Equals("github-attestation", StringComparison.OrdinalIgnoreCase)
        || IsSlsaScheme(scheme);

    private static bool IsSlsaScheme(string? scheme) => scheme != null && scheme.Trim().Equals("slsa-provenance", StringComparison.OrdinalIgnoreCase);

    /// <exception cref="SignatureFormatException">a setting is missing, unknown or malformed.</exception>
    public static SigstoreRequirement FromSettings(IReadOnlyDictionary<string, string> settings, string? baseDirectory, string where)
    {
        if (settings.TryGetValue("scheme", out string? scheme) && IsSlsaScheme(scheme)) return FromSlsaSettings(settings, baseDirectory, where);
        foreach (string name in settings.Keys)
        {
            if (!Known.Contains(name)) throw new SignatureFormatException(where, $"'{name}' is not a Sigstore setting (known: {string.Join(", ", Known)}).");
        }
        string? Get(string name) => settings.TryGetValue(name, out string? v) && v.Trim().Length > 0 ? v.Trim() : null;
        string Absolute(string path) => Path.IsPathRooted(path) || baseDirectory == null ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));
        var resolved = settings.ToDictionary(kv => kv.Key, kv => kv.Value);

        var options = new SigstorePolicyOptions
        {
            GitHubAttestation = (Get("scheme") ?? "sigstore").Equals("github-attestation", StringComparison.OrdinalIgnoreCase),
            CertificateIdentity = Get("identity"), CertificateIdentityRegex = Get("identity_regex"), CertificateOidcIssuer = Get("issuer"),
            Repository = Get("repository"), Owner = Get("owner"), SignerWorkflow = Get("workflow"), PredicateType = Get("predicate_type"),
            DenySelfHostedRunners = string.Equals(Get("deny_self_hosted_runners"), "true", StringComparison.OrdinalIgnoreCase),
        };
        if (Get("key") is string key) options.PublicKeyFile = resolved["key"] = Absolute(key);
        if (Get("trusted_root") is string rootPath) options.TrustedRootFile = resolved["trusted_root"] = Absolute(rootPath);
        SigstorePolicy policy;
        try
        {
            policy = options.CreatePolicy();
        }
        catch (ArgumentException ex)
        {
            throw new SignatureFormatException(where, ex.Message);
        }
        catch (IOException ex)
        {
            throw new SignatureFormatException(where, ex.Message);
        }
        return new SigstoreRequirement(new SigstoreVerifier(options.LoadTrustedRoot(), policy), Get("bundle") ?? "{url}.sigstore.json", resolved);
    }

    // slsa-github-generator provenance: the policy is SlsaProvenance's (a trusted builder, for source_uri); identity, key
    // or attestation settings are refused, not ignored: they would not be what decides.
    private static SigstoreRequirement FromSlsaSettings(IReadOnlyDictionary<string, string> settings, string? baseDirectory, string where)
    {
        foreach (string name in settings.Keys)
        {
            if (!KnownSlsa.Contains(name)) throw new SignatureFormatException(where, $"'{name}' is not a setting of scheme slsa-provenance (known: {string.Join(", ", KnownSlsa)}).");
        }
        string? Get(string name) => settings.TryGetValue(name, out string? v) && v.Trim().Length > 0 ? v.Trim() : null;
        var resolved = settings.ToDictionary(kv => kv.Key, kv => kv.Value);
        string provenance = Get("provenance") ?? throw new SignatureFormatException(where, "scheme slsa-provenance needs 'provenance': the URL pattern of the *.intoto.jsonl release asset.");
        string sourceUri = Get("source_uri") ?? throw new SignatureFormatException(where, "scheme slsa-provenance needs 'source_uri' (github.com/OWNER/REPO): without it any repository's build would do.");
        string rekorText = Get("rekor") ?? SlsaProvenance.DefaultRekor;
        if (!Uri.TryCreate(rekorText, UriKind.Absolute, out Uri? rekor) || rekor.Scheme != Uri.UriSchemeHttps || rekor.UserInfo.Length > 0 || rekor.Query.Length > 0 || rekor.Fragment.Length > 0)
            throw new SignatureFormatException(where, $"rekor '{rekorText}' is not an https URL (without credentials, query or fragment).");
        var options = new SigstorePolicyOptions();
        if (Get("trusted_root") is string rootPath)
            options.TrustedRootFile = resolved["trusted_root"] = Path.IsPathRooted(rootPath) || baseDirectory == null ? rootPath : Path.GetFullPath(Path.Combine(baseDirectory, rootPath));
        SigstorePolicy policy;
        try
        {
            policy = SlsaProvenance.Policy(sourceUri, Get("builder"));
        }
        catch (ArgumentException ex)
        {
            throw new SignatureFormatException(where, ex.Message);
        }
        return new SigstoreRequirement(new SigstoreVerifier(options.LoadTrustedRoot(), policy), provenance, resolved) { Rekor = rekor };
    }

    /// <summary>
    /// What to verify for an artifact: the bundle at <paramref name="bundleUri"/>, or for <c>slsa-provenance</c> the provenance
    /// there paired with its Rekor entries (looked up by <paramref name="sha256"/>, the pinned digest), as bundle JSON Lines
    /// (a file: URI, as a Save-PinnedTool bundle gives, already holds those bundles).
    /// </summary>
    public async Task<byte[]> FetchAsync(Downloads.VerifiedDownloader downloader, Uri bundleUri, string? sha256, CancellationToken cancellationToken)
    {
        if (downloader == null) throw new ArgumentNullException(nameof(downloader));
        // A file beside a Save-PinnedTool artifact holds the provenance already paired with its entries (what FetchAsync
        // returned when it was saved): it is verified as bundles, offline, like any other.
        // GitHub's attestations API may name each bundle by bundle_url: fetched and kept inline (AttestationBundleUrls).
        if (Rekor == null) return await AttestationBundleUrls.FetchAsync(downloader, bundleUri, cancellationToken).ConfigureAwait(false);
        if (bundleUri.IsFile)
            return await downloader.FetchSmallAsync(bundleUri, SigstoreBundle.MaximumBytes, "saved SLSA provenance", cancellationToken: cancellationToken).ConfigureAwait(false);
        byte[] digest = (sha256 == null ? null : Hex.TryDecode(sha256)) is { Length: 32 } d ? d
            : throw new SignatureFormatException(bundleUri.AbsoluteUri, "SLSA provenance is looked up in the transparency log by the artifact's sha256, and this artifact has no pinned sha256.");
        return await SlsaProvenance.FetchAsync(downloader, bundleUri, Rekor, SigstoreArtifact.FromDigest(digest), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A requirement for a bundle given by hand (Get-VerifiedArtifact -SigstoreBundle): no bundle pattern, no settings to record.</summary>
    /// <exception cref="ArgumentException">the options are not one policy (<see cref="SigstorePolicyOptions.CreatePolicy"/>).</exception>
    public static SigstoreRequirement FromOptions(SigstorePolicyOptions options)
    {
        if (options == null) throw new ArgumentNullException(nameof(options));
        SigstorePolicy policy = options.CreatePolicy();
        return new SigstoreRequirement(new SigstoreVerifier(options.LoadTrustedRoot(), policy), "{url}.sigstore.json", new Dictionary<string, string>());
    }

    /// <summary>The bundle's URL for an artifact; <paramref name="sha256"/> fills {sha256} (an attestation fetched by digest).</summary>
    public Uri BundleUri(Uri artifactUrl, string version, string where, string? sha256 = null) => SignatureUrlPattern.Expand(BundlePattern, artifactUrl, version, where, "bundle", sha256);

    /// <summary>
    /// Verifies bundle JSON, offline, against the artifact's pinned digests (<paramref name="pinned"/> and its companions:
    /// an npm provenance subject is matched by sha512, a message signature needs the SHA-256).
    /// </summary>
    /// <remarks>
    /// The JSON may be one bundle, a JSON Lines file of them (as <c>gh attestation download</c> saves) or the npm registry's
    /// attestations document (provenance and publish attestations): one that verifies under the policy is enough.
    /// </remarks>
    public SignatureResult Verify(byte[] bundleJson, string bundleSource, ChecksumEntry pinned, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SigstoreBundle> bundles = SigstoreBundle.ParseAll(bundleJson, bundleSource);
        return Verifier.VerifyAny(bundles, SigstoreArtifact.FromDigests(pinned), cancellationToken);
    }

    public string Describe(SignatureResult? verified) =>
        $"{(Rekor != null ? "SLSA provenance with its Rekor entry" : "Sigstore bundle")}, {Verifier.TrustedKeyDescription}{(verified?.Signer != null ? $"; signed by {verified.Signer}" : "")}{(verified?.LogIndex != null ? $", Rekor entry {verified.LogIndex}" : "")}";
}
