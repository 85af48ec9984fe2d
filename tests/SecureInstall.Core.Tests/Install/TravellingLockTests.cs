using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// Issue 20, "a lock that travels": the committed lock holds only what is true on every machine; what is installed where is
/// the install root's own state. A lock from one machine installs identically on another and is re-written there byte for byte.
/// </summary>
public sealed class TravellingLockTests : IDisposable
{
    private const string Platform = "linux-x64";
    private readonly TempDir _dir = new();
    private readonly VerifiedDownloader _downloader = new(new VerifiedDownloaderOptions { NoCache = true });

    public void Dispose()
    {
        _downloader.Dispose();
        _dir.Dispose();
    }

    /// <summary>A lock written by the code before issue 20 (Fixtures/README.md says how).</summary>
    private static string LegacyLockFixture => Path.Combine(TestPaths.RepositoryRoot, "tests", "SecureInstall.Core.Tests", "Install", "Fixtures", "lock-v1.secureinstall.lock.json");

    private static string Sample => Path.Combine(TestPaths.RepositoryRoot, "samples", "tools");

    /// <summary>A checkout of samples/tools (manifest with ./dist urls, and the artifacts) at <paramref name="relative"/>.</summary>
    private string Checkout(string relative)
    {
        string repo = Path.Combine(_dir.Path, relative);
        Directory.CreateDirectory(Path.Combine(repo, "dist"));
        File.Copy(Path.Combine(Sample, "secureinstall.yml"), Path.Combine(repo, "secureinstall.yml"));
        foreach (string f in Directory.GetFiles(Path.Combine(Sample, "dist"))) File.Copy(f, Path.Combine(repo, "dist", Path.GetFileName(f)));
        return repo;
    }

    private async Task<InstallResult> Install(string repo, string root, bool locked = false, bool force = false, List<string>? log = null)
    {
        string manifestPath = Path.Combine(repo, "secureinstall.yml");
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = root, Platform = Platform, Locked = locked, Force = force }, _downloader);
        PinnedManifest manifest = new ManifestReader().ReadFile(manifestPath);
        string lockPath = InstallLock.PathBeside(manifestPath);
        InstallPlan plan = installer.Plan(manifest, InstallLock.Load(lockPath), "hello", null);
        return await installer.InstallAsync(plan, lockPath, events: e => log?.Add(e.Message));
    }

    private static string LockText(string repo) => File.ReadAllText(Path.Combine(repo, InstallLock.FileName));

    [Fact]
    public async Task ALockWrittenOnOneMachine_InstallsOnAnotherWithAnotherHome_AndIsRewrittenByteIdentical()
    {
        string repoA = Checkout(Path.Combine("alice", "src", "project"));
        string rootA = Path.Combine(_dir.Path, "alice", ".local", "share", "secureinstall", "tools");
        await Install(repoA, rootA);
        string written = LockText(repoA);

        // The second machine: the committed lock travels with the checkout to another folder under another home.
        string repoB = Checkout(Path.Combine("build-agent", "work", "7", "s"));
        File.Copy(Path.Combine(repoA, InstallLock.FileName), Path.Combine(repoB, InstallLock.FileName));
        string rootB = Path.Combine(_dir.Path, "build-agent", "home", "tools");

        InstallResult onB = await Install(repoB, rootB, locked: true);
        Assert.Equal(InstallStatus.Installed, onB.Status);
        Assert.Equal(Path.Combine(rootB, "hello", "1.0.0"), onB.Path);
        Assert.Equal(written, LockText(repoB));

        // Forced reinstall and an already-installed run there rewrite nothing either.
        await Install(repoB, rootB, locked: true, force: true);
        Assert.Equal(written, LockText(repoB));
        Assert.Equal(InstallStatus.AlreadyInstalled, (await Install(repoB, rootB, locked: true)).Status);
        Assert.Equal(written, LockText(repoB));

        LockEntry entry = InstallLock.Load(Path.Combine(repoB, InstallLock.FileName)).Entries.Single();
        InstalledToolStatus status = InstalledToolVerifier.Verify(rootB, entry);
        Assert.Equal(InstalledState.Verified, status.Status);
        Assert.Equal(onB.Path, status.Path);
    }

    [Fact]
    public async Task TheLock_HoldsNoPathOfThisMachine_AndTheRootStateHoldsTheInstall()
    {
        string repo = Checkout("repo");
        string root = Path.Combine(_dir.Path, "home", "tools");
        InstallResult installed = await Install(repo, root);

        string text = LockText(repo);
        Assert.DoesNotContain(_dir.Path, text);
        Assert.DoesNotContain("installedPath", text);
        Assert.DoesNotContain("shims", text);
        Assert.Contains("\"lockVersion\": 2", text);
        LockEntry entry = InstallLock.Load(Path.Combine(repo, InstallLock.FileName)).Entries.Single();
        Assert.Equal("./dist/hello-1.0.0-unix.tar.gz", entry.Url);
        Assert.Equal(new[] { "sha256 pinned in secureinstall.yml:10" }, entry.VerifiedBy);

        InstallRecord record = InstallRootState.Load(root).Find("hello", "1.0.0")!;
        Assert.Equal(Platform, record.Platform);
        Assert.Equal(entry.Sha256, record.Sha256);
        Assert.Equal(installed.TreeDigest, record.TreeDigest);
        Assert.Equal("bin/hello", record.Shims["hello"]);
    }

    [Fact]
    public void ALockOfTheEarlierFormat_IsRead_AndWrittenWithoutItsPerMachineFields()
    {
        string path = Path.Combine(_dir.Path, InstallLock.FileName);
        File.Copy(LegacyLockFixture, path);

        InstallLock legacy = InstallLock.Load(path);
        Assert.True(legacy.IsLegacy);
        LockEntry entry = legacy.Find("hello", "1.0.0", Platform)!;
        Assert.Equal("/tmp/fx/home/tools/hello/1.0.0", entry.InstalledPath);
        Assert.Equal("bin/hello", entry.Shims["hello"]);

        legacy.Save(path);
        string text = File.ReadAllText(path);
        Assert.Contains("\"lockVersion\": 2", text);
        Assert.DoesNotContain("installedPath", text);
        Assert.DoesNotContain("shims", text);
        InstallLock again = InstallLock.Load(path);
        Assert.False(again.IsLegacy);
        Assert.Equal(entry.TreeDigest, again.Find("hello", "1.0.0", Platform)!.TreeDigest);
    }

    [Fact]
    public async Task InstallingOverALockOfTheEarlierFormat_MigratesIt_SaysSo_AndMatchesAFreshLock()
    {
        string fresh = Checkout("fresh");
        await Install(fresh, Path.Combine(_dir.Path, "fresh-home", "tools"));

        string repo = Checkout("migrated");
        string root = Path.Combine(_dir.Path, "home", "tools");
        await Install(repo, root);
        File.Copy(LegacyLockFixture,
            Path.Combine(repo, InstallLock.FileName), overwrite: true);

        var log = new List<string>();
        InstallResult kept = await Install(repo, root, log: log);

        Assert.Equal(InstallStatus.AlreadyInstalled, kept.Status);
        Assert.Contains(log, l => l.Contains("lockVersion 1") && l.Contains("installedPath, shims") && l.Contains(InstallRootState.PathIn(root)));
        Assert.Equal(LockText(fresh), LockText(repo));
        Assert.Equal(InstalledState.Verified, InstalledToolVerifier.Verify(root, InstallLock.Load(Path.Combine(repo, InstallLock.FileName)).Entries.Single()).Status);
    }

    [Fact]
    public async Task ALockOfTheEarlierFormat_StillVerifiesTheInstalledTree_AndItsShims_BeforeItIsMigrated()
    {
        string repo = Checkout("repo");
        string root = Path.Combine(_dir.Path, "home", "tools");
        await Install(repo, root);
        File.Delete(InstallRootState.PathIn(root));   // an install made before the root kept a state
        File.Copy(LegacyLockFixture,
            Path.Combine(repo, InstallLock.FileName), overwrite: true);
        LockEntry entry = InstallLock.Load(Path.Combine(repo, InstallLock.FileName)).Entries.Single();

        File.WriteAllText(InstallRootLayout.ShimPath(root, "hello"), "#!/bin/sh\necho replaced\n");
        InstalledToolStatus status = InstalledToolVerifier.Verify(root, entry);

        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Equal("/tmp/fx/home/tools/hello/1.0.0", status.RecordedPath);   // the old lock's path: reported, never used
        Assert.Contains(status.Changed, c => c.Contains("shim"));
    }

    [Fact]
    public async Task MigratingALockOfTheEarlierFormat_KeepsTheShimsOfEveryToolItRecords_NotOnlyTheOneBeingChanged()
    {
        // Review finding: a write that migrated a lockVersion 1 lock (an install or uninstall of another tool, a module
        // install) dropped every entry's shims, and the root's state had no record of them: Test-PinnedTool stopped checking them.
        string repo = Checkout("repo");
        string root = Path.Combine(_dir.Path, "home", "tools");
        await Install(repo, root);
        File.Delete(InstallRootState.PathIn(root));   // installed before the root kept a state
        string lockPath = Path.Combine(repo, InstallLock.FileName);
        File.WriteAllText(lockPath, File.ReadAllText(LegacyLockFixture).Replace("/tmp/fx/home/tools", root.Replace('\\', '/')));
        Assert.True(InstallLock.Load(lockPath).IsLegacy);

        InstallLock.Update(lockPath, root, TimeSpan.FromSeconds(5), l => l.Remove("another-tool", "1.0", Platform), CancellationToken.None);

        InstallLock migrated = InstallLock.Load(lockPath);
        Assert.False(migrated.IsLegacy);
        Assert.DoesNotContain("installedPath", File.ReadAllText(lockPath), StringComparison.Ordinal);
        Assert.Equal("bin/hello", InstallRootState.Load(root).Find("hello", "1.0.0")!.Shims["hello"]);
        File.WriteAllText(InstallRootLayout.ShimPath(root, "hello"), "#!/bin/sh\necho replaced\n");
        InstalledToolStatus status = InstalledToolVerifier.Verify(root, migrated.Entries.Single());
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Contains(status.Changed, c => c.Contains("shim"));
    }

    [Fact]
    public void ThePlusOfAnIntegrityValue_IsWrittenAsItIs_AndHtmlSensitiveCharactersStayEscaped()
    {
        var l = new InstallLock();
        l.Set(new LockEntry { Tool = "t", Version = "1.0+build.5", Platform = Platform, Url = "https://e.test/a?x=<b>&y='z'", TreeDigest = "sha256:" + new string('b', 64),
            Sha256 = new string('a', 64), VerifiedBy = { "café" } });
        string text = l.ToJson();
        Assert.Contains("\"1.0+build.5\"", text);
        Assert.DoesNotContain("\\u002B", text);
        Assert.Contains("\\u003Cb\\u003E\\u0026y=\\u0027z\\u0027", text);
        Assert.Contains("caf\\u00E9", text);
        string path = _dir.File(InstallLock.FileName, text);
        Assert.Equal(text, InstallLock.Load(path).ToJson());
    }
}
