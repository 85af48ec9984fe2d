using System.Xml;

namespace SecureInstall.Core.Modules;

/// <summary>One dependency a .nuspec declares: a package id and the NuGet version range it accepts.</summary>
public sealed class NuSpecDependency
{
    public NuSpecDependency(string id, string range)
    {
        Id = id;
        Range = range;
    }

    public string Id { get; }
    public string Range { get; }

    public override string ToString() => Range.Length == 0 ? Id : $"{Id} {Range}";
}

/// <summary>
/// The parts of a package's .nuspec a pinned install checks: its id, version and dependencies (for a PowerShell module,
/// its RequiredModules). Read as hostile XML: no DTD, no external entities, a size cap.
/// </summary>
public sealed class NuSpec
{
    /// <summary>A module's .nuspec is a few KiB; release notes can make it larger, never this large.</summary>
    public const long MaximumBytes = 4L * 1024 * 1024;

    public string Id { get; private set; } = string.Empty;
    public string Version { get; private set; } = string.Empty;
    public IReadOnlyList<NuSpecDependency> Dependencies { get; private set; } = Array.Empty<NuSpecDependency>();

    /// <exception cref="FormatException">it is not a .nuspec (no id or version, or not XML).</exception>
    public static NuSpec Read(Stream stream, string source)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaximumBytes,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        var spec = new NuSpec();
        var dependencies = new List<NuSpecDependency>();
        try
        {
            using XmlReader reader = XmlReader.Create(stream, settings);
            var path = new Stack<string>();
            bool positioned = false; // ReadElementContentAsString leaves the reader on the next node already
            while (positioned || reader.Read())
            {
                positioned = false;
                if (reader.NodeType == XmlNodeType.Element)
                {
                    string name = reader.LocalName;
                    string parent = path.Count > 0 ? path.Peek() : string.Empty;
                    if (name == "dependency" && (parent == "dependencies" || parent == "group"))
                    {
                        string id = reader.GetAttribute("id") ?? throw new FormatException($"{source}: a <dependency> has no id.");
                        dependencies.Add(new NuSpecDependency(id.Trim(), (reader.GetAttribute("version") ?? string.Empty).Trim()));
                    }
                    else if ((name == "id" || name == "version") && parent == "metadata")
                    {
                        string value = reader.ReadElementContentAsString().Trim();
                        if (name == "id") spec.Id = value; else spec.Version = value;
                        positioned = true;
                        continue;
                    }
                    if (!reader.IsEmptyElement) path.Push(name);
                }
                else if (reader.NodeType == XmlNodeType.EndElement && path.Count > 0)
                {
                    path.Pop();
                }
            }
        }
        catch (XmlException ex)
        {
            throw new FormatException($"{source} is not a readable .nuspec: {ex.Message}", ex);
        }
        if (spec.Id.Length == 0 || spec.Version.Length == 0) throw new FormatException($"{source} names no package id or version.");
        // A dependency in several target-framework groups is one dependency.
        spec.Dependencies = dependencies.GroupBy(d => d.Id, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
        return spec;
    }
}
