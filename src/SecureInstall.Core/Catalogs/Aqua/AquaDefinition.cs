using System.Text.RegularExpressions;
using SecureInstall.Core.Manifests;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Catalogs.Aqua;

/// <summary>
/// One package of the aqua registry, as its <c>pkgs/&lt;owner&gt;/&lt;name&gt;/registry.yaml</c> defines it: the package
/// mapping, where it came from and the registry commit it was read at (for the manifest comment).
/// </summary>
public sealed class AquaDefinition
{
    /// <summary>Registry files are a few kilobytes; the largest in the registry is under 100 KiB.</summary>
    public const long MaximumBytes = 1024 * 1024;

    private static readonly Regex NamePart = new(@"^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant);

    private AquaDefinition(string package, string source, string? commit, YamlMappingNode node)
    {
        Package = package;
        Source = source;
        Commit = commit;
        Node = node;
    }

    /// <summary>The package name as the registry spells it: "cli/cli", "kubernetes/kubernetes/kubectl".</summary>
    public string Package { get; }

    /// <summary>The file (path or URL) the definition was read from.</summary>
    public string Source { get; }

    /// <summary>The registry commit the file was read at, when known.</summary>
    public string? Commit { get; }

    internal YamlMappingNode Node { get; }

    /// <summary>The package's path in a registry checkout: pkgs/&lt;owner&gt;/&lt;name&gt;/registry.yaml.</summary>
    /// <exception cref="CatalogException">the name is not owner/name with plain segments (a '..' would leave the registry).</exception>
    public static string RelativePathOf(string package)
    {
        string[] parts = (package ?? string.Empty).Split('/');
        if (parts.Length < 2 || parts.Any(p => !NamePart.IsMatch(p) || p.Contains("..")))
            throw new CatalogException(ErrorIds.CatalogPackageNotFound, package ?? string.Empty,
                "an aqua package name is owner/name (plain names separated by '/', e.g. cli/cli).");
        return "pkgs/" + string.Join("/", parts) + "/registry.yaml";
    }

    /// <summary>Reads the registry file and picks the package (by name, repo_owner/repo_name, or an alias).</summary>
    /// <exception cref="CatalogException">the file is not a registry file or does not define the package.</exception>
    public static AquaDefinition Parse(string text, string source, string package, string? commit)
    {
        YamlStream stream;
        try
        {
            stream = YamlBounds.Load(new StringReader(text), source);
        }
        catch (ManifestFormatException ex)
        {
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, source, ex.Message, ex);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("packages"), out YamlNode? list) || list is not YamlSequenceNode packages)
            throw new CatalogException(ErrorIds.CatalogDefinitionInvalid, source, "an aqua registry file is a mapping with a 'packages' list.");
        foreach (YamlNode node in packages)
        {
            if (node is not YamlMappingNode map) continue;
            if (NamesOf(map).Any(n => string.Equals(n, package, StringComparison.OrdinalIgnoreCase)))
                return new AquaDefinition(NamesOf(map).First(), source, commit, map);
        }
        throw new CatalogException(ErrorIds.CatalogPackageNotFound, source, $"defines no package '{package}' (it defines {string.Join(", ", packages.OfType<YamlMappingNode>().Select(m => NamesOf(m).FirstOrDefault() ?? "?"))}).");
    }

    private static IEnumerable<string> NamesOf(YamlMappingNode map)
    {
        if (Text(map, "name") is string name) yield return name;
        if (Text(map, "repo_owner") is string owner && Text(map, "repo_name") is string repo) yield return owner + "/" + repo;
        if (map.Children.TryGetValue(new YamlScalarNode("aliases"), out YamlNode? aliases) && aliases is YamlSequenceNode seq)
        {
            foreach (YamlMappingNode alias in seq.OfType<YamlMappingNode>())
            {
                if (Text(alias, "name") is string a) yield return a;
            }
        }
    }

    internal static string? Text(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? v) && v is YamlScalarNode s ? s.Value : null;

    /// <summary>The commit a registry checkout is at, read from its .git folder (HEAD, a loose ref or packed-refs); null when unknown.</summary>
    public static string? CheckoutCommit(string registryRoot)
    {
        try
        {
            string git = Path.Combine(registryRoot, ".git");
            if (!Directory.Exists(git)) return null;
            string head = File.ReadAllText(Path.Combine(git, "HEAD")).Trim();
            if (!head.StartsWith("ref: ", StringComparison.Ordinal)) return IsCommit(head) ? head : null;
            string name = head.Substring(5).Trim();
            if (!name.StartsWith("refs/", StringComparison.Ordinal) || name.Contains("..")) return null;
            string loose = Path.Combine(git, name.Replace('/', Path.DirectorySeparatorChar));
            if (File.Exists(loose)) return IsCommit(File.ReadAllText(loose).Trim()) ? File.ReadAllText(loose).Trim() : null;
            string packed = Path.Combine(git, "packed-refs");
            if (!File.Exists(packed)) return null;
            foreach (string line in File.ReadAllLines(packed))
            {
                string[] parts = line.Split(' ');
                if (parts.Length == 2 && parts[1] == name && IsCommit(parts[0])) return parts[0];
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static bool IsCommit(string text) => Regex.IsMatch(text, "^[0-9a-f]{40}([0-9a-f]{24})?$");
}
