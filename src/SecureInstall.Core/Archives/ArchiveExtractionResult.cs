namespace SecureInstall.Core.Archives;

/// <summary>What an entry became on disk.</summary>
public enum ExtractedEntryKind
{
    File,
    Directory,
    SymbolicLink,
    /// <summary>A tar hard link, written as a copy of the file it names (portable, and never shares an inode with anything outside).</summary>
    HardLinkCopy,
}

/// <summary>One thing written into the destination.</summary>
public sealed class ExtractedEntry
{
    internal ExtractedEntry(string name, string fullPath, ExtractedEntryKind kind, long length, string? linkTarget, DateTime? lastWriteTimeUtc, bool isExecutable)
    {
        Name = name;
        FullPath = fullPath;
        Kind = kind;
        Length = length;
        LinkTarget = linkTarget;
        LastWriteTimeUtc = lastWriteTimeUtc;
        IsExecutable = isExecutable;
    }

    /// <summary>Path relative to the destination, '/'-separated, after StripComponents.</summary>
    public string Name { get; }

    /// <summary>Where it is now (inside the destination).</summary>
    public string FullPath { get; internal set; }

    public ExtractedEntryKind Kind { get; }
    public long Length { get; }
    public string? LinkTarget { get; }
    public DateTime? LastWriteTimeUtc { get; }
    public bool IsExecutable { get; }

    public override string ToString() => Name;
}

/// <summary>The outcome of a successful extraction: everything that was written, and where.</summary>
public sealed class ArchiveExtractionResult
{
    internal ArchiveExtractionResult(string archivePath, string destinationPath, ArchiveFormat format, IReadOnlyList<ExtractedEntry> entries,
                                     long totalBytes, int skippedEntries, string? sha256, bool replacedExisting)
    {
        ArchivePath = archivePath;
        DestinationPath = destinationPath;
        Format = format;
        Entries = entries;
        TotalBytes = totalBytes;
        SkippedEntries = skippedEntries;
        Sha256 = sha256;
        ReplacedExisting = replacedExisting;
    }

    public string ArchivePath { get; }
    public string DestinationPath { get; }
    public ArchiveFormat Format { get; }
    public IReadOnlyList<ExtractedEntry> Entries { get; }

    /// <summary>Bytes written, hard-link copies included.</summary>
    public long TotalBytes { get; }

    /// <summary>Entries not written because of StripComponents or Include.</summary>
    public int SkippedEntries { get; }

    /// <summary>The verified digest, when one was expected.</summary>
    public string? Sha256 { get; }

    public bool ReplacedExisting { get; }
}

/// <summary>Progress of one extraction, reported after each entry and every few MiB within large ones.</summary>
public readonly struct ArchiveExtractionProgress
{
    public ArchiveExtractionProgress(string? currentEntry, int entriesDone, long bytesWritten, long archiveBytesRead, long archiveLength)
    {
        CurrentEntry = currentEntry;
        EntriesDone = entriesDone;
        BytesWritten = bytesWritten;
        ArchiveBytesRead = archiveBytesRead;
        ArchiveLength = archiveLength;
    }

    public string? CurrentEntry { get; }
    public int EntriesDone { get; }
    public long BytesWritten { get; }

    /// <summary>Compressed bytes consumed so far; with <see cref="ArchiveLength"/> this gives a percentage.</summary>
    public long ArchiveBytesRead { get; }

    public long ArchiveLength { get; }
}
