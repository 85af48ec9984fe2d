using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

public sealed class ToolInstallerTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly VerifiedDownloader _downloader;

    public ToolInstallerTests() => _downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });

    public void Dispose()
    {
        _downloader.Dispose();
        _dir.Dispose();
    }

    private string Root => Path.Combine(_dir.Path, "root");
    private string LockPath => Path.Combine(_dir.Path, InstallLock.FileName);

    /// <summary>A tool-1.0/bin/tool tarball; returns its path and SHA-256.</summary>
    private (string Path, string Sha256) TarGz(string content)
    {
        string src = Path.Combine(_dir.Path, "src-" + Guid.NewGuid().ToString("N"));
        _dir.File(Path.Combine(Path.GetFileName(src), "tool-1.0", "bin", "tool"), content);
        string archive = Path.Combine(_dir.Path, Guid.NewGuid().ToString("N") + ".tar.gz");
        using (FileStream fs = File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(src, gz, includeBaseDirectory: false);
        return (archive, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(archive))).ToLowerInvariant());
    }

    private PinnedManifest Manifest(string url, string? sha, string extra = "") => new ManifestReader().Read(new StringReader(
        $"tools:\n  tool:\n    versions:\n      \"1.0\":\n        url: {url}\n{(sha == null ? "" : $"        sha256: {sha}\n")}        strip_components: 1\n        bin: bin/tool\n{extra}"), "m.yml", _dir.Path);

    private ToolInstaller Installer(bool locked = false, string? source = null) =>
        new(new ToolInstallerOptions { Root = Root, Platform = "linux-x64", Locked = locked, Source = source }, _downloader);

    [Fact]
    public async Task Install_PlacesTheTree_WritesShimAndLock_ThenIsANoOp()
    {
        (string archive, string sha) = TarGz("v1");
        PinnedManifest m = Manifest(new Uri(archive).AbsoluteUri, sha);
        ToolInstaller installer = Installer();
        InstallResult first = await installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath);
        Assert.Equal(InstallStatus.Installed, first.Status);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(Root, "tool", "1.0", "bin", "tool")));
        Assert.True(File.Exists(installer.ShimPath("tool")));
        LockEntry entry = InstallLock.Load(LockPath).Find("tool", "1.0", "linux-x64")!;
        Assert.Equal(sha, entry.Sha256);
        Assert.Equal(first.TreeDigest, entry.TreeDigest);
        Assert.Contains("sha256 pinned in m.yml", entry.VerifiedBy.Single());

        File.Delete(archive); // a no-op needs no download at all
        InstallResult second = await installer.InstallAsync(installer.Plan(m, InstallLock.Load(LockPath), "tool", null), LockPath);
        Assert.Equal(InstallStatus.AlreadyInstalled, second.Status);
    }

    [Fact]
    public async Task Install_RefusesABinPathOutsideTheTree_InAPlanNotReadFromAManifestFile()
    {
        // The reader refuses such a bin; the installer trusted whatever the model held, and made the file beside the
        // staging folder executable (it only checked that the path existed).
        if (OperatingSystem.IsWindows()) return;
        (string archive, string sha) = TarGz("v1");
        PinnedManifest m = Manifest(new Uri(archive).AbsoluteUri, sha);
        m.Tools[0].Versions[0].Artifacts[0].Executables = new[] { "../outside" };
        string outside = Path.Combine(Root, "tool", "outside");
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.WriteAllText(outside, "not part of the tree");
        File.SetUnixFileMode(outside, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        ToolInstaller installer = Installer();

        await Assert.ThrowsAsync<ArgumentException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outside));
        Assert.False(Directory.Exists(Path.Combine(Root, "tool", "1.0")));
    }

    [Fact]
    public async Task ForcedReinstall_SwapsTheNewTreeIn_WithoutRenamingTheOldOneAside()
    {
        if (!OperatingSystem.IsLinux()) return; // renameat2; inotify reports every rename in the folder
        (string archive, string sha) = TarGz("v1");
        PinnedManifest m = Manifest(new Uri(archive).AbsoluteUri, sha);
        ToolInstaller installer = Installer();
        await installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath);
        File.WriteAllText(Path.Combine(Root, "tool", "1.0", "bin", "tool"), "changed by hand");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watcher = new FileSystemWatcher(Path.Combine(Root, "tool"));
        watcher.Created += (_, e) => seen.Enqueue(e.Name!);
        watcher.Renamed += (_, e) => { seen.Enqueue(e.OldName!); seen.Enqueue(e.Name!); };
        watcher.EnableRaisingEvents = true;
        var forced = new ToolInstaller(new ToolInstallerOptions { Root = Root, Platform = "linux-x64", Force = true }, _downloader);

        InstallResult result = await forced.InstallAsync(forced.Plan(m, InstallLock.Load(LockPath), "tool", null), LockPath);
        string sentinel = Path.Combine(Root, "tool", "sentinel");
        File.WriteAllText(sentinel, ""); // events arrive in order: once this one is seen, all are
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!seen.Contains("sentinel") && DateTime.UtcNow < deadline) Thread.Sleep(10);
        File.Delete(sentinel);

        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Equal("v1", File.ReadAllText(Path.Combine(Root, "tool", "1.0", "bin", "tool")));
        Assert.Contains("sentinel", seen);
        Assert.DoesNotContain(seen, name => name.Contains(".old-", StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(Root, "tool")), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public async Task Install_RemovesWhatAKilledInstallLeft_IncludingTheExtractorsTemporaryTree()
    {
        // What a process killed mid-extraction leaves (the Pester kill test found the extractor's tree was kept).
        string toolDir = Path.Combine(Root, "tool");
        string[] leftDirs = { ".staging-1f2e", ".download-3c4d", "..staging-1f2e.0123456789ab.partial" };
        foreach (string d in leftDirs) _dir.File(Path.Combine("root", "tool", d, "bin", "tool"), "half");
        _dir.File(Path.Combine("root", "tool", ".tree.txt.0123456789ab.partial"), "half");
        _dir.File(Path.Combine("root", "tool", "notes.partial"), "a user's file: no leading dot, kept");
        (string archive, string sha) = TarGz("v1");
        ToolInstaller installer = Installer();
        PinnedManifest m = Manifest(new Uri(archive).AbsoluteUri, sha);

        await installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath);

        Assert.Equal(new[] { "1.0", "1.0.tree", "notes.partial" }, Directory.GetFileSystemEntries(toolDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TamperedArtifact_FailsWithMismatch_AndLeavesNothing()
    {
        (string archive, _) = TarGz("v1");
        PinnedManifest m = Manifest(new Uri(archive).AbsoluteUri, new string('0', 64));
        ToolInstaller installer = Installer();
        await Assert.ThrowsAsync<ChecksumMismatchException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath));
        Assert.False(Directory.Exists(Path.Combine(Root, "tool", "1.0")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Root, "tool")));
        Assert.False(File.Exists(LockPath));
    }

    [Fact]
    public void Plan_RefusesUnpinnedEntries_WithTheRuleAndLine()
    {
        PinnedManifest m = Manifest("https://e.test/tool.tar.gz", null);
        var ex = Assert.Throws<ManifestRuleException>(() => Installer().Plan(m, new InstallLock(), "tool", null));
        Assert.Equal(ErrorIds.ManifestEntryUnpinned, ex.ErrorId);
    }

    [Fact]
    public void Plan_Locked_RefusesWhatTheLockDoesNotRecord_OrRecordsDifferently()
    {
        PinnedManifest m = Manifest("https://e.test/tool.tar.gz", new string('a', 64));
        Assert.Equal(ErrorIds.NotLocked, Assert.Throws<InstallException>(() => Installer(locked: true).Plan(m, new InstallLock(), "tool", null)).ErrorId);
        var lockFile = new InstallLock();
        lockFile.Set(new LockEntry { Tool = "tool", Version = "1.0", Platform = "linux-x64", Url = "https://e.test/tool.tar.gz", Sha256 = new string('b', 64) });
        Assert.Equal(ErrorIds.LockMismatch, Assert.Throws<InstallException>(() => Installer(locked: true).Plan(m, lockFile, "tool", null)).ErrorId);
    }

    [Fact]
    public async Task Verify_ReportsChangedFilesAfterInstall()
    {
        (string archive, string sha) = TarGz("v1");
        ToolInstaller installer = Installer();
        await installer.InstallAsync(installer.Plan(Manifest(new Uri(archive).AbsoluteUri, sha), new InstallLock(), "tool", null), LockPath);
        InstallLock lockFile = InstallLock.Load(LockPath);
        LockEntry entry = lockFile.Entries.Single();
        Assert.Equal(InstalledState.Verified, InstalledToolVerifier.Verify(Root, entry).Status);
        File.AppendAllText(Path.Combine(Root, "tool", "1.0", "bin", "tool"), "!");
        Assert.Equal(new[] { "bin/tool" }, InstalledToolVerifier.Verify(Root, entry).Changed);
    }

    [Fact]
    public async Task MissingBin_IsRefused_BeforeAnythingIsPlaced()
    {
        (string archive, string sha) = TarGz("v1");
        PinnedManifest m = new ManifestReader().Read(new StringReader(
            $"tool:\n  version: \"1.0\"\n  url: {new Uri(archive).AbsoluteUri}\n  sha256: {sha}\n  bin: bin/tool\n"), "m.yml");
        ToolInstaller installer = Installer();
        var ex = await Assert.ThrowsAsync<InstallException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath));
        Assert.Equal(ErrorIds.ExecutableNotInArtifact, ex.ErrorId);
        Assert.False(Directory.Exists(Path.Combine(Root, "tool", "1.0")));
    }

    [SkippableFact]
    public async Task ClaudedBunPlaceholderDigest_FailsLoudly_EvenFromABundle()
    {
        Skip.If(TestPaths.Corpus == null, "../shared/corpus is not present on this machine");
        PinnedManifest m = new ManifestReader().ReadFile(Path.Combine(TestPaths.Corpus!, "seeds", "clauded-downloads.with-sha256.yml"));
        // A bundle holding some file under the pinned digest's name: the digest is re-checked, and a placeholder never matches.
        string bundle = Path.Combine(_dir.Path, "bundle");
        string placeholder = m.Find("bun")!.Versions[0].ArtifactFor("linux-arm64")!.Sha256!;
        _dir.File(Path.Combine("bundle", "artifacts", placeholder, "bun-linux-aarch64.zip"), "not bun");
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Root, Platform = "linux-arm64", Source = bundle }, _downloader);
        var ex = await Assert.ThrowsAsync<ChecksumMismatchException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "bun", null), LockPath));
        Assert.Equal(placeholder, ex.Expected);
        Assert.False(File.Exists(LockPath));
    }
}
