using System.Text.Json;
using System.Xml;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Modules;

/// <summary>One module pin an update writes (or finds already written).</summary>
public sealed class ModulePinUpdate
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;

    /// <summary>The version pinned before, empty when the module was not pinned.</summary>
    public string FromVersion { get; internal set; } = string.Empty;

    /// <summary>"added", "updated" or "unchanged".</summary>
    public string Change { get; internal set; } = string.Empty;

    public string Sha512 { get; internal set; } = string.Empty;
    public string Source { get; internal set; } = string.Empty;

    /// <summary>Pinned because another module of the update depends on it.</summary>
    public bool IsDependency { get; internal set; }

    /// <summary>Its .nuspec dependencies, as the package declares them ("Id range").</summary>
    public IReadOnlyList<string> Dependencies { get; internal set; } = Array.Empty<string>();
}

/// <summary>What an update would write: each pin, and the whole new manifest text.</summary>
public sealed class ModuleManifestUpdate
{
    public IReadOnlyList<ModulePinUpdate> Pins { get; internal set; } = Array.Empty<ModulePinUpdate>();
    public string Text { get; internal set; } = string.Empty;
    public bool Changed => Pins.Any(p => p.Change != "unchanged");
}

/// <summary>
/// Pins a module version from its feed, with its dependencies: the versions come from the feed (v3: the flat container's
/// &lt;id&gt;/index.json; v2: OData FindPackagesById()), each .nupkg is fetched through the verified downloader (its size
/// capped) and its SHA-512 computed, its .nuspec read for dependencies, each dependency range resolved to the highest
/// version the feed has in it (what PSResourceGet installs for a range), transitively. The manifest's YAML is then edited
/// as text, as <see cref="ManifestUpdater"/> does for tools: a pinned module's version and sha512 values replaced in place,
/// a new one appended to modules:, comments and formatting kept; a version already pinned whose feed bytes changed is
/// refused (<see cref="PinnedDigestChangedException"/>). The result is read back before it is returned.
/// </summary>
public sealed class ModuleManifestUpdater
{
    /// <summary>A version list (a v3 flat container index, a v2 OData page) is small; the Gallery's largest are a few hundred KiB.</summary>
    public const long MaximumListBytes = 8L * 1024 * 1024;

    /// <summary>How many modules one update may pin (the module and its dependency closure).</summary>
    public const int MaximumModules = 100;

    private readonly VerifiedDownloader _downloader;
    private readonly string? _token;
    private string _work = string.Empty;

    /// <param name="downloader">Its options cap the .nupkg size; the caller bypasses the cache (NoCache) so the feed's current bytes are hashed.</param>
    /// <param name="token">Sent to the feed's own host only.</param>
    public ModuleManifestUpdater(VerifiedDownloader downloader, string? token)
    {
        _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));
        _token = token;
    }

    /// <summary>
    /// Resolves <paramref name="name"/> (at <paramref name="version"/>, else the feed's highest release) and its dependencies
    /// on <paramref name="source"/>, and returns the manifest text with their pins.
    /// </summary>
    public async Task<ModuleManifestUpdate> UpdateAsync(string manifestText, string manifestSource, string? baseDirectory, string name, string? version, Uri? source,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        if (source != null && !source.IsAbsoluteUri)
            throw new ModuleException(ErrorIds.InvalidUri, FailureKind.InvalidArgument, name, $"the feed '{source.OriginalString}' is not an absolute URL (a NuGet v2 endpoint or a v3 index.json).");
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(manifestText), manifestSource, baseDirectory);
        // A private folder (0700) for the downloads and the .nuspec reads, gone however the update ends.
        _work = Path.Combine(Path.GetTempPath(), "secureinstall-modupd-" + Guid.NewGuid().ToString("N"));
        UnixFileSystem.CreateDirectory(_work, 0x1C0);
        try
        {
            return await ResolveAsync(manifestText, manifestSource, baseDirectory, manifest, name, version, source, log, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            BestEffort.DeleteTree(_work);
        }
    }

    private async Task<ModuleManifestUpdate> ResolveAsync(string manifestText, string manifestSource, string? baseDirectory, PinnedManifest manifest, string name, string? version, Uri? source,
        Action<string>? log, CancellationToken cancellationToken)
    {
        PinnedModule? current = manifest.FindModule(name);
        Uri feed = source ?? current?.Source
            ?? throw new ModuleException(ErrorIds.ModuleNotInManifest, FailureKind.InvalidArgument, name,
                $"{manifestSource} pins no module '{name}', so there is no feed to resolve it from: pass -Source (a NuGet v2 endpoint or a v3 index.json).");
        if (feed.Scheme != Uri.UriSchemeHttps && !feed.IsFile)
            throw new ModuleException(ErrorIds.ManifestInsecureUrl, FailureKind.Security, name, $"the feed {UriText.Redact(feed)} is not https: a package found over it proves nothing.");

        var pins = new List<ModulePinUpdate>();
        var queue = new Queue<(string Id, string? Version, string? Range, bool Dependency)>();
        queue.Enqueue((name, version, null, false));
        while (queue.Count > 0)
        {
            (string id, string? exact, string? range, bool dependency) = queue.Dequeue();
            if (pins.Any(p => string.Equals(p.Name, id, StringComparison.OrdinalIgnoreCase))) continue;
            if (pins.Count >= MaximumModules)
                throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, name, $"{name} pulls in more than {MaximumModules} modules; refused as no real module needs that many.");
            PackageVersion chosen = exact != null
                ? PackageVersion.TryParse(exact) ?? throw new ModuleException(ErrorIds.ManifestVersionNotPinned, FailureKind.InvalidArgument, id, $"'{exact}' is not a package version.")
                : await HighestAsync(feed, id, range, cancellationToken).ConfigureAwait(false);
            (string sha512, NuSpec spec) = await FetchAsync(feed, id, chosen, cancellationToken).ConfigureAwait(false);
            log?.Invoke($"{id} {chosen.Normalized}: sha512 {sha512} from {UriText.Redact(feed)}{(range != null ? $" (the highest version in {range})" : "")}; depends on {(spec.Dependencies.Count == 0 ? "nothing" : string.Join(", ", spec.Dependencies))}.");
            pins.Add(new ModulePinUpdate
            {
                Name = manifest.FindModule(id)?.Name ?? spec.Id, Version = chosen.Normalized, Sha512 = sha512, Source = feed.AbsoluteUri, IsDependency = dependency,
                Dependencies = spec.Dependencies.Select(d => d.ToString()).ToList(),
            });
            foreach (NuSpecDependency d in spec.Dependencies) queue.Enqueue((d.Id, null, d.Range, true));
        }
        string text = Apply(manifestText, manifestSource, baseDirectory, manifest, pins);
        return new ModuleManifestUpdate { Pins = pins, Text = text };
    }

    /// <summary>The highest release version of <paramref name="id"/> on the feed inside <paramref name="range"/> (any when null).</summary>
    private async Task<PackageVersion> HighestAsync(Uri feed, string id, string? range, CancellationToken cancellationToken)
    {
        IReadOnlyList<PackageVersion> versions = await VersionsAsync(feed, id, cancellationToken).ConfigureAwait(false);
        PackageVersion? best = versions.Where(v => v.Prerelease.Length == 0 && (range == null || v.Satisfies(range) == true)).OrderByDescending(v => v, Comparer<PackageVersion>.Create((a, b) => a.CompareTo(b))).FirstOrDefault();
        return best ?? throw new ModuleException(ErrorIds.ModuleNotInManifest, FailureKind.NotFound, id,
            $"the feed {UriText.Redact(feed)} has no release of {id}{(range != null ? $" in {range}" : "")} (it lists {versions.Count} version(s)).");
    }

    /// <summary>The versions the feed lists for <paramref name="id"/>.</summary>
    public async Task<IReadOnlyList<PackageVersion>> VersionsAsync(Uri feed, string id, CancellationToken cancellationToken)
    {
        if (NuGetFeed.IsV3(feed))
        {
            Uri flat = await NuGetFeed.FlatContainerAsync(feed, _downloader, _token, cancellationToken).ConfigureAwait(false);
            Uri index = new(new Uri(flat.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? flat.AbsoluteUri : flat.AbsoluteUri + "/"), Uri.EscapeDataString(id.ToLowerInvariant()) + "/index.json");
            byte[] json = await _downloader.FetchSmallAsync(index, MaximumListBytes, "NuGet flat container version list", TokenFor(index, feed), cancellationToken).ConfigureAwait(false);
            return ParseFlatIndex(json, index);
        }
        // The Gallery answers a page of 100 entries and a rel="next" link: follow it, on the feed's own origin, a bounded number of times.
        Uri? page = new(feed.AbsoluteUri.TrimEnd('/') + "/FindPackagesById()?id='" + Uri.EscapeDataString(id.Replace("'", "''")) + "'");
        var versions = new List<PackageVersion>();
        for (int pages = 0; page != null; pages++)
        {
            if (pages == MaximumPages)
                throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(feed), $"the v2 feed {UriText.Redact(feed)} lists {id} over more than {MaximumPages} pages; refused as no real feed needs that many.");
            byte[] xml = await _downloader.FetchSmallAsync(page, MaximumListBytes, "NuGet v2 OData feed", TokenFor(page, feed), cancellationToken).ConfigureAwait(false);
            (IReadOnlyList<PackageVersion> found, Uri? next) = ParseODataPage(xml, page);
            versions.AddRange(found);
            if (next != null && !ModuleInstaller.SameOrigin(next, feed))
                throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.Security, UriText.Redact(feed), $"the v2 feed {UriText.Redact(feed)} points its next page at another origin ({UriText.Redact(next)}); refused.");
            page = next;
        }
        return versions;
    }

    /// <summary>How many OData pages a version list may span (the Gallery's are 100 entries each).</summary>
    public const int MaximumPages = 50;

    internal static IReadOnlyList<PackageVersion> ParseODataVersions(byte[] xml, Uri where) => ParseODataPage(xml, where).Versions;

    internal static IReadOnlyList<PackageVersion> ParseFlatIndex(byte[] json, Uri where)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return doc.RootElement.GetProperty("versions").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? PackageVersion.TryParse(v.GetString()) : null)
                .Where(v => v != null).Select(v => v!).ToList();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(where), $"{UriText.Redact(where)} is not a NuGet flat container version list ({ex.Message}).", ex);
        }
    }

    /// <summary>The d:Version of each entry of a v2 OData (Atom) answer; no DTD, no external entities.</summary>
    /// <summary>One page: the d:Version of each entry, and the feed's rel="next" link (resolved against the page) if any.</summary>
    internal static (IReadOnlyList<PackageVersion> Versions, Uri? Next) ParseODataPage(byte[] xml, Uri where)
    {
        const string DataServices = "http://schemas.microsoft.com/ado/2007/08/dataservices";
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaximumListBytes, IgnoreComments = true };
        var versions = new List<PackageVersion>();
        Uri? next = null;
        try
        {
            using XmlReader reader = XmlReader.Create(new MemoryStream(xml), settings);
            bool feedSeen = false;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element) continue;
                if (reader.Depth == 0) feedSeen = reader.LocalName == "feed";
                if (reader.Depth == 1 && reader.LocalName == "link" && reader.GetAttribute("rel") == "next" && reader.GetAttribute("href") is string href)
                    next = Uri.TryCreate(where, href, out Uri? resolved) ? resolved : throw new XmlException($"the next link '{href}' is not a URL");
                if (reader.LocalName == "Version" && reader.NamespaceURI == DataServices && PackageVersion.TryParse(reader.ReadElementContentAsString()) is { } v) versions.Add(v);
            }
            if (!feedSeen) throw new XmlException("the document is not an Atom feed");
        }
        catch (XmlException ex)
        {
            throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(where), $"{UriText.Redact(where)} is not a NuGet v2 OData feed ({ex.Message}).", ex);
        }
        return (versions, next);
    }

    /// <summary>Downloads the .nupkg (no digest to check yet: this is where the pin comes from), hashes it and reads its .nuspec.</summary>
    private async Task<(string Sha512, NuSpec Spec)> FetchAsync(Uri feed, string id, PackageVersion version, CancellationToken cancellationToken)
    {
        Uri uri = await NuGetFeed.PackageUriAsync(feed, id, version, _downloader, _token, cancellationToken).ConfigureAwait(false);
        string file = Path.Combine(_work, Guid.NewGuid().ToString("N") + ".nupkg");
        DownloadResult downloaded = await _downloader.DownloadAsync(new DownloadRequest(uri, file) { SkipVerification = true, Token = TokenFor(uri, feed), MaximumSize = NuGetFeed.MaximumPackageBytes }, null, cancellationToken).ConfigureAwait(false);
        string sha512 = FileHasher.HashFile(downloaded.Path, ChecksumAlgorithm.SHA512, null, cancellationToken);
        string staging = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        new SafeArchiveExtractor(new ArchiveExtractionOptions { DecodePercentEscapes = true }).Extract(downloaded.Path, staging, null, cancellationToken);
        NuSpec spec = ModuleInstaller.CheckPackage(new PinnedModule { Name = id, Version = version.Normalized }, staging, version, "nothing was pinned", out _);
        return (sha512, spec);
    }

    /// <summary>The feed's credential goes to the feed's own origin only (the downloader drops it again on a redirect elsewhere).</summary>
    private string? TokenFor(Uri uri, Uri feed) => ModuleInstaller.SameOrigin(uri, feed) ? _token : null;

    /// <summary>Writes <paramref name="pins"/> into the manifest text: values replaced in place, new modules appended, then read back.</summary>
    internal static string Apply(string text, string source, string? baseDirectory, PinnedManifest manifest, List<ModulePinUpdate> pins)
    {
        YamlStream stream = YamlBounds.Load(new StringReader(text), source);
        var root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        YamlMappingNode? modules = root != null && root.Children.TryGetValue(new YamlScalarNode("modules"), out YamlNode? m) ? m as YamlMappingNode : null;
        var edits = new List<(int Start, int End, string With)>();
        var appended = new List<string>();
        string indent = modules != null && modules.Children.Count > 0 ? new string(' ', (int)modules.Children.First().Key.Start.Column - 1) : "  ";
        foreach (ModulePinUpdate pin in pins)
        {
            PinnedModule? pinned = manifest.FindModule(pin.Name);
            if (pinned == null)
            {
                pin.Change = "added";
                appended.Add($"{indent}{pin.Name}:\n{indent}{indent}version: \"{pin.Version}\"\n{indent}{indent}sha512: \"{pin.Sha512}\"\n{indent}{indent}source: {pin.Source}\n");
                continue;
            }
            pin.FromVersion = pinned.Version;
            if (PackageVersion.TryParse(pinned.Version) is { } was && was.SameAs(PackageVersion.TryParse(pin.Version)!))
            {
                if (pinned.Sha512 != null && !Hex.DigestEquals(pinned.Sha512Hex, pin.Sha512))
                    throw PinnedDigestChangedException.ForModule(pinned.Name, pinned.Version, pinned.Sha512Hex, pin.Sha512, UriText.Redact(new Uri(pin.Source)));
                if (pinned.Sha512 != null)
                {
                    pin.Change = "unchanged";
                    continue;
                }
            }
            pin.Change = "updated";
            var body = (YamlMappingNode)modules!.Children.First(kv => string.Equals(((YamlScalarNode)kv.Key).Value, pinned.Name, StringComparison.OrdinalIgnoreCase)).Value;
            foreach (var (key, value) in new[] { ("version", pin.Version), ("sha512", pin.Sha512) })
            {
                if (body.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node))
                    edits.Add(((int)node.Start.Index, (int)node.End.Index, $"\"{value}\""));
                else
                    throw new ManifestFormatException(source, pinned.Line, $"module '{pinned.Name}' has no {key}: line to update; add it by hand first.");
            }
        }
        foreach (var (start, end, with) in edits.OrderByDescending(e => e.Start)) text = text.Substring(0, start) + with + text.Substring(end);
        if (appended.Count > 0)
        {
            string block = string.Concat(appended);
            if (modules != null && modules.Children.Count > 0)
            {
                // Re-read: the edits above moved offsets.
                YamlMappingNode again = (YamlMappingNode)((YamlMappingNode)YamlBounds.Load(new StringReader(text), source).Documents[0].RootNode).Children[new YamlScalarNode("modules")];
                var last = again.Children.Last();
                (_, int insertAt) = ManifestUpdater.LinesOf(text, last.Key, last.Value);
                if (insertAt > 0 && text[insertAt - 1] != '\n') block = "\n" + block;
                text = text.Substring(0, insertAt) + block + text.Substring(insertAt);
            }
            else if (modules != null)
            {
                // "modules: {}": the empty mapping gives way to the block (re-read, the edits above moved offsets).
                var again = ((YamlMappingNode)YamlBounds.Load(new StringReader(text), source).Documents[0].RootNode).Children.First(kv => ((YamlScalarNode)kv.Key).Value == "modules");
                int from = (int)again.Key.End.Index, to = (int)again.Value.End.Index;
                text = text.Substring(0, from) + ":\n" + block.TrimEnd('\n') + text.Substring(to);
            }
            else
            {
                text = text + (text.Length > 0 && !text.EndsWith("\n", StringComparison.Ordinal) ? "\n" : string.Empty) + "modules:\n" + block;
            }
        }

        // Whatever was written must read back as the pins this update made, with no problem.
        PinnedManifest reread = new ManifestReader().Read(new StringReader(text), source, baseDirectory);
        foreach (ModulePinUpdate pin in pins)
        {
            PinnedModule? written = reread.FindModule(pin.Name);
            if (written == null || written.Problems.Count > 0 || !Hex.DigestEquals(written.Sha512Hex, pin.Sha512) || PackageVersion.TryParse(written.Version)?.SameAs(PackageVersion.TryParse(pin.Version)!) != true)
                throw new ManifestFormatException(source, 0, $"the updated manifest does not pin {pin.Name} {pin.Version} cleanly{(written?.Problems.FirstOrDefault() is { } p ? ": " + p.Message : "")}; nothing was written.");
        }
        return text;
    }
}
