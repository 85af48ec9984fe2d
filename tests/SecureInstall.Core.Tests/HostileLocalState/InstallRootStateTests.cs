using SecureInstall.Core.Install;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 20: the install root's state (what is installed there, the shims it wrote) is local state like the cache and the
/// lock: read only when it is a regular file that only this user or root can change, every name in it checked.
/// </summary>
public sealed class InstallRootStateTests : IDisposable
{
    private readonly InstalledToolSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private string StatePath => InstallRootState.PathIn(_box.Root);

    private InstallException Refused(string errorId)
    {
        var ex = Assert.Throws<InstallException>(() => InstallRootState.Load(_box.Root));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(StatePath, ex.Message);
        // Every consumer reads it the same way: Test-PinnedTool's check refuses too, and says why.
        Assert.Equal(errorId, Assert.Throws<InstallException>(() => _box.Verify()).ErrorId);
        return ex;
    }

    [Fact]
    public async Task AnInstall_WritesTheState_0644_AndItReadsBack()
    {
        await _box.InstallSample();
        InstallRecord record = InstallRootState.Load(_box.Root).Find("tool", "1.0")!;
        Assert.Equal("bin/tool", record.Shims["tool"]);
        if (!OperatingSystem.IsWindows()) Assert.Equal("0644", Attacker.Mode(StatePath));
        Assert.Equal(InstallRootState.Load(_box.Root).ToJson(), File.ReadAllText(StatePath));
    }

    [SkippableFact]
    public async Task AStateAnotherUserOwns_IsRefused_WithInstallRootNotTrusted()
    {
        Skip.IfNot(Attacker.Available, Attacker.SkipReason);
        await _box.InstallSample();
        Attacker.Owns(StatePath);
        Assert.Contains("uid 65534", Refused(ErrorIds.InstallRootNotTrusted).Message);
    }

    [SkippableFact]
    public async Task AGroupWritableState_IsRefused_WithInstallRootNotTrusted()
    {
        Skip.If(OperatingSystem.IsWindows() || !UnixFileSystem.CanReadOwners, "owners and modes are read on Linux");
        await _box.InstallSample();
        UnixFileSystem.SetMode(StatePath, 0x1B4 /* 0664 */);
        Assert.Contains("0664", Refused(ErrorIds.InstallRootNotTrusted).Message);
    }

    [SkippableFact]
    public async Task AStateThatIsALink_IsRefused_AndNotFollowed()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        await _box.InstallSample();
        string elsewhere = _box.File("elsewhere.json", File.ReadAllText(StatePath));
        File.Delete(StatePath);
        File.CreateSymbolicLink(StatePath, elsewhere);
        Assert.Contains("symbolic link", Refused(ErrorIds.InstallRootNotTrusted).Message);
    }

    [Theory]
    [InlineData("not json", "")]
    [InlineData("{\"stateVersion\": 9, \"installs\": {}}", "stateVersion 9")]
    [InlineData("{\"stateVersion\": 1, \"installs\": {\"tool\": {\"..\": {\"platform\": \"linux-x64\", \"sha256\": \"\", \"treeDigest\": \"sha256:" + Digest + "\", \"shims\": {}}}}}", "'..'")]
    [InlineData("{\"stateVersion\": 1, \"installs\": {\"tool\": {\"1.0\": {\"platform\": \"linux-x64\", \"sha256\": \"\", \"treeDigest\": \"sha256:" + Digest + "\", \"shims\": {\"tool\": \"../../../etc/passwd\"}}}}}", "inside the tree")]
    [InlineData("{\"stateVersion\": 1, \"installs\": {\"tool\": {\"1.0\": {\"platform\": \"linux-x64\", \"sha256\": \"zz\", \"treeDigest\": \"sha256:" + Digest + "\", \"shims\": {}}}}}", "64 hex")]
    public void AStateSecureInstallDidNotWrite_IsInstallStateInvalid(string text, string why)
    {
        Directory.CreateDirectory(_box.Root);
        File.WriteAllText(StatePath, text);
        var ex = Assert.Throws<InstallException>(() => InstallRootState.Load(_box.Root));
        Assert.Equal(ErrorIds.InstallStateInvalid, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
        Assert.Contains(why, ex.Message);
    }

    private const string Digest = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    [Fact]
    public async Task Uninstall_RemovesTheRecord_AndKeepsTheOthers()
    {
        await _box.InstallSample();
        (string url, string sha) = _box.TarGz(("bin/other", "#!/bin/sh\n"));
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("other", "2.0", url, sha, "bin/other")), "other");
        ToolUninstaller.Uninstall(new ToolInstallerOptions { Root = _box.Root }, InstallLock.Load(_box.LockPath).Find("tool", "1.0", "linux-x64")!, _box.LockPath);
        InstallRootState state = InstallRootState.Load(_box.Root);
        Assert.Null(state.Find("tool", "1.0"));
        Assert.NotNull(state.Find("other", "2.0"));
    }
}
