using SecureInstall.Core.IO;

namespace SecureInstall.Core.Checksums;

/// <summary>The two list layouts a publisher writes: GNU coreutils (<c>hex  name</c>) and BSD tags (<c>SHA256 (name) = hex</c>).</summary>
public enum ChecksumListFormat
{
    Gnu,
    Bsd,
}

/// <summary>One file to list and the name it is listed under.</summary>
public sealed class ChecksumListItem
{
    public ChecksumListItem(string path, string name)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Name = name ?? throw new ArgumentNullException(nameof(name));
    }

    public string Path { get; }
    public string Name { get; }
}

/// <summary>
/// Writes the checksum list a publisher uploads beside a release: sorted by name (ordinal, so the same files
/// always give the same bytes), LF endings, UTF-8 without BOM, written atomically.
/// </summary>
public sealed class ChecksumListWriter
{
    private readonly ChecksumVerifierOptions _options;

    public ChecksumListWriter(ChecksumVerifierOptions? options = null) => _options = options ?? new ChecksumVerifierOptions();

    /// <summary>The name a file is listed under: its path relative to the list's folder, or its bare name when it lies elsewhere.</summary>
    public static string NameFor(string file, string listDirectory)
    {
        string full = System.IO.Path.GetFullPath(file);
        string? relative = ChecksumList.RelativeTo(full, System.IO.Path.GetFullPath(listDirectory));
        return (relative ?? System.IO.Path.GetFileName(full)).Replace('\\', '/');
    }

    /// <summary>Hashes the items (in parallel) and returns the list text. Two items under one name are an error.</summary>
    public string Write(IEnumerable<ChecksumListItem> items, ChecksumAlgorithm algorithm, ChecksumListFormat format, CancellationToken cancellationToken = default)
    {
        if (ChecksumAlgorithms.IsWeak(algorithm) && !_options.AllowWeakAlgorithm)
            throw new WeakAlgorithmException(algorithm, null);
        List<ChecksumListItem> sorted = items.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Name == sorted[i - 1].Name)
                throw new ArgumentException($"Two files would be listed as '{sorted[i].Name}' ({sorted[i - 1].Path} and {sorted[i].Path}); a list must name each file once.");
        }
        var digests = new string[sorted.Count];
        System.Threading.Tasks.Parallel.For(0, sorted.Count,
            new System.Threading.Tasks.ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxDegreeOfParallelism), CancellationToken = cancellationToken },
            i => digests[i] = FileHasher.HashFile(sorted[i].Path, algorithm, null, cancellationToken));

        var sb = new StringBuilder();
        for (int i = 0; i < sorted.Count; i++)
        {
            string name = sorted[i].Name, prefix = string.Empty;
            if (name.IndexOf('\\') >= 0 || name.IndexOf('\n') >= 0 || name.IndexOf('\r') >= 0)
            {
                // coreutils' form for awkward names: a leading backslash marks the line, the name is escaped.
                prefix = "\\";
                name = name.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r");
            }
            if (format == ChecksumListFormat.Gnu)
                sb.Append(prefix).Append(digests[i]).Append("  ").Append(name).Append('\n');
            else
                sb.Append(prefix).Append(algorithm).Append(" (").Append(name).Append(") = ").Append(digests[i]).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Writes the list text to <paramref name="outFile"/> atomically, UTF-8 without BOM.</summary>
    public static void Save(string text, string outFile) => AtomicFile.WriteAllText(outFile, text);
}
