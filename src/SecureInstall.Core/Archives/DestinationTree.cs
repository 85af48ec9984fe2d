namespace SecureInstall.Core.Archives;

/// <summary>
/// The tree an archive will produce, kept in memory while it is extracted. It refuses names that alias each other
/// (exact duplicates, case-fold and NFC twins), entries written through a link of the archive, and — once every
/// entry is known — links whose target leaves the destination when followed through all the archive's other links.
/// </summary>
internal sealed class DestinationTree
{
    /// <summary>More hops than Linux's own limit (40) is a loop.</summary>
    private const int MaxLinkHops = 40;

    private readonly string _archivePath;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly List<Node> _links = new();

    public DestinationTree(string archivePath) => _archivePath = archivePath;

    public enum NodeKind
    {
        Directory,
        File,
        SymbolicLink,
    }

    public sealed class Node
    {
        public Node(string path, NodeKind kind, string entryName, string[]? linkTarget)
        {
            Path = path;
            Kind = kind;
            EntryName = entryName;
            LinkTarget = linkTarget;
        }

        /// <summary>'/'-joined segments exactly as the archive spells them.</summary>
        public string Path { get; }
        public NodeKind Kind { get; }
        public string EntryName { get; }
        public string[]? LinkTarget { get; }

        /// <summary>Where the file was written (in the temporary tree), once it has been.</summary>
        public string? WrittenTo { get; set; }

        /// <summary>For links, after <see cref="ResolveLinks"/>: whether the target is a folder of the archive.</summary>
        public bool TargetIsDirectory { get; set; }
    }

    public IReadOnlyList<Node> Links => _links;

    /// <summary>Adds an entry and its parent folders; throws when it aliases or goes through something already there.</summary>
    public Node Add(string entryName, string[] segments, NodeKind kind, string[]? linkTarget = null)
    {
        var path = new StringBuilder();
        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (i > 0) path.Append('/');
            path.Append(segments[i]);
            string parent = path.ToString();
            if (_nodes.TryGetValue(Key(parent), out Node? existing))
            {
                if (existing.Kind == NodeKind.SymbolicLink)
                    throw Refuse(entryName, UnsafeEntryRule.WriteThroughLink, $"'{existing.Path}' is a symbolic link of this archive; writing through it would write wherever it points.");
                if (existing.Kind == NodeKind.File)
                    throw Refuse(entryName, UnsafeEntryRule.NameCollision, $"'{existing.Path}' is a file of this archive but this entry uses it as a folder.");
                if (!string.Equals(existing.Path, parent, StringComparison.Ordinal))
                    throw Refuse(entryName, UnsafeEntryRule.NameCollision, $"folder '{parent}' and '{existing.Path}' are the same name on Windows and macOS (case or Unicode normalisation).");
            }
            else
            {
                _nodes.Add(Key(parent), new Node(parent, NodeKind.Directory, entryName, null));
            }
        }

        string full = string.Join("/", segments);
        string key = Key(full);
        if (_nodes.TryGetValue(key, out Node? same))
        {
            bool exact = string.Equals(same.Path, full, StringComparison.Ordinal);
            // A folder listed twice (or after its files) is common and harmless; anything else would overwrite or alias.
            if (exact && same.Kind == NodeKind.Directory && kind == NodeKind.Directory) return same;
            if (!exact)
                throw Refuse(entryName, UnsafeEntryRule.NameCollision, $"'{full}' and '{same.Path}' are the same name on Windows and macOS (case or Unicode normalisation).");
            if (same.Kind == NodeKind.Directory && kind == NodeKind.SymbolicLink)
                throw Refuse(entryName, UnsafeEntryRule.WriteThroughLink, $"'{full}' is already a folder of this archive; replacing it with a link would redirect what is written into it.");
            throw Refuse(entryName, UnsafeEntryRule.DuplicateEntry, $"'{full}' appears more than once; the later entry would silently replace the earlier one.");
        }
        var node = new Node(full, kind, entryName, linkTarget);
        _nodes.Add(key, node);
        if (kind == NodeKind.SymbolicLink) _links.Add(node);
        return node;
    }

    public Node? Find(string[] segments) => _nodes.TryGetValue(Key(string.Join("/", segments)), out Node? n) ? n : null;

    /// <summary>
    /// Follows every link through the complete tree (a later link can change where an earlier one leads, so this runs
    /// after the last entry) and refuses any that ends outside the destination or loops.
    /// </summary>
    public void ResolveLinks()
    {
        foreach (Node link in _links)
        {
            int hops = 0;
            var start = new List<string>(link.Path.Split('/'));
            start.RemoveAt(start.Count - 1);
            List<string>? end = Resolve(start, link.LinkTarget!, link, ref hops);
            if (end == null)
                throw Refuse(link.EntryName, UnsafeEntryRule.LinkEscapesDestination, $"the link '{link.Path}' -> '{string.Join("/", link.LinkTarget!)}' resolves outside the destination (followed through the archive's links).");
            link.TargetIsDirectory = end.Count == 0 || (_nodes.TryGetValue(Key(string.Join("/", end)), out Node? t) && t.Kind == NodeKind.Directory);
        }
    }

    private List<string>? Resolve(List<string> directory, string[] target, Node origin, ref int hops)
    {
        var current = new List<string>(directory);
        foreach (string segment in target)
        {
            if (segment == "..")
            {
                if (current.Count == 0) return null;
                current.RemoveAt(current.Count - 1);
                continue;
            }
            current.Add(segment);
            if (_nodes.TryGetValue(Key(string.Join("/", current)), out Node? node) && node.Kind == NodeKind.SymbolicLink)
            {
                if (++hops > MaxLinkHops)
                    throw Refuse(origin.EntryName, UnsafeEntryRule.LinkEscapesDestination, "the archive's links form a loop.");
                current.RemoveAt(current.Count - 1);
                List<string>? next = Resolve(current, node.LinkTarget!, origin, ref hops);
                if (next == null) return null;
                current = next;
            }
        }
        return current;
    }

    /// <summary>Windows and macOS compare names case-insensitively and (macOS) after Unicode normalisation: so do we, everywhere.</summary>
    private static string Key(string path) => path.Normalize(NormalizationForm.FormC).ToUpperInvariant();

    private UnsafeArchiveEntryException Refuse(string entryName, UnsafeEntryRule rule, string detail) => new(_archivePath, entryName, rule, detail);
}
