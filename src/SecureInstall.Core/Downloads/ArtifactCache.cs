using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Verified artifacts kept by their SHA-256 (<c>sha256/ab/abcdef…</c>), and by their SHA-512 too when that is what they were
/// pinned by (<c>sha512/ab/…</c>, a second name for the same file: a module's .nupkg is pinned by SHA-512 alone). An entry is only trusted after it is
/// hashed again on the way out, so a corrupted or tampered cache costs a download, never a bad file; and only when it is
/// a regular file nobody else can change (<see cref="Inspect"/>), so the bytes hashed stay the bytes placed. The cache
/// itself must be this user's own (<see cref="EnsureTrusted"/>).
/// </summary>
public sealed class ArtifactCache
{
    public ArtifactCache(string directory)
    {
        if (directory == null) throw new ArgumentNullException(nameof(directory));
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    /// <summary>Overrides the default location for every SecureInstall command of a session or CI job.</summary>
    public const string DirectoryVariable = "SECUREINSTALL_CACHE";

    /// <summary>
    /// $env:SECUREINSTALL_CACHE when set; else $env:SECUREINSTALL_HOME/cache (the variable that moves the tool root too); else %LOCALAPPDATA%\SecureInstall\cache on Windows,
    /// $XDG_CACHE_HOME/secureinstall or ~/.cache/secureinstall elsewhere.
    /// </summary>
    public static string DefaultDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        string? home = Environment.GetEnvironmentVariable("SECUREINSTALL_HOME");
        if (!string.IsNullOrWhiteSpace(home)) return Path.Combine(Path.GetFullPath(home), "cache");
        if (Path.DirectorySeparatorChar == '\\')
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecureInstall", "cache");
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg!
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "secureinstall");
    }

    /// <summary>Where the entry for <paramref name="sha256"/> lives (whether or not it exists).</summary>
    public string PathFor(string sha256) => PathFor(ChecksumAlgorithm.SHA256, sha256);

    /// <summary>Where the entry for <paramref name="digest"/> by <paramref name="algorithm"/> (SHA-256 or SHA-512, see <see cref="Keeps"/>) lives.</summary>
    public string PathFor(ChecksumAlgorithm algorithm, string digest)
    {
        if (digest == null) throw new ArgumentNullException(nameof(digest));
        if (!Keeps(algorithm)) throw new ArgumentException($"The cache keeps entries by SHA-256 and SHA-512, not {ChecksumAlgorithms.LowerName(algorithm)}.", nameof(algorithm));
        string hex = digest.ToLowerInvariant();
        int length = algorithm == ChecksumAlgorithm.SHA256 ? 64 : 128;
        if (hex.Length != length || !Hex.IsHex(hex)) throw new ArgumentException($"A {ChecksumAlgorithms.LowerName(algorithm)} digest has {length} hex digits.", nameof(digest));
        return Path.Combine(Directory, ChecksumAlgorithms.LowerName(algorithm), hex.Substring(0, 2), hex);
    }

    /// <summary>The algorithms entries are named by: SHA-256 (every entry) and SHA-512 (entries pinned by it).</summary>
    public static bool Keeps(ChecksumAlgorithm algorithm) => algorithm is ChecksumAlgorithm.SHA256 or ChecksumAlgorithm.SHA512;

    public bool Contains(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>Folders of the cache are 0700 and files it copies in 0600: nobody else reads or writes what is cached.</summary>
    private const uint FolderMode = 0x1C0, FileMode = 0x180;

    private const string Remedy = "Make it yours (chown, chmod 700), point SECUREINSTALL_CACHE at a folder of your own, or pass -NoCache.";

    /// <summary>
    /// Checks that the cache is this user's own before it is read or filled, and creates it (0700) if needed. Another user's
    /// cache (or one below a folder others can write, see <see cref="DirectoryTrust"/>) is refused with
    /// <see cref="UntrustedDirectoryException"/> (<see cref="ErrorIds.CacheNotTrusted"/>): serving from it, or filling it, would
    /// let them choose where our files go and see what we fetch. Our own cache folder that others can read or write (made
    /// under a loose umask) is made 0700; what they may have put in it meanwhile is caught entry by entry (<see cref="Inspect"/>).
    /// </summary>
    public void EnsureTrusted(Action<string>? log = null)
    {
        DirectoryTrust.Ensure(Directory, FolderMode, ErrorIds.CacheNotTrusted, "artifact cache", Remedy, allowOwnLooseLeaf: true);
        if (!UnixFileSystem.CanReadOwners) return;
        if (UnixFileSystem.Status(Directory, followLinks: true) is FileStatus status && status.Owner == UnixFileSystem.EffectiveUserId && (status.Mode & 0x3F) != 0)
        {
            UnixFileSystem.SetMode(Directory, FolderMode);
            log?.Invoke($"The cache {Directory} was open to other users (mode {status.Permissions}); made it 0700.");
        }
    }

    /// <summary>What is at an entry's name, looked at without following a link.</summary>
    internal enum EntryState
    {
        Missing,
        /// <summary>A regular file that only this user (or root) can change: it may be linked out.</summary>
        Trusted,
        /// <summary>A link, or a file another user owns or can write: never used, evicted.</summary>
        Untrusted,
        /// <summary>Owners cannot be read here (Windows, macOS): the entry may only be copied out, hashed as it is written.</summary>
        Unchecked,
    }

    /// <summary>
    /// Whether the entry for <paramref name="sha256"/> may be used, and if not why (<paramref name="reason"/>, e.g. "a symbolic
    /// link"). A symbolic or hard link planted in the cache would be hashed through the link and then placed as the link: the
    /// verified file would be a file its owner rewrites afterwards.
    /// </summary>
    internal EntryState Inspect(ChecksumAlgorithm algorithm, string digest, out string? reason)
    {
        string path = PathFor(algorithm, digest);
        reason = null;
        if (!UnixFileSystem.CanReadOwners)
        {
            // Kinds are read everywhere (attributes on Windows); owners are not, so the entry may only be copied out.
            if (!UnixFileSystem.TryGetEntry(path, out FileStatus kind)) return EntryState.Missing;
            reason = kind.IsSymbolicLink ? "a symbolic link" : kind.IsDirectory ? "a folder" : kind.IsRegularFile ? null : "not a regular file";
            return reason == null ? EntryState.Unchecked : EntryState.Untrusted;
        }
        reason = FolderProblem(path);
        if (reason != null) return File.Exists(path) || UnixFileSystem.Status(path, followLinks: false) != null ? EntryState.Untrusted : EntryState.Missing;
        FileStatus? status = UnixFileSystem.Status(path, followLinks: false);
        if (status == null) return EntryState.Missing;
        reason = Distrust(status.Value);
        return reason == null ? EntryState.Trusted : EntryState.Untrusted;
    }

    /// <summary>
    /// Why the folders an entry sits in (sha256/ and sha256/ab/, or sha512/…) cannot be trusted, or null: whoever owns or can write one
    /// can swap the entry's name between our checks and our use (a FIFO that blocks the read, another file), even while
    /// the cache folder itself is ours and 0700 (they may have made it while the cache was open to them). Owners read only.
    /// </summary>
    private string? FolderProblem(string entryPath)
    {
        for (string? folder = Path.GetDirectoryName(entryPath); folder != null && folder.Length > Directory.Length; folder = Path.GetDirectoryName(folder))
        {
            FileStatus? status = UnixFileSystem.Status(folder, followLinks: false);
            if (status == null) return null; // not made yet: we make it, 0700
            if (!status.Value.IsDirectory) return $"in '{folder}', which is {(status.Value.IsSymbolicLink ? "a symbolic link" : "not a folder")}";
            if (status.Value.Owner != UnixFileSystem.EffectiveUserId && status.Value.Owner != 0) return $"in '{folder}', owned by another user (uid {status.Value.Owner})";
            if (status.Value.IsWritableByOthers) return $"in '{folder}', writable by other users (mode {status.Value.Permissions})";
        }
        return null;
    }

    /// <summary>
    /// Why a cached file cannot be used, or null. Only a regular file owned by this user or root and writable by nobody else
    /// is: then nobody else can change its bytes after they are hashed, however many names it has (the link count of our
    /// own entry is 2 once a destination is linked to it, and the cache folder is ours and 0700, see <see cref="EnsureTrusted"/>).
    /// </summary>
    internal static string? Distrust(FileStatus status)
    {
        if (status.IsSymbolicLink) return "a symbolic link";
        if (!status.IsRegularFile) return "not a regular file";
        if (status.Owner != UnixFileSystem.EffectiveUserId && status.Owner != 0)
            return $"owned by another user (uid {status.Owner}){(status.LinkCount > 1 ? $" with {status.LinkCount} links" : "")}";
        if (status.IsWritableByOthers) return $"writable by other users (mode {status.Permissions})";
        return null;
    }

    /// <summary>
    /// Checks a cached file through the handle it is read with (null when it may be used): the name may have been swapped for
    /// a link since <see cref="Inspect"/>, so the file read must be the one the name leads to now, and itself pass
    /// <see cref="Distrust(FileStatus)"/>. Null where owners cannot be read.
    /// </summary>
    internal static string? Distrust(FileStream opened, string path)
    {
        if (!UnixFileSystem.CanReadOwners) return null;
        FileStatus byHandle = UnixFileSystem.Status(opened.SafeFileHandle);
        FileStatus? byName = UnixFileSystem.Status(path, followLinks: false);
        if (byName == null || !byName.Value.IsSameFile(byHandle)) return byName is FileStatus link && link.IsSymbolicLink ? "a symbolic link" : "replaced while it was opened";
        return Distrust(byHandle);
    }

    /// <summary>
    /// Adds a verified file to the cache atomically: as a hard link when the cache is on the same volume (no bytes
    /// copied) and the file is one only this user can change, else as a copy (0600). The caller vouches that
    /// <paramref name="sha256"/> is its digest.
    /// </summary>
    public Task AddAsync(string verifiedFile, string sha256, CancellationToken cancellationToken) =>
        AddAsync(verifiedFile, ChecksumAlgorithm.SHA256, sha256, cancellationToken);

    /// <summary><see cref="AddAsync(string, string, CancellationToken)"/> under the name of its <paramref name="algorithm"/> digest, which the caller vouches for.</summary>
    public async Task AddAsync(string verifiedFile, ChecksumAlgorithm algorithm, string digest, CancellationToken cancellationToken)
    {
        string target = PathFor(algorithm, digest);
        EntryState state = Inspect(algorithm, digest, out _);
        if (state is EntryState.Trusted or EntryState.Unchecked) return;
        if (state == EntryState.Untrusted) Evict(algorithm, digest);
        // Never into a folder someone else controls: they could swap what we add for their own file.
        if (UnixFileSystem.CanReadOwners && FolderProblem(target) is string why)
            throw new IOException($"the cache entry for {ChecksumAlgorithms.LowerName(algorithm)}:{digest} would be {why}; not cached");
        UnixFileSystem.CreateDirectory(Path.GetDirectoryName(target)!, FolderMode);
        if (!UnixFileSystem.CanReadOwners || UnixFileSystem.Status(verifiedFile, followLinks: false) is FileStatus own && Distrust(own) == null)
        {
            string linked = AtomicFile.TemporaryPathFor(target);
            if (HardLink.TryCreate(verifiedFile, linked))
            {
                try
                {
                    AtomicFile.MoveIntoPlace(linked, target);
                }
                catch (IOException) when (File.Exists(target))
                {
                    // Another process cached the same content first; its entry is as good as ours.
                }
                finally
                {
                    if (File.Exists(linked)) File.Delete(linked);
                }
                return;
            }
        }
        using AtomicFile file = AtomicFile.Create(target, privateFile: true);
        using (FileStream source = FileHasher.OpenRead(verifiedFile))
        {
            await source.CopyToAsync(file.Stream, 1024 * 1024, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            file.Commit();
        }
        catch (IOException) when (File.Exists(target))
        {
        }
    }

    /// <summary>
    /// Links the entry to a temporary name beside <paramref name="destination"/> and returns that name, or null when
    /// linking is impossible there (the caller copies instead). Only for an entry <see cref="Inspect"/> found
    /// <see cref="EntryState.Trusted"/>; the caller checks the linked file again through the handle it hashes it with
    /// (<see cref="Distrust(FileStream, string)"/>), since the name may have been swapped in between.
    /// </summary>
    internal string? TryLinkOut(ChecksumAlgorithm algorithm, string digest, string destination)
    {
        string temporary = AtomicFile.TemporaryPathFor(destination);
        return HardLink.TryCreate(PathFor(algorithm, digest), temporary) ? temporary : null;
    }

    /// <summary>Removes an entry that failed its re-hash or its check (a link's name, never what it points to); false when it is still there.</summary>
    public bool Evict(string sha256) => Evict(ChecksumAlgorithm.SHA256, sha256);

    /// <summary><see cref="Evict(string)"/> for the entry named by its <paramref name="algorithm"/> digest.</summary>
    public bool Evict(ChecksumAlgorithm algorithm, string digest)
    {
        string path = PathFor(algorithm, digest);
        BestEffort.DeleteFile(path);
        return !File.Exists(path) && !(UnixFileSystem.CanReadOwners && UnixFileSystem.Status(path, followLinks: false) != null);
    }
}
