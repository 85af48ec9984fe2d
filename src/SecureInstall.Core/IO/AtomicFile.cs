namespace SecureInstall.Core.IO;

/// <summary>
/// Writes a file so that readers see either the old file or the complete new one: the bytes go to a
/// temporary file in the same folder (same volume, so the final rename is atomic), which is deleted on any failure.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private bool _committed;
    private bool _sealed;

    private AtomicFile(string destination, string temporaryPath, FileStream stream)
    {
        Destination = destination;
        TemporaryPath = temporaryPath;
        Stream = stream;
    }

    public string Destination { get; }
    public string TemporaryPath { get; }
    public FileStream Stream { get; }

    /// <summary>
    /// Creates the temporary file beside <paramref name="destination"/>; its name starts with a dot and ends in ".partial".
    /// It is created 0644, or 0600 when <paramref name="privateFile"/> (a download made with a token, a cache entry), the
    /// umask taking away more if it says so: never group- or world-writable, never readable by others when private, not even
    /// for the instant between creating and changing the mode.
    /// </summary>
    public static AtomicFile Create(string destination, bool privateFile = false)
    {
        if (destination == null) throw new ArgumentNullException(nameof(destination));
        string full = Path.GetFullPath(destination);
        if (Path.GetDirectoryName(full) == null) throw new ArgumentException("The destination has no folder.", nameof(destination));
        string temp = TemporaryPathFor(full);
        FileStream stream = UnixFileSystem.CreateNewFile(temp, privateFile ? 0x180u /* 0600 */ : 0x1A4u /* 0644 */);
        return new AtomicFile(full, temp, stream);
    }

    /// <summary>Writes <paramref name="bytes"/> as the whole of <paramref name="destination"/>, atomically: the old file or the new one, never half.</summary>
    public static void WriteAllBytes(string destination, byte[] bytes)
    {
        if (bytes == null) throw new ArgumentNullException(nameof(bytes));
        using AtomicFile file = Create(destination);
        file.Stream.Write(bytes, 0, bytes.Length);
        file.Commit();
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 without a byte-order mark, atomically (see <see cref="WriteAllBytes"/>).</summary>
    public static void WriteAllText(string destination, string text) =>
        WriteAllBytes(destination, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

    /// <summary>
    /// A fresh temporary name beside <paramref name="destination"/>, ".{name}.{id}.partial", for a file or a folder that is
    /// renamed into place when complete (atomic writes, cache links, extraction trees).
    /// </summary>
    public static string TemporaryPathFor(string destination)
    {
        string full = Path.GetFullPath(destination);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, IdLength) + TemporarySuffix);
    }

    /// <summary>Whether a file or folder name has the form <see cref="TemporaryPathFor"/> gives: something left by an interrupted write.</summary>
    public static bool IsTemporaryName(string name) =>
        name.StartsWith(".", StringComparison.Ordinal) && name.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    /// <summary>
    /// The lock file beside a temporary folder from <see cref="TemporaryPathFor"/>, ".{name}.{id}.lock.partial": its writer
    /// holds it open exclusively while the folder exists, so a folder whose lock can be taken was left by a process that
    /// died (the OS releases the lock with the process), and can be removed.
    /// </summary>
    public static string OwnerLockFor(string temporaryPath) =>
        temporaryPath.Substring(0, temporaryPath.Length - TemporarySuffix.Length) + LockSuffix + TemporarySuffix;

    /// <summary>
    /// What writers that died left beside <paramref name="destination"/>: for every owner lock (".{name}.{id}.lock.partial")
    /// that exists and is free, the temporary path it guards (".{name}.{id}.partial": a folder, a file, or already gone)
    /// and the lock itself. A temporary folder without a lock file is not reported (not ours, or still being set up).
    /// </summary>
    public static IEnumerable<(string Temporary, string Lock)> AbandonedTemporaries(string destination)
    {
        string full = Path.GetFullPath(destination);
        string parent = Path.GetDirectoryName(full)!;
        string prefix = "." + Path.GetFileName(full) + ".";
        string suffix = LockSuffix + TemporarySuffix;
        foreach (string owner in Directory.EnumerateFiles(parent))
        {
            string name = Path.GetFileName(owner);
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            if (name.Length != prefix.Length + IdLength + suffix.Length || IsHeld(owner)) continue;
            yield return (owner.Substring(0, owner.Length - suffix.Length) + TemporarySuffix, owner);
        }
    }

    private static bool IsHeld(string lockPath)
    {
        try
        {
            using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private const int IdLength = 12;
    private const string TemporarySuffix = ".partial";
    private const string LockSuffix = ".lock";

    /// <summary>
    /// Flushes and closes the temporary file so a check that opens it by name (Authenticode; on Windows WinVerifyTrust
    /// cannot share the write handle) reads the bytes that <see cref="Commit(bool)"/> will place.
    /// </summary>
    public void Seal(bool flushToDisk)
    {
        if (_committed) throw new InvalidOperationException("Already committed.");
        if (_sealed) return;
        Stream.Flush(flushToDisk);
        Stream.Dispose();
        _sealed = true;
    }

    /// <summary>Flushes to disk and renames over the destination (replacing an existing file in one step).</summary>
    public void Commit() => Commit(flushToDisk: true);

    /// <summary>
    /// Renames over the destination. Readers see the old file or the whole new one either way; <paramref name="flushToDisk"/>
    /// also makes that hold across a power cut (without it the OS may write the rename before the data, leaving an empty file).
    /// </summary>
    public void Commit(bool flushToDisk)
    {
        if (_committed) throw new InvalidOperationException("Already committed.");
        if (!_sealed)
        {
            Stream.Flush(flushToDisk);
            Stream.Dispose();
        }
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
        BestEffort.DeleteFile(TemporaryPath);
    }
}
