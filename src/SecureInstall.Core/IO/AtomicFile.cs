using System;
using System.IO;

namespace SecureInstall.Core.IO;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one: the bytes go to a
/// temporary file in the same folder (same volume, so the final rename is atomic), which is deleted on any failure.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private bool _committed;

    private AtomicFile(string destination, string temporaryPath, FileStream stream)
    {
        Destination = destination;
        TemporaryPath = temporaryPath;
        Stream = stream;
    }

    public string Destination { get; }
    public string TemporaryPath { get; }
    public FileStream Stream { get; }

    /// <summary>Creates the temporary file beside <paramref name="destination"/>; its name starts with a dot and ends in ".partial".</summary>
    public static AtomicFile Create(string destination)
    {
        if (destination == null) throw new ArgumentNullException(nameof(destination));
        string full = Path.GetFullPath(destination);
        if (Path.GetDirectoryName(full) == null) throw new ArgumentException("The destination has no folder.", nameof(destination));
        string temp = TemporaryPathFor(full);
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        return new AtomicFile(full, temp, stream);
    }

    /// <summary>
    /// A fresh temporary name beside <paramref name="destination"/>, ".{name}.{id}.partial", for a file or a folder that is
    /// renamed into place when complete (atomic writes, cache links, extraction trees).
    /// </summary>
    public static string TemporaryPathFor(string destination)
    {
        string full = Path.GetFullPath(destination);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 12) + TemporarySuffix);
    }

    /// <summary>Whether a file or folder name has the form <see cref="TemporaryPathFor"/> gives: something left by an interrupted write.</summary>
    public static bool IsTemporaryName(string name) =>
        name.StartsWith(".", StringComparison.Ordinal) && name.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    private const string TemporarySuffix = ".partial";

    /// <summary>Flushes to disk and renames over the destination (replacing an existing file in one step).</summary>
    public void Commit() => Commit(flushToDisk: true);

    /// <summary>
    /// Renames over the destination. Readers see the old file or the whole new one either way; <paramref name="flushToDisk"/>
    /// also makes that hold across a power cut (without it the OS may write the rename before the data, leaving an empty file).
    /// </summary>
    public void Commit(bool flushToDisk)
    {
        if (_committed) throw new InvalidOperationException("Already committed.");
        Stream.Flush(flushToDisk);
        Stream.Dispose();
        MoveIntoPlace(TemporaryPath, Destination);
        _committed = true;
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/>; rename(2) on Unix, ReplaceFile/MoveFile on Windows.</summary>
    public static void MoveIntoPlace(string source, string destination)
    {
        if (File.Exists(destination))
            File.Replace(source, destination, destinationBackupFileName: null, ignoreMetadataErrors: true);
        else
            File.Move(source, destination);
    }

    /// <summary>Without a commit, the temporary file is deleted and the destination is as it was.</summary>
    public void Dispose()
    {
        if (_committed) return;
        Stream.Dispose();
        try { File.Delete(TemporaryPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
