using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Verified artifacts kept by their SHA-256 (<c>sha256/ab/abcdef…</c>). An entry is only trusted after it is
/// hashed again on the way out, so a corrupted or tampered cache costs a download, never a bad file.
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
    public string PathFor(string sha256)
    {
        if (sha256 == null) throw new ArgumentNullException(nameof(sha256));
        string hex = sha256.ToLowerInvariant();
        if (hex.Length != 64 || !Hex.IsHex(hex)) throw new ArgumentException("A SHA-256 digest has 64 hex digits.", nameof(sha256));
        return Path.Combine(Directory, "sha256", hex.Substring(0, 2), hex);
    }

    public bool Contains(string sha256) => File.Exists(PathFor(sha256));

    /// <summary>
    /// Adds a verified file to the cache atomically: as a hard link when the cache is on the same volume (no bytes
    /// copied), else as a copy. The caller vouches that <paramref name="sha256"/> is its digest.
    /// </summary>
    public async Task AddAsync(string verifiedFile, string sha256, CancellationToken cancellationToken)
    {
        string target = PathFor(sha256);
        if (File.Exists(target)) return;
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
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
        using AtomicFile file = AtomicFile.Create(target);
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
    /// linking is impossible there (the caller copies instead). The caller hashes the linked file before using it.
    /// </summary>
    internal string? TryLinkOut(string sha256, string destination)
    {
        string temporary = AtomicFile.TemporaryPathFor(destination);
        return HardLink.TryCreate(PathFor(sha256), temporary) ? temporary : null;
    }

    /// <summary>Removes an entry that failed its re-hash.</summary>
    public void Evict(string sha256)
    {
        BestEffort.DeleteFile(PathFor(sha256));
    }
}
