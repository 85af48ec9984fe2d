using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.Install;

public class InstallLockTests
{
    private static LockEntry Entry(string tool, string version, string platform) => new()
    {
        Tool = tool, Version = version, Platform = platform, Url = "https://e.test/" + tool, Sha256 = new string('a', 64), Size = 42,
        VerifiedBy = { "sha256 pinned in manifest" }, InstalledPath = "/opt/" + tool, TreeDigest = "sha256:" + new string('b', 64),
    };

    [Fact]
    public void Save_Load_RoundTrips_AndIsDeterministic()
    {
        using var dir = new TempDir();
        var a = new InstallLock();
        a.Set(Entry("zeta", "1.0", "linux-x64"));
        a.Set(Entry("alpha", "2.0", "windows-x64"));
        a.Set(Entry("alpha", "10.0", "linux-x64"));
        var b = new InstallLock();
        foreach (LockEntry e in a.Entries.Reverse()) b.Set(e);
        Assert.Equal(a.ToJson(), b.ToJson());
        Assert.DoesNotContain("\r", a.ToJson());

        string path = Path.Combine(dir.Path, InstallLock.FileName);
        a.Save(path);
        InstallLock loaded = InstallLock.Load(path);
        Assert.Equal(a.ToJson(), loaded.ToJson());
        Assert.Equal(42, loaded.Find("alpha", "2.0", "windows-x64")!.Size);
    }

    [Fact]
    public void Load_MissingFile_IsAnEmptyLock()
    {
        Assert.Empty(InstallLock.Load("/nonexistent/secureinstall.lock.json").Entries);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"lockVersion\": 99, \"tools\": {}}")]
    [InlineData("{\"lockVersion\": 1, \"tools\": {\"t\": {\"1\": {\"linux-x64\": {}}}}}")]
    public void Load_MalformedLock_IsLockInvalidNamingTheFile(string text)
    {
        using var dir = new TempDir();
        string path = dir.File("secureinstall.lock.json", text);
        var ex = Assert.Throws<LockFormatException>(() => InstallLock.Load(path));
        Assert.Equal(ErrorIds.LockInvalid, ex.ErrorId);
        Assert.Contains(path, ex.Message);
    }
}
