using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// The Windows installer path (issue 24), tested on every OS through <see cref="IInstallerLauncher"/>: the command line each
/// installer type gets, elevation, and how exit codes read. A real run is Windows-only (Install-PinnedTool.Installer.Tests.ps1).
/// </summary>
public class InstallerRunTests
{
    private const string Setup = @"C:\Users\A B\AppData\Local\SecureInstall\tools\t\1.0\t setup.exe";

    [Theory]
    [InlineData("inno", "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SP-")]
    [InlineData("nullsoft", "/S")]
    [InlineData("burn", "/quiet /norestart")]
    public void SetupProgram_RunsItself_WithTheTypesDefaultSilentSwitches(string type, string switches)
    {
        InstallerCommand c = InstallerRun.CommandFor(new PinnedInstaller { Type = type }, Setup, "t");
        Assert.Equal(Setup, c.FileName);
        Assert.Equal(switches, c.Arguments);
        Assert.Equal("\"" + Setup + "\" " + switches, c.CommandLine);
    }

    [Theory]
    [InlineData("msi")]
    [InlineData("wix")]
    public void Msi_RunsThroughMsiexec_WithThePathQuoted(string type)
    {
        InstallerCommand c = InstallerRun.CommandFor(new PinnedInstaller { Type = type, Custom = "ADDLOCAL=All" }, @"C:\x y\t.msi", "t");
        Assert.Equal("msiexec.exe", Path.GetFileName(c.FileName));
        Assert.Equal("/i \"C:\\x y\\t.msi\" /qn /norestart ADDLOCAL=All", c.Arguments);
    }

    [Fact]
    public void ManifestsSilentSwitches_ReplaceTheDefaults_AndCustomIsAppended()
    {
        InstallerCommand c = InstallerRun.CommandFor(new PinnedInstaller { Type = "exe", Silent = "--silent", Custom = "--no-desktop-icon" }, Setup, "t");
        Assert.Equal("--silent --no-desktop-icon", c.Arguments);
    }

    [Fact]
    public void PlainExe_WithoutSilentSwitches_IsInstallerNotRunnable()
    {
        InstallException ex = Assert.Throws<InstallException>(() => InstallerRun.CommandFor(new PinnedInstaller { Type = "exe" }, Setup, "t"));
        Assert.Equal(ErrorIds.InstallerNotRunnable, ex.ErrorId);
        Assert.Contains("'exe'", ex.Message);
    }

    [Fact]
    public void Switches_WithAControlCharacter_AreRefused()
    {
        InstallException ex = Assert.Throws<InstallException>(() => InstallerRun.CommandFor(new PinnedInstaller { Type = "inno", Custom = "/DIR=x\r\nevil" }, Setup, "t"));
        Assert.Equal(ErrorIds.InstallerNotRunnable, ex.ErrorId);
    }

    [Theory]
    [InlineData(@"C:\plain\t.exe", @"C:\plain\t.exe")]
    [InlineData(@"C:\a b\t.exe", "\"C:\\a b\\t.exe\"")]
    [InlineData(@"C:\a b\", "\"C:\\a b\\\\\"")]
    [InlineData("say \"hi\"", "\"say \\\"hi\\\"\"")]
    [InlineData(@"a\\""b c", "\"a\\\\\\\\\\\"b c\"")]
    [InlineData("", "\"\"")]
    public void QuoteArgument_FollowsTheWindowsCommandLineRules(string argument, string quoted) =>
        Assert.Equal(quoted, InstallerRun.QuoteArgument(argument));

    [Theory]
    [InlineData(0, InstallerOutcome.Succeeded)]
    [InlineData(3010, InstallerOutcome.SucceededRebootRequired)]
    [InlineData(1641, InstallerOutcome.SucceededRebootRequired)]
    [InlineData(8, InstallerOutcome.Succeeded)]
    [InlineData(194, InstallerOutcome.SucceededRebootRequired)]
    [InlineData(1618, InstallerOutcome.Failed)]
    [InlineData(1, InstallerOutcome.Failed)]
    public void ExitCodes_ReadAsTheManifestSays(int code, InstallerOutcome outcome)
    {
        var installer = new PinnedInstaller
        {
            Type = "inno", SuccessCodes = new[] { 8 },
            ReturnCodes = new Dictionary<int, string> { [194] = "rebootRequiredToFinish", [1618] = "installInProgress" },
        };
        Assert.Equal(outcome, InstallerRun.OutcomeOf(installer, code));
    }

    [Fact]
    public async Task ElsewhereThanWindows_RunsNothing_AndSaysSo()
    {
        var launcher = new RecordingInstallerLauncher(0);
        var installer = new PinnedInstaller { Type = "msi" };
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() =>
            InstallerRun.RunAsync(installer, InstallerRun.CommandFor(installer, Setup, "t"), "t", launcher, isWindows: false, new FixedElevation(true), null, CancellationToken.None));
        Assert.Equal(ErrorIds.InstallerNotRunHere, ex.ErrorId);
        Assert.Equal(FailureKind.NotSupported, ex.Kind);
        Assert.Empty(launcher.Runs);
    }

    [Fact]
    public async Task MachineScopeInstaller_NotElevated_IsElevationRequired_AndRunsNothing()
    {
        var launcher = new RecordingInstallerLauncher(0);
        var installer = new PinnedInstaller { Type = "wix", Scope = "machine", Elevated = true };
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() =>
            InstallerRun.RunAsync(installer, InstallerRun.CommandFor(installer, Setup, "t"), "t", launcher, isWindows: true, new FixedElevation(false), null, CancellationToken.None));
        Assert.Equal(ErrorIds.ElevationRequired, ex.ErrorId);
        Assert.Equal(FailureKind.PermissionDenied, ex.Kind);
        Assert.Empty(launcher.Runs);
    }

    [Fact]
    public async Task FailingExitCode_IsInstallerFailed_NamingTheCodesMeaningAndTheCommand()
    {
        var launcher = new RecordingInstallerLauncher(1618);
        var installer = new PinnedInstaller { Type = "msi", ReturnCodes = new Dictionary<int, string> { [1618] = "installInProgress" } };
        InstallerCommand command = InstallerRun.CommandFor(installer, Setup, "t");
        InstallException ex = await Assert.ThrowsAsync<InstallException>(() =>
            InstallerRun.RunAsync(installer, command, "t", launcher, isWindows: true, new FixedElevation(false), null, CancellationToken.None));
        Assert.Equal(ErrorIds.InstallerFailed, ex.ErrorId);
        Assert.Contains("1618 (installInProgress", ex.Message);
        Assert.Contains(command.CommandLine, ex.Message);
        Assert.Same(command, Assert.Single(launcher.Runs));
    }

    [Fact]
    public async Task RebootCode_IsSuccess_AndTheLogSaysToRestart()
    {
        var log = new List<string>();
        var installer = new PinnedInstaller { Type = "burn", Scope = "machine", Elevated = true };
        InstallerOutcome outcome = await InstallerRun.RunAsync(installer, InstallerRun.CommandFor(installer, Setup, "t"), "t", new RecordingInstallerLauncher(3010), isWindows: true,
            new FixedElevation(true), log.Add, CancellationToken.None);
        Assert.Equal(InstallerOutcome.SucceededRebootRequired, outcome);
        Assert.Contains(log, l => l.Contains("restart Windows"));
        Assert.Contains(log, l => l.StartsWith("Running \"" + Setup + "\" /quiet /norestart", StringComparison.Ordinal));
    }
}
