using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Install;

/// <summary>One file of an installed tree: its path relative to the tree root, its SHA-256 and whether it is executable.</summary>
public sealed class TreeFile
{
    public TreeFile(string path, string sha256, bool executable)
    {
        Path = path;
        Sha256 = sha256;
        Executable = executable;
    }

    /// <summary>Forward slashes, relative to the tree root.</summary>
    public string Path { get; }

    /// <summary>Lower-case hex; for a symbolic link, "link:" and its target.</summary>
    public string Sha256 { get; }

    public bool Executable { get; }
}

/// <summary>What changed between a recorded tree and the tree on disk.</summary>
public sealed class TreeDiff
{
    public IReadOnlyList<string> Changed { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Added { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Removed { get; internal set; } = Array.Empty<string>();
    public bool IsEmpty => Changed.Count == 0 && Added.Count == 0 && Removed.Count == 0;

    public override string ToString() =>
        string.Join("; ", new[] { ("changed", Changed), ("added", Added), ("removed", Removed) }
            .Where(p => p.Item2.Count > 0).Select(p => $"{p.Item1}: {string.Join(", ", p.Item2.Take(10))}{(p.Item2.Count > 10 ? $" (+{p.Item2.Count - 10} more)" : "")}"));
}

/// <summary>
/// The canonical listing of an installed tree ("sha256 mode path" lines, sorted by path) and its digest, which the
/// lock records. Re-listing the tree later and comparing digests detects any changed, added or removed file.
/// </summary>
public sealed class InstalledTree
{
    private InstalledTree(IReadOnlyList<TreeFile> files, string listing)
    {
        Files = files;
        Listing = listing;
        Digest = "sha256:" + Hex.Encode(SHA256Of(listing));
    }

    public IReadOnlyList<TreeFile> Files { get; }

    /// <summary>The canonical text: one "hex x|- path" line per file, LF, sorted ordinally by path.</summary>
    public string Listing { get; }

    /// <summary>"sha256:" and the SHA-256 of <see cref="Listing"/>.</summary>
    public string Digest { get; }

    public static InstalledTree Compute(string root, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"'{root}' does not exist.");
        var files = new List<TreeFile>();
        Walk(new DirectoryInfo(root), string.Empty, files, cancellationToken);
        return FromFiles(files);
    }

    public static InstalledTree FromFiles(IEnumerable<TreeFile> files)
    {
        List<TreeFile> sorted = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        foreach (TreeFile f in sorted) sb.Append(f.Sha256).Append(' ').Append(f.Executable ? 'x' : '-').Append(' ').Append(f.Path).Append('\n');
        return new InstalledTree(sorted, sb.ToString());
    }

    /// <summary>Reads a listing written by <see cref="Listing"/>.</summary>
    public static InstalledTree Parse(string listing)
    {
        var files = new List<TreeFile>();
        foreach (string line in listing.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(new[] { ' ' }, 3);
            if (parts.Length != 3) throw new InvalidDataException($"'{line}' is not a tree listing line.");
            files.Add(new TreeFile(parts[2], parts[0], parts[1] == "x"));
        }
        return FromFiles(files);
    }

    public static TreeDiff Compare(InstalledTree recorded, InstalledTree actual)
    {
        var before = recorded.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var after = actual.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        return new TreeDiff
        {
            Changed = before.Keys.Where(p => after.TryGetValue(p, out TreeFile? a) && (a.Sha256 != before[p].Sha256 || a.Executable != before[p].Executable)).ToList(),
            Added = after.Keys.Where(p => !before.ContainsKey(p)).ToList(),
            Removed = before.Keys.Where(p => !after.ContainsKey(p)).ToList(),
        };
    }

    private static void Walk(DirectoryInfo dir, string prefix, List<TreeFile> files, CancellationToken cancellationToken)
    {
        foreach (FileSystemInfo entry in dir.EnumerateFileSystemInfos())
        {
            cancellationToken.ThrowIfCancellationRequested();
            string relative = prefix + entry.Name;
            bool isLink = (entry.Attributes & FileAttributes.ReparsePoint) != 0;
            if (isLink)
            {
                files.Add(new TreeFile(relative, "link:" + LinkTarget(entry), executable: false));
            }
            else if (entry is DirectoryInfo sub)
            {
                Walk(sub, relative + "/", files, cancellationToken);
            }
            else
            {
                files.Add(new TreeFile(relative, FileHasher.HashFile(entry.FullName, ChecksumAlgorithm.SHA256, null, cancellationToken), IsExecutable(entry.FullName)));
            }
        }
    }

    private static string LinkTarget(FileSystemInfo entry) => UnixFileSystem.ReadLink(entry.FullName) ?? "?";

    internal static bool IsExecutable(string path) => UnixFileSystem.IsExecutable(path);

    private static byte[] SHA256Of(string text)
    {
        using SHA256 sha = SHA256.Create();
        return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
    }
}
