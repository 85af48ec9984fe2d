using System.Text.RegularExpressions;
using SecureInstall.Core.Checksums;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

/// <summary>
/// Reads a pinned-tool manifest: the native layout (<c>tools:</c> → versions → per-platform artifacts) and the
/// clauded <c>downloads.yml</c> layout as it is (tool → default_version + versions {url, sha256, version}, or a
/// single {version, url, sha256} record, or per-platform <c>binary:</c> records). Rule violations (no digest, a
/// moving version, an insecure URL) are recorded on the version with the tool, version and line, and make
/// installing that version fail; only an explicit <c>waiver: "reason"</c> on the entry turns one into a recorded waiver.
/// </summary>
public sealed partial class ManifestReader
{
    /// <summary>Real manifests are kilobytes.</summary>
    public const long MaximumBytes = 4L * 1024 * 1024;

    private static readonly HashSet<string> MovingVersions = new(StringComparer.OrdinalIgnoreCase)
    {
        "latest", "stable", "lts", "current", "nightly", "edge", "main", "master", "head", "beta", "canary", "next", "preview", "release",
    };

    private static readonly Regex RangeSyntax = new(@"[\^~<>=*|\s]|(^|\.)[xX](\.|$)", RegexOptions.CultureInvariant);
    private static readonly Regex Sha256Hex = new("^[0-9a-fA-F]{64}$", RegexOptions.CultureInvariant);

    public PinnedManifest ReadFile(string path)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        string text = YamlBounds.ReadFile(path, MaximumBytes);
        return Read(new StringReader(text), path, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <param name="baseDirectory">What "./file" URLs are relative to (the manifest's folder); null refuses them.</param>
    public PinnedManifest Read(TextReader text, string source, string? baseDirectory = null)
    {
        // Depth and alias-expanded size are bounded while parsing, before anything recurses into the nodes.
        YamlStream stream = YamlBounds.Load(text, source);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ManifestFormatException(source, 1, "a manifest is a YAML mapping of tools.");

        var manifest = new PinnedManifest { Source = source };
        YamlMappingNode toolsNode = root;
        if (Get(root, "modules") is { } modules) ReadModules(manifest, modules, new Context(source, baseDirectory));
        if (Get(root, "tools") is { } tools)
        {
            toolsNode = tools as YamlMappingNode ?? throw new ManifestFormatException(source, Line(tools), "'tools' must be a mapping of tool names to tools.");
        }
        else if (manifest.Modules.Count > 0)
        {
            toolsNode = new YamlMappingNode(); // a manifest of modules only
        }
        else
        {
            manifest.Layout = "clauded";
        }
        foreach (var pair in toolsNode.Children)
        {
            string name = Scalar(pair.Key, source);
            if (pair.Value is not YamlMappingNode body)
                throw new ManifestFormatException(source, Line(pair.Value), $"tool '{name}' must be a mapping.");
            // The name becomes a folder of the install root: refuse the names the installer uses itself (issue 17 #11).
            if (Install.InstallRootLayout.ReservedReason(name, isVersion: false) is { } reserved)
                throw new ManifestFormatException(source, Line(pair.Key), $"tool {reserved}");
            if (manifest.Tools.Any(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new ManifestFormatException(source, Line(pair.Key), $"tool '{name}' is pinned twice (names differing only in case share one folder).");
            manifest.Tools.Add(ReadTool(name, body, new Context(source, baseDirectory), Line(pair.Key)));
        }
        if (manifest.Tools.Count == 0 && manifest.Modules.Count == 0) throw new ManifestFormatException(source, 1, "the manifest pins no tool.");
        foreach (var owned in manifest.Tools.SelectMany(t => t.OwnsShims.Select(s => (Tool: t, Shim: s))).GroupBy(x => x.Shim, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new ManifestFormatException(source, owned.Last().Tool.Line, $"the command '{owned.Key}' is claimed by owns_shims of both {string.Join(" and ", owned.Select(x => x.Tool.Name))}; one tool owns a command.");
        return manifest;
    }

    private static PinnedTool ReadTool(string name, YamlMappingNode body, Context source, int line)
    {
        var tool = new PinnedTool { Name = name, Line = line };
        tool.DefaultVersion = OptionalScalar(body, "default_version", source);
        tool.ChecksumsUrl = OptionalScalar(body, "checksums_url", source);
        tool.Catalog = OptionalScalar(body, "catalog", source);
        string? toolWaiver = OptionalScalar(body, "waiver", source);
        tool.OwnsShims = Get(body, "owns_shims") switch
        {
            null => Array.Empty<string>(),
            YamlScalarNode one => new[] { one.Value ?? string.Empty },
            YamlSequenceNode many => many.Select(n => Scalar(n, source)).ToArray(),
            var other => throw new ManifestFormatException(source, Line(other), $"{name}: 'owns_shims' is a command name or a list of them."),
        };
        foreach (string shim in tool.OwnsShims)
        {
            if (!Install.InstallRootLayout.IsCommandName(shim))
                throw new ManifestFormatException(source, LineOf(body, "owns_shims"), $"{name}: owns_shims '{shim}' is not a command name (a shim's file name, without folder).");
        }
        if (Get(body, "signature") is YamlMappingNode sig)
        {
            tool.Signature = new SignaturePolicy
            {
                Scheme = OptionalScalar(sig, "scheme", source) ?? string.Empty,
                Settings = sig.Children.ToDictionary(kv => Scalar(kv.Key, source), kv => kv.Value is YamlScalarNode s ? s.Value ?? string.Empty : string.Empty),
                Line = Line(sig),
                BaseDirectory = source.BaseDirectory,
            };
        }

        if (Get(body, "versions") is { } versionsNode)
        {
            if (versionsNode is not YamlMappingNode versions)
                throw new ManifestFormatException(source, Line(versionsNode), $"{name}: 'versions' must map version keys to entries.");
            foreach (var pair in versions.Children)
            {
                string key = Scalar(pair.Key, source);
                if (pair.Value is not YamlMappingNode entry)
                    throw new ManifestFormatException(source, Line(pair.Value), $"{name} {key}: a version entry must be a mapping.");
                tool.Versions.Add(ReadVersion(tool, key, entry, source, Line(pair.Key), toolWaiver));
            }
        }
        else
        {
            // A single-version record: {version, url, sha256} or {version, binary: {platform: {url, sha256}}}, or an installer script.
            string version = OptionalScalar(body, "version", source) ?? tool.DefaultVersion ?? string.Empty;
            var pinned = new PinnedVersion { Key = version, Version = version, Line = line };
            CheckFolderName(tool, pinned, source, line);
            string? waiver = toolWaiver;
            CheckVersion(tool, pinned, source, line, waiver);
            if (Get(body, "binary") is YamlMappingNode binary)
            {
                foreach (var pair in binary.Children)
                {
                    string platformKey = Scalar(pair.Key, source);
                    string? platform = Platforms.Normalize(platformKey);
                    if (platform == null) throw new ManifestFormatException(source, Line(pair.Key), $"{name}: '{platformKey}' is not a platform (os-arch, e.g. linux-x64).");
                    if (pair.Value is not YamlMappingNode artifactNode) throw new ManifestFormatException(source, Line(pair.Value), $"{name} {platformKey}: an artifact must be a mapping.");
                    ReadArtifact(tool, pinned, artifactNode, platform, source, waiver);
                }
            }
            else if (Get(body, "url") != null)
            {
                ReadArtifact(tool, pinned, body, Platforms.Any, source, waiver);
            }
            else if (OptionalScalar(body, "installer_url", source) is { } installer)
            {
                Problem(tool, pinned, ErrorIds.ManifestEntryUnpinned, source, line, waiver,
                    $"the installer script {installer} has no sha256. Pin it, or run it with Invoke-VerifiedScript -TrustOnFirstUse.");
            }
            else
            {
                // Met in the wild (a bucket to list at run time): nothing here is pinned, so nothing can be installed.
                Problem(tool, pinned, ErrorIds.ManifestEntryUnpinned, source, line, waiver, "names no versions, url, binary or installer_url: nothing is pinned.");
            }
            tool.Versions.Add(pinned);
        }

        if (tool.DefaultVersion != null && tool.Resolve(tool.DefaultVersion) == null)
            throw new ManifestFormatException(source, line, $"{name}: default_version '{tool.DefaultVersion}' is not one of its versions.");
        return tool;
    }

    private static PinnedVersion ReadVersion(PinnedTool tool, string key, YamlMappingNode entry, Context source, int line, string? toolWaiver)
    {
        string? waiver = OptionalScalar(entry, "waiver", source) ?? toolWaiver;
        var version = new PinnedVersion { Key = key, Version = OptionalScalar(entry, "version", source) ?? key, Line = line };
        CheckFolderName(tool, version, source, line);
        CheckVersion(tool, version, source, line, waiver);
        if (Get(entry, "artifacts") is { } artifactsNode)
        {
            if (artifactsNode is not YamlMappingNode artifacts)
                throw new ManifestFormatException(source, Line(artifactsNode), $"{tool.Name} {key}: 'artifacts' must map platforms to artifacts.");
            foreach (var pair in artifacts.Children)
            {
                string platformKey = Scalar(pair.Key, source);
                string? platform = Platforms.Normalize(platformKey);
                if (platform == null)
                    throw new ManifestFormatException(source, Line(pair.Key), $"{tool.Name} {key}: '{platformKey}' is not a platform (one of {string.Join(", ", Platforms.Known)}).");
                if (pair.Value is not YamlMappingNode artifactNode)
                    throw new ManifestFormatException(source, Line(pair.Value), $"{tool.Name} {key} {platformKey}: an artifact must be a mapping.");
                ReadArtifact(tool, version, artifactNode, platform, source, OptionalScalar(artifactNode, "waiver", source) ?? waiver);
            }
        }
        else
        {
            ReadArtifact(tool, version, entry, Platforms.Any, source, waiver);
        }
        return version;
    }

    /// <summary>
    /// <c>integrity:</c> is a Subresource Integrity value ("sha512-BASE64", as npm, yarn and pnpm lock files write it; several
    /// hashes separated by spaces). Every hash is required to match, a weak one (md5, sha1) is refused, and a sha256 in it that
    /// differs from the artifact's <c>sha256:</c> is a contradiction, never "the stronger wins".
    /// </summary>
    private static void ReadIntegrity(PinnedTool tool, PinnedVersion version, PinnedArtifact artifact, string integrity, Context source, int line)
    {
        ChecksumEntry entry;
        try
        {
            entry = ChecksumEntry.FromIntegrity(integrity, $"integrity in {source}:{line}");
        }
        catch (InvalidDigestException ex)
        {
            Problem(tool, version, ErrorIds.ManifestEntryUnpinned, source, line, null, $"integrity: {ex.Message} A hex digest goes in sha256:.");
            return;
        }
        artifact.Integrity = entry;
        try
        {
            _ = artifact.Expected(source);
        }
        catch (InvalidDigestException ex)
        {
            artifact.Integrity = null;
            Problem(tool, version, ErrorIds.ManifestEntryUnpinned, source, line, null, $"integrity and sha256: {ex.Message}");
        }
    }

    private static void ReadArtifact(PinnedTool tool, PinnedVersion version, YamlMappingNode node, string platform, Context source, string? waiver)
    {
        int line = Line(node);
        string? url = OptionalScalar(node, "url", source);
        if (url == null) throw new ManifestFormatException(source, line, $"{tool.Name} {version.Key}: the artifact has no url.");
        Uri? uri = ResolveUrl(url, source);
        if (uri == null)
            throw new ManifestFormatException(source, LineOf(node, "url"), $"{tool.Name} {version.Key}: '{url}' is not an absolute URL.");
        var artifact = new PinnedArtifact { Platform = platform, Url = uri, Line = line, RelativeUrl = IsRelativeUrl(url) ? url : null };
        CheckUrl(tool, version, uri, source, LineOf(node, "url"), waiver);

        var mirrors = new List<Uri>();
        if (Get(node, "mirrors") is YamlSequenceNode mirrorNodes)
        {
            foreach (YamlNode m in mirrorNodes)
            {
                string text = Scalar(m, source);
                Uri? mirror = ResolveUrl(text, source);
                if (mirror == null)
                    throw new ManifestFormatException(source, Line(m), $"{tool.Name} {version.Key}: mirror '{text}' is not an absolute URL.");
                CheckUrl(tool, version, mirror, source, Line(m), waiver);
                mirrors.Add(mirror);
            }
        }
        artifact.Mirrors = mirrors;

        string? sha = OptionalScalar(node, "sha256", source);
        string? integrity = OptionalScalar(node, "integrity", source);
        if (sha == null && integrity == null)
            Problem(tool, version, ErrorIds.ManifestEntryUnpinned, source, line, waiver, $"{uri} has no sha256 or integrity: an unpinned download proves nothing. Add its digest (Update-PinnedToolManifest fetches it from the publisher's list).");
        if (sha != null && !Sha256Hex.IsMatch(sha))
            Problem(tool, version, ErrorIds.ManifestEntryUnpinned, source, LineOf(node, "sha256"), null, $"sha256 '{sha}' is not 64 hex digits.");
        else if (sha != null)
            artifact.Sha256 = sha.ToLowerInvariant();
        if (integrity != null) ReadIntegrity(tool, version, artifact, integrity, source, LineOf(node, "integrity"));
        if (OptionalScalar(node, "trusted_on_first_use", source) is { } tofu && tofu.Trim().Length > 0)
            artifact.TrustedOnFirstUse = new Waiver(ErrorIds.CatalogEntryUnpinned, $"the {platform} digest was trusted on first use (nothing from the publisher vouches for it): {tofu.Trim()}", LineOf(node, "trusted_on_first_use"));

        if (OptionalScalar(node, "size", source) is { } size)
        {
            if (!long.TryParse(size, out long bytes) || bytes < 0)
                throw new ManifestFormatException(source, LineOf(node, "size"), $"{tool.Name} {version.Key}: size '{size}' is not a byte count.");
            artifact.Size = bytes;
        }
        if (OptionalScalar(node, "archive", source) is { } archive)
        {
            artifact.Kind = archive.ToLowerInvariant().Replace(".", string.Empty).Replace("-", string.Empty) switch
            {
                "binary" or "exe" or "none" => ArtifactKind.Binary,
                "zip" => ArtifactKind.Zip,
                "tar" => ArtifactKind.Tar,
                "targz" or "tgz" => ArtifactKind.TarGz,
                "tarxz" or "txz" => ArtifactKind.TarXz,
                "tarbz2" or "tbz2" => ArtifactKind.TarBz2,
                "tarzst" or "tzst" => ArtifactKind.TarZst,
                "auto" => ArtifactKind.Auto,
                _ => throw new ManifestFormatException(source, LineOf(node, "archive"), $"{tool.Name} {version.Key}: archive '{archive}' is not one of binary, zip, tar, tar.gz, tar.xz, tar.bz2, tar.zst."),
            };
        }
        if (OptionalScalar(node, "strip_components", source) is { } strip)
        {
            if (!int.TryParse(strip, out int n) || n < 0 || n > 16)
                throw new ManifestFormatException(source, LineOf(node, "strip_components"), $"{tool.Name} {version.Key}: strip_components '{strip}' must be 0 to 16.");
            artifact.StripComponents = n;
        }
        artifact.Executables = Get(node, "bin") switch
        {
            YamlScalarNode one => new[] { one.Value ?? string.Empty },
            YamlSequenceNode many => many.Select(n => Scalar(n, source)).ToArray(),
            null => Array.Empty<string>(),
            var other => throw new ManifestFormatException(source, Line(other), $"{tool.Name} {version.Key}: 'bin' is a path or a list of paths."),
        };
        foreach (string exe in artifact.Executables)
        {
            if (!IO.RelativePath.IsInside(exe))
                throw new ManifestFormatException(source, LineOf(node, "bin"), $"{tool.Name} {version.Key}: bin '{exe}' must be a relative path inside the installed tree.");
        }
        artifact.Installer = ReadInstallerBlock(tool, version, node, platform, source);
        if (version.Artifacts.Any(a => a.Platform == platform))
            throw new ManifestFormatException(source, line, $"{tool.Name} {version.Key}: two artifacts for {platform}.");
        version.Artifacts.Add(artifact);
    }

    /// <summary>Absolute URLs as they are; "./x" and "../x" relative to the manifest's folder, as file: URLs (bundled samples, offline bundles).</summary>
    private static Uri? ResolveUrl(string url, Context source)
    {
        if (IsRelativeUrl(url))
            return source.BaseDirectory == null ? null : new Uri(Path.GetFullPath(Path.Combine(source.BaseDirectory, url)));
        return Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) ? uri : null;
    }

    private static bool IsRelativeUrl(string url) => url.StartsWith("./", StringComparison.Ordinal) || url.StartsWith("../", StringComparison.Ordinal);

    /// <summary>Where the manifest came from: its name for messages, its folder for relative URLs.</summary>
    private sealed class Context
    {
        public Context(string name, string? baseDirectory)
        {
            Name = name;
            BaseDirectory = baseDirectory;
        }

        public string Name { get; }
        public string? BaseDirectory { get; }

        public static implicit operator string(Context c) => c.Name;

        public override string ToString() => Name;
    }

    /// <summary>The exact version becomes a folder of the install root: refuse the names the installer uses itself (issue 17 #11).</summary>
    private static void CheckFolderName(PinnedTool tool, PinnedVersion version, string source, int line)
    {
        if (version.Version.Length == 0) return; // no version at all: CheckVersion reports it as not pinned
        if (Install.InstallRootLayout.ReservedReason(version.Version, isVersion: true) is { } reserved)
            throw new ManifestFormatException(source, line, $"{tool.Name}: version {reserved}");
    }

    private static void CheckVersion(PinnedTool tool, PinnedVersion version, string source, int line, string? waiver)
    {
        foreach (string v in new[] { version.Key, version.Version }.Distinct())
        {
            if (v.Length == 0)
                Problem(tool, version, ErrorIds.ManifestVersionNotPinned, source, line, waiver, "no version is named.");
            else if (MovingVersions.Contains(v))
                Problem(tool, version, ErrorIds.ManifestVersionNotPinned, source, line, waiver, $"'{v}' is a tag that moves; pin an exact version.");
            else if (RangeSyntax.IsMatch(v))
                Problem(tool, version, ErrorIds.ManifestVersionNotPinned, source, line, waiver, $"'{v}' is a range, not a version; pin an exact version.");
        }
    }

    private static void CheckUrl(PinnedTool tool, PinnedVersion version, Uri uri, string source, int line, string? waiver)
    {
        if (uri.Scheme == Uri.UriSchemeHttp)
            Problem(tool, version, ErrorIds.ManifestInsecureUrl, source, line, waiver, $"{uri} is plain http: anyone on the path can change it. Use https.");
        else if (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeFile)
            Problem(tool, version, ErrorIds.ManifestInsecureUrl, source, line, waiver, $"{uri.Scheme}: URLs are not supported; use https (or file: for a local mirror).");
        if (uri.AbsolutePath.Split('/').Any(s => s.Equals("latest", StringComparison.OrdinalIgnoreCase)))
            Problem(tool, version, ErrorIds.ManifestVersionNotPinned, source, line, waiver, $"{uri} points at a 'latest' release that moves; use the versioned URL.");
    }

    private static void Problem(PinnedTool tool, PinnedVersion version, string errorId, string source, int line, string? waiver, string reason)
    {
        if (!string.IsNullOrWhiteSpace(waiver))
            version.Waivers.Add(new Waiver(errorId, waiver!, line));
        else
            version.Problems.Add(new ManifestRuleException(errorId, source, tool.Name, version.Version.Length == 0 ? null : version.Version, line, reason));
    }

    private static YamlNode? Get(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? value : null;

    private static string? OptionalScalar(YamlMappingNode node, string key, string source)
    {
        YamlNode? value = Get(node, key);
        if (value == null) return null;
        return Scalar(value, source);
    }

    private static string Scalar(YamlNode node, string source) =>
        node is YamlScalarNode s ? s.Value ?? string.Empty : throw new ManifestFormatException(source, Line(node), "expected a single value here.");

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static int LineOf(YamlMappingNode node, string key)
    {
        foreach (var pair in node.Children)
        {
            if (pair.Key is YamlScalarNode k && k.Value == key) return Line(pair.Key);
        }
        return Line(node);
    }
}
