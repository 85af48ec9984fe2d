using SecureInstall.Core.Install;
using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

public class ModuleUninstallerTests
{
    /// <summary>A module folder &lt;modules&gt;/Lantern/2.0.0 with its file list, and a lock recording it with its digest.</summary>
    private static (string Modules, string LockPath, string Root, ModuleLockEntry Entry) Installed(TempDir dir)
    {
        string modules = Path.Combine(dir.Path, "Modules");
        string version = Path.Combine(modules, "Lantern", "2.0.0");
        Directory.CreateDirectory(version);
        File.WriteAllText(Path.Combine(version, "Lantern.psd1"), "@{ ModuleVersion = '2.0.0' }");
        InstalledTree tree = InstalledTree.Compute(version, CancellationToken.None);
        File.WriteAllText(InstallRootLayout.TreeRecordPath(version), tree.Listing);
        var entry = new ModuleLockEntry { Name = "Lantern", Version = "2.0.0", Sha512 = new string('a', 128), Source = "https://feed.test/v3/index.json", TreeDigest = tree.Digest };
        var lockFile = new InstallLock();
        lockFile.SetModule(entry);
        string lockPath = Path.Combine(dir.Path, InstallLock.FileName);
        lockFile.Save(lockPath);
        return (modules, lockPath, Path.Combine(dir.Path, "root"), entry);
    }

    [Fact]
    public void ALockThatCannotBeWritten_PutsTheFolderBack_AndChangesNothing()
    {
        using var dir = new TempDir();
        var (modules, lockPath, root, entry) = Installed(dir);
        string before = File.ReadAllText(lockPath);
        // Another process holds the lock file's lock: the write times out after the folder was moved aside.
        using FileLock held = FileLock.TryAcquire(InstallRootLayout.LockFileLockPath(root, lockPath), TimeSpan.Zero, CancellationToken.None)!;
        var options = new ModuleInstallerOptions { ModulePath = modules, LockRoot = root, LockTimeout = TimeSpan.FromMilliseconds(200) };

        var ex = Assert.Throws<InstallException>(() => ModuleUninstaller.Uninstall(options, new[] { entry }, lockPath));

        Assert.Equal(ErrorIds.InstallInProgress, ex.ErrorId);
        Assert.True(File.Exists(Path.Combine(modules, "Lantern", "2.0.0", "Lantern.psd1")));
        Assert.Equal(new[] { "2.0.0", "2.0.0.tree" }, Directory.GetFileSystemEntries(Path.Combine(modules, "Lantern")).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(before, File.ReadAllText(lockPath));
    }

    [Fact]
    public void AVerifiedVersion_IsRemoved_WithItsFileListAndNameFolder_AndLeavesTheLockWithoutIt()
    {
        using var dir = new TempDir();
        var (modules, lockPath, root, entry) = Installed(dir);
        var options = new ModuleInstallerOptions { ModulePath = modules, LockRoot = root };

        ModuleUninstallResult removed = Assert.Single(ModuleUninstaller.Uninstall(options, new[] { entry }, lockPath));

        Assert.Equal(InstalledState.Verified, removed.Status);
        Assert.False(Directory.Exists(Path.Combine(modules, "Lantern")));
        Assert.Empty(InstallLock.Load(lockPath).Modules);
    }
}
