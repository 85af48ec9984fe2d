using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #10: an install root or cache that another user owns, or can write (itself or a folder above it), is refused
/// before anything is read, fetched or written: they could swap what is verified there afterwards.
/// </summary>
public sealed class RootOwnershipTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-hostile-root-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(10_000);
    private readonly ConcurrentQueue<string> _log = new();

    public RootOwnershipTests()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllBytes(Source, _data);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Source => Path.Combine(_root, "artifact.bin");
    private string Destination => Path.Combine(_root, "artifact.out");
    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));

    private async Task<DownloadResult> DownloadAsync(string cacheDir)
    {
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { CacheDirectory = cacheDir, Log = _log.Enqueue });
        return await downloader.DownloadAsync(new DownloadRequest(new[] { new Uri(Source) }, Destination)
        {
            Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256"),
        });
    }

    private string Folder(string name, int mode, bool attackerOwns = false)
    {
        string path = Path.Combine(_root, name);
        Directory.CreateDirectory(path);
        UnixFileSystem.SetMode(path, (uint)mode);
        if (attackerOwns) Attacker.Owns(path);
        return path;
    }

    private async Task<UntrustedDirectoryException> RefusedAsync(string cacheDir)
    {
        var ex = await Assert.ThrowsAsync<UntrustedDirectoryException>(() => DownloadAsync(cacheDir));
        Assert.Equal(ErrorIds.CacheNotTrusted, ex.ErrorId);
        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.False(File.Exists(Destination));
        return ex;
    }

    [SkippableFact]
    public async Task CacheOwnedByAnotherUser_IsRefused_BeforeAnythingIsFetched()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string cache = Folder("cache", 0x1ED, attackerOwns: true);

        UntrustedDirectoryException ex = await RefusedAsync(cache);

        Assert.Equal(cache, ex.OffendingPath);
        Assert.Contains("owned by another user (uid 65534)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SECUREINSTALL_CACHE", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(cache));
    }

    [SkippableFact]
    public async Task CacheBelowAFolderAnotherUserOwns_IsRefused_AndNotCreated()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string theirs = Folder("theirs", 0x1ED, attackerOwns: true);

        UntrustedDirectoryException ex = await RefusedAsync(Path.Combine(theirs, "cache"));

        Assert.Equal(theirs, ex.OffendingPath);
        Assert.False(Directory.Exists(Path.Combine(theirs, "cache")));
    }

    [SkippableFact]
    public async Task CacheBelowAWorldWritableFolderWithoutTheStickyBit_IsRefused()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string open = Folder("open", 0x1FF);

        UntrustedDirectoryException ex = await RefusedAsync(Path.Combine(open, "cache"));

        Assert.Equal(open, ex.OffendingPath);
        Assert.Contains("writable by other users (mode 0777)", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task OurCacheBelowAStickyWorldWritableFolder_LikeTmp_IsUsed()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string cache = Path.Combine(Folder("tmp", 0x3FF /* 1777 */), "cache");

        await DownloadAsync(cache);
        File.Delete(Destination);
        DownloadResult hit = await DownloadAsync(cache);

        Assert.True(hit.FromCache);
        Assert.Equal("0700", Attacker.Mode(cache));
    }

    [SkippableFact]
    public async Task CacheOwnedByAnotherUserBelowAStickyFolder_IsRefused()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string tmp = Folder("tmp", 0x3FF);
        string cache = Path.Combine(tmp, "cache");
        Attacker.Runs($"mkdir -m 700 '{cache}'");

        UntrustedDirectoryException ex = await RefusedAsync(cache);

        Assert.Equal(cache, ex.OffendingPath);
    }

    [SkippableFact]
    public async Task OurOwnCacheOpenToOthers_IsTightenedTo0700_AndSaysSo()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string cache = Folder("cache", 0x1FF);

        await DownloadAsync(cache);

        Assert.Equal("0700", Attacker.Mode(cache));
        Assert.Contains(_log, l => l.Contains($"The cache {cache} was open to other users (mode 0777); made it 0700.", StringComparison.Ordinal));
    }

    private (PinnedManifest Manifest, ToolInstaller Installer) ToolIn(string root, VerifiedDownloader downloader)
    {
        string src = Path.Combine(_root, "src");
        Directory.CreateDirectory(Path.Combine(src, "tool-1.0", "bin"));
        File.WriteAllText(Path.Combine(src, "tool-1.0", "bin", "tool"), "v1");
        string archive = Path.Combine(_root, "tool.tar.gz");
        using (FileStream fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(src, gz, includeBaseDirectory: false);
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(archive)));
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(
            $"tools:\n  tool:\n    versions:\n      \"1.0\":\n        url: {new Uri(archive).AbsoluteUri}\n        sha256: {sha}\n        strip_components: 1\n        bin: bin/tool\n"), "m.yml", _root);
        return (manifest, new ToolInstaller(new ToolInstallerOptions { Root = root, Platform = "linux-x64" }, downloader));
    }

    [SkippableFact]
    public async Task InstallRootOwnedByAnotherUser_IsRefused_AndNothingIsInstalled()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string root = Folder("tools", 0x1ED, attackerOwns: true);
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        (PinnedManifest manifest, ToolInstaller installer) = ToolIn(root, downloader);
        string lockPath = Path.Combine(_root, InstallLock.FileName);

        var ex = await Assert.ThrowsAsync<UntrustedDirectoryException>(() => installer.InstallAsync(installer.Plan(manifest, new InstallLock(), "tool", null), lockPath));

        Assert.Equal(ErrorIds.InstallRootNotTrusted, ex.ErrorId);
        Assert.Equal(root, ex.OffendingPath);
        Assert.Empty(Directory.GetFileSystemEntries(root));
        Assert.False(File.Exists(lockPath));
        var uninstall = Assert.Throws<UntrustedDirectoryException>(() =>
            ToolUninstaller.Uninstall(new ToolInstallerOptions { Root = root }, new LockEntry { Tool = "tool", Version = "1.0", Platform = "linux-x64" }, lockPath));
        Assert.Equal(ErrorIds.InstallRootNotTrusted, uninstall.ErrorId);
    }

    [SkippableFact]
    public async Task InstallRootWritableByItsGroup_IsRefused()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string root = Folder("tools", 0x1FD /* 0775 */);
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        (PinnedManifest manifest, ToolInstaller installer) = ToolIn(root, downloader);

        var ex = await Assert.ThrowsAsync<UntrustedDirectoryException>(() => installer.InstallAsync(installer.Plan(manifest, new InstallLock(), "tool", null), Path.Combine(_root, InstallLock.FileName)));

        Assert.Contains("writable by its group (mode 0775)", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task NewInstallRoot_IsCreatedWithoutGroupOrWorldWrite_AndUsed()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        string root = Path.Combine(_root, "new", "tools");
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });
        (PinnedManifest manifest, ToolInstaller installer) = ToolIn(root, downloader);

        InstallResult result = await installer.InstallAsync(installer.Plan(manifest, new InstallLock(), "tool", null), Path.Combine(_root, InstallLock.FileName));

        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.False(Attacker.Stat(root).IsWritableByOthers);
        Assert.False(Attacker.Stat(Path.Combine(root, "tool")).IsWritableByOthers);
    }

    [SkippableFact]
    public async Task CacheReachedThroughALink_IsHeldToTheFoldersAboveTheLinksTarget()
    {
        // ~/.cache -> /shared/x/me: /shared/x, writable by everyone and not sticky, lets anyone swap "me" for their own folder.
        Skip.IfNot(OperatingSystem.IsLinux() && UnixFileSystem.CanReadOwners, "owners and modes are read on Linux");
        string shared = Folder("shared", 0x1FF);             // 0777, no sticky bit
        string mine = Folder("shared/me", 0x1C0);            // ours, 0700
        string home = Folder("home", 0x1ED);
        string link = Path.Combine(home, "cache-link");
        File.CreateSymbolicLink(link, mine);

        UntrustedDirectoryException ex = await RefusedAsync(Path.Combine(link, "secureinstall"));

        Assert.Equal(shared, ex.OffendingPath);
        Assert.Contains("writable by other users (mode 0777)", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task CacheReachedThroughALinkToAGoodFolder_IsUsed()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && UnixFileSystem.CanReadOwners, "owners and modes are read on Linux");
        string mine = Folder("elsewhere/me", 0x1C0);
        UnixFileSystem.SetMode(Path.Combine(_root, "elsewhere"), 0x1ED);
        string link = Path.Combine(Folder("home", 0x1ED), "cache-link");
        File.CreateSymbolicLink(link, mine);

        DownloadResult result = await DownloadAsync(Path.Combine(link, "secureinstall"));

        Assert.True(result.Verified);
    }
}
