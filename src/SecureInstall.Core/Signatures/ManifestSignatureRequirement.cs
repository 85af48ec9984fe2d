using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Signatures;

/// <summary>
/// What a manifest's per-tool <c>signature:</c> block requires of an artifact: the verifier holding the pinned key and
/// the URL of the artifact's detached signature. The block:
/// <code>
/// signature:
///   scheme: minisign            # or openpgp
///   key: RWQf6LRC…              # minisign key, or a key file relative to the manifest (openpgp: armored or binary)
///   fingerprint: 338A…DD4B      # openpgp: pin the primary key (recommended)
///   url: "{url}.minisig"        # signature URL; {url} the artifact URL, {file} its file name, {version} the version
/// </code>
/// Anything missing or unknown fails: a policy that cannot be enforced never lets an install through unsigned.
/// </summary>
public sealed class ManifestSignatureRequirement
{
    private ManifestSignatureRequirement(DetachedSignatureVerifier verifier, Uri signatureUri)
    {
        Verifier = verifier;
        SignatureUri = signatureUri;
    }

    public DetachedSignatureVerifier Verifier { get; }
    public Uri SignatureUri { get; }

    /// <summary>The same key, with the signature fetched from elsewhere (an offline bundle).</summary>
    public ManifestSignatureRequirement WithSignatureUri(Uri signatureUri) => new(Verifier, signatureUri);

    /// <summary>The signature's file name, as a bundle stores it beside the artifact.</summary>
    public string SignatureFileName => Uri.UnescapeDataString(SignatureUri.Segments[SignatureUri.Segments.Length - 1]).Trim('/');

    /// <summary>How the lock and the plan name it: "minisign signature URL, key E762…".</summary>
    /// <param name="url">The signature's URL as it is to be read, when not <see cref="SignatureUri"/> (the lock's form of it).</param>
    public string Describe(SignatureResult? verified, string? url = null) =>
        $"{Verifier.Scheme} signature {url ?? SignatureUri.AbsoluteUri}, {(verified != null ? $"key {verified.KeyId}{(verified.Fingerprint != null && verified.Fingerprint != verified.KeyId ? " (" + verified.Fingerprint + ")" : "")}" : Verifier.TrustedKeyDescription)}";

    /// <exception cref="SignatureFormatException">the block names no key, an unknown scheme, or a bad URL pattern.</exception>
    /// <exception cref="SignatureNotSupportedException">the scheme is one this version cannot check (authenticode, sigstore, …).</exception>
    /// <exception cref="PublicKeyFormatException">the key cannot be read.</exception>
    public static ManifestSignatureRequirement Resolve(SignaturePolicy policy, string tool, string version, Uri artifactUrl)
    {
        if (policy == null) throw new ArgumentNullException(nameof(policy));
        if (artifactUrl == null) throw new ArgumentNullException(nameof(artifactUrl));
        string where = $"{tool}: signature (line {policy.Line})";
        string scheme = policy.Scheme.Trim().ToLowerInvariant();
        string? key = Setting(policy, "key");
        if (scheme is not ("minisign" or "openpgp"))
        {
            if (scheme.Length == 0) throw new SignatureFormatException(where, "names no scheme (minisign or openpgp).");
            throw new SignatureNotSupportedException(tool, $"the manifest requires a '{policy.Scheme}' signature, which this version cannot verify for installs (it checks minisign and openpgp)");
        }
        if (key == null) throw new SignatureFormatException(where, "names no key: give the publisher's public key (key: …).");

        DetachedSignatureVerifier verifier;
        if (scheme == "minisign")
        {
            string keyFile = KeyPath(policy, key);
            verifier = new MinisignVerifier(key.StartsWith("RW", StringComparison.Ordinal) && !File.Exists(keyFile)
                ? MinisignPublicKey.Parse(key, where + " key")
                : MinisignPublicKey.FromFile(keyFile));
        }
        else
        {
            string keyFile = KeyPath(policy, key);
            if (!File.Exists(keyFile)) throw new PublicKeyFormatException(where, $"the key file '{keyFile}' does not exist.");
            verifier = new OpenPgpVerifier(OpenPgpKeyRing.FromFile(keyFile), new OpenPgpVerifierOptions { Fingerprint = Setting(policy, "fingerprint") });
        }

        string pattern = Setting(policy, "url") ?? (scheme == "minisign" ? "{url}.minisig" : throw new SignatureFormatException(where, "names no signature url (url: \"{url}.sig\", or the publisher's pattern)."));
        return new ManifestSignatureRequirement(verifier, SignatureUrlPattern.Expand(pattern, artifactUrl, version, where, "signature"));
    }

    internal static string? Setting(SignaturePolicy policy, string name) =>
        policy.Settings.TryGetValue(name, out string? value) && value.Trim().Length > 0 ? value.Trim() : null;

    internal static string KeyPath(SignaturePolicy policy, string key) =>
        Path.IsPathRooted(key) || policy.BaseDirectory == null ? key : Path.Combine(policy.BaseDirectory, key);
}
