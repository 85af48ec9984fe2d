using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Manifests;

/// <summary>
/// One PowerShell module a manifest pins under <c>modules:</c>: the exact version, the SHA-512 of its .nupkg (as NuGet
/// itself records a package's hash), and the feed it comes from (a NuGet v2 endpoint such as the Gallery's /api/v2, or a
/// v3 service index ending in index.json).
/// </summary>
public sealed class PinnedModule
{
    public string Name { get; set; } = string.Empty;

    /// <summary>The exact version, as the feed spells it ("1.23.0", "2.0.0-beta1").</summary>
    public string Version { get; set; } = string.Empty;

    /// <summary>The .nupkg's SHA-512 (the manifest may write it as hex or as the base64 NuGet and lock files use).</summary>
    public ChecksumEntry? Sha512 { get; set; }

    /// <summary>The feed: a v3 service index (…/index.json) or a v2 endpoint (…/api/v2).</summary>
    public Uri Source { get; set; } = null!;

    /// <summary>CurrentUser or AllUsers when the manifest says; null lets the front end choose.</summary>
    public string? Scope { get; set; }

    /// <summary>The Authenticode signer the module's files must carry (recorded; checked where Authenticode is available).</summary>
    public string? Signature { get; set; }

    /// <summary>The <c>signature:</c> as an Authenticode policy (a thumbprint or subject scalar, or the tool's mapping form); null when none.</summary>
    public SignaturePolicy? SignaturePolicy { get; set; }

    public int Line { get; set; }

    /// <summary>Rule violations found while reading (no digest, a moving version, plain http); installing the module fails with the first.</summary>
    public System.Collections.Generic.List<ManifestRuleException> Problems { get; } = new();

    /// <summary>The digest in lower-case hex, as the lock records it.</summary>
    public string Sha512Hex => Sha512?.Digest ?? string.Empty;

    public override string ToString() => $"{Name} {Version}";
}
