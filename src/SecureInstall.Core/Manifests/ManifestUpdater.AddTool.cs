using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Manifests;

public static partial class ManifestUpdater
{
    /// <summary>
    /// Appends a tool's block (written at two-space steps, keys at column 0) after the last tool of a native manifest,
    /// indented as its tools are, leaving every other byte as it was; an empty or missing manifest becomes <c>tools:</c>
    /// and the block. The result is read back: the new tool must read without a problem, or nothing is returned.
    /// </summary>
    /// <exception cref="ManifestFormatException">the manifest is not the native layout, already pins the tool, or the result does not read back cleanly.</exception>
    public static string AddTool(string? manifestText, string source, string? baseDirectory, string toolName, string block)
    {
        if (block == null) throw new ArgumentNullException(nameof(block));
        string text;
        if (string.IsNullOrWhiteSpace(manifestText))
        {
            text = (manifestText ?? string.Empty) + "tools:\n" + Indent(block, 2);
        }
        else
        {
            PinnedManifest manifest = new ManifestReader().Read(new StringReader(manifestText), source, baseDirectory);
            if (manifest.Layout != "native")
                throw new ManifestFormatException(source, 1, "tools can be added to the native layout (tools: …) only; this manifest is the clauded layout.");
            if (manifest.Find(toolName) is { } present)
                throw new ManifestFormatException(source, present.Line, $"{present.Name} is already pinned; add a version to it with Update-PinnedToolManifest.");
            YamlStream stream = YamlBounds.Load(new StringReader(manifestText!), source);
            var root = (YamlMappingNode)stream.Documents[0].RootNode;
            var tools = (YamlMappingNode)root.Children[new YamlScalarNode("tools")];
            var last = tools.Children.Last();
            (_, int insertAt) = LinesOf(manifestText!, last.Key, last.Value);
            string indented = Indent(block, (int)last.Key.Start.Column - 1);
            if (insertAt > 0 && manifestText![insertAt - 1] != '\n') indented = "\n" + indented;
            text = manifestText!.Substring(0, insertAt) + indented + manifestText.Substring(insertAt);
        }
        PinnedManifest reread = new ManifestReader().Read(new StringReader(text), source, baseDirectory);
        PinnedTool? added = reread.Find(toolName);
        if (added == null || added.Versions.Count == 0 || added.Versions.Any(v => v.Problems.Count > 0))
            throw new ManifestFormatException(source, added?.Line ?? 0,
                $"the entry for {toolName} does not read back as pinned{(added?.Versions.SelectMany(v => v.Problems).FirstOrDefault() is { } p ? ": " + p.Message : "")}; nothing was written.");
        return text;
    }

    /// <summary>
    /// Adds a version block (its key at column 0) after the last version of a tool that has a versions mapping, indented
    /// as those versions are. A version already pinned is compared instead: the same digests are "unchanged"; another
    /// digest for any platform is <see cref="PinnedDigestChangedException"/> (a re-upload under the same version).
    /// </summary>
    /// <param name="digests">platform → the digest the block pins (sha256 hex, or the SRI integrity value).</param>
    public static ManifestUpdate AddVersionBlock(string manifestText, string source, string? baseDirectory, string toolName, string version,
        string block, IReadOnlyDictionary<string, string> digests, string digestSource)
    {
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(manifestText), source, baseDirectory);
        PinnedTool tool = Install.PinnedArtifactResolver.Tool(manifest, toolName);
        var update = new ManifestUpdate
        {
            Tool = tool.Name, Version = version, FromVersion = (tool.Resolve(null) ?? tool.Versions.Last()).Version, ChecksumsSource = digestSource,
            Artifacts = digests.Select(kv => $"{kv.Key}: {kv.Value}").ToList(),
        };
        if (tool.Resolve(version) is { } existing)
        {
            foreach (var kv in digests)
            {
                PinnedArtifact? pinned = existing.ArtifactFor(kv.Key);
                string? was = pinned?.Sha256 ?? pinned?.IntegrityText;
                if (pinned != null && was != null && !string.Equals(was, kv.Value, StringComparison.OrdinalIgnoreCase))
                    throw new PinnedDigestChangedException(tool.Name, version, Uri.UnescapeDataString(pinned.Url.Segments.Last()), was, kv.Value);
            }
            update.Change = "unchanged";
            update.Text = manifestText;
            return update;
        }
        YamlStream stream = YamlBounds.Load(new StringReader(manifestText), source);
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        YamlMappingNode tools = root.Children.TryGetValue(new YamlScalarNode("tools"), out YamlNode? t) ? (YamlMappingNode)t : root;
        var toolNode = (YamlMappingNode)tools.Children.First(kv => ((YamlScalarNode)kv.Key).Value == tool.Name).Value;
        if (!toolNode.Children.TryGetValue(new YamlScalarNode("versions"), out YamlNode? v) || v is not YamlMappingNode versions || versions.Children.Count == 0)
            throw new ManifestFormatException(source, tool.Line, $"{tool.Name} has no 'versions' mapping to add a version to.");
        var last = versions.Children.Last();
        (_, int insertAt) = LinesOf(manifestText, last.Key, last.Value);
        string indented = Indent(block, (int)last.Key.Start.Column - 1);
        if (insertAt > 0 && manifestText[insertAt - 1] != '\n') indented = "\n" + indented;
        string text = manifestText.Substring(0, insertAt) + indented + manifestText.Substring(insertAt);
        PinnedVersion? written = new ManifestReader().Read(new StringReader(text), source, baseDirectory).Find(tool.Name)?.Resolve(version);
        if (written == null || written.Problems.Count > 0)
            throw new ManifestFormatException(source, 0, $"the updated manifest does not pin {tool.Name} {version} cleanly{(written?.Problems.FirstOrDefault() is { } p ? ": " + p.Message : "")}; nothing was written.");
        update.Change = "added";
        update.Text = text;
        return update;
    }

    private static string Indent(string block, int columns)
    {
        string pad = new string(' ', columns);
        string[] lines = block.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        return string.Join("\n", lines.Select(l => l.Length == 0 ? l : pad + l)) + "\n";
    }
}
