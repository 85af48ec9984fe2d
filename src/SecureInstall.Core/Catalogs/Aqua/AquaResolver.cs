using SecureInstall.Core.Checksums;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// Renders an aqua package version for each platform SecureInstall knows, following the definition's own rules in aqua's
/// order: version_constraint then the first matching version_overrides entry; supported_envs (or the legacy supported_if);
/// the first matching overrides entry (goos, goarch, envs) or legacy format_overrides; rosetta2 and
/// windows_arm_emulation; replacements; the asset (github_release) or url (http) template with windows .exe completion;
/// files; checksum. A rendered name that leaves its folder ('..', '/', '\'), a URL that is not https and a feature that is
/// not mapped are refused by name.
/// </summary>
public static partial class AquaResolver
{
    private static readonly string[] Archives = { "tar.gz", "tgz", "tar.xz", "txz", "tar.bz2", "tbz2", "tbz", "tar.zst", "tzst", "tar", "zip", "gz", "xz", "bz2", "zst", "7z", "dmg", "pkg", "msi" };

    /// <summary>The base of release download URLs: https://github.com, or GH_HOST / --github-base for GitHub Enterprise Server and tests.</summary>
    public static Uri DefaultGitHubBase => new("https://github.com/");

    /// <exception cref="CatalogException">the definition as a whole cannot be mapped (its type, its version rules).</exception>
    public static CatalogResolution Resolve(AquaDefinition definition, string version, Uri githubBase)
    {
        if (definition == null) throw new ArgumentNullException(nameof(definition));
        if (githubBase == null) throw new ArgumentNullException(nameof(githubBase));
        string where = $"{definition.Source} ({definition.Package})";
        CheckVersionText(version, where);
        var top = Bag(definition.Node);
        string prefix = Scalar(top, "version_prefix") ?? string.Empty;
        // As in aqua: the version is the release tag as written ("v2.63.0", "kustomize/v5.8.1"); SemVer is it without version_prefix.
        string tag = version;
        string semVer = prefix.Length > 0 && tag.StartsWith(prefix, StringComparison.Ordinal) ? tag.Substring(prefix.Length) : tag;
        var values = new Dictionary<string, string> { ["Version"] = tag, ["SemVer"] = semVer };

        Dictionary<string, YamlNode> pkg = SelectVersion(top, values, where);
        string type = Scalar(pkg, "type") ?? string.Empty;
        if (type is not ("github_release" or "http"))
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where,
                $"type '{type}' is not mapped: SecureInstall pins downloads of type github_release and http (a {type} package is built or fetched by another tool, with no published digest).");
        if (Scalar(pkg, "error_message") is string error)
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"the definition says of {tag}: {error.Trim()}");

        var resolution = new CatalogResolution
        {
            Catalog = "aqua", Package = definition.Package, Version = version, Tag = tag, DefinitionSource = definition.Source,
            DefinitionCommit = definition.Commit, ToolName = ToolNameOf(definition, pkg),
        };
        foreach (string platform in Platforms.Known)
        {
            try
            {
                CatalogArtifact? artifact = ResolvePlatform(definition, pkg, platform, values, githubBase, where, out string? skipped);
                if (artifact != null) resolution.Artifacts.Add(artifact);
                else resolution.Skipped.Add(new KeyValuePair<string, string>(platform, skipped!));
            }
            catch (CatalogException ex) when (ex.ErrorId == ErrorIds.CatalogDefinitionUnsupported)
            {
                // One platform's unmapped format does not stop the others; a hostile value (CatalogDefinitionInvalid) does.
                resolution.Skipped.Add(new KeyValuePair<string, string>(platform, ex.Reason));
            }
        }
        if (resolution.Artifacts.Count == 0)
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where,
                $"{tag} has no artifact SecureInstall can pin on any platform: {string.Join("; ", resolution.Skipped.Select(s => s.Key + ": " + s.Value))}.");
        return resolution;
    }

    /// <summary>A version becomes a URL path segment and a folder name: refuse separators and dot segments outright.</summary>
    private static void CheckVersionText(string version, string where)
    {
        if (string.IsNullOrWhiteSpace(version) || version.Split('/').Any(s => s is "" or "." or "..") || version.IndexOfAny(new[] { '\\', '?', '#', '%', ' ' }) >= 0
            || version.Any(char.IsControl))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"'{version}' is not a release version (no '..', '\\', '?', '#', '%' or spaces).");
    }

    private static string ToolNameOf(AquaDefinition definition, Dictionary<string, YamlNode> pkg)
    {
        // The command is what people call the tool (cli/cli installs gh); a name that cannot be a folder falls back to the package's.
        if (pkg.TryGetValue("files", out YamlNode? node) && node is YamlSequenceNode files && files.OfType<YamlMappingNode>().Select(f => AquaDefinition.Text(f, "name")).FirstOrDefault() is string name
            && Install.InstallRootLayout.ReservedReason(name, isVersion: false) == null)
            return name;
        return definition.Package.Split('/').Last();
    }

    /// <summary>version_constraint, then the first version_overrides entry whose constraint holds (aqua's SetVersion); else the top level.</summary>
    private static Dictionary<string, YamlNode> SelectVersion(Dictionary<string, YamlNode> top, Dictionary<string, string> values, string where)
    {
        string? constraint = Scalar(top, "version_constraint");
        if (constraint == null || VersionConstraint.Evaluate(constraint, values, where)) return top;
        if (top.TryGetValue("version_overrides", out YamlNode? list) && list is YamlSequenceNode overrides)
        {
            foreach (YamlMappingNode vo in overrides.OfType<YamlMappingNode>())
            {
                string? c = AquaDefinition.Text(vo, "version_constraint");
                if (c != null && VersionConstraint.Evaluate(c, values, where))
                {
                    var merged = new Dictionary<string, YamlNode>(top, StringComparer.Ordinal);
                    foreach (var kv in Bag(vo)) merged[kv.Key] = kv.Value;
                    return merged;
                }
            }
        }
        return top;
    }

    private static CatalogArtifact? ResolvePlatform(AquaDefinition definition, Dictionary<string, YamlNode> versionBag, string platform,
        Dictionary<string, string> versionValues, Uri githubBase, string where, out string? skipped)
    {
        skipped = null;
        string goos = platform.Split('-')[0];
        string goarch = platform.Split('-')[1] == "x64" ? "amd64" : "arm64";
        var pkg = new Dictionary<string, YamlNode>(versionBag, StringComparer.Ordinal);
        bool rosetta2 = Flag(pkg, "rosetta2"), emulation = Flag(pkg, "windows_arm_emulation");

        if (!Supported(pkg, goos, goarch, rosetta2, emulation, where))
        {
            skipped = $"the package does not support {goos}/{goarch} (supported_envs)";
            return null;
        }
        ApplyOverride(pkg, goos, goarch);
        rosetta2 = Flag(pkg, "rosetta2");
        emulation = Flag(pkg, "windows_arm_emulation");

        var replacements = Map(pkg, "replacements");
        string assetArch = (rosetta2 && goos == "darwin" && goarch == "arm64") || (emulation && goos == "windows" && goarch == "arm64") ? "amd64" : goarch;
        string format = Scalar(pkg, "format") ?? string.Empty;
        var values = new Dictionary<string, string>(versionValues)
        {
            ["GOOS"] = goos, ["GOARCH"] = assetArch,
            ["OS"] = replacements.TryGetValue(goos, out string? os) ? os : goos,
            ["Arch"] = replacements.TryGetValue(assetArch, out string? arch) ? arch : assetArch,
        };
        if (pkg.TryGetValue("vars", out YamlNode? vars) && vars is YamlSequenceNode varList)
        {
            foreach (YamlMappingNode v in varList.OfType<YamlMappingNode>())
            {
                string? name = AquaDefinition.Text(v, "name");
                if (name != null && AquaDefinition.Text(v, "default") is string d) values["Vars." + name] = d;
            }
        }

        string type = Scalar(pkg, "type") ?? string.Empty;
        string asset;
        Uri url;
        if (type == "github_release")
        {
            string owner = Scalar(pkg, "repo_owner") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "a github_release package names no repo_owner.");
            string repo = Scalar(pkg, "repo_name") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "a github_release package names no repo_name.");
            string? template = Scalar(pkg, "asset");
            if (template == null || Flag(pkg, "no_asset"))
            {
                skipped = $"the definition names no asset for {goos}/{goarch} at {versionValues["Version"]}";
                return null;
            }
            values["Format"] = format;
            asset = CompleteWindows(pkg, goos, format, FileNameOnly(GoTemplate.Render(template, values, where), template, where));
            url = ReleaseUrl(githubBase, owner, repo, versionValues["Version"], asset, where);
        }
        else if (type == "http")
        {
            string template = Scalar(pkg, "url") ?? throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, "an http package names no url.");
            values["Format"] = format;
            url = HttpsUrl(CompleteWindows(pkg, goos, format, GoTemplate.Render(template, values, where)), template, where);
            asset = Uri.UnescapeDataString(url.Segments.Last());
        }
        else
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where, $"an override sets type '{type}' for {goos}/{goarch}, which is not mapped.");
        }
        if (format.Length == 0) format = Archives.FirstOrDefault(a => asset.EndsWith("." + a, StringComparison.OrdinalIgnoreCase)) ?? "raw";
        ArtifactKind kind = KindOf(format, where);
        values["Format"] = format;
        values["Asset"] = asset;
        values["AssetWithoutExt"] = WithoutExtension(asset, format);

        var artifact = new CatalogArtifact { Platform = platform, Url = url, Asset = asset, Kind = kind, Format = format };
        artifact.Executables = kind == ArtifactKind.Binary ? RawCommand(pkg, goos, where) : FilesOf(pkg, goos, values, where, artifact);
        ReadChecksum(pkg, goos, goarch, assetArch, values, githubBase, where, artifact);
        ReadSignatures(pkg, values, githubBase, where, artifact);
        if (pkg.TryGetValue("slsa_provenance", out YamlNode? slsa) && slsa is YamlMappingNode slsaNode && !Disabled(slsa))
            ReadSlsaProvenance(slsaNode, pkg, values, githubBase, where, artifact);
        return artifact;
    }

    private static Uri ReleaseUrl(Uri githubBase, string owner, string repo, string tag, string asset, string where)
    {
        if (githubBase.Scheme != Uri.UriSchemeHttps)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the GitHub base {githubBase} is not https.");
        foreach (string part in new[] { owner, repo })
        {
            if (part.Length == 0 || part is "." or ".." || part.IndexOfAny(new[] { '/', '\\', '?', '#', '%' }) >= 0)
                throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"'{part}' is not a GitHub owner or repository name.");
        }
        string path = string.Join("/", new[] { owner, repo, "releases", "download" }.Concat(tag.Split('/')).Concat(new[] { asset }).Select(Uri.EscapeDataString));
        return new Uri(githubBase.AbsoluteUri.TrimEnd('/') + "/" + path);
    }

    /// <summary>A rendered asset is one file name: '/', '\', '..' or a control character is a definition escaping its release.</summary>
    private static string FileNameOnly(string rendered, string template, string where)
    {
        if (rendered.Length == 0 || rendered is "." or ".." || rendered.IndexOfAny(new[] { '/', '\\' }) >= 0 || rendered.Any(char.IsControl))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the asset template '{template}' renders '{rendered}', which is not a file name of the release.");
        return rendered;
    }

    /// <summary>A rendered URL must be https and must not climb ('/../' is normalised away by URI parsing, so it is checked in the text).</summary>
    internal static Uri HttpsUrl(string rendered, string template, string where)
    {
        if (!Uri.TryCreate(rendered, UriKind.Absolute, out Uri? uri))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the url template '{template}' renders '{rendered}', which is not an absolute URL.");
        if (uri.Scheme != Uri.UriSchemeHttps)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the url template '{template}' renders {uri.Scheme}: '{rendered}'; only https downloads are pinned (anyone on the path can change a plain http download).");
        string path = rendered.Substring(rendered.IndexOf("//", StringComparison.Ordinal) + 2);
        int q = path.IndexOfAny(new[] { '?', '#' });
        if (q >= 0) path = path.Substring(0, q);
        if (path.Replace('\\', '/').Split('/').Skip(1).Any(s => s is "." or ".." || Uri.UnescapeDataString(s) is "." or ".."))
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"the url template '{template}' renders '{rendered}', whose path climbs with '..'.");
        return uri;
    }

    // aqua completes a Windows asset with .exe (windows_ext) when it is a raw binary or has no extension, unless complete_windows_ext: false.
    private static string CompleteWindows(Dictionary<string, YamlNode> pkg, string goos, string format, string asset)
    {
        if (goos != "windows" || asset.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) return asset;
        if (Scalar(pkg, "complete_windows_ext") is string c && c.Equals("false", StringComparison.OrdinalIgnoreCase)) return asset;
        string ext = Scalar(pkg, "windows_ext") ?? ".exe";
        if (format == "raw") return asset + ext;
        if (format.Length > 0) return asset;
        string last = asset.Split('/').Last();
        return last.Contains('.') ? asset : asset + ext;
    }

    private static string WithoutExtension(string asset, string format)
    {
        if (format != "raw" && asset.EndsWith("." + format, StringComparison.OrdinalIgnoreCase)) return asset.Substring(0, asset.Length - format.Length - 1);
        if (asset.EndsWith(".exe", StringComparison.OrdinalIgnoreCase)) return asset.Substring(0, asset.Length - 4);
        return asset;
    }

    private static ArtifactKind KindOf(string format, string where) => format.ToLowerInvariant() switch
    {
        "raw" => ArtifactKind.Binary,
        "zip" => ArtifactKind.Zip,
        "tar" => ArtifactKind.Tar,
        "tar.gz" or "tgz" => ArtifactKind.TarGz,
        "tar.xz" or "txz" => ArtifactKind.TarXz,
        "tar.bz2" or "tbz2" or "tbz" => ArtifactKind.TarBz2,
        "tar.zst" or "tzst" => ArtifactKind.TarZst,
        _ => throw new CatalogException(ErrorIds.CatalogDefinitionUnsupported, where,
            $"format '{format}' is not one SecureInstall installs (raw, zip, tar, tar.gz, tar.xz, tar.bz2, tar.zst)"),
    };

    private static IReadOnlyList<string> FilesOf(Dictionary<string, YamlNode> pkg, string goos, Dictionary<string, string> values, string where, CatalogArtifact artifact)
    {
        var bins = new List<string>();
        if (pkg.TryGetValue("files", out YamlNode? node) && node is YamlSequenceNode files)
        {
            foreach (YamlMappingNode file in files.OfType<YamlMappingNode>())
            {
                string name = AquaDefinition.Text(file, "name") ?? string.Empty;
                var fileValues = new Dictionary<string, string>(values) { ["FileName"] = name };
                string src = AquaDefinition.Text(file, "src") is string t ? GoTemplate.Render(t, fileValues, where) : name;
                if (AquaDefinition.Text(file, "dir") is string dir) src = GoTemplate.Render(dir, fileValues, where).TrimEnd('/') + "/" + src;
                if (goos == "windows" && System.IO.Path.GetExtension(src).Length == 0) src += ".exe";
                if (!IO.RelativePath.IsInside(src))
                    throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, where, $"files: '{src}' ({name}) is not a path inside the archive.");
                if (System.IO.Path.GetFileNameWithoutExtension(src) != name && name.Length > 0)
                    artifact.NotCarried.Add($"files: {name} is {src} in the archive; the shim is named after the file ({System.IO.Path.GetFileName(src)})");
                foreach (string key in new[] { "link", "hard" })
                {
                    if (AquaDefinition.Text(file, key) != null) artifact.NotCarried.Add($"files: {name} {key}: aqua's {key} link is not made; the shim points at {src}");
                }
                bins.Add(src);
            }
        }
        else
        {
            string name = ToolNameFromPackage(pkg);
            bins.Add(goos == "windows" ? name + ".exe" : name);
        }
        return bins;
    }

    /// <summary>A raw asset is the command itself: installed under the definition's files[].name (Windows: .exe), else under its own name.</summary>
    private static IReadOnlyList<string> RawCommand(Dictionary<string, YamlNode> pkg, string goos, string where)
    {
        string? name = pkg.TryGetValue("files", out YamlNode? node) && node is YamlSequenceNode files
            ? files.OfType<YamlMappingNode>().Select(f => AquaDefinition.Text(f, "name")).FirstOrDefault() : null;
        if (name == null) return Array.Empty<string>();
        name = FileNameOnly(name, "files[].name " + name, where); // a name with '/' or '..' would place the binary elsewhere
        return new[] { goos == "windows" && System.IO.Path.GetExtension(name).Length == 0 ? name + ".exe" : name };
    }

    private static string ToolNameFromPackage(Dictionary<string, YamlNode> pkg) =>
        Scalar(pkg, "repo_name") ?? (Scalar(pkg, "name") ?? "tool").Split('/').Last();

    private static bool Supported(Dictionary<string, YamlNode> pkg, string goos, string goarch, bool rosetta2, bool emulation, string where)
    {
        if (Scalar(pkg, "supported_if") is string condition)
            return VersionConstraint.Evaluate(condition, new Dictionary<string, string> { ["GOOS"] = goos, ["GOARCH"] = goarch }, where);
        if (!pkg.TryGetValue("supported_envs", out YamlNode? node) || node is not YamlSequenceNode envs) return true;
        var list = envs.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty).ToList();
        bool Has(string os, string arch) => list.Any(e => e == "all" || e == os || e == arch || e == os + "/" + arch);
        if (Has(goos, goarch)) return true;
        // aqua: with rosetta2 (windows_arm_emulation) the amd64 build serves darwin/arm64 (windows/arm64).
        return goarch == "arm64" && ((rosetta2 && goos == "darwin") || (emulation && goos == "windows")) && Has(goos, "amd64");
    }

    /// <summary>The first overrides entry that matches (goos, goarch, envs) replaces the fields it names; replacements merge.</summary>
    private static void ApplyOverride(Dictionary<string, YamlNode> pkg, string goos, string goarch)
    {
        if (pkg.TryGetValue("format_overrides", out YamlNode? fo) && fo is YamlSequenceNode formatOverrides)
        {
            foreach (YamlMappingNode o in formatOverrides.OfType<YamlMappingNode>())
            {
                if (AquaDefinition.Text(o, "goos") == goos && o.Children.TryGetValue(new YamlScalarNode("format"), out YamlNode? f))
                {
                    pkg["format"] = f;
                    break;
                }
            }
        }
        if (!pkg.TryGetValue("overrides", out YamlNode? node) || node is not YamlSequenceNode overrides) return;
        foreach (YamlMappingNode o in overrides.OfType<YamlMappingNode>())
        {
            string? os = AquaDefinition.Text(o, "goos"), arch = AquaDefinition.Text(o, "goarch");
            if (os != null && os != goos) continue;
            if (arch != null && arch != goarch) continue;
            if (o.Children.TryGetValue(new YamlScalarNode("envs"), out YamlNode? e) && e is YamlSequenceNode envs
                && !envs.OfType<YamlScalarNode>().Any(s => s.Value == "all" || s.Value == goos || s.Value == goarch || s.Value == goos + "/" + goarch))
                continue;
            foreach (var kv in Bag(o))
            {
                if (kv.Key is "goos" or "goarch" or "envs") continue;
                if (kv.Key == "replacements" && pkg.TryGetValue("replacements", out YamlNode? existing) && existing is YamlMappingNode baseMap && kv.Value is YamlMappingNode add)
                {
                    var merged = new YamlMappingNode();
                    foreach (var r in baseMap.Children) merged.Children[r.Key] = r.Value;
                    foreach (var r in add.Children) merged.Children[r.Key] = r.Value;
                    pkg["replacements"] = merged;
                }
                else
                {
                    pkg[kv.Key] = kv.Value;
                }
            }
            return;
        }
    }

    private static Dictionary<string, YamlNode> Bag(YamlMappingNode node)
    {
        var bag = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var kv in node.Children)
        {
            if (kv.Key is YamlScalarNode k && k.Value != null) bag[k.Value] = kv.Value;
        }
        return bag;
    }

    private static Dictionary<string, string> Map(Dictionary<string, YamlNode> bag, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (bag.TryGetValue(key, out YamlNode? node) && node is YamlMappingNode m)
        {
            foreach (var kv in m.Children)
            {
                if (kv.Key is YamlScalarNode k && kv.Value is YamlScalarNode v && k.Value != null) map[k.Value] = v.Value ?? string.Empty;
            }
        }
        return map;
    }

    private static string? Scalar(Dictionary<string, YamlNode> bag, string key) =>
        bag.TryGetValue(key, out YamlNode? node) && node is YamlScalarNode s ? s.Value : null;

    private static bool Flag(Dictionary<string, YamlNode> bag, string key) =>
        string.Equals(Scalar(bag, key), "true", StringComparison.OrdinalIgnoreCase);

    private static bool Disabled(YamlNode node) =>
        node is YamlMappingNode m && string.Equals(AquaDefinition.Text(m, "enabled"), "false", StringComparison.OrdinalIgnoreCase);
}
