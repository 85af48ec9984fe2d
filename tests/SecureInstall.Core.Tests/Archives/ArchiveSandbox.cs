using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using SecureInstall.Core.Archives;

namespace SecureInstall.Core.Tests.Archives;

/// <summary>
/// A private folder per test: the archive lives in In/, the destination is Work/dest, and Outside/ is where a hostile
/// archive would try to write. After a refusal, Work must hold exactly what it held before and Outside nothing new.
/// </summary>
internal sealed class ArchiveSandbox : IDisposable
{
    public ArchiveSandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "si-archive-tests", Guid.NewGuid().ToString("N"));
        In = Directory.CreateDirectory(Path.Combine(Root, "In")).FullName;
        Work = Directory.CreateDirectory(Path.Combine(Root, "Work")).FullName;
        Outside = Directory.CreateDirectory(Path.Combine(Root, "Outside")).FullName;
        Destination = Path.Combine(Work, "dest");
    }

    public string Root { get; }
    public string In { get; }
    public string Work { get; }
    public string Outside { get; }
    public string Destination { get; }

    public string ArchivePath(string name) => Path.Combine(In, name);

    public ArchiveExtractionResult Extract(string archive, ArchiveExtractionOptions? options = null, IProgress<ArchiveExtractionProgress>? progress = null, CancellationToken cancel = default) =>
        new SafeArchiveExtractor(options).Extract(archive, Destination, progress, cancel);

    /// <summary>Every path under <paramref name="folder"/>, relative, '/'-separated, with "@" marking links (not followed).</summary>
    public static SortedSet<string> Snapshot(string folder)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder)) return set;
        var pending = new Stack<string>();
        pending.Push(folder);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (string path in Directory.EnumerateFileSystemEntries(dir))
            {
                var info = new FileInfo(path);
                string rel = Path.GetRelativePath(folder, path).Replace('\\', '/');
                bool link = info.LinkTarget != null;
                set.Add(link ? rel + "@" : rel);
                if (!link && Directory.Exists(path)) pending.Push(path);
            }
        }
        return set;
    }

    /// <summary>Asserts that a refused extraction left the work folder as it was and wrote nothing outside it.</summary>
    public void AssertNothingWritten(SortedSet<string>? workBefore = null)
    {
        Assert.Equal(workBefore ?? new SortedSet<string>(StringComparer.Ordinal), Snapshot(Work));
        Assert.Empty(Snapshot(Outside));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetTempPath(), ".dest.*"));
        Assert.False(System.IO.File.Exists("/tmp/evil.txt"), "/tmp/evil.txt exists");
        Assert.False(System.IO.File.Exists("/tmp/PWNED.txt"), "/tmp/PWNED.txt exists");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---- fixtures ----

    /// <summary>A zip whose entries are created exactly as named: ZipArchive does not check names when writing.</summary>
    public string Zip(string name, params (string Name, byte[] Data)[] entries) => Zip(name, CompressionLevel.Optimal, entries.Select(e => (e.Name, e.Data, (int?)null)).ToArray());

    public string Zip(string name, CompressionLevel level, (string Name, byte[] Data, int? UnixMode)[] entries)
    {
        string path = ArchivePath(name);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var (entryName, data, mode) in entries)
            {
                ZipArchiveEntry entry = zip.CreateEntry(entryName, level);
                if (mode is int m) entry.ExternalAttributes = m << 16;
                using Stream s = entry.Open();
                s.Write(data);
            }
        }
        return path;
    }

    /// <summary>A tar written with System.Formats.Tar (PAX format unless the entries say otherwise).</summary>
    public string Tar(string name, params TarEntry[] entries) => WriteTar(ArchivePath(name), entries, gzip: false);

    public string TarGz(string name, params TarEntry[] entries) => WriteTar(ArchivePath(name), entries, gzip: true);

    private static string WriteTar(string path, TarEntry[] entries, bool gzip)
    {
        using (FileStream file = System.IO.File.Create(path))
        using (Stream output = gzip ? new GZipStream(file, CompressionLevel.Optimal) : file)
        using (var writer = new TarWriter(output, leaveOpen: true))
        {
            foreach (TarEntry e in entries) writer.WriteEntry(e);
        }
        return path;
    }

    public static PaxTarEntry TarFile(string name, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead) =>
        TarFile(name, Encoding.UTF8.GetBytes(content), mode);

    public static PaxTarEntry TarFile(string name, byte[] content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead) =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content), Mode = mode, ModificationTime = new DateTimeOffset(2021, 3, 4, 5, 6, 7, TimeSpan.Zero) };

    public static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED, ModificationTime = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero) };

    public static PaxTarEntry Symlink(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    public static PaxTarEntry HardLink(string name, string target) => new(TarEntryType.HardLink, name) { LinkName = target };

    /// <summary>
    /// A raw tar header block, for names System.Formats.Tar refuses to write (NUL) and for type flags it does not know.
    /// </summary>
    public static byte[] RawHeader(byte[] name, char type, long size, string linkName = "")
    {
        byte[] h = new byte[512];
        Array.Copy(name, h, Math.Min(name.Length, 100));
        WriteOctal(h, 100, 8, 0x1A4);
        WriteOctal(h, 108, 8, 0);
        WriteOctal(h, 116, 8, 0);
        WriteOctal(h, 124, 12, size);
        WriteOctal(h, 136, 12, 1600000000);
        h[156] = (byte)type;
        Encoding.ASCII.GetBytes(linkName).CopyTo(h, 157);
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(h, 257);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        long sum = 0;
        foreach (byte b in h) sum += b;
        WriteOctal(h, 148, 7, sum);
        return h;
    }

    public string RawTar(string name, params (byte[] Header, byte[] Data)[] entries)
    {
        string path = ArchivePath(name);
        using FileStream f = System.IO.File.Create(path);
        foreach (var (header, data) in entries)
        {
            f.Write(header);
            f.Write(data);
            int pad = (512 - data.Length % 512) % 512;
            f.Write(new byte[pad]);
        }
        f.Write(new byte[1024]);
        return path;
    }

    private static void WriteOctal(byte[] h, int offset, int length, long value)
    {
        string s = Convert.ToString(value, 8).PadLeft(length - 1, '0');
        Encoding.ASCII.GetBytes(s).CopyTo(h, offset);
        h[offset + length - 1] = 0;
    }
}
