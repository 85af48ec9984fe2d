using SecureInstall.Core.Checksums;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

/// <summary>What an update wrote (or would write).</summary>
public sealed class ManifestUpdate
{
    public string Tool { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string FromVersion { get; internal set; } = string.Empty;

    /// <summary>"added", "unchanged" or "re-pinned".</summary>
    public string Change { get; internal set; } = string.Empty;

    public IReadOnlyList<string> Artifacts { get; internal set; } = Array.Empty<string>();
    public string ChecksumsSource { get; internal set; } = string.Empty;

    /// <summary>The whole new manifest text.</summary>
    public string Text { get; internal set; } = string.Empty;
}

/// <summary>A version already pinned would get another digest: a re-upload at the same URL is a red flag.</summary>
public sealed class PinnedDigestChangedException : SecureInstallException
{
    public PinnedDigestChangedException(string tool, string version, string artifact, string pinned, string published)
        : base($"{tool} {version}: {artifact} is pinned to sha256 {pinned}, but the publisher's list now says {published}. A file re-uploaded under the same version is a red flag; re-pin only with -Force and a -Reason once you know why it changed.",
               ErrorIds.PinnedDigestChanged, FailureKind.Security, tool)
    {
    }

    /// <summary>A pinned PowerShell module whose feed now serves other bytes under the pinned version (Update-PinnedModuleManifest).</summary>
    public static PinnedDigestChangedException ForModule(string module, string version, string pinned, string published, string feed) =>
        new(module, $"{module} {version}: the manifest pins the .nupkg to sha512 {pinned}, but {feed} now serves one with sha512 {published}. A package republished under the same version is a red flag; " +
            "find out why before you change the pin by hand. The manifest was not changed.");

    private PinnedDigestChangedException(string tool, string message) : base(message, ErrorIds.PinnedDigestChanged, FailureKind.Security, tool)
    {
    }
}

/// <summary>
/// Adds a new version to a manifest from the publisher's checksum list, editing the YAML as text so that comments and
/// formatting stay as they were: the default version's block is copied, its version replaced, its digests replaced by
/// the ones the list gives for the new file names. The result is read back before it is returned.
/// </summary>
public static partial class ManifestUpdater
{
    public static ManifestUpdate AddVersion(string manifestText, string source, string? baseDirectory, string toolName, string newVersion,
        ChecksumList publisherList, bool force, string? reason, bool setDefault)
    {
        if (newVersion.Trim().Length == 0) throw new ArgumentException("A version is required.", nameof(newVersion));
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(manifestText), source, baseDirectory);
        PinnedTool tool = Install.PinnedArtifactResolver.Tool(manifest, toolName);
        PinnedVersion template = tool.Resolve(null) ?? tool.Versions.Last();
        PinnedVersion? existing = tool.Resolve(newVersion);

        YamlStream stream = YamlBounds.Load(new StringReader(manifestText), source);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        YamlMappingNode tools = root.Children.TryGetValue(new YamlScalarNode("tools"), out YamlNode? t) ? (YamlMappingNode)t : root;
        var toolNode = (YamlMappingNode)tools.Children.First(kv => ((YamlScalarNode)kv.Key).Value == tool.Name).Value;
        if (!toolNode.Children.TryGetValue(new YamlScalarNode("versions"), out YamlNode? versionsValue) || versionsValue is not YamlMappingNode versions)
            throw new ManifestFormatException(source, tool.Line, $"{tool.Name} has no 'versions' mapping to add a version to; convert it to the versions layout first.");

        // New digests, by the file name each template artifact gets under the new version.
        var replacements = new List<(string Old, string New)>();
        var names = new List<string>();
        foreach (PinnedArtifact artifact in template.Artifacts)
        {
            if (artifact.Sha256 == null && artifact.Integrity != null)
                throw new ManifestFormatException(source, artifact.Line,
                    $"{tool.Name} {template.Version} ({artifact.Platform}) is pinned by integrity: alone, and a publisher's list gives SHA-256: add the new version by hand (sha256: or integrity:), or give {template.Version} a sha256: too.");
            string name = Uri.UnescapeDataString(artifact.Url.Segments.Last()).Replace(template.Version, newVersion);
            ChecksumEntry entry = publisherList.Find(Path.Combine(Path.GetTempPath(), name), null, ChecksumAlgorithm.SHA256);
            names.Add($"{artifact.Platform}: {name} sha256 {entry.Digest}");
            if (artifact.Sha256 != null) replacements.Add((artifact.Sha256, entry.Digest));
            if (existing?.ArtifactFor(artifact.Platform)?.Sha256 is string pinned && pinned != entry.Digest && !(force && !string.IsNullOrWhiteSpace(reason)))
                throw new PinnedDigestChangedException(tool.Name, newVersion, name, pinned, entry.Digest);
        }

        string text = manifestText;
        string change;
        if (existing != null)
        {
            var key = versions.Children.First(kv => ((YamlScalarNode)kv.Key).Value == existing.Key);
            (int start, int end) = LinesOf(text, key.Key, key.Value);
            string block = text.Substring(start, end - start);
            string updated = block;
            foreach (PinnedArtifact a in existing.Artifacts)
            {
                string? fresh = replacements.FirstOrDefault(r => r.Old == template.ArtifactFor(a.Platform)?.Sha256).New;
                if (a.Sha256 != null && fresh != null) updated = ReplaceDigest(updated, a.Sha256, fresh);
            }
            // The publisher's list gives SHA-256: an integrity: pin of the old bytes would contradict it, so it goes.
            if (updated != block) updated = DropIntegrity(updated);
            if (updated == block)
            {
                change = "unchanged";
            }
            else
            {
                string indent = new string(' ', (int)key.Key.Start.Column - 1);
                string note = $"{indent}# re-pinned {DateTime.UtcNow:yyyy-MM-dd} by Update-PinnedToolManifest -Force: {reason!.Replace('\n', ' ').Trim()}\n";
                text = text.Substring(0, start) + note + updated + text.Substring(end);
                change = "re-pinned";
            }
        }
        else
        {
            var key = versions.Children.First(kv => ((YamlScalarNode)kv.Key).Value == template.Key);
            (int start, int end) = LinesOf(text, key.Key, key.Value);
            // Digests are set aside first: a version string such as "2024" may occur inside a hex digest.
            // The new version is pinned by the publisher's SHA-256 list: the template's integrity: pins other bytes.
            string block = DropIntegrity(text.Substring(start, end - start));
            for (int i = 0; i < replacements.Count; i++) block = ReplaceDigest(block, replacements[i].Old, $"\u0001{i}\u0001");
            block = block.Replace(template.Version, newVersion);
            if (template.Key != template.Version)
            {
                int keyStart = (int)key.Key.Start.Index - start, keyEnd = (int)key.Key.End.Index - start;
                string quoted = block.Substring(keyStart, keyEnd - keyStart).StartsWith("\"", StringComparison.Ordinal) ? $"\"{newVersion}\"" : newVersion;
                block = block.Substring(0, keyStart) + quoted + block.Substring(keyEnd);
            }
            for (int i = 0; i < replacements.Count; i++) block = block.Replace($"\u0001{i}\u0001", replacements[i].New);
            var last = versions.Children.Last();
            (_, int insertAt) = LinesOf(text, last.Key, last.Value);
            // A manifest whose last line has no line break: give both the old last line and the new block one.
            if (!block.EndsWith("\n", StringComparison.Ordinal)) block += "\n";
            if (insertAt > 0 && text[insertAt - 1] != '\n') block = "\n" + block;
            text = text.Substring(0, insertAt) + block + text.Substring(insertAt);
            change = "added";
        }

        if (setDefault && toolNode.Children.TryGetValue(new YamlScalarNode("default_version"), out YamlNode? defaultNode))
        {
            // Re-read: offsets moved when a block was inserted above.
            YamlStream again = YamlBounds.Load(new StringReader(text), source);
            YamlMappingNode r2 = (YamlMappingNode)again.Documents[0].RootNode;
            YamlMappingNode t2 = r2.Children.TryGetValue(new YamlScalarNode("tools"), out YamlNode? tt) ? (YamlMappingNode)tt : r2;
            var d2 = ((YamlMappingNode)t2.Children.First(kv => ((YamlScalarNode)kv.Key).Value == tool.Name).Value).Children[new YamlScalarNode("default_version")];
            text = text.Substring(0, (int)d2.Start.Index) + $"\"{newVersion}\"" + text.Substring((int)d2.End.Index);
        }

        // Whatever was written must read back as a pinned version.
        PinnedManifest reread = new ManifestReader().Read(new StringReader(text), source, baseDirectory);
        PinnedVersion? written = reread.Find(tool.Name)?.Resolve(newVersion);
        // A version this call wrote holds the publisher's SHA-256 and no integrity: of other bytes (one left unchanged keeps its pins).
        if (written == null || written.Problems.Count > 0 || written.Artifacts.Any(a => a.Sha256 == null || (change != "unchanged" && a.Integrity != null)))
            throw new ManifestFormatException(source, 0, $"the updated manifest does not pin {tool.Name} {newVersion} cleanly{(written?.Problems.FirstOrDefault() is { } p ? ": " + p.Message : "")}; nothing was written.");

        return new ManifestUpdate
        {
            Tool = tool.Name, Version = newVersion, FromVersion = template.Version, Change = change, Artifacts = names,
            ChecksumsSource = publisherList.Source, Text = text,
        };
    }

    /// <summary>The text offsets of whole lines from a mapping key to the end of its value.</summary>
    internal static (int Start, int End) LinesOf(string text, YamlNode key, YamlNode value)
    {
        int start = text.LastIndexOf('\n', Math.Max(0, (int)key.Start.Index - 1)) + 1;
        int end = text.IndexOf('\n', Math.Max(EndOf(value), (int)key.End.Index));
        return (start, end < 0 ? text.Length : end + 1);
    }

    /// <summary>Where a node's text ends: YamlDotNet gives a block mapping's end as its start, so take its last scalar's.</summary>
    private static int EndOf(YamlNode node)
    {
        int visited = 0;
        return EndOf(node, 0, ref visited);
    }

    private static int EndOf(YamlNode node, int depth, ref int visited)
    {
        // Aliases share nodes: a hostile manifest can make the graph exponential (or cyclic). Bound the walk.
        if (++visited > 100_000 || depth > 64) throw new ManifestFormatException("manifest", (int)node.Start.Line, "the version entry is larger than any manifest needs (an alias bomb?).");
        int end = (int)node.End.Index;
        if (node is YamlMappingNode map)
        {
            foreach (var kv in map.Children) end = Math.Max(end, Math.Max(EndOf(kv.Key, depth + 1, ref visited), EndOf(kv.Value, depth + 1, ref visited)));
        }
        else if (node is YamlSequenceNode seq)
        {
            foreach (YamlNode child in seq.Children) end = Math.Max(end, EndOf(child, depth + 1, ref visited));
        }
        return end;
    }

    /// <summary>Removes <c>integrity:</c> lines from a copied or re-pinned block (they pin the bytes of another version).</summary>
    private static string DropIntegrity(string block) =>
        System.Text.RegularExpressions.Regex.Replace(block, @"(?m)^[ \t]*integrity:[^\n]*\n?", string.Empty);

    private static string ReplaceDigest(string block, string oldDigest, string newDigest) =>
        block.Replace(oldDigest, newDigest).Replace(oldDigest.ToUpperInvariant(), newDigest);
}
