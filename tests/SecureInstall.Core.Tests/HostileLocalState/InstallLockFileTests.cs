using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>The lock file itself is input: anything but a regular file in its place is refused (LockInvalid), never read.</summary>
public sealed class InstallLockFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LockPath => Path.Combine(_dir.Path, InstallLock.FileName);

    [SkippableFact]
    public async Task FifoInPlaceOfTheLock_IsRefused_WithoutBlocking()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "FIFOs are a Unix thing");
        InstalledTreeKindsAndModesTests.MakeFifo(LockPath);
        Task<InstallLock> load = Task.Run(() => InstallLock.Load(LockPath));
        Assert.True(await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20))) == load, "reading a FIFO lock blocked");
        var ex = await Assert.ThrowsAsync<LockFormatException>(() => load);
        Assert.Equal(ErrorIds.LockInvalid, ex.ErrorId);
        Assert.Contains("not a regular file", ex.Message);
    }

    [Fact]
    public void FolderInPlaceOfTheLock_IsRefused_NotReadAsAnEmptyLock()
    {
        Directory.CreateDirectory(LockPath);
        Assert.Equal(ErrorIds.LockInvalid, Assert.Throws<LockFormatException>(() => InstallLock.Load(LockPath)).ErrorId);
    }

    [SkippableFact]
    public void LinkInPlaceOfTheLock_IsRefused()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        // A valid lock elsewhere: the link is refused for what it is, not for what it points at (it could be /dev/zero).
        string elsewhere = Path.Combine(_dir.Path, "elsewhere.json");
        new InstallLock().Save(elsewhere);
        File.CreateSymbolicLink(LockPath, elsewhere);
        Assert.Equal(ErrorIds.LockInvalid, Assert.Throws<LockFormatException>(() => InstallLock.Load(LockPath)).ErrorId);
    }

    [Fact]
    public void MissingLock_IsAnEmptyLock_AndARegularOneIsRead()
    {
        Assert.Empty(InstallLock.Load(LockPath).Entries);
        var l = new InstallLock();
        l.Set(new LockEntry { Tool = "t", Version = "1", Platform = "linux-x64", Url = "https://e.test/t" });
        l.Save(LockPath);
        Assert.Equal("https://e.test/t", InstallLock.Load(LockPath).Entries.Single().Url);
    }
}
