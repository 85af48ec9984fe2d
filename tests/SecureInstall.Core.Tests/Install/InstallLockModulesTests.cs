using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.Install;

public class InstallLockModulesTests
{
    [Fact]
    public void Modules_RoundTrip_InTheirOwnSection_WithoutAnyPath()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, InstallLock.FileName);
        var lockFile = new InstallLock();
        lockFile.SetModule(new ModuleLockEntry
        {
            Name = "Greeter", Version = "1.2.0", Sha512 = new string('a', 128), Source = "https://feed.test/v3/index.json",
            TreeDigest = "sha256:" + new string('b', 64), Dependencies = { "Helper 1.0.0" },
        });
        lockFile.Save(path);
        string text = File.ReadAllText(path);
        Assert.Contains("\"modules\": {", text);
        Assert.DoesNotContain("installedPath", text);

        ModuleLockEntry back = InstallLock.Load(path).FindModule("greeter", "1.2.0")!;
        Assert.Equal("Greeter", back.Name);
        Assert.Equal(new string('a', 128), back.Sha512);
        Assert.Equal("https://feed.test/v3/index.json", back.Source);
        Assert.Equal(new[] { "Helper 1.0.0" }, back.Dependencies);
        Assert.Equal(text, InstallLock.Load(path).ToJson());
    }

    [Fact]
    public void AModuleSha512ThatIsNotHex_MakesTheLockInvalid()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, InstallLock.FileName);
        File.WriteAllText(path, """{ "lockVersion": 1, "tools": {}, "modules": { "M": { "1.0.0": { "sha512": "zz", "source": "https://x.test/api/v2", "treeDigest": "" } } } }""");
        var ex = Assert.Throws<LockFormatException>(() => InstallLock.Load(path));
        Assert.Equal(ErrorIds.LockInvalid, ex.ErrorId);
    }
}
