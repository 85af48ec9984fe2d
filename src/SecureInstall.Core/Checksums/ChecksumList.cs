namespace SecureInstall.Core.Checksums;

/// <summary>A line of a checksum list that was passed over (a header, a banner), kept so callers can say so.</summary>
public sealed class SkippedLine
{
    public SkippedLine(int lineNumber, string text)
    {
        LineNumber = lineNumber;
        Text = text;
    }

    public int LineNumber { get; }
    public string Text { get; }
}

/// <summary>The entries of one parsed checksum list, and the rules for finding the entry of a file.</summary>
public sealed class ChecksumList
{
    private Dictionary<string, List<ChecksumEntry>>? _byNameIndex;

    internal ChecksumList(string source, IReadOnlyList<ChecksumEntry> entries, IReadOnlyList<SkippedLine> skipped, bool clearSigned)
    {
        Source = source;
        Entries = entries;
        SkippedLines = skipped;
        IsClearSigned = clearSigned;
    }

    /// <summary>Entries by normalized name, built on the first <see cref="Find"/>: checking every listed file does not need it.</summary>
    private Dictionary<string, List<ChecksumEntry>> _byName
    {
        get
        {
            if (_byNameIndex != null) return _byNameIndex;
            var index = new Dictionary<string, List<ChecksumEntry>>(StringComparer.Ordinal);
            foreach (ChecksumEntry entry in Entries)
            {
                if (entry.FileName == null) continue;
                string key = NormalizeName(entry.FileName);
                if (!index.TryGetValue(key, out List<ChecksumEntry>? list)) index[key] = list = new List<ChecksumEntry>();
                list.Add(entry);
            }
            return _byNameIndex = index;
        }
    }

    public string Source { get; }

    public IReadOnlyList<ChecksumEntry> Entries { get; }

    public IReadOnlyList<SkippedLine> SkippedLines { get; }

    /// <summary>The list was wrapped in an OpenPGP clear-signature. The signature is not checked here.</summary>
    public bool IsClearSigned { get; }

    /// <summary>
    /// Finds the entry for a file. Tried in order: its path relative to <paramref name="baseDirectory"/>
    /// (how <c>sha256sum -c</c> reads a list), then its bare file name when exactly one listed path ends in it,
    /// then the single entry of a hash-only sidecar. Among entries for the same name the strongest algorithm
    /// is reported unless <paramref name="algorithm"/> picks one; the others come along as
    /// <see cref="ChecksumEntry.Companions"/> and must agree too.
    /// </summary>
    /// <exception cref="ChecksumNotFoundException">the list does not name the file, or names it ambiguously.</exception>
    public ChecksumEntry Find(string path, string? baseDirectory, ChecksumAlgorithm? algorithm = null)
    {
        if (path == null) throw new ArgumentNullException(nameof(path));
        string full = Path.GetFullPath(path);
        string? relative = baseDirectory == null ? null : RelativeTo(full, Path.GetFullPath(baseDirectory));

        if (relative != null && TryPick(NormalizeName(relative), algorithm, out ChecksumEntry? hit)) return hit!;

        string fileName = Path.GetFileName(full);
        var byBaseName = _byName.Where(kv => BaseName(kv.Key) == fileName).ToList();
        if (byBaseName.Count == 1 && TryPick(byBaseName[0].Key, algorithm, out hit)) return hit!;
        if (byBaseName.Count > 1)
        {
            // Several directories hold a file of this name: only accept when they all agree.
            var picks = byBaseName.Select(kv => Pick(kv.Value, algorithm)).Where(e => e != null).ToList();
            if (picks.Count > 0 && picks.All(e => e!.Algorithm == picks[0]!.Algorithm && e.Digest == picks[0]!.Digest)) return picks[0]!;
            throw new ChecksumNotFoundException(path, Source,
                $"{byBaseName.Count} listed paths end in '{fileName}' with different digests; name the file by its path relative to the list");
        }

        if (Entries.Count == 1 && Entries[0].FileName == null && (algorithm == null || Entries[0].Algorithm == algorithm))
            return Entries[0];

        string? detail = algorithm != null && (relative != null && _byName.ContainsKey(NormalizeName(relative)) || byBaseName.Count > 0)
            ? $"it is listed, but not with a {algorithm} digest" : null;
        throw new ChecksumNotFoundException(path, Source, detail);
    }

    /// <summary>
    /// What to check when every listed file is checked (<c>sha256sum -c</c>): one entry per file, in list order. A list
    /// that gives a file several digests (Debian's MD5Sum and SHA256 sections) yields the strongest (or the one of
    /// <paramref name="algorithm"/>) once, with the others as companions, instead of one check per algorithm.
    /// </summary>
    public IEnumerable<ChecksumEntry> EntriesToCheck(ChecksumAlgorithm? algorithm = null)
    {
        if (!Entries.Any(e => e.Algorithm != Entries[0].Algorithm))
        {
            // The common case, one algorithm throughout: no index needed (lists of 10,000 files are checked this way).
            foreach (ChecksumEntry entry in Entries)
            {
                if (algorithm == null || entry.Algorithm == algorithm) yield return entry;
            }
            yield break;
        }
        var done = new HashSet<string>(StringComparer.Ordinal);
        foreach (ChecksumEntry entry in Entries)
        {
            if (entry.FileName == null)
            {
                if (algorithm == null || entry.Algorithm == algorithm) yield return entry;
                continue;
            }
            string key = NormalizeName(entry.FileName);
            if (!done.Add(key)) continue;
            ChecksumEntry? pick = Pick(_byName[key], algorithm);
            if (pick != null) yield return pick;
        }
    }

    /// <summary>
    /// The file a named entry refers to, below <paramref name="baseDirectory"/> (for checking every listed file, as
    /// <c>sha256sum -c</c> does). A name that is not inside the folder by <see cref="IO.RelativePath"/>'s rule (absolute,
    /// a drive, "..", NUL, and on Windows an NTFS stream "f:s") is refused: a hostile list must not make us read, and report on, files elsewhere on the machine.
    /// </summary>
    public string ResolveListedPath(ChecksumEntry entry, string baseDirectory) =>
        Path.Combine(Path.GetFullPath(baseDirectory), ListedName(entry).Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// <see cref="ResolveListedPath"/> as a target opened through <paramref name="folder"/> (the list's folder, held open):
    /// the same file, the same refusals, and on Linux the kernel walks only the listed name (see <see cref="IO.OpenedFolder"/>).
    /// </summary>
    public ChecksumTarget ListedTarget(ChecksumEntry entry, IO.OpenedFolder folder)
    {
        if (folder == null) throw new ArgumentNullException(nameof(folder));
        string name = ListedName(entry);
        return new ChecksumTarget(Path.Combine(folder.FullPath, name.Replace('/', Path.DirectorySeparatorChar)), entry, folder, name);
    }

    /// <summary>The entry's normalized name ('/'-separated), refused unless it stays inside the list's folder.</summary>
    private string ListedName(ChecksumEntry entry)
    {
        if (entry == null) throw new ArgumentNullException(nameof(entry));
        if (entry.FileName == null)
            throw new ChecksumListFormatException(Source, entry.LineNumber, "the entry names no file (a hash-only sidecar); name the file to check.");
        string name = NormalizeName(entry.FileName);
        if (IO.RelativePath.Check(name, colonNamesStream: IO.UnixFileSystem.IsWindows) != IO.RelativePathProblem.None)
            throw new ChecksumListFormatException(Source, entry.LineNumber, $"'{entry.FileName}' points outside the list's folder; refusing to read it.");
        return name;
    }

    private bool TryPick(string key, ChecksumAlgorithm? algorithm, out ChecksumEntry? entry)
    {
        entry = null;
        if (!_byName.TryGetValue(key, out List<ChecksumEntry>? list)) return false;
        entry = Pick(list, algorithm);
        return entry != null;
    }

    /// <summary>
    /// The entry to report (the strongest, or the one of <paramref name="algorithm"/>), carrying the list's other digests
    /// of the same file as companions: each is checked too, so a list whose MD5Sum and SHA256 sections disagree fails.
    /// </summary>
    private static ChecksumEntry? Pick(List<ChecksumEntry> candidates, ChecksumAlgorithm? algorithm)
    {
        ChecksumEntry? primary = algorithm == null
            ? candidates.OrderByDescending(e => ChecksumAlgorithms.IsWeak(e.Algorithm) ? 0 : 1).ThenByDescending(e => ChecksumAlgorithms.DigestBytes(e.Algorithm)).First()
            : candidates.FirstOrDefault(e => e.Algorithm == algorithm.Value);
        return candidates.Count == 1 || primary == null ? primary : primary.WithCompanions(candidates);
    }

    /// <summary>
    /// The form names are compared in: forward slashes (lists written on Windows use backslashes),
    /// no leading "./", no repeated separators.
    /// </summary>
    public static string NormalizeName(string name)
    {
        string n = name.Replace('\\', '/');
        while (n.Contains("//")) n = n.Replace("//", "/");
        while (n.StartsWith("./", StringComparison.Ordinal)) n = n.Substring(2);
        return n;
    }

    private static string BaseName(string normalized)
    {
        int slash = normalized.LastIndexOf('/');
        return slash < 0 ? normalized : normalized.Substring(slash + 1);
    }

    /// <summary>The path of <paramref name="full"/> below <paramref name="baseDir"/>, or null when it is not below it.</summary>
    internal static string? RelativeTo(string full, string baseDir)
    {
        string b = baseDir.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + Path.DirectorySeparatorChar;
        StringComparison cmp = Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return full.StartsWith(b, cmp) ? full.Substring(b.Length) : null;
    }
}
