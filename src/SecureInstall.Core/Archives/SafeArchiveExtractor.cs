using System.Buffers;
using System.Text.RegularExpressions;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Archives;

/// <summary>
/// Extracts zip and tar archives (plain, gzip, xz, bzip2, zstd) so that nothing can land outside the destination:
/// every entry passes <see cref="EntryPathPolicy"/> and <see cref="DestinationTree"/>, limits are counted on the bytes
/// actually written, and the whole tree is built in a fresh folder beside the destination and moved into place only
/// when every entry has been accepted. Any refusal deletes that folder and leaves the destination as it was.
/// </summary>
public sealed partial class SafeArchiveExtractor
{
    private const int BufferSize = 256 * 1024;

    /// <summary>Below this many bytes an entry is too small to be a bomb, whatever its ratio (a zero-filled 100 KB blob is normal).</summary>
    private const long RatioFloorBytes = 1024 * 1024;

    private const long ProgressStepBytes = 4 * 1024 * 1024;

    /// <summary>Zip stores a link's target as its data; no real target is longer than PATH_MAX.</summary>
    private const int MaxLinkTargetBytes = 4096;

    /// <summary>
    /// Modes of what extraction creates, whatever the umask and the archive say (issue 17): folders rwxr-xr-x, files
    /// rw-r--r-- (rwxr-xr-x when executable), never group- or world-writable, setuid, setgid or sticky.
    /// </summary>
    private const uint FolderMode = 0x1ED, FileMode644 = 0x1A4;

    private readonly ArchiveExtractionOptions _options;

    public SafeArchiveExtractor(ArchiveExtractionOptions? options = null) => _options = options ?? new ArchiveExtractionOptions();

    /// <summary>
    /// Extracts <paramref name="archivePath"/> into <paramref name="destinationPath"/>, which must not exist unless
    /// <see cref="ArchiveExtractionOptions.Overwrite"/> is set. Throws <see cref="UnsafeArchiveEntryException"/>,
    /// <see cref="ArchiveLimitExceededException"/>, <see cref="ArchiveCorruptException"/>, <see cref="UnsupportedArchiveFormatException"/>,
    /// <see cref="DestinationExistsException"/>, <see cref="ChecksumMismatchException"/>; in every case nothing is left behind.
    /// </summary>
    public ArchiveExtractionResult Extract(string archivePath, string destinationPath, IProgress<ArchiveExtractionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (archivePath == null) throw new ArgumentNullException(nameof(archivePath));
        if (destinationPath == null) throw new ArgumentNullException(nameof(destinationPath));
        _options.Validate();

        string archive = Path.GetFullPath(archivePath);
        string destination = TrimSeparators(Path.GetFullPath(destinationPath));
        string parent = Path.GetDirectoryName(destination) ?? throw new ArgumentException("The destination cannot be the root of a drive or file system.", nameof(destinationPath));
        bool exists = Directory.Exists(destination) || File.Exists(destination);
        if (exists && !_options.Overwrite) throw new DestinationExistsException(destination);

        // One handle for hashing and extracting: the bytes verified are the bytes extracted.
        using FileStream stream = FileHasher.OpenRead(archive);
        string? digest = null;
        if (_options.ExpectedDigest is ChecksumEntry expected)
        {
            digest = FileHasher.Hash(stream, expected.Algorithm, null, cancellationToken);
            var check = new ChecksumResult(archive, expected.Algorithm, expected.Digest, digest, expected.Source);
            if (!check.IsValid) throw check.ToMismatch();
            stream.Position = 0;
        }

        ArchiveFormat format = ArchiveFormatDetector.Detect(stream)
            ?? throw new UnsupportedArchiveFormatException(archive, "the content is not a zip or tar archive (tar may be compressed with gzip, xz, bzip2 or zstd). The format is read from the content, not the file name.");

        UnixFileSystem.CreateDirectory(parent, FolderMode);
        RemoveAbandonedTrees(destination);
        string temp = AtomicFile.TemporaryPathFor(destination);
        // Held while the tree exists: a later extraction to the same place can tell a killed run's tree from a live one.
        string ownerLock = AtomicFile.OwnerLockFor(temp);
        using var owner = new FileStream(ownerLock, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        UnixFileSystem.SetMode(ownerLock, FileMode644);
        UnixFileSystem.CreateDirectory(temp, FolderMode);
        try
        {
            var run = new Run(_options, archive, destination, temp, stream.Length, progress, cancellationToken);
            if (format == ArchiveFormat.Zip) run.ExtractZip(stream);
            else run.ExtractTar(stream, format);
            run.Finish();
            cancellationToken.ThrowIfCancellationRequested();
            // After an exchange the old tree (or file) sits at the hidden path, under this extraction's lock until gone.
            DirectorySwap.MoveIntoPlace(temp, destination, replace: exists);
            return new ArchiveExtractionResult(archive, destination, format, run.Entries, run.TotalBytes, run.Skipped, digest, exists);
        }
        catch
        {
            BestEffort.DeleteTree(temp);
            throw;
        }
        finally
        {
            owner.Dispose();
            // A tree that could not be deleted keeps its (now free) lock: the next extraction here tries again.
            if (!Directory.Exists(temp) && !File.Exists(temp)) BestEffort.DeleteFile(ownerLock);
        }
    }

    /// <summary>
    /// Removes what extractions to the same destination left when they were killed or could not clean up: the hidden
    /// tree (new, or the old one swapped out), and then its lock file.
    /// </summary>
    private static void RemoveAbandonedTrees(string destination)
    {
        foreach ((string tree, string ownerLock) in AtomicFile.AbandonedTemporaries(destination).ToList())
        {
            BestEffort.Delete(tree);
            if (!Directory.Exists(tree) && !File.Exists(tree)) BestEffort.DeleteFile(ownerLock);
        }
    }

    private static string TrimSeparators(string path)
    {
        string root = Path.GetPathRoot(path) ?? "";
        string trimmed = path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return trimmed.Length < root.Length ? root : trimmed;
    }

    /// <summary>
    /// The state of one extraction: the rules applied to each entry, writing it, limits, links and progress. Reading the
    /// zip and tar formats into <see cref="ArchiveItem"/>s is in SafeArchiveExtractor.Formats.cs.
    /// </summary>
    private sealed partial class Run
    {
        private readonly ArchiveExtractionOptions _options;
        private readonly string _archive;
        private readonly string _destination;
        private readonly string _temp;
        private readonly long _archiveLength;
        private readonly IProgress<ArchiveExtractionProgress>? _progress;
        private readonly CancellationToken _cancel;
        private readonly DestinationTree _tree;
        private readonly List<Regex> _include = new();
        private readonly List<KeyValuePair<string, DateTime>> _directoryTimes = new();
        private readonly List<KeyValuePair<DestinationTree.Node, string>> _pendingLinks = new();
        private Func<long> _compressedRead = () => 0;
        private int _entryCount;
        private long _lastProgress;

        public Run(ArchiveExtractionOptions options, string archive, string destination, string temp, long archiveLength,
                   IProgress<ArchiveExtractionProgress>? progress, CancellationToken cancel)
        {
            _options = options;
            _archive = archive;
            _destination = destination;
            _temp = temp;
            _archiveLength = archiveLength;
            _progress = progress;
            _cancel = cancel;
            _tree = new DestinationTree(archive);
            foreach (string pattern in options.Include)
            {
                if (!string.IsNullOrEmpty(pattern)) _include.Add(GlobToRegex(pattern));
            }
        }

        public List<ExtractedEntry> Entries { get; } = new();
        public long TotalBytes { get; private set; }
        public int Skipped { get; private set; }

        /// <summary>Applies every rule to one entry and writes it (links are recorded and created in <see cref="Finish"/>).</summary>
        private void Handle(ArchiveItem item, Func<byte[], int, int, int> read, long? entryCompressedSize)
        {
            _cancel.ThrowIfCancellationRequested();
            if (++_entryCount > _options.MaxEntryCount)
                throw Limit(ArchiveLimit.EntryCount, _options.MaxEntryCount, item.Name, $"the archive has more than {_options.MaxEntryCount} entries");
            switch (item.Type)
            {
                case ArchiveItemType.CharacterDevice:
                case ArchiveItemType.BlockDevice:
                case ArchiveItemType.Fifo:
                    throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.SpecialFile, $"it is a {item.Type}; archives for installation contain files, folders and links only.");
                case ArchiveItemType.Unsupported:
                    throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.UnsupportedEntryType, $"it is a {item.TypeDescription}, which the extractor does not write.");
            }

            string[] segments = EntryPathPolicy.Split(_archive, item.Name);
            if (segments.Length > _options.MaxDepth)
                throw Limit(ArchiveLimit.NestingDepth, _options.MaxDepth, item.Name, $"an entry is {segments.Length} folders deep");
            bool isDirectory = item.Type == ArchiveItemType.Directory;
            if (segments.Length == 0)
            {
                if (isDirectory) { Skipped++; return; } // "./" names the destination itself
                throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.EmptyName, "the name has no segment but the entry is not a folder.");
            }

            string[]? linkTarget = item.Type == ArchiveItemType.SymbolicLink ? EntryPathPolicy.SplitLinkTarget(_archive, item.Name, item.LinkTarget ?? "") : null;
            string[]? hardTarget = null;
            if (item.Type == ArchiveItemType.HardLink)
            {
                string[] full;
                try
                {
                    full = EntryPathPolicy.Split(_archive, item.LinkTarget ?? "");
                }
                catch (UnsafeArchiveEntryException bad)
                {
                    // report the link entry, with the rule its target broke
                    throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.HardLinkTarget, $"the hard link's target '{UnsafeArchiveEntryException.Printable(item.LinkTarget ?? "")}' is unsafe: {bad.Detail}");
                }
                if (full.Length <= _options.StripComponents)
                    throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.HardLinkTarget, $"the hard link's target '{item.LinkTarget}' names no file once {_options.StripComponents} leading folder(s) are stripped.");
                hardTarget = Strip(full);
            }

            if (segments.Length <= _options.StripComponents) { Skipped++; return; }
            string[] relative = Strip(segments);
            if (!Included(relative, isDirectory)) { Skipped++; return; }

            string name = string.Join("/", relative);
            string tempPath = Path.Combine(_temp, string.Join(Path.DirectorySeparatorChar.ToString(), relative));
            string finalPath = Path.Combine(_destination, string.Join(Path.DirectorySeparatorChar.ToString(), relative));
            switch (item.Type)
            {
                case ArchiveItemType.Directory:
                    _tree.Add(item.Name, relative, DestinationTree.NodeKind.Directory);
                    UnixFileSystem.CreateDirectory(tempPath, FolderMode);
                    if (item.LastWriteTimeUtc is DateTime dirTime) _directoryTimes.Add(new KeyValuePair<string, DateTime>(tempPath, dirTime));
                    Entries.Add(new ExtractedEntry(name, finalPath, ExtractedEntryKind.Directory, 0, null, item.LastWriteTimeUtc, false));
                    break;

                case ArchiveItemType.File:
                {
                    DestinationTree.Node node = _tree.Add(item.Name, relative, DestinationTree.NodeKind.File);
                    long length = WriteFile(item, tempPath, read, entryCompressedSize);
                    node.WrittenTo = tempPath;
                    bool executable = (item.Mode & 0x49) != 0;
                    Entries.Add(new ExtractedEntry(name, finalPath, ExtractedEntryKind.File, length, null, item.LastWriteTimeUtc, executable));
                    break;
                }

                case ArchiveItemType.HardLink:
                {
                    DestinationTree.Node? target = _tree.Find(hardTarget!);
                    if (target == null || target.Kind != DestinationTree.NodeKind.File || target.WrittenTo == null)
                        throw EntryPathPolicy.Refuse(_archive, item.Name, UnsafeEntryRule.HardLinkTarget, $"the hard link's target '{item.LinkTarget}' is not a file extracted earlier from this archive.");
                    DestinationTree.Node node = _tree.Add(item.Name, relative, DestinationTree.NodeKind.File);
                    var copy = new ArchiveItem(item.Name, ArchiveItemType.File, new FileInfo(target.WrittenTo).Length, item.Mode, item.LastWriteTimeUtc, null);
                    long length;
                    using (FileStream source = FileHasher.OpenRead(target.WrittenTo))
                    {
                        length = WriteFile(copy, tempPath, source.Read, null);
                    }
                    node.WrittenTo = tempPath;
                    Entries.Add(new ExtractedEntry(name, finalPath, ExtractedEntryKind.HardLinkCopy, length, target.Path, item.LastWriteTimeUtc, (item.Mode & 0x49) != 0));
                    break;
                }

                case ArchiveItemType.SymbolicLink:
                {
                    DestinationTree.Node node = _tree.Add(item.Name, relative, DestinationTree.NodeKind.SymbolicLink, linkTarget);
                    _pendingLinks.Add(new KeyValuePair<DestinationTree.Node, string>(node, tempPath));
                    Entries.Add(new ExtractedEntry(name, finalPath, ExtractedEntryKind.SymbolicLink, 0, string.Join("/", linkTarget!), item.LastWriteTimeUtc, false));
                    break;
                }
            }
            Report(name, force: true);
        }

        /// <summary>Streams one entry to a new file, counting what is written against every limit before writing it.</summary>
        private long WriteFile(ArchiveItem item, string path, Func<byte[], int, int, int> read, long? entryCompressedSize)
        {
            string? folder = Path.GetDirectoryName(path);
            if (folder != null) UnixFileSystem.CreateDirectory(folder, FolderMode);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            long written = 0;
            try
            {
                // 0644 from the start (0755 below if executable): the archive's mode bits beyond that, and the umask's
                // leniency, never reach the disk.
                using (FileStream output = UnixFileSystem.CreateNewFile(path, FileMode644))
                {
                    while (true)
                    {
                        int filled = 0, n;
                        while (filled < BufferSize && (n = read(buffer, filled, BufferSize - filled)) > 0) filled += n;
                        if (filled == 0) break;
                        written += filled;
                        TotalBytes += filled;
                        if (written > item.Size)
                            throw new ArchiveCorruptException(_archive, $"'{UnsafeArchiveEntryException.Printable(item.Name)}' holds more data than the {item.Size} bytes its header declares.");
                        if (TotalBytes > _options.MaxTotalBytes)
                            throw Limit(ArchiveLimit.TotalBytes, _options.MaxTotalBytes, item.Name, $"more than {_options.MaxTotalBytes} bytes would be written");
                        CheckRatio(item.Name, written, entryCompressedSize);
                        output.Write(buffer, 0, filled);
                        _cancel.ThrowIfCancellationRequested();
                        Report(item.Name, force: false);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (written != item.Size)
                throw new ArchiveCorruptException(_archive, $"'{UnsafeArchiveEntryException.Printable(item.Name)}' holds {written} bytes but its header declares {item.Size}.");
            if (item.LastWriteTimeUtc is DateTime time) File.SetLastWriteTimeUtc(path, time);
            // only the executable bit is carried over; setuid, setgid, sticky and odd permissions never are
            if ((item.Mode & 0x49) != 0) UnixFileSystem.MakeExecutable(path);
            return written;
        }

        private void CheckRatio(string entryName, long entryWritten, long? entryCompressedSize)
        {
            long ratio = _options.MaxCompressionRatio;
            if (entryCompressedSize is long compressed)
            {
                if (entryWritten > RatioFloorBytes && entryWritten / Math.Max(1, compressed) > ratio)
                    throw Limit(ArchiveLimit.CompressionRatio, ratio, entryName, $"the entry expands {entryWritten / Math.Max(1, compressed)}-fold");
                return;
            }
            long read = Math.Max(1, _compressedRead());
            if (TotalBytes > RatioFloorBytes && TotalBytes / read > ratio)
                throw Limit(ArchiveLimit.CompressionRatio, ratio, entryName, $"{TotalBytes} bytes were written from {read} archive bytes");
        }

        /// <summary>Links are checked against the complete tree, then created; folder times are set last, deepest first.</summary>
        public void Finish()
        {
            _tree.ResolveLinks();
            foreach (KeyValuePair<DestinationTree.Node, string> link in _pendingLinks)
            {
                string? folder = Path.GetDirectoryName(link.Value);
                if (folder != null) UnixFileSystem.CreateDirectory(folder, FolderMode);
                UnixFileSystem.CreateSymbolicLink(link.Value, string.Join("/", link.Key.LinkTarget!), link.Key.TargetIsDirectory);
            }
            _directoryTimes.Sort((a, b) => b.Key.Length.CompareTo(a.Key.Length));
            foreach (KeyValuePair<string, DateTime> dir in _directoryTimes) Directory.SetLastWriteTimeUtc(dir.Key, dir.Value);
            Report(null, force: true);
        }

        private string[] Strip(string[] segments)
        {
            int n = _options.StripComponents;
            if (n == 0) return segments;
            var rest = new string[segments.Length - n];
            Array.Copy(segments, n, rest, 0, rest.Length);
            return rest;
        }

        /// <summary>An entry is written when a pattern matches its path or one of its parent folders (so "bin" takes bin/ and all in it).</summary>
        private bool Included(string[] relative, bool isDirectory)
        {
            if (_include.Count == 0) return true;
            var path = new StringBuilder();
            for (int i = 0; i < relative.Length; i++)
            {
                if (i > 0) path.Append('/');
                path.Append(relative[i]);
                string candidate = path.ToString();
                foreach (Regex pattern in _include)
                {
                    if (pattern.IsMatch(candidate) || pattern.IsMatch(relative[i])) return true;
                }
            }
            return false;
        }

        private static Regex GlobToRegex(string glob)
        {
            var sb = new StringBuilder("^");
            string g = glob.Replace('\\', '/').Trim('/');
            for (int i = 0; i < g.Length; i++)
            {
                char c = g[i];
                if (c == '*' && i + 1 < g.Length && g[i + 1] == '*')
                {
                    bool slash = i + 2 < g.Length && g[i + 2] == '/';
                    sb.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                }
                else if (c == '*') sb.Append("[^/]*");
                else if (c == '?') sb.Append("[^/]");
                else sb.Append(Regex.Escape(c.ToString()));
            }
            sb.Append('$');
            return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        }

        private void Report(string? entry, bool force)
        {
            if (_progress == null) return;
            if (!force && TotalBytes - _lastProgress < ProgressStepBytes) return;
            _lastProgress = TotalBytes;
            _progress.Report(new ArchiveExtractionProgress(entry, _entryCount, TotalBytes, _compressedRead(), _archiveLength));
        }

        private ArchiveLimitExceededException Limit(ArchiveLimit limit, long maximum, string? entry, string detail) => new(_archive, limit, maximum, entry, detail);
    }
}
