using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>
/// The one cache lookup (issue 19): an entry that cannot be linked beside the destination (the cache on another volume)
/// takes the copy branch of the same flow, re-hashed through the handle it is read with, and a bad one is evicted there too.
/// </summary>
public sealed class CacheLookupTests : IDisposable
{
    /// <summary>tmpfs on Linux: another volume than the temporary folder, so a hard link out of the cache fails (EXDEV).</summary>
    private const string OtherVolume = "/dev/shm";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-cachelookup-" + Guid.NewGuid().ToString("N"));
    private readonly string _cacheDir = Path.Combine(OtherVolume, "si-cachelookup-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(300_000);
    private readonly ConcurrentQueue<string> _log = new();

    public CacheLookupTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        Directory.CreateDirectory(Path.Combine(_root, "out"));
        File.WriteAllBytes(Source, _data);
    }

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        if (Directory.Exists(_cacheDir)) Directory.Delete(_cacheDir, recursive: true);
    }

    private string Source => Path.Combine(_root, "src", "artifact.bin");
    private string Destination => Path.Combine(_root, "out", "artifact.bin");
    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));

    private static bool OtherVolumeAvailable =>
        OperatingSystem.IsLinux() && Directory.Exists(OtherVolume) && new DriveInfo(OtherVolume).Name != new DriveInfo(Path.GetTempPath()).Name;

    private async Task<DownloadResult> DownloadAsync()
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { CacheDirectory = _cacheDir, Log = _log.Enqueue });
        return await downloader.DownloadAsync(new DownloadRequest(new Uri(Source), Destination)
        {
            Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256"),
        });
    }

    [SkippableFact]
    public async Task EntryOnAnotherVolume_IsCopiedOut_AndRehashed()
    {
        Skip.IfNot(OtherVolumeAvailable, "needs /dev/shm on another volume than the temporary folder");
        await DownloadAsync();
        File.Delete(Source);
        File.Delete(Destination);
        _log.Clear();

        DownloadResult hit = await DownloadAsync();

        Assert.True(hit.FromCache);
        Assert.Equal(Sha256, hit.Sha256);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.Contains(_log, l => l.StartsWith("Cache hit: served", StringComparison.Ordinal) && l.Contains("copied and re-hashed"));
        Assert.DoesNotContain(_log, l => l.StartsWith("Cache hit: linked", StringComparison.Ordinal));
        Assert.Equal(new[] { Destination }, Directory.GetFiles(Path.GetDirectoryName(Destination)!));
    }

    [SkippableFact]
    public async Task CorruptedEntryOnAnotherVolume_IsEvictedOnTheCopyBranch_AndTheFileFetchedAgain()
    {
        Skip.IfNot(OtherVolumeAvailable, "needs /dev/shm on another volume than the temporary folder");
        await DownloadAsync();
        string entry = new ArtifactCache(_cacheDir).PathFor(Sha256);
        File.Delete(entry);
        File.WriteAllText(entry, "rotten");
        File.Delete(Destination);
        _log.Clear();

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.Contains(_log, l => l.Contains("hashes to", StringComparison.Ordinal) && l.Contains("evicting it and downloading", StringComparison.Ordinal));
        Assert.Equal(_data, File.ReadAllBytes(entry));
        Assert.Equal(new[] { Destination }, Directory.GetFiles(Path.GetDirectoryName(Destination)!));
    }
}
