using System.Buffers;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>
/// The canonical listing of an installed tree and its digest, which the lock records. Re-listing the tree later and
/// comparing digests detects any changed, added or removed entry, and any change of kind or mode.
/// </summary>
/// <remarks>
/// Format 2 (this one) starts with the line "secureinstall-tree 2", then one "kind mode digest target path" line per entry,
/// sorted ordinally by path: kind f (file), d (folder), l (link) or o (FIFO, device, socket); mode in octal (4 digits,
/// setuid/setgid/sticky included); the SHA-256 of a file, or of the file a link leads to inside the tree; the link target
/// (else "-"); the path ('/'-separated, "." for the root). Targets and paths escape '%', CR, LF (and in targets ' ') as
/// %XX. Format 1 ("sha256 x|- path", files only, links as "link:target") is read so an old install is reported clearly.
/// The walk takes every entry's kind with lstat and opens only regular files, never following a link and never
/// waiting on a FIFO or device: such an entry is recorded (and so reported), never read.
/// </remarks>
public sealed class InstalledTree
{
    public const int CurrentFormat = 2;
    private const string Header = "secureinstall-tree 2";

    private InstalledTree(IReadOnlyList<TreeFile> files, string listing, int format)
    {
        Files = files;
        Listing = listing;
        Format = format;
        Digest = "sha256:" + Hex.Encode(SHA256Of(listing));
    }

    public IReadOnlyList<TreeFile> Files { get; }

    /// <summary>The canonical text (see the remarks).</summary>
    public string Listing { get; }

    /// <summary>"sha256:" and the SHA-256 of <see cref="Listing"/>.</summary>
    public string Digest { get; }

    /// <summary>2, or 1 for a listing written before kinds, modes and folders were recorded.</summary>
    public int Format { get; }

    /// <summary>Links that do not lead to a file or folder inside the tree (what an installed tree must never hold).</summary>
    public IEnumerable<TreeFile> EscapingLinks =>
        Files.Where(f => f.Kind == TreeEntryKind.Link && (f.Sha256 == TreeFile.LinkOutside || f.Sha256 == TreeFile.LinkDangling || f.Sha256 == TreeFile.LinkToOther));

    /// <summary>Throws <see cref="EscapingLinkException"/> (UnsafeArchiveEntry) naming the first of <see cref="EscapingLinks"/>: what installs <paramref name="name"/> <paramref name="version"/> asks this before placing the tree.</summary>
    public void RefuseEscapingLinks(string name, string version)
    {
        if (EscapingLinks.FirstOrDefault() is { } escaping) throw new EscapingLinkException(name, version, escaping);
    }

    /// <summary>Lists the tree at <paramref name="root"/>, which must be a folder (not a link to one).</summary>
    public static InstalledTree Compute(string root, CancellationToken cancellationToken = default) => Compute(root, null, cancellationToken);

    /// <summary>
    /// Lists the tree, taking the SHA-256 of a file from <paramref name="known"/> (by path relative to the root) instead of
    /// reading it again, when the entry there is still the very file that was hashed: same device, inode and size. A file
    /// the installer has just verified while downloading it (a raw binary is moved into the tree as it is) is not read a
    /// second time; anything else, or a file replaced since, is read.
    /// </summary>
    internal static InstalledTree Compute(string root, IReadOnlyDictionary<string, KnownFile>? known, CancellationToken cancellationToken)
    {
        if (!UnixFileSystem.TryGetEntry(root, out FileStatus top)) throw new DirectoryNotFoundException($"'{root}' does not exist.");
        if (top.Kind != UnixEntryKind.Directory) throw new IOException($"'{root}' is a {Describe(top.Kind)}, not a folder.");
        var files = new List<TreeFile> { new(".", TreeEntryKind.Directory, top.Mode, "-") };
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            Walk(root, root, string.Empty, files, buffer, known, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return FromFiles(files);
    }

    public static InstalledTree FromFiles(IEnumerable<TreeFile> files)
    {
        List<TreeFile> sorted = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder(Header).Append('\n');
        foreach (TreeFile f in sorted)
        {
            sb.Append(KindLetter(f.Kind)).Append(' ').Append(Convert.ToString(f.Mode, 8).PadLeft(4, '0')).Append(' ').Append(f.Sha256).Append(' ')
              .Append(f.LinkTarget == null ? "-" : Escape(f.LinkTarget, target: true)).Append(' ').Append(Escape(f.Path, target: false)).Append('\n');
        }
        return new InstalledTree(sorted, sb.ToString(), CurrentFormat);
    }

    /// <summary>Reads a listing written by <see cref="Listing"/> (either format).</summary>
    public static InstalledTree Parse(string listing)
    {
        var files = new List<TreeFile>();
        string[] lines = listing.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines[0] != Header)
        {
            // Format 1: kept only to name it; its digest is of the text as it was.
            foreach (string line in lines)
            {
                string[] parts = line.Split(new[] { ' ' }, 3);
                if (parts.Length != 3) throw new InvalidDataException($"'{line}' is not a tree listing line.");
                files.Add(new TreeFile(parts[2], parts[0], parts[1] == "x"));
            }
            return new InstalledTree(files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList(), listing, 1);
        }
        foreach (string line in lines.Skip(1))
        {
            string[] parts = line.Split(new[] { ' ' }, 5);
            if (parts.Length != 5 || parts[0].Length != 1 || parts[1].Length != 4) throw new InvalidDataException($"'{line}' is not a tree listing line.");
            TreeEntryKind kind = parts[0] switch
            {
                "f" => TreeEntryKind.File,
                "d" => TreeEntryKind.Directory,
                "l" => TreeEntryKind.Link,
                "o" => TreeEntryKind.Other,
                _ => throw new InvalidDataException($"'{line}' is not a tree listing line (kind '{parts[0]}')."),
            };
            int mode;
            try { mode = Convert.ToInt32(parts[1], 8); }
            catch (FormatException) { throw new InvalidDataException($"'{line}' is not a tree listing line (mode '{parts[1]}')."); }
            files.Add(new TreeFile(Unescape(parts[4]), kind, mode, parts[2], parts[3] == "-" ? null : Unescape(parts[3])));
        }
        return FromFiles(files);
    }

    public static TreeDiff Compare(InstalledTree recorded, InstalledTree actual)
    {
        var before = recorded.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var after = actual.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return new TreeDiff
        {
            Changed = before.Keys.Where(p => after.TryGetValue(p, out TreeFile? a) && !a.SameAs(before[p])).Select(p => Explain(before[p], after[p])).ToList(),
            Added = after.Keys.Where(p => !before.ContainsKey(p)).Select(p => Explain(null, after[p])).ToList(),
            Removed = before.Keys.Where(p => !after.ContainsKey(p)).ToList(),
        };
    }

    /// <summary>The path, and what about it a person must look at: a new kind, a risky mode, a link that leaves the tree.</summary>
    private static string Explain(TreeFile? before, TreeFile now)
    {
        var notes = new List<string>();
        if (before != null && before.Kind != now.Kind) notes.Add($"was a {Describe(before.Kind)}, now a {Describe(now.Kind)}");
        else if (before == null && now.Kind != TreeEntryKind.File) notes.Add(Describe(now.Kind));
        if (now.Kind == TreeEntryKind.Other) notes.Add($"a {now.Sha256}: not read");
        if (now.Kind == TreeEntryKind.Link && now.Sha256 is TreeFile.LinkOutside or TreeFile.LinkDangling or TreeFile.LinkToOther)
            notes.Add($"link to '{now.LinkTarget}' {(now.Sha256 == TreeFile.LinkOutside ? "leads outside the tree" : now.Sha256 == TreeFile.LinkDangling ? "leads nowhere" : "leads to a FIFO or device")}");
        if (before != null && before.Mode != now.Mode || before == null && now.HasRiskyMode)
        {
            string risky = (now.Mode & 0x800) != 0 ? " setuid" : (now.Mode & 0x400) != 0 ? " setgid" : (now.Mode & 0x2) != 0 ? " world-writable" : (now.Mode & 0x10) != 0 ? " group-writable" : "";
            notes.Add(before == null ? $"mode {Octal(now.Mode)}{risky}" : $"mode {Octal(before.Mode)} -> {Octal(now.Mode)}{risky}");
        }
        return notes.Count == 0 ? now.Path : $"{now.Path} ({string.Join(", ", notes)})";
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');

    internal static string Describe(UnixEntryKind kind) => kind switch
    {
        UnixEntryKind.RegularFile => "file",
        UnixEntryKind.Directory => "folder",
        UnixEntryKind.SymbolicLink => "symbolic link",
        UnixEntryKind.Fifo => "fifo",
        UnixEntryKind.CharacterDevice => "character device",
        UnixEntryKind.BlockDevice => "block device",
        UnixEntryKind.Socket => "socket",
        _ => "special file",
    };

    private static string Describe(TreeEntryKind kind) => kind switch
    {
        TreeEntryKind.File => "file",
        TreeEntryKind.Directory => "folder",
        TreeEntryKind.Link => "symbolic link",
        _ => "FIFO, device or socket",
    };

    private static void Walk(string root, string directory, string prefix, List<TreeFile> files, byte[] buffer, IReadOnlyDictionary<string, KnownFile>? known,
        CancellationToken cancellationToken)
    {
        foreach (string full in Directory.EnumerateFileSystemEntries(directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string relative = prefix + System.IO.Path.GetFileName(full);
            // lstat, never the entry itself: a FIFO or device is recorded by kind and never opened (opening one can block forever).
            if (!UnixFileSystem.TryGetEntry(full, out FileStatus entry)) continue; // removed while walking: it is absent
            switch (entry.Kind)
            {
                case UnixEntryKind.Directory:
                    files.Add(new TreeFile(relative, TreeEntryKind.Directory, entry.Mode, "-"));
                    Walk(root, full, relative + "/", files, buffer, known, cancellationToken);
                    break;
                case UnixEntryKind.RegularFile:
                    string? digest = known != null && known.TryGetValue(relative, out KnownFile k) && k.Is(entry) ? k.Sha256 : HashRegular(full, buffer, cancellationToken);
                    files.Add(new TreeFile(relative, TreeEntryKind.File, entry.Mode, digest ?? "replaced"));
                    break;
                case UnixEntryKind.SymbolicLink:
                    string target = UnixFileSystem.ReadLink(full) ?? "?";
                    files.Add(new TreeFile(relative, TreeEntryKind.Link, entry.Mode, LinkContent(root, relative, buffer, cancellationToken), target));
                    break;
                default:
                    files.Add(new TreeFile(relative, TreeEntryKind.Other, entry.Mode, Describe(entry.Kind).Replace(' ', '-')));
                    break;
            }
        }
    }

    /// <summary>
    /// The digest of what a link leads to, resolved one component at a time inside the tree (each link met on the way
    /// must stay inside too): the content of a regular file, "dir" for a folder, or why it leads nowhere acceptable.
    /// A link's own target string can stay the same while the file behind it changes; this catches that.
    /// </summary>
    private static string LinkContent(string root, string linkRelative, byte[] buffer, CancellationToken cancellationToken)
    {
        var current = new List<string>(linkRelative.Split('/'));
        current.RemoveAt(current.Count - 1);
        var pending = new LinkedList<string>();
        string? first = UnixFileSystem.ReadLink(System.IO.Path.Combine(root, linkRelative.Replace('/', System.IO.Path.DirectorySeparatorChar)));
        if (first == null) return UnixFileSystem.IsWindows ? TreeFile.LinkUnreadable : TreeFile.LinkDangling;
        if (!Push(pending, first)) return TreeFile.LinkOutside;
        int hops = 0;
        FileStatus last = FileStatus.OfKind(UnixEntryKind.Directory);
        while (pending.Count > 0)
        {
            string c = pending.First!.Value;
            pending.RemoveFirst();
            if (c.Length == 0 || c == ".") continue;
            if (c == "..")
            {
                if (current.Count == 0) return TreeFile.LinkOutside;
                current.RemoveAt(current.Count - 1);
                last = FileStatus.OfKind(UnixEntryKind.Directory);
                continue;
            }
            string candidate = System.IO.Path.Combine(root, string.Join(System.IO.Path.DirectorySeparatorChar.ToString(), current.Concat(new[] { c })));
            if (!UnixFileSystem.TryGetEntry(candidate, out last)) return TreeFile.LinkDangling;
            if (last.Kind == UnixEntryKind.SymbolicLink)
            {
                if (++hops > 40) return TreeFile.LinkDangling;
                string? next = UnixFileSystem.ReadLink(candidate);
                if (next == null) return TreeFile.LinkDangling;
                if (!Push(pending, next)) return TreeFile.LinkOutside;
                continue;
            }
            if (last.Kind != UnixEntryKind.Directory && pending.Any(p => p.Length > 0 && p != ".")) return TreeFile.LinkDangling;
            current.Add(c);
        }
        if (last.Kind == UnixEntryKind.Directory) return TreeFile.LinkToDirectory;
        if (last.Kind != UnixEntryKind.RegularFile) return TreeFile.LinkToOther;
        string final = System.IO.Path.Combine(root, string.Join(System.IO.Path.DirectorySeparatorChar.ToString(), current));
        return HashRegular(final, buffer, cancellationToken) ?? TreeFile.LinkToOther;
    }

    /// <summary>Queues a link target's components ahead of what is left; false for an absolute target (always outside).</summary>
    private static bool Push(LinkedList<string> pending, string target)
    {
        string t = target.Replace('\\', '/');
        if (t.StartsWith("/", StringComparison.Ordinal) || t.Contains(":")) return false;
        string[] parts = t.Split('/');
        for (int i = parts.Length - 1; i >= 0; i--) pending.AddFirst(parts[i]);
        return true;
    }

    /// <summary>The SHA-256 of a regular file, opened so a FIFO or device swapped in is never read; null when it is not one.</summary>
    private static string? HashRegular(string path, byte[] buffer, CancellationToken cancellationToken)
    {
        if (UnixFileSystem.IsWindows) return FileHasher.HashFile(path, ChecksumAlgorithm.SHA256, null, cancellationToken);
        int fd = UnixFileSystem.OpenRegularFile(path);
        if (fd < 0) return null;
        try
        {
            using SHA256 sha = SHA256.Create();
            int n;
            while ((n = UnixFileReader.Read(fd, buffer, buffer.Length, path)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                sha.TransformBlock(buffer, 0, n, null, 0);
            }
            sha.TransformFinalBlock(buffer, 0, 0);
            return Hex.Encode(sha.Hash!);
        }
        finally
        {
            UnixFileReader.Close(fd);
        }
    }

    private static char KindLetter(TreeEntryKind kind) => kind switch
    {
        TreeEntryKind.File => 'f',
        TreeEntryKind.Directory => 'd',
        TreeEntryKind.Link => 'l',
        _ => 'o',
    };

    private static string Escape(string text, bool target)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (c == '%') sb.Append("%25");
            else if (c == '\n') sb.Append("%0A");
            else if (c == '\r') sb.Append("%0D");
            else if (target && c == ' ') sb.Append("%20");
            else sb.Append(c);
        }
        string escaped = sb.ToString();
        return target && escaped == "-" ? "%2D" : escaped;
    }

    private static string Unescape(string text)
    {
        if (text.IndexOf('%') < 0) return text;
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
            {
                sb.Append((char)Convert.ToInt32(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else sb.Append(text[i]);
        }
        return sb.ToString();
    }

    private static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    internal static bool IsExecutable(string path) => UnixFileSystem.IsExecutable(path);

    private static byte[] SHA256Of(string text)
    {
        using SHA256 sha = SHA256.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
    }
}

/// <summary>A file whose SHA-256 is already known, tied to its identity when it was hashed (see <see cref="InstalledTree.Compute(string, IReadOnlyDictionary{string, KnownFile}?, CancellationToken)"/>).</summary>
internal readonly struct KnownFile
{
    private readonly FileStatus _identity;

    private KnownFile(FileStatus identity, string sha256)
    {
        _identity = identity;
        Sha256 = sha256;
    }

    /// <summary>Lowercase hex, as the tree listing writes it.</summary>
    public string Sha256 { get; }

    /// <summary>The regular file at <paramref name="path"/> (not followed) with its SHA-256; null where a file has no identity to tie it to (Windows).</summary>
    public static KnownFile? Of(string path, string sha256) =>
        !UnixFileSystem.IsWindows && UnixFileSystem.TryGetEntry(path, out FileStatus entry) && entry.Kind == UnixEntryKind.RegularFile && entry.Inode != 0
            ? new KnownFile(entry, sha256.ToLowerInvariant())
            : null;

    /// <summary>Whether <paramref name="entry"/> is still that file: the same device, inode and size.</summary>
    public bool Is(FileStatus entry) =>
        entry.Kind == UnixEntryKind.RegularFile && entry.Inode == _identity.Inode && entry.Device == _identity.Device && entry.Size == _identity.Size;
}
