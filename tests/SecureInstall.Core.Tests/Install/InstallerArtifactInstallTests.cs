using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// Installing an artifact that is a setup program (installer:, issue 24): verified like any artifact; refused off Windows
/// with nothing placed; on Windows run through <see cref="IInstallerLauncher"/> (here a recording one, so the Windows path
/// runs on every OS), its exit code read, and the lock recording that the installer's own changes are not verified.
/// </summary>
public sealed class InstallerArtifactInstallTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly VerifiedDownloader _downloader = new(new VerifiedDownloaderOptions { NoCache = true });

    public void Dispose()
    {
        _downloader.Dispose();
        _dir.Dispose();
    }

    private string Root => Path.Combine(_dir.Path, "root");
    private string LockPath => Path.Combine(_dir.Path, InstallLock.FileName);

    private PinnedManifest Manifest(string installerBlock, string? sha = null)
    {
        string setup = _dir.File("dl/tool-setup.exe", "MZ pretend setup program");
        sha ??= Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(setup))).ToLowerInvariant();
        return new ManifestReader().Read(new StringReader(
            $"tools:\n  tool:\n    versions:\n      \"1.0\":\n        artifacts:\n          windows-x64:\n            url: {new Uri(setup).AbsoluteUri}\n            sha256: {sha}\n"
            + $"            installer:\n{installerBlock}"), "m.yml", _dir.Path);
    }

    private ToolInstaller Installer(bool runsInstallers, IInstallerLauncher? launcher = null, bool elevated = true) =>
        new(new ToolInstallerOptions
        {
            Root = Root, Platform = "windows-x64", RunsInstallers = runsInstallers, InstallerLauncher = launcher, MachineSecurity = new FixedElevation(elevated),
        }, _downloader);

    private void AssertNothingPlaced()
    {
        Assert.False(Directory.Exists(Path.Combine(Root, "tool", "1.0")));
        Assert.False(File.Exists(LockPath));
        Assert.Empty(Directory.Exists(Path.Combine(Root, "tool")) ? Directory.GetDirectories(Path.Combine(Root, "tool")) : Array.Empty<string>());
    }

    [Fact]
    public async Task ElsewhereThanWindows_TheInstallerIsVerified_ThenRefused_AndNothingIsPlaced()
    {
        PinnedManifest m = Manifest("              type: nullsoft\n");
        ToolInstaller installer = Installer(runsInstallers: false);
        InstallPlan plan = installer.Plan(m, new InstallLock(), "tool", null);
        Assert.Contains(plan.Actions, a => a.Contains("installers run only on Windows"));
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() => installer.InstallAsync(plan, LockPath));
        Assert.Equal(ErrorIds.InstallerNotRunHere, ex.ErrorId);
        Assert.Contains("downloaded and verified", ex.Message);
        AssertNothingPlaced();

        // Verified first: a setup program that does not match its pin is a checksum mismatch, not a platform refusal.
        PinnedManifest wrong = Manifest("              type: nullsoft\n", new string('0', 64));
        await Assert.ThrowsAsync<ChecksumMismatchException>(() => installer.InstallAsync(installer.Plan(wrong, new InstallLock(), "tool", null), LockPath));
        AssertNothingPlaced();
    }

    [Fact]
    public async Task OnWindows_RunsTheVerifiedInstaller_WithItsSilentSwitches_AndTheLockRecordsTheWaiver()
    {
        PinnedManifest m = Manifest("              type: nullsoft\n              custom: \"/D=C:\\\\Tools\\\\tool\"\n");
        var launcher = new RecordingInstallerLauncher(3010);
        ToolInstaller installer = Installer(runsInstallers: true, launcher);
        InstallPlan plan = installer.Plan(m, new InstallLock(), "tool", null);
        string setup = Path.Combine(Root, "tool", "1.0", "tool-setup.exe");
        Assert.Contains($"run {InstallerRun.QuoteArgument(setup)} /S /D=C:\\Tools\\tool", plan.Actions); // what -WhatIf shows
        Assert.Empty(plan.Shims);

        var events = new List<InstallEvent>();
        InstallResult result = await installer.InstallAsync(plan, LockPath, events: events.Add);
        Assert.Equal(setup, Assert.Single(launcher.Runs).FileName); // the verified copy in the version folder, which Test-PinnedTool checks
        Assert.Equal("MZ pretend setup program", File.ReadAllText(setup));
        Assert.Equal("/S /D=C:\\Tools\\tool", launcher.Runs[0].Arguments);
        Assert.True(result.RebootRequired);
        Assert.Contains(events, e => e.Kind == InstallEventKind.Warning && e.Message.Contains("restart Windows"));
        Assert.Contains(events, e => e.Kind == InstallEventKind.Waiver && e.Message.Contains(PinnedInstaller.WaiverRule));

        LockEntry entry = InstallLock.Load(LockPath).Find("tool", "1.0", "windows-x64")!;
        Assert.Contains(entry.Waivers, w => w.StartsWith(PinnedInstaller.WaiverRule + " waived", StringComparison.Ordinal) && w.Contains("not those changes"));
        InstalledToolStatus status = InstalledToolVerifier.Verify(Root, entry);
        Assert.Equal(InstalledState.Verified, status.Status); // the installer that ran is what Test-PinnedTool checks …
        Assert.Contains(status.Waivers, w => w.Contains(PinnedInstaller.WaiverRule)); // … and it says what it does not
    }

    [Fact]
    public async Task FailingInstaller_IsInstallerFailed_AndNothingIsKeptOrRecorded()
    {
        PinnedManifest m = Manifest("              type: inno\n              return_codes:\n                5: cancelledByUser\n");
        var launcher = new RecordingInstallerLauncher(5);
        ToolInstaller installer = Installer(runsInstallers: true, launcher);
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath));
        Assert.Equal(ErrorIds.InstallerFailed, ex.ErrorId);
        Assert.Contains("code 5 (cancelledByUser", ex.Message);
        Assert.Single(launcher.Runs);
        AssertNothingPlaced();
    }

    [Fact]
    public async Task MachineScopeInstaller_NotElevated_IsElevationRequired_BeforeAnythingIsDownloaded()
    {
        PinnedManifest m = Manifest("              type: wix\n              scope: machine\n");
        File.Delete(m.Tools[0].Versions[0].Artifacts[0].Url.LocalPath); // a download would fail differently
        var launcher = new RecordingInstallerLauncher(0);
        ToolInstaller installer = Installer(runsInstallers: true, launcher, elevated: false);
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() => installer.InstallAsync(installer.Plan(m, new InstallLock(), "tool", null), LockPath));
        Assert.Equal(ErrorIds.ElevationRequired, ex.ErrorId);
        Assert.Empty(launcher.Runs);
        AssertNothingPlaced();
    }
}
