using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Catalogs.Winget;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Catalogs;

/// <summary>What Add-PinnedTool and <c>secureinstall add</c> ask for.</summary>
public sealed class CatalogAddRequest
{
    /// <summary>The manifest file to append to (created when missing).</summary>
    public string ManifestPath { get; set; } = string.Empty;

    /// <summary>The package: aqua "owner/name".</summary>
    public string Package { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;

    /// <summary>"aqua" (the default).</summary>
    public string From { get; set; } = "aqua";

    /// <summary>A registry checkout (folder) or the URL of its raw files; null: the public registry's main branch.</summary>
    public string? Registry { get; set; }

    /// <summary>Release download base (GitHub Enterprise Server, tests); null: https://github.com/ or https://$GH_HOST/.</summary>
    public Uri? GitHubBase { get; set; }
    public string? TrustOnFirstUseReason { get; set; }
    public bool WhatIf { get; set; }

    /// <summary>The trusted_root.json a signed checksum file's Sigstore bundle is verified against (a private Sigstore instance); null: public-good.</summary>
    public string? SigstoreTrustedRoot { get; set; }
}

/// <summary>What was (or would be) added: the entry per platform and the new manifest text.</summary>
public sealed class CatalogAddition
{
    public string Tool { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Catalog { get; internal set; } = string.Empty;
    public string Package { get; internal set; } = string.Empty;
    public string Definition { get; internal set; } = string.Empty;
    public string? DefinitionCommit { get; internal set; }
    public string ManifestPath { get; internal set; } = string.Empty;
    public IReadOnlyList<CatalogPin> Pins { get; internal set; } = Array.Empty<CatalogPin>();

    /// <summary>Platforms with no entry, and why.</summary>
    public IReadOnlyList<string> Skipped { get; internal set; } = Array.Empty<string>();

    /// <summary>Definition features not carried into the entry, by name.</summary>
    public IReadOnlyList<string> NotCarried { get; internal set; } = Array.Empty<string>();

    /// <summary>The signature policy carried into the entry ("minisign key RW…, {url}.minisig"), or null.</summary>
    public string? Signature { get; internal set; }

    /// <summary>The tool's block as appended.</summary>
    public string Entry { get; internal set; } = string.Empty;

    /// <summary>The whole new manifest text (null with WhatIf).</summary>
    public string? Text { get; internal set; }
}

/// <summary>
/// Add-PinnedTool's core: reads the package definition (a registry checkout or its raw files over https), renders each
/// platform's artifact by the definition's rules (<see cref="AquaResolver"/>), pins each one (<see cref="CatalogPinner"/>),
/// and appends one tool entry naming its source and the definition's commit (<see cref="ManifestUpdater.AddTool"/>).
/// Nothing is written here: the caller writes <see cref="CatalogAddition.Text"/> atomically.
/// </summary>
public sealed class CatalogToolAdder
{
    /// <summary>The public registry's raw files; a moving branch, which the entry's comment says.</summary>
    public static readonly Uri PublicAquaRegistry = new("https://raw.githubusercontent.com/aquaproj/aqua-registry/main/");

    private readonly VerifiedDownloader _downloader;
    private readonly Action<string> _log;

    public CatalogToolAdder(VerifiedDownloader downloader, Action<string>? log = null)
    {
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
        _log = log ?? (_ => { });
    }

    /// <summary>Whether -Registry names the registry's raw files over the network (null: the public one) rather than a checkout folder.</summary>
    public static bool IsRegistryUrl(string? registry) =>
        registry == null || (Uri.TryCreate(registry, UriKind.Absolute, out Uri? given) && given.Scheme is "https" or "http");

    /// <summary>The release base: the one given, else https://$GH_HOST/, else https://github.com/.</summary>
    public static Uri GitHubBaseFrom(Uri? given, string? ghHost)
    {
        if (given != null) return given;
        if (!string.IsNullOrWhiteSpace(ghHost))
        {
            string host = ghHost!.Trim();
            if (!Uri.TryCreate("https://" + host + "/", UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0 || host.IndexOfAny(new[] { '/', '?', '#', '@' }) >= 0)
                throw new ArgumentException($"GH_HOST '{ghHost}' is not a host name.");
            return uri;
        }
        return AquaResolver.DefaultGitHubBase;
    }

    public async Task<CatalogAddition> AddAsync(CatalogAddRequest request, CancellationToken cancellationToken)
    {
        (CatalogResolution resolution, IReadOnlyList<CatalogPin> pins) = await ResolveAndPinAsync(request, cancellationToken).ConfigureAwait(false);

        // One line per feature: the platforms it concerns are named only when it is not all of them.
        var notCarried = resolution.Artifacts.SelectMany(a => a.NotCarried.Select(n => (a.Platform, Note: n))).GroupBy(x => x.Note)
            .Select(g => g.Count() == resolution.Artifacts.Count ? g.Key : $"{g.Key} ({string.Join(", ", g.Select(x => x.Platform))})").ToList();
        IReadOnlyDictionary<string, string>? signature = CommonSignature(resolution, notCarried);
        string block = CatalogEntryText.Render(resolution, pins, signature, notCarried);
        var addition = new CatalogAddition
        {
            Tool = resolution.ToolName, Version = resolution.Version, Catalog = resolution.Catalog, Package = resolution.Package,
            Definition = resolution.DefinitionSource, DefinitionCommit = resolution.DefinitionCommit, ManifestPath = request.ManifestPath, Pins = pins,
            Skipped = resolution.Skipped.Select(s => s.Key + ": " + s.Value).ToList(), NotCarried = notCarried,
            Signature = signature == null ? null : string.Join(", ", signature.Select(kv => kv.Key + " " + kv.Value)), Entry = block,
        };
        if (request.WhatIf) return addition;
        string? existing = File.Exists(request.ManifestPath) ? YamlBounds.ReadFile(request.ManifestPath, ManifestReader.MaximumBytes) : null;
        addition.Text = ManifestUpdater.AddTool(existing, request.ManifestPath, Path.GetDirectoryName(Path.GetFullPath(request.ManifestPath)), resolution.ToolName, block);
        return addition;
    }

    /// <summary>
    /// Update-PinnedToolManifest for an entry added from a catalog (<c>catalog: aqua owner/name</c>): the new version resolved
    /// and pinned from the same source, added as a version block; an already-pinned version whose digest the publisher's
    /// file now contradicts is refused (<see cref="PinnedDigestChangedException"/>).
    /// </summary>
    public async Task<ManifestUpdate> UpdateAsync(CatalogAddRequest request, string toolName, string manifestText, CancellationToken cancellationToken)
    {
        if (manifestText == null) throw new ArgumentNullException(nameof(manifestText));
        (CatalogResolution resolution, IReadOnlyList<CatalogPin> pins) = await ResolveAndPinAsync(request, cancellationToken).ConfigureAwait(false);
        var digests = pins.ToDictionary(p => p.Platform, p => p.Sha256 ?? p.Integrity ?? string.Empty);
        return ManifestUpdater.AddVersionBlock(manifestText, request.ManifestPath, Path.GetDirectoryName(Path.GetFullPath(request.ManifestPath)), toolName, request.Version,
            CatalogEntryText.RenderVersion(resolution, pins), digests, $"{resolution.Catalog} {resolution.Package} ({resolution.DefinitionSource})");
    }

    private async Task<(CatalogResolution, IReadOnlyList<CatalogPin>)> ResolveAndPinAsync(CatalogAddRequest request, CancellationToken cancellationToken)
    {
        if (request == null) throw new ArgumentNullException(nameof(request));
        CatalogResolution resolution;
        if (string.Equals(request.From, "winget", StringComparison.OrdinalIgnoreCase))
        {
            // winget-pkgs is read from a checkout: -Registry names it (a URL would need the raw files of one commit).
            if (IsRegistryUrl(request.Registry))
                throw new CatalogException(ErrorIds.CatalogPackageNotFound, request.Package, "-From winget reads a winget-pkgs checkout: give its folder with -Registry.");
            string root = Path.GetFullPath(request.Registry!);
            string folder = Path.Combine(root, WingetResolver.RelativeFolderOf(request.Package, request.Version).Replace('/', Path.DirectorySeparatorChar));
            if (!Directory.Exists(folder)) throw new CatalogException(ErrorIds.CatalogPackageNotFound, folder, $"the checkout has no {request.Package} {request.Version}.");
            resolution = WingetResolver.ResolveFolder(folder, request.Package, request.Version, AquaDefinition.CheckoutCommit(root));
        }
        else if (string.Equals(request.From, "aqua", StringComparison.OrdinalIgnoreCase))
        {
            AquaDefinition definition = await LoadAquaAsync(request.Registry, request.Package, cancellationToken).ConfigureAwait(false);
            resolution = AquaResolver.Resolve(definition, request.Version, request.GitHubBase ?? AquaResolver.DefaultGitHubBase);
        }
        else
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, request.Package, $"the catalog '{request.From}' is not one SecureInstall reads (aqua, winget).");
        }
        foreach (var skipped in resolution.Skipped) _log($"{skipped.Key}: no entry: {skipped.Value}.");
        IReadOnlyList<CatalogPin> pins = await new CatalogPinner(_downloader, _log)
            .PinAsync(resolution, new CatalogPinOptions { TrustOnFirstUseReason = request.TrustOnFirstUseReason, WhatIf = request.WhatIf, SigstoreTrustedRoot = request.SigstoreTrustedRoot }, cancellationToken)
            .ConfigureAwait(false);
        return (resolution, pins);
    }

    /// <summary>The manifest's signature block is per tool: carried only when every platform states the same policy.</summary>
    private static IReadOnlyDictionary<string, string>? CommonSignature(CatalogResolution resolution, List<string> notCarried)
    {
        var policies = resolution.Artifacts.Select(a => a.Signature).ToList();
        if (policies.All(p => p == null)) return null;
        IReadOnlyDictionary<string, string>? first = policies[0];
        if (first != null && policies.All(p => p != null && p.Count == first.Count && p.All(kv => first.TryGetValue(kv.Key, out string? v) && v == kv.Value))) return first;
        notCarried.Add($"signature: the platforms state different signature policies ({string.Join("; ", resolution.Artifacts.Select(a => a.Platform + " " + (a.Signature == null ? "none" : a.Signature["scheme"])))}), and a manifest states one per tool");
        return null;
    }

    private async Task<AquaDefinition> LoadAquaAsync(string? registry, string package, CancellationToken cancellationToken)
    {
        string relative = AquaDefinition.RelativePathOf(package);
        if (!IsRegistryUrl(registry))
        {
            string root = Path.GetFullPath(registry!);
            if (!Directory.Exists(root)) throw new CatalogException(ErrorIds.CatalogPackageNotFound, root, "is not an aqua registry checkout (no such folder).");
            string path = Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));
            if (!File.Exists(path)) throw new CatalogException(ErrorIds.CatalogPackageNotFound, path, $"the registry has no package {package}.");
            string text = YamlBounds.ReadFile(path, AquaDefinition.MaximumBytes);
            return AquaDefinition.Parse(text, path, package, AquaDefinition.CheckoutCommit(root) ?? CorpusCommit(root));
        }
        Uri baseUri = registry == null ? PublicAquaRegistry : new Uri(registry.EndsWith("/", StringComparison.Ordinal) ? registry : registry + "/");
        Uri uri = new(baseUri, relative);
        byte[] bytes;
        try
        {
            bytes = await _downloader.FetchSmallAsync(uri, AquaDefinition.MaximumBytes, "aqua package definition", cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (DownloadFailedException ex) when (ex.StatusCode == 404)
        {
            throw new CatalogException(ErrorIds.CatalogPackageNotFound, UriText.Redact(uri), $"the registry has no package {package}.", ex);
        }
        return AquaDefinition.Parse(ChecksumListParser.Decode(bytes, bytes.Length), UriText.Redact(uri), package,
            registry == null ? "main (a moving branch: pin -Registry to a commit's raw URL to name one)" : null);
    }

    /// <summary>A snapshot that is not a git checkout may say its commit in INDEX.md ("snapshot commit `…`"), as the test corpus does.</summary>
    private static string? CorpusCommit(string root)
    {
        string index = Path.Combine(root, "INDEX.md");
        if (!File.Exists(index)) return null;
        var m = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(index), @"snapshot commit `([0-9a-f]{40})`");
        return m.Success ? m.Groups[1].Value : null;
    }
}
