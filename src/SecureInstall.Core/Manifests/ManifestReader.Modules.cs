using SecureInstall.Core.Checksums;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

/// <summary>The <c>modules:</c> section (issue 22): PowerShell modules pinned by exact version and the .nupkg's SHA-512.</summary>
public sealed partial class ManifestReader
{
    private static readonly string[] ModuleKeys = { "version", "sha512", "source", "scope", "signature" };

    private static void ReadModules(PinnedManifest manifest, YamlNode node, Context source)
    {
        if (node is not YamlMappingNode modules)
            throw new ManifestFormatException(source, Line(node), "'modules' must be a mapping of module names to {version, sha512, source}.");
        foreach (var pair in modules.Children)
        {
            string name = Scalar(pair.Key, source);
            int line = Line(pair.Key);
            if (pair.Value is not YamlMappingNode body)
                throw new ManifestFormatException(source, Line(pair.Value), $"module '{name}' must be a mapping of version, sha512 and source.");
            // The name and version become folders of a module path: the same plain-name rule as a tool's.
            if (Install.InstallRootLayout.ReservedReason(name, isVersion: false) is { } reserved)
                throw new ManifestFormatException(source, line, $"module {reserved}");
            if (manifest.FindModule(name) != null)
                throw new ManifestFormatException(source, line, $"module '{name}' is pinned twice (PowerShell module names ignore case).");
            foreach (var key in body.Children.Keys.Select(k => Scalar(k, source)).Where(k => !ModuleKeys.Contains(k)))
                throw new ManifestFormatException(source, LineOf(body, key), $"module '{name}': '{key}' is not a module setting (one of {string.Join(", ", ModuleKeys)}).");

            var module = new PinnedModule { Name = name, Version = OptionalScalar(body, "version", source) ?? string.Empty, Line = line };
            var asVersion = new PinnedVersion { Key = module.Version, Version = module.Version, Line = line };
            var asTool = new PinnedTool { Name = name, Line = line };
            CheckFolderName(asTool, asVersion, source, line);
            CheckVersion(asTool, asVersion, source, line, waiver: null);

            string? sha512 = OptionalScalar(body, "sha512", source);
            if (sha512 == null)
                Problem(asTool, asVersion, ErrorIds.ManifestEntryUnpinned, source, line, null, "has no sha512 (of the .nupkg): an unpinned package proves nothing. Update-PinnedModuleManifest writes it from the feed.");
            else if (ReadSha512(sha512, $"sha512 of module {name} in {source}:{LineOf(body, "sha512")}") is { } digest)
                module.Sha512 = digest;
            else
                Problem(asTool, asVersion, ErrorIds.ManifestEntryUnpinned, source, LineOf(body, "sha512"), null,
                    $"sha512 '{sha512}' is neither 128 hex digits nor the 88-character base64 NuGet writes (nor sha512-BASE64).");

            string? feed = OptionalScalar(body, "source", source);
            if (feed == null) throw new ManifestFormatException(source, line, $"module '{name}' has no source (a NuGet v2 endpoint such as https://www.powershellgallery.com/api/v2, or a v3 index.json).");
            Uri uri = ResolveUrl(feed, source)
                ?? throw new ManifestFormatException(source, LineOf(body, "source"), $"module '{name}': source '{feed}' is not an absolute URL.");
            CheckUrl(asTool, asVersion, uri, source, LineOf(body, "source"), waiver: null);
            module.Source = uri;

            module.Scope = OptionalScalar(body, "scope", source);
            if (module.Scope != null && !module.Scope.Equals("CurrentUser", StringComparison.OrdinalIgnoreCase) && !module.Scope.Equals("AllUsers", StringComparison.OrdinalIgnoreCase))
                throw new ManifestFormatException(source, LineOf(body, "scope"), $"module '{name}': scope '{module.Scope}' is not CurrentUser or AllUsers.");
            module.SignaturePolicy = ReadModuleSignature(body, name, source);
            module.Signature = module.SignaturePolicy == null ? null : string.Join(", ", module.SignaturePolicy.Settings.Where(s => s.Key != "scheme").Select(s => $"{s.Key} {s.Value}"));
            module.Problems.AddRange(asVersion.Problems);
            manifest.Modules.Add(module);
        }
    }

    /// <summary>
    /// A module's <c>signature:</c> as the Authenticode policy a tool's takes: a scalar is the signer's thumbprint (40 hex
    /// digits) or subject; a mapping is the tool form (thumbprint/subject/root; scheme, if given, must be authenticode).
    /// </summary>
    private static SignaturePolicy? ReadModuleSignature(YamlMappingNode body, string name, Context source)
    {
        YamlNode? node = Get(body, "signature");
        if (node == null) return null;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal) { ["scheme"] = "authenticode" };
        if (node is YamlScalarNode scalar)
        {
            string value = (scalar.Value ?? string.Empty).Trim();
            string compact = value.Replace(" ", string.Empty);
            settings[compact.Length == 40 && Hex.IsHex(compact) ? "thumbprint" : "subject"] = value;
        }
        else if (node is YamlMappingNode map)
        {
            foreach (var kv in map.Children) settings[Scalar(kv.Key, source)] = kv.Value is YamlScalarNode s ? s.Value ?? string.Empty : string.Empty;
            if (!Signatures.Authenticode.AuthenticodeRequirement.IsScheme(settings["scheme"]))
                throw new ManifestFormatException(source, Line(node), $"module '{name}': a module's signature is Authenticode (the signer of its files), not '{settings["scheme"]}'.");
        }
        else throw new ManifestFormatException(source, Line(node), $"module '{name}': signature is the signer's thumbprint or subject, or a mapping of thumbprint, subject and root.");
        return new SignaturePolicy { Scheme = "authenticode", Settings = settings, Line = Line(node), BaseDirectory = source.BaseDirectory };
    }

    /// <summary>
    /// A .nupkg's SHA-512 as people copy it: 128 hex digits, the 88-character base64 NuGet's own files (.nupkg.sha512, the
    /// v3 catalog's packageHash, packages.lock.json's contentHash) write, or "sha512-BASE64". Null when it is none of those.
    /// </summary>
    internal static ChecksumEntry? ReadSha512(string value, string source)
    {
        string text = value.Trim();
        try
        {
            if (text.StartsWith("sha512-", StringComparison.OrdinalIgnoreCase))
            {
                ChecksumEntry sri = ChecksumEntry.FromIntegrity(text, source);
                return sri.Algorithm == ChecksumAlgorithm.SHA512 && sri.Companions.Count == 0 ? sri : null;
            }
            if (text.Length == 128 && Hex.IsHex(text)) return ChecksumEntry.FromDigest(text, ChecksumAlgorithm.SHA512, source);
            if (text.Length == 88)
            {
                byte[] bytes = Convert.FromBase64String(text);
                return bytes.Length == 64 ? ChecksumEntry.FromDigest(Hex.Encode(bytes), ChecksumAlgorithm.SHA512, source) : null;
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidDigestException)
        {
            return null;
        }
        return null;
    }
}
