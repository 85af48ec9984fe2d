namespace SecureInstall.Core.Manifests;

/// <summary>The platforms a native manifest names artifacts for, as "os-arch".</summary>
public static class Platforms
{
    public static readonly IReadOnlyList<string> Known = new[] { "windows-x64", "windows-arm64", "linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64" };

    /// <summary>Artifacts of the clauded layout name no platform: they serve whatever machine reads them.</summary>
    public const string Any = "any";

    /// <summary>This machine's platform in manifest spelling.</summary>
    public static string Current
    {
        get
        {
            string os = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows) ? "windows"
                : System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.OSX) ? "darwin" : "linux";
            string arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
            {
                System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
                _ => "x64",
            };
            return os + "-" + arch;
        }
    }

    /// <summary>
    /// A platform a user typed, in manifest spelling (<see cref="Normalize"/>); one the rules cannot read is an
    /// ArgumentException naming the known ones. Both front ends read -Platform / --platform through here.
    /// </summary>
    public static string Parse(string value) =>
        (value == null ? null : Normalize(value)) ?? throw new ArgumentException($"'{value}' is not a platform (one of {string.Join(", ", Known)}).");

    /// <summary>Reads the spellings met in the wild (linux-aarch64, linux_amd64, macos-arm64, win-x64) into the manifest's.</summary>
    public static string? Normalize(string value)
    {
        string v = value.Trim().ToLowerInvariant().Replace('_', '-');
        int dash = v.IndexOf('-');
        if (dash <= 0) return v == Any ? Any : null;
        string os = v.Substring(0, dash), arch = v.Substring(dash + 1);
        os = os switch { "win" or "windows" => "windows", "linux" => "linux", "darwin" or "macos" or "osx" or "mac" => "darwin", _ => "" };
        arch = arch switch { "x64" or "amd64" or "x86-64" => "x64", "arm64" or "aarch64" => "arm64", _ => "" };
        return os.Length == 0 || arch.Length == 0 ? null : os + "-" + arch;
    }
}

/// <summary>How an artifact is unpacked.</summary>
public enum ArtifactKind
{
    /// <summary>Decided from the URL's extension, then from the content.</summary>
    Auto,
    /// <summary>A plain executable: copied, not extracted.</summary>
    Binary,
    Zip,
    Tar,
    TarGz,
    TarXz,
    TarBz2,
    TarZst,
}

/// <summary>One downloadable file of a pinned version for one platform.</summary>
public sealed class PinnedArtifact
{
    public string Platform { get; set; } = Platforms.Any;
    public Uri Url { get; set; } = null!;

    /// <summary>The url: exactly as the manifest writes it when it is relative to the manifest ("./dist/x.tgz"), else null.</summary>
    public string? RelativeUrl { get; set; }

    /// <summary>The URL as a lock records it, the same on every machine: a relative url as written, else the absolute URL.</summary>
    public string LockUrl => RelativeUrl ?? Url.AbsoluteUri;

    /// <summary>
    /// A URL derived from this artifact's (its signature's), as a lock records it: for an artifact the manifest gives relative
    /// to its folder (<paramref name="manifestFolder"/>), a file: URL below that folder is written relative to it too
    /// ("./dist/x.minisig"), as the manifest would; anything else as the absolute URL.
    /// </summary>
    public string LockUrlOf(Uri derived, string? manifestFolder)
    {
        if (derived == null) throw new ArgumentNullException(nameof(derived));
        if (RelativeUrl == null || manifestFolder == null || !derived.IsFile) return derived.AbsoluteUri;
        var folder = new Uri(System.IO.Path.GetFullPath(manifestFolder).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar);
        string relative = Uri.UnescapeDataString(folder.MakeRelativeUri(derived).OriginalString);
        return relative.StartsWith("../", StringComparison.Ordinal) || relative.IndexOf(':') >= 0 ? derived.AbsoluteUri : "./" + relative;
    }

    public IReadOnlyList<Uri> Mirrors { get; set; } = Array.Empty<Uri>();

    /// <summary>Lower-case hex SHA-256 (the manifest's <c>sha256:</c>), or null when it gives none.</summary>
    public string? Sha256 { get; set; }

    /// <summary>
    /// The manifest's <c>integrity:</c> (Subresource Integrity, as npm/yarn/pnpm lock files write it: "sha512-BASE64", several
    /// hashes separated by spaces): the strongest hash, the others as companions. Null when it gives none.
    /// </summary>
    public Checksums.ChecksumEntry? Integrity { get; set; }

    /// <summary>
    /// The manifest's <c>trusted_on_first_use:</c> reason as a waiver of <see cref="ErrorIds.CatalogEntryUnpinned"/>: the digest is
    /// what arrived when the entry was added, not what the publisher vouches for. Installing this artifact records it in the lock.
    /// </summary>
    public Waiver? TrustedOnFirstUse { get; set; }

    /// <summary>True when a digest pins the bytes (sha256: or integrity:); false for a waived entry.</summary>
    public bool IsPinned => Sha256 != null || Integrity != null;

    /// <summary>
    /// Every digest the manifest pins, as one entry to check (the strongest first, the others as companions checked in the
    /// same pass: any that disagrees is a mismatch), or null for a waived entry.
    /// </summary>
    public Checksums.ChecksumEntry? Expected(string source) => Checksums.ChecksumEntry.Combine(
        new[] { Sha256 == null ? null : Checksums.ChecksumEntry.FromDigest(Sha256, Checksums.ChecksumAlgorithm.SHA256, source), Integrity }, source);

    /// <summary>The integrity value in canonical SRI spelling ("sha512-BASE64", hashes in the order given), or null.</summary>
    public string? IntegrityText => Integrity == null ? null : string.Join(" ", new[] { Integrity }.Concat(Integrity.Companions).Select(SriOf));

    /// <summary>How the pin reads in a message: "sha256 HEX", "sha512 HEX", or "(none)".</summary>
    public string DescribePin() => Sha256 != null ? "sha256 " + Sha256 : Integrity != null ? IntegrityText! : "(none)";

    private static string SriOf(Checksums.ChecksumEntry e) =>
        Checksums.ChecksumAlgorithms.LowerName(e.Algorithm) + "-" + Convert.ToBase64String(Checksums.Hex.TryDecode(e.Digest)!);

    public long? Size { get; set; }
    public ArtifactKind Kind { get; set; } = ArtifactKind.Auto;
    public int StripComponents { get; set; }

    /// <summary>Executables inside the installed tree (relative paths) that get a shim in the bin folder.</summary>
    public IReadOnlyList<string> Executables { get; set; } = Array.Empty<string>();

    /// <summary>The manifest's <c>installer:</c> block: the artifact is a setup program run on Windows, or null.</summary>
    public PinnedInstaller? Installer { get; set; }

    /// <summary>The manifest line the artifact is declared on, for messages.</summary>
    public int Line { get; set; }
}

/// <summary>An explicit, reasoned exception to a fail-closed rule, printed at install and recorded in the lock.</summary>
public sealed class Waiver
{
    public Waiver(string rule, string reason, int line)
    {
        Rule = rule;
        Reason = reason;
        Line = line;
    }

    /// <summary>The ErrorId of the rule waived, e.g. ManifestEntryUnpinned.</summary>
    public string Rule { get; }
    public string Reason { get; }
    public int Line { get; }

    public override string ToString() => $"{Rule} waived (line {Line}): {Reason}";
}

/// <summary>One version of a tool: the key the manifest uses ("22") and the exact version it resolves to ("22.22.0").</summary>
public sealed class PinnedVersion
{
    public string Key { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;
    public List<PinnedArtifact> Artifacts { get; } = new();
    public List<Waiver> Waivers { get; } = new();

    /// <summary>Rule violations found while reading; installing this version fails with the first one.</summary>
    public List<ManifestRuleException> Problems { get; } = new();

    public int Line { get; set; }

    /// <summary>The artifact for <paramref name="platform"/>, falling back to a platform-less one.</summary>
    public PinnedArtifact? ArtifactFor(string platform)
    {
        foreach (PinnedArtifact a in Artifacts) if (a.Platform == platform) return a;
        foreach (PinnedArtifact a in Artifacts) if (a.Platform == Platforms.Any) return a;
        return null;
    }
}

/// <summary>A signature or provenance requirement for a tool (filled in by the signature issues).</summary>
public sealed class SignaturePolicy
{
    public string Scheme { get; set; } = string.Empty;
    public IReadOnlyDictionary<string, string> Settings { get; set; } = new Dictionary<string, string>();
    public int Line { get; set; }

    /// <summary>The manifest's folder: a relative key path in <see cref="Settings"/> is read from here.</summary>
    public string? BaseDirectory { get; set; }
}

public sealed class PinnedTool
{
    public string Name { get; set; } = string.Empty;
    public string? DefaultVersion { get; set; }

    /// <summary>Versions by the key the manifest uses, in manifest order.</summary>
    public List<PinnedVersion> Versions { get; } = new();

    /// <summary>The publisher's checksum list URL; "{version}" is replaced (used by Update-PinnedToolManifest).</summary>
    public string? ChecksumsUrl { get; set; }

    public SignaturePolicy? Signature { get; set; }
    public int Line { get; set; }

    /// <summary>The catalog entry it was added from ("aqua cli/cli"), or null; Update-PinnedToolManifest pins new versions from there.</summary>
    public string? Catalog { get; set; }

    /// <summary>Commands (shim names) this tool owns when another tool's bin entry has the same name (owns_shims).</summary>
    public IReadOnlyList<string> OwnsShims { get; set; } = Array.Empty<string>();

    /// <summary>A version by its key or its exact version; without one, the default (or the only) version.</summary>
    public PinnedVersion? Resolve(string? version)
    {
        if (version == null)
        {
            if (DefaultVersion != null) return Resolve(DefaultVersion);
            return Versions.Count == 1 ? Versions[0] : null;
        }
        foreach (PinnedVersion v in Versions) if (v.Key == version) return v;
        foreach (PinnedVersion v in Versions) if (v.Version == version) return v;
        return null;
    }
}

/// <summary>A whole manifest: the tools it pins, in file order.</summary>
public sealed class PinnedManifest
{
    public string Source { get; set; } = string.Empty;

    /// <summary>"native" (tools: …) or "clauded" (the downloads.yml layout).</summary>
    public string Layout { get; set; } = "native";

    public List<PinnedTool> Tools { get; } = new();

    /// <summary>The PowerShell modules the manifest pins under <c>modules:</c>, in file order (issue 22).</summary>
    public List<PinnedModule> Modules { get; } = new();

    public PinnedModule? FindModule(string name)
    {
        foreach (PinnedModule m in Modules) if (string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)) return m;
        return null;
    }

    public PinnedTool? Find(string name)
    {
        foreach (PinnedTool t in Tools) if (string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) return t;
        return null;
    }
}
