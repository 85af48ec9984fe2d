using System.Text.RegularExpressions;
using SecureInstall.Core.Catalogs.Aqua;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Winget;

/// <summary>
/// Reads a winget-pkgs package version (manifests/&lt;p&gt;/&lt;Publisher&gt;/&lt;Name&gt;/&lt;version&gt;/: the multi-file
/// installer manifest, or a singleton manifest; schema 1.x) into artifacts per Windows platform, pinned by the manifest's
/// own InstallerSha256: portable installers and zips of portable files first, else a setup program (msi, wix, exe, inno,
/// nullsoft, burn) carried as an installer: block (<see cref="PinnedInstaller"/>). msix/appx and an exe without silent
/// switches are named and refused. An InstallerUrl that is not https or not on a site the manifest's own URLs name
/// (<see cref="WingetInstallerHost"/>), a digest that is not SHA-256 hex and a nested path that leaves the archive are
/// refused as hostile.
/// </summary>
public static class WingetResolver
{
    private static readonly Regex IdPart = new(@"^[A-Za-z0-9][A-Za-z0-9_+-]*$", RegexOptions.CultureInvariant);
    private static readonly Regex Sha256Hex = new("^[0-9A-Fa-f]{64}$", RegexOptions.CultureInvariant);

    /// <summary>The version folder of a package in a winget-pkgs checkout: manifests/c/Casey/Just/1.58.0.</summary>
    /// <exception cref="CatalogException">the identifier or version is not plain names (a '..' would leave the checkout).</exception>
    public static string RelativeFolderOf(string identifier, string version)
    {
        string[] parts = (identifier ?? string.Empty).Split('.');
        if (parts.Length < 2 || parts.Any(p => !IdPart.IsMatch(p)) || string.IsNullOrWhiteSpace(version) || version.IndexOfAny(new[] { '/', '\\' }) >= 0 || version.Contains("..") || version.Any(char.IsControl))
            throw new CatalogException(ErrorIds.CatalogPackageNotFound, identifier ?? string.Empty, "a winget package identifier is Publisher.Name (e.g. GitHub.cli) with a plain version.");
        return "manifests/" + char.ToLowerInvariant(identifier![0]) + "/" + string.Join("/", parts) + "/" + version;
    }

    /// <summary>Reads the version folder's installer manifest (or singleton) and resolves it.</summary>
    public static CatalogResolution ResolveFolder(string folder, string identifier, string version, string? commit)
    {
        string installer = Path.Combine(folder, identifier + ".installer.yaml"), singleton = Path.Combine(folder, identifier + ".yaml");
        string file = File.Exists(installer) ? installer : File.Exists(singleton) ? singleton
            : throw new CatalogException(ErrorIds.CatalogPackageNotFound, folder, $"holds no manifest of {identifier} {version}.");
        return Resolve(YamlBounds.ReadFile(file, AquaDefinition.MaximumBytes), file, identifier, version, commit, file == installer ? LocaleUrls(folder, identifier) : null);
    }

    /// <summary>
    /// Resolves an installer manifest (with <paramref name="siteUrls"/>, the URLs its locale manifest names) or a singleton
    /// (null: the URLs are its own). Every InstallerUrl must be on a site those name (<see cref="WingetInstallerHost"/>).
    /// </summary>
    public static CatalogResolution Resolve(string text, string source, string identifier, string version, string? commit, IReadOnlyCollection<Uri>? siteUrls = null)
    {
        string where = $"{source} ({identifier} {version})";
        YamlStream stream;
        try
        {
            stream = YamlBounds.Load(new StringReader(text), source);
        }
        catch (ManifestFormatException ex)
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, ex.Message, ex);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "a winget manifest is a YAML mapping.");
        string type = Text(root, "ManifestType") ?? string.Empty;
        if (type is not ("installer" or "singleton"))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"ManifestType '{type}' is not an installer or singleton manifest.");
        string manifestVersion = Text(root, "ManifestVersion") ?? string.Empty;
        if (!manifestVersion.StartsWith("1.", StringComparison.Ordinal))
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"ManifestVersion '{manifestVersion}' is not schema 1.x.");
        if (!string.Equals(Text(root, "PackageIdentifier"), identifier, StringComparison.OrdinalIgnoreCase) || Text(root, "PackageVersion") != version)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the manifest is of {Text(root, "PackageIdentifier")} {Text(root, "PackageVersion")}, not {identifier} {version}.");
        if (!root.Children.TryGetValue(new YamlScalarNode("Installers"), out YamlNode? list) || list is not YamlSequenceNode installers)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "the manifest lists no Installers.");

        siteUrls ??= UrlsOf(root);
        var resolution = new CatalogResolution
        {
            Catalog = "winget", Package = identifier, Version = version, Tag = version, DefinitionSource = source, DefinitionCommit = commit,
            ToolName = ToolNameOf(root, identifier),
        };
        foreach (string platform in Platforms.Known.Where(p => p.StartsWith("windows-", StringComparison.Ordinal)))
        {
            string arch = platform == "windows-x64" ? "x64" : "arm64";
            // Portable files first (wholly covered by Test-PinnedTool), then setup programs: per-user before machine-wide, en-US or no locale first.
            var candidates = installers.OfType<YamlMappingNode>().Where(i => Text(i, "Architecture") == arch)
                .OrderBy(i => (Text(i, "InstallerType") ?? Text(root, "InstallerType") ?? string.Empty).ToLowerInvariant() is "portable" or "zip" ? 0 : 1)
                .ThenBy(i => (Text(i, "Scope") ?? Text(root, "Scope")) == "machine" ? 1 : 0)
                .ThenBy(i => (Text(i, "InstallerLocale") ?? Text(root, "InstallerLocale")) is null or "en-US" ? 0 : 1).ToList();
            if (candidates.Count == 0)
            {
                resolution.Skipped.Add(new KeyValuePair<string, string>(platform, $"the manifest has no {arch} installer"));
                continue;
            }
            var refusals = new List<string>();
            CatalogArtifact? chosen = null;
            foreach (YamlMappingNode candidate in candidates)
            {
                string? reason = null;
                CatalogArtifact? artifact = ReadInstaller(root, candidate, platform, where, siteUrls, ref reason);
                if (artifact != null)
                {
                    chosen = artifact;
                    break;
                }
                refusals.Add(reason!);
            }
            if (chosen != null) resolution.Artifacts.Add(chosen);
            else resolution.Skipped.Add(new KeyValuePair<string, string>(platform, string.Join("; ", refusals.Distinct())));
        }
        resolution.Skipped.AddRange(Platforms.Known.Where(p => !p.StartsWith("windows-", StringComparison.Ordinal))
            .Select(p => new KeyValuePair<string, string>(p, "winget manifests are for Windows")));
        if (resolution.Artifacts.Count == 0)
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where,
                $"no installer SecureInstall can pin: {string.Join("; ", resolution.Skipped.Where(s => s.Key.StartsWith("windows-", StringComparison.Ordinal)).Select(s => s.Key + ": " + s.Value))}.");
        return resolution;
    }

    private static CatalogArtifact? ReadInstaller(YamlMappingNode root, YamlMappingNode installer, string platform, string where, IReadOnlyCollection<Uri> siteUrls, ref string? reason)
    {
        // An installer's own field wins over the manifest's top-level default (winget's inheritance).
        string? Field(string key) => Text(installer, key) ?? Text(root, key);
        YamlNode? Node(string key) => installer.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? n) ? n : root.Children.TryGetValue(new YamlScalarNode(key), out n) ? n : null;

        string type = (Field("InstallerType") ?? string.Empty).ToLowerInvariant();
        string url = Field("InstallerUrl") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "an installer has no InstallerUrl.");
        string sha = Field("InstallerSha256") ?? string.Empty;
        // Every installer is held to https and to the manifest's own site, whatever its type: a hostile one refuses the package.
        Uri uri = AquaResolver.HttpsUrl(url, url, where);
        if (WingetInstallerHost.Refusal(uri, siteUrls) is { } foreign) throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, foreign + ".");
        if (type is not ("portable" or "zip") && !PinnedInstaller.Types.Contains(type))
        {
            reason = $"installer type '{type}' is not one SecureInstall pins (portable, zip of portable files, {string.Join(", ", PinnedInstaller.Types)})";
            return null;
        }
        if (!Sha256Hex.IsMatch(sha))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"InstallerSha256 '{sha}' of {url} is not a SHA-256 digest.");
        var artifact = new CatalogArtifact
        {
            Platform = platform, Url = uri, Asset = Uri.UnescapeDataString(uri.Segments.Last()), Sha256 = sha.ToLowerInvariant(),
            Kind = type == "zip" ? ArtifactKind.Zip : ArtifactKind.Binary, Format = type,
        };
        if (PinnedInstaller.Types.Contains(type))
        {
            artifact.Installer = InstallerOf(type, Node, Field, where, ref reason);
            return artifact.Installer == null ? null : artifact;
        }
        if (type == "zip")
        {
            string nested = (Field("NestedInstallerType") ?? string.Empty).ToLowerInvariant();
            if (nested != "portable")
            {
                reason = $"a zip whose NestedInstallerType is '{nested}' runs a setup program; SecureInstall pins zips of portable files only";
                return null;
            }
            var bins = new List<string>();
            if (Node("NestedInstallerFiles") is YamlSequenceNode files)
            {
                foreach (YamlMappingNode f in files.OfType<YamlMappingNode>())
                {
                    string path = (Text(f, "RelativeFilePath") ?? string.Empty).Replace('\\', '/');
                    if (!IO.RelativePath.IsInside(path))
                        throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"NestedInstallerFiles '{Text(f, "RelativeFilePath")}' is not a path inside the zip.");
                    bins.Add(path);
                    if (Text(f, "PortableCommandAlias") is string alias && !string.Equals(alias, Path.GetFileNameWithoutExtension(path), StringComparison.OrdinalIgnoreCase))
                        artifact.NotCarried.Add($"PortableCommandAlias {alias}: the shim is named after the file ({Path.GetFileName(path)})");
                }
            }
            if (bins.Count == 0) throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "a zip of portable files names no NestedInstallerFiles.");
            artifact.Executables = bins;
        }
        else if ((Field("PortableCommandAlias") ?? (Node("Commands") as YamlSequenceNode)?.OfType<YamlScalarNode>().FirstOrDefault()?.Value) is string command
                 && !string.Equals(command, Path.GetFileNameWithoutExtension(artifact.Asset), StringComparison.OrdinalIgnoreCase))
        {
            artifact.NotCarried.Add($"command {command}: the shim is named after the file ({artifact.Asset})");
        }
        return artifact;
    }

    /// <summary>The URLs the default locale manifest (DefaultLocale in the version manifest) names; none when it cannot be read.</summary>
    private static IReadOnlyCollection<Uri> LocaleUrls(string folder, string identifier)
    {
        string versionFile = Path.Combine(folder, identifier + ".yaml");
        if (!File.Exists(versionFile)) return Array.Empty<Uri>();
        string? locale = Root(YamlBounds.ReadFile(versionFile, AquaDefinition.MaximumBytes), versionFile) is { } v ? Text(v, "DefaultLocale") : null;
        if (locale == null || locale.IndexOfAny(new[] { '/', '\\' }) >= 0 || locale.Contains("..")) return Array.Empty<Uri>();
        string localeFile = Path.Combine(folder, identifier + ".locale." + locale + ".yaml");
        if (!File.Exists(localeFile)) return Array.Empty<Uri>();
        return Root(YamlBounds.ReadFile(localeFile, AquaDefinition.MaximumBytes), localeFile) is { } l ? UrlsOf(l) : Array.Empty<Uri>();
    }

    private static YamlMappingNode? Root(string text, string source)
    {
        try
        {
            YamlStream stream = YamlBounds.Load(new StringReader(text), source);
            return stream.Documents.Count > 0 ? stream.Documents[0].RootNode as YamlMappingNode : null;
        }
        catch (ManifestFormatException)
        {
            return null;
        }
    }

    private static IReadOnlyCollection<Uri> UrlsOf(YamlMappingNode map)
    {
        IEnumerable<string?> values = WingetInstallerHost.UrlFields.Select(f => Text(map, f));
        if (map.Children.TryGetValue(new YamlScalarNode("Documentations"), out YamlNode? docs) && docs is YamlSequenceNode list)
            values = values.Concat(list.OfType<YamlMappingNode>().Select(d => Text(d, "DocumentUrl")));
        return values.Select(v => Uri.TryCreate(v ?? string.Empty, UriKind.Absolute, out Uri? u) && u.Scheme is "https" or "http" ? u : null).OfType<Uri>().ToList();
    }

    /// <summary>The setup program's switches, scope and exit codes, as the entry's installer: block carries them; null (with the reason) for an exe without silent switches.</summary>
    private static PinnedInstaller? InstallerOf(string type, Func<string, YamlNode?> node, Func<string, string?> field, string where, ref string? reason)
    {
        var switches = node("InstallerSwitches") as YamlMappingNode;
        string? silent = switches == null ? null : Text(switches, "Silent") ?? Text(switches, "SilentWithProgress");
        if (type == "exe" && string.IsNullOrWhiteSpace(silent))
        {
            reason = "installer type 'exe' without InstallerSwitches Silent: SecureInstall cannot know how to run it unattended";
            return null;
        }
        var installer = new PinnedInstaller
        {
            Type = type, Silent = silent, Custom = switches == null ? null : Text(switches, "Custom"),
            Scope = field("Scope")?.ToLowerInvariant() is "user" or "machine" ? field("Scope")!.ToLowerInvariant() : null,
        };
        installer.Elevated = installer.Scope == "machine" || field("ElevationRequirement") == "elevationRequired";
        if (new[] { installer.Silent, installer.Custom }.Any(s => s != null && s.Any(char.IsControl)))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "InstallerSwitches hold a control character.");
        if (node("InstallerSuccessCodes") is YamlSequenceNode codes)
            installer.SuccessCodes = codes.OfType<YamlScalarNode>().Select(c => int.TryParse(c.Value, out int n) ? (int?)n : null).OfType<int>().ToList();
        if (node("ExpectedReturnCodes") is YamlSequenceNode expected)
        {
            var known = new Dictionary<int, string>();
            foreach (YamlMappingNode e in expected.OfType<YamlMappingNode>())
            {
                if (int.TryParse(Text(e, "InstallerReturnCode"), out int code) && Text(e, "ReturnResponse") is { } response) known[code] = response;
            }
            installer.ReturnCodes = known;
        }
        return installer;
    }

    private static string ToolNameOf(YamlMappingNode root, string identifier)
    {
        string? command = root.Children.TryGetValue(new YamlScalarNode("Commands"), out YamlNode? c) && c is YamlSequenceNode s ? s.OfType<YamlScalarNode>().FirstOrDefault()?.Value : null;
        if (command != null && Install.InstallRootLayout.ReservedReason(command, isVersion: false) == null) return command;
        return identifier.Split('.').Last().ToLowerInvariant();
    }

    private static string? Text(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? v) && v is YamlScalarNode s ? s.Value : null;
}
