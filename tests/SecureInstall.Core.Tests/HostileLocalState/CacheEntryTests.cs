using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #1: another user plants the cache entry for the right digest as a link to a file they own and rewrite after it
/// was verified. What lands at the destination must be a file only we can change, and the planted entry must go.
/// </summary>
public sealed class CacheEntryTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-hostile-cache-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(300_000);
    private readonly ConcurrentQueue<string> _log = new();

    public CacheEntryTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "src"));
        Directory.CreateDirectory(Path.Combine(_root, "out"));
        File.WriteAllBytes(Source, _data);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "src", "artifact.bin");
    private string Destination => Path.Combine(_root, "out", "artifact.bin");
    private string CacheDir => Path.Combine(_root, "cache");
    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));
    private string Entry => new ArtifactCache(CacheDir).PathFor(Sha256);
    private string AttackerFile => Path.Combine(_root, "attacker", "artifact.bin");

    private VerifiedDownloaderOptions Options(string? cacheDir = null) => new() { CacheDirectory = cacheDir ?? CacheDir, Log = _log.Enqueue };

    private DownloadRequest Pinned(string? token = null) => new(new[] { new Uri(Source) }, Destination)
    {
        Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256"),
        Token = token,
    };

    private async Task<DownloadResult> DownloadAsync(string? token = null, string? cacheDir = null)
    {
        using var downloader = new VerifiedDownloader(Options(cacheDir));
        return await downloader.DownloadAsync(Pinned(token));
    }

    /// <summary>The attacker's copy of the artifact (same bytes, so it hashes right), in a folder of theirs.</summary>
    private void PlantAttackerFile()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(AttackerFile)!);
        File.WriteAllBytes(AttackerFile, _data);
        Attacker.Owns(Path.GetDirectoryName(AttackerFile)!);
        Attacker.Owns(AttackerFile);
    }

    private void MakeEntryFolder()
    {
        new ArtifactCache(CacheDir).EnsureTrusted();
        Directory.CreateDirectory(Path.GetDirectoryName(Entry)!);
    }

    /// <summary>A regular file we own, not the attacker's inode, that keeps its bytes when the attacker rewrites theirs.</summary>
    private void AssertDestinationIsOursAfterTheAttackerRewrites()
    {
        FileStatus placed = Attacker.Stat(Destination);
        Assert.True(placed.IsRegularFile);
        Assert.Equal(0u, placed.Owner);
        Assert.False(placed.IsWritableByOthers);
        Assert.False(placed.IsSameFile(Attacker.Stat(AttackerFile)));
        Attacker.Runs($"printf rewritten > '{AttackerFile}'");
        Assert.Equal("rewritten", File.ReadAllText(AttackerFile));
        Assert.Equal(_data, File.ReadAllBytes(Destination));
    }

    [SkippableFact]
    public async Task SymbolicLinkPlantedAsTheEntry_IsEvicted_AndTheDestinationIsAFreshFileTheAttackerCannotRewrite()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        PlantAttackerFile();
        MakeEntryFolder();
        File.CreateSymbolicLink(Entry, AttackerFile);

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, l => l.Contains($"The cache entry {Entry} is a symbolic link; it is not used (evicted)", StringComparison.Ordinal));
        FileStatus entry = Attacker.Stat(Entry);
        Assert.True(entry.IsRegularFile);
        Assert.Equal(0u, entry.Owner);
        AssertDestinationIsOursAfterTheAttackerRewrites();
    }

    [SkippableFact]
    public async Task HardLinkPlantedAsTheEntry_IsEvicted_AndTheDestinationIsAFreshFileTheAttackerCannotRewrite()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        PlantAttackerFile();
        MakeEntryFolder();
        Assert.True(HardLink.TryCreate(AttackerFile, Entry));

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, l => l.Contains($"The cache entry {Entry} is owned by another user (uid 65534) with 2 links; it is not used (evicted)", StringComparison.Ordinal));
        Assert.Equal(1u, Attacker.Stat(AttackerFile).LinkCount);
        AssertDestinationIsOursAfterTheAttackerRewrites();
    }

    [SkippableFact]
    public async Task EntryFileOwnedByAnotherUser_IsNotUsed()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        MakeEntryFolder();
        File.WriteAllBytes(Entry, _data);
        Attacker.Owns(Entry);

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, l => l.Contains("is owned by another user (uid 65534); it is not used (evicted)", StringComparison.Ordinal));
        Assert.Equal(0u, Attacker.Stat(Entry).Owner);
    }

    [SkippableFact]
    public async Task OwnEntryWritableByOthers_IsNotUsed()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        MakeEntryFolder();
        File.WriteAllBytes(Entry, _data);
        UnixFileSystem.SetMode(Entry, 0x1B6); // 0666

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, l => l.Contains("is writable by other users (mode 0666); it is not used (evicted)", StringComparison.Ordinal));
        Assert.False(Attacker.Stat(Entry).IsWritableByOthers);
    }

    [SkippableFact]
    public async Task OwnEntry_IsStillLinkedOut_AsAFileNobodyElseCanWrite()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        await DownloadAsync();
        File.Delete(Destination);

        DownloadResult hit = await DownloadAsync();

        Assert.True(hit.FromCache);
        Assert.Contains(_log, l => l.StartsWith("Cache hit: linked", StringComparison.Ordinal));
        FileStatus placed = Attacker.Stat(Destination);
        Assert.True(placed.IsSameFile(Attacker.Stat(Entry)));
        Assert.Equal(0u, placed.Owner);
        Assert.False(placed.IsWritableByOthers);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
    }

    [SkippableFact]
    public void EntrySwappedForALinkAfterItWasOpened_IsCaughtThroughTheHandle()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        PlantAttackerFile();
        MakeEntryFolder();
        File.WriteAllBytes(Entry, _data);
        using FileStream opened = FileHasher.OpenRead(Entry);
        Assert.Null(ArtifactCache.Distrust(opened, Entry));

        File.Delete(Entry);
        File.CreateSymbolicLink(Entry, AttackerFile);

        Assert.Equal("a symbolic link", ArtifactCache.Distrust(opened, Entry));
        using FileStream throughLink = FileHasher.OpenRead(Entry);
        Assert.Equal("a symbolic link", ArtifactCache.Distrust(throughLink, Entry));
    }

    [SkippableFact]
    public async Task AddingAFileAnotherUserOwns_StoresAPrivateCopy_NotALink()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        PlantAttackerFile();
        var cache = new ArtifactCache(CacheDir);
        cache.EnsureTrusted();

        await cache.AddAsync(AttackerFile, Sha256, CancellationToken.None);

        FileStatus entry = Attacker.Stat(Entry);
        Assert.False(entry.IsSameFile(Attacker.Stat(AttackerFile)));
        Assert.Equal(0u, entry.Owner);
        Assert.Equal("0600", entry.Permissions);
    }

    [SkippableFact]
    public async Task CacheFoldersAre0700_AndADownloadMadeWithATokenIs0600()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);

        await DownloadAsync(token: "ghp_secret");

        Assert.Equal("0600", Attacker.Mode(Destination));
        Assert.Equal("0700", Attacker.Mode(CacheDir));
        Assert.Equal("0700", Attacker.Mode(Path.GetDirectoryName(Entry)!));
        Assert.Equal("0700", Attacker.Mode(Path.GetDirectoryName(Path.GetDirectoryName(Entry))!));
        Assert.Equal("0600", Attacker.Mode(Entry));
    }

    [SkippableFact]
    public async Task EntryInAFolderAnotherUserOwns_IsNotUsed_AndNothingIsAddedThere()
    {
        // The cache folder is ours and 0700, but sha256/xx/ was made by another user while it was open to them: they can
        // swap the entry's name (for a FIFO that blocks the read, or another file) between our checks and our use.
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        MakeEntryFolder();
        File.WriteAllBytes(Entry, _data);                       // a good entry of ours, right bytes
        Attacker.Owns(Path.GetDirectoryName(Entry)!);

        DownloadResult result = await DownloadAsync();

        Assert.False(result.FromCache);
        Assert.Contains(_log, line => line.Contains("owned by another user (uid 65534)") && line.Contains("it is not used"));
        Assert.Contains(_log, line => line.Contains("Could not add the file to the cache") && line.Contains("not cached"));
        Assert.False(File.Exists(Entry));
    }
}
