using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>
/// Issue 22: a file pinned by SHA-512 alone (a module's .nupkg, a sha512-only tool) is served from the cache like a SHA-256
/// pin, re-hashed by its SHA-512 on the way out; and a URL that has to be looked up first (a NuGet v3 flat container,
/// <see cref="DownloadRequest.ResolveUri"/>) is looked up only when the cache does not hold the pinned file.
/// </summary>
public sealed class Sha512CacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-sha512cache-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(200_000);
    private readonly ConcurrentQueue<string> _log = new();
    private int _lookups;

    public Sha512CacheTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        Directory.CreateDirectory(Path.Combine(_root, "out"));
        File.WriteAllBytes(Source, _data);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "src", "lantern.2.0.0.nupkg");
    private string Destination => Path.Combine(_root, "out", "lantern.2.0.0.nupkg");
    private string CacheDirectory => Path.Combine(_root, "cache");
    private string Sha512 => Convert.ToHexStringLower(SHA512.HashData(_data));
    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));
    private string Sha512Entry => new ArtifactCache(CacheDirectory).PathFor(ChecksumAlgorithm.SHA512, Sha512);

    /// <summary>Downloads the file pinned by its SHA-512; with <paramref name="lookedUp"/>, its URL is looked up (counted) as a v3 feed's is.</summary>
    private async Task<DownloadResult> DownloadAsync(bool lookedUp = false, bool registryOnly = false)
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { CacheDirectory = CacheDirectory, Log = _log.Enqueue, RegistryOnly = registryOnly });
        var request = new DownloadRequest(lookedUp ? new Uri("https://127.0.0.1:1/v3/index.json") : new Uri(Source), Destination)
        {
            Expected = ChecksumEntry.FromDigest(Sha512, ChecksumAlgorithm.SHA512, "-Sha512"),
        };
        if (lookedUp)
        {
            request.ResolveUri = _ =>
            {
                Interlocked.Increment(ref _lookups);
                return Task.FromResult(new Uri(Source));
            };
        }
        return await downloader.DownloadAsync(request);
    }

    [Fact]
    public async Task FilePinnedBySha512_IsServedFromTheCache_TheSecondTime_WithoutItsSource()
    {
        DownloadResult first = await DownloadAsync();
        Assert.False(first.FromCache);
        Assert.True(File.Exists(Sha512Entry), "the entry is named by the SHA-512 it was pinned by");
        File.Delete(Source);
        File.Delete(Destination);
        _log.Clear();

        DownloadResult hit = await DownloadAsync();

        Assert.True(hit.FromCache);
        Assert.Equal(Sha256, hit.Sha256);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.Contains(_log, l => l.StartsWith("Cache hit: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RottenSha512Entry_IsEvicted_AndTheFileFetchedAgain()
    {
        await DownloadAsync();
        File.Delete(Sha512Entry);
        File.WriteAllBytes(Sha512Entry, RandomNumberGenerator.GetBytes(_data.Length));
        File.Delete(Destination);
        _log.Clear();

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.Contains(_log, l => l.Contains("hashes to", StringComparison.Ordinal) && l.Contains($"not {Sha512}", StringComparison.Ordinal) && l.Contains("evicting it", StringComparison.Ordinal));
        Assert.Equal(_data, File.ReadAllBytes(Sha512Entry));
    }

    [SkippableFact]
    public async Task Sha512EntryThatIsASymbolicLink_IsNotUsed()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need a privilege on Windows");
        await DownloadAsync();
        string planted = Path.Combine(_root, "planted.nupkg");
        File.WriteAllBytes(planted, _data); // the right bytes, but a name someone else could point elsewhere later
        File.Delete(Sha512Entry);
        File.CreateSymbolicLink(Sha512Entry, planted);
        File.Delete(Destination);
        _log.Clear();

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, l => l.Contains("is a symbolic link; it is not used", StringComparison.Ordinal) && l.Contains("sha512:" + Sha512, StringComparison.Ordinal));
        Assert.Equal(_data, File.ReadAllBytes(Destination));
    }

    [Fact]
    public async Task UrlToLookUp_IsNotLookedUp_WhenTheCacheHoldsThePinnedFile()
    {
        await DownloadAsync(lookedUp: true);
        Assert.Equal(1, _lookups);
        File.Delete(Destination);

        DownloadResult hit = await DownloadAsync(lookedUp: true);

        Assert.True(hit.FromCache);
        Assert.Equal(1, _lookups);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
    }

    [Fact]
    public async Task UrlToLookUp_IsNeverLookedUp_WithRegistryOnly()
    {
        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => DownloadAsync(lookedUp: true, registryOnly: true));

        Assert.Equal(ErrorIds.RegistryRequestFailed, ex.ErrorId);
        Assert.Equal(0, _lookups);
        Assert.False(File.Exists(Destination));
    }
}
