using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace SecureInstall.Release;

/// <summary>
/// Zips files so that the same inputs give the same bytes on any machine: entries in ordinal name order, one fixed
/// timestamp, fixed permissions, no directory entries, no extra fields.
/// </summary>
public static class DeterministicZip
{
    /// <summary>rw-r--r-- regular file, in the upper half of the external attributes (as Info-ZIP writes them).</summary>
    private const int UnixFileAttributes = unchecked((int)(0x81A4u << 16));

    public static void Write(string zipPath, IEnumerable<KeyValuePair<string, byte[]>> entries, DateTimeOffset timestamp)
    {
        // Zip times are local wall-clock in two-second steps: pass an offset-free, even-second time.
        var time = new DateTimeOffset(timestamp.UtcDateTime.Year, timestamp.UtcDateTime.Month, timestamp.UtcDateTime.Day,
            timestamp.UtcDateTime.Hour, timestamp.UtcDateTime.Minute, timestamp.UtcDateTime.Second / 2 * 2, TimeSpan.Zero);
        using var file = new FileStream(zipPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (KeyValuePair<string, byte[]> pair in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            ZipArchiveEntry entry = zip.CreateEntry(pair.Key, CompressionLevel.Optimal);
            entry.LastWriteTime = time;
            entry.ExternalAttributes = UnixFileAttributes;
            using Stream stream = entry.Open();
            stream.Write(pair.Value, 0, pair.Value.Length);
        }
    }

    /// <summary>Every file under <paramref name="folder"/>, named by its path relative to it with '/' separators.</summary>
    public static List<KeyValuePair<string, byte[]>> ReadTree(string folder)
    {
        var list = new List<KeyValuePair<string, byte[]>>();
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetRelativePath(folder, file).Replace('\\', '/');
            list.Add(new KeyValuePair<string, byte[]>(name, File.ReadAllBytes(file)));
        }
        return list;
    }

    /// <summary>Rewrites an existing zip (a nupkg from dotnet pack) deterministically; <paramref name="rename"/> may change entry names.</summary>
    public static void Normalize(string zipPath, DateTimeOffset timestamp, Func<string, byte[], string>? rename = null)
    {
        var entries = new List<KeyValuePair<string, byte[]>>();
        using (var zip = ZipFile.OpenRead(zipPath))
        {
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue;
                using var buffer = new MemoryStream();
                using (Stream s = entry.Open()) s.CopyTo(buffer);
                byte[] bytes = buffer.ToArray();
                entries.Add(new KeyValuePair<string, byte[]>(rename?.Invoke(entry.FullName, bytes) ?? entry.FullName, bytes));
            }
        }
        Write(zipPath, entries, timestamp);
    }
}
