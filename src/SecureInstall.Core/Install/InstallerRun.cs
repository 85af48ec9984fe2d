using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

/// <summary>The command line that runs a verified installer: the program, its arguments as one Windows command-line string, and how it reads.</summary>
public sealed class InstallerCommand
{
    public string FileName { get; internal set; } = string.Empty;
    public string Arguments { get; internal set; } = string.Empty;

    /// <summary>What -WhatIf and -Verbose show: the exact command line.</summary>
    public string CommandLine => InstallerRun.QuoteArgument(FileName) + (Arguments.Length > 0 ? " " + Arguments : string.Empty);
}

/// <summary>How an installer's run ended, read from its exit code.</summary>
public enum InstallerOutcome
{
    Succeeded,

    /// <summary>Installed; Windows must restart to finish (3010, 1641, or the manifest's rebootRequiredToFinish codes).</summary>
    SucceededRebootRequired,
    Failed,
}

/// <summary>Starts a process and waits for it: the real one runs the installer; tests give their own.</summary>
public interface IInstallerLauncher
{
    /// <summary>Runs <paramref name="command"/> to its end and returns its exit code.</summary>
    Task<int> RunAsync(InstallerCommand command, CancellationToken cancellationToken);
}

/// <summary>Runs the installer as a child process (no shell, no window), waiting for it to exit.</summary>
public sealed class ProcessInstallerLauncher : IInstallerLauncher
{
    public async Task<int> RunAsync(InstallerCommand command, CancellationToken cancellationToken)
    {
        if (command == null) throw new ArgumentNullException(nameof(command));
        var start = new System.Diagnostics.ProcessStartInfo(command.FileName, command.Arguments) { UseShellExecute = false, CreateNoWindow = true };
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"{command.FileName} did not start.");
        var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => exited.TrySetResult(true);
        if (process.HasExited) exited.TrySetResult(true);
        // An installer half-way through is not stopped by Ctrl+C: killing it would leave the machine half-changed.
        await exited.Task.ConfigureAwait(false);
        return process.ExitCode;
    }
}

/// <summary>
/// Runs a verified installer the way its manifest says: the command line for its type (msiexec for msi/wix; the manifest's
/// silent switches, else the type's defaults; a plain exe without silent switches is refused), elevation for a machine-scope
/// installer, and its exit code read as success, success needing a restart, or failure named by the publisher's meaning.
/// </summary>
public static class InstallerRun
{
    /// <summary>Reboot-required codes of Windows Installer and the Burn/Inno/NSIS installers that follow it.</summary>
    public static readonly IReadOnlyList<int> RebootCodes = new[] { 3010, 1641 };

    /// <summary>The default silent switches of each type (winget's own defaults).</summary>
    public static string? DefaultSilent(string type) => type switch
    {
        "msi" or "wix" => "/qn /norestart",
        "inno" => "/VERYSILENT /SUPPRESSMSGBOXES /NORESTART /SP-",
        "nullsoft" => "/S",
        "burn" => "/quiet /norestart",
        _ => null,
    };

    /// <summary>The command that runs <paramref name="installerPath"/>.</summary>
    /// <exception cref="InstallException">a plain exe without silent switches, or switches holding control characters (InstallerNotRunnable).</exception>
    public static InstallerCommand CommandFor(PinnedInstaller installer, string installerPath, string tool)
    {
        if (installer == null) throw new ArgumentNullException(nameof(installer));
        string type = installer.Type.ToLowerInvariant();
        string silent = installer.Silent ?? DefaultSilent(type)
            ?? throw new InstallException(ErrorIds.InstallerNotRunnable, FailureKind.NotSupported, tool,
                $"{tool}: a plain 'exe' installer has no known silent switches and its manifest gives none (installer: silent:); SecureInstall does not start an installer that may wait for a person.");
        foreach (string? part in new[] { installer.Silent, installer.Custom })
        {
            if (part != null && part.Any(c => char.IsControl(c)))
                throw new InstallException(ErrorIds.InstallerNotRunnable, FailureKind.InvalidData, tool, $"{tool}: the installer's switches hold a control character; refused.");
        }
        string extra = string.IsNullOrWhiteSpace(installer.Custom) ? string.Empty : " " + installer.Custom!.Trim();
        if (type is "msi" or "wix")
        {
            string msiexec = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.System) is { Length: > 0 } system ? system : @"C:\Windows\System32", "msiexec.exe");
            return new InstallerCommand { FileName = msiexec, Arguments = "/i " + QuoteArgument(installerPath) + " " + silent.Trim() + extra };
        }
        return new InstallerCommand { FileName = installerPath, Arguments = silent.Trim() + extra };
    }

    /// <summary>0 and the manifest's success codes: success; 3010/1641 and its rebootRequiredToFinish/rebootInitiated codes: success needing a restart.</summary>
    public static InstallerOutcome OutcomeOf(PinnedInstaller installer, int exitCode)
    {
        if (installer == null) throw new ArgumentNullException(nameof(installer));
        if (exitCode == 0 || installer.SuccessCodes.Contains(exitCode) && !RebootCodes.Contains(exitCode)) return InstallerOutcome.Succeeded;
        if (RebootCodes.Contains(exitCode)) return InstallerOutcome.SucceededRebootRequired;
        if (installer.ReturnCodes.TryGetValue(exitCode, out string? response) && response is "rebootRequiredToFinish" or "rebootInitiated")
            return InstallerOutcome.SucceededRebootRequired;
        return InstallerOutcome.Failed;
    }

    /// <summary>Refuses an installer off Windows (InstallerNotRunHere) and a machine-scope one in a session that is not elevated (ElevationRequired).</summary>
    public static void CheckCanRun(PinnedInstaller installer, string tool, bool isWindows, IMachineRootSecurity security)
    {
        if (installer == null) throw new ArgumentNullException(nameof(installer));
        if (!isWindows)
            throw new InstallException(ErrorIds.InstallerNotRunHere, FailureKind.NotSupported, tool,
                $"{tool}: the {installer.Type} installer was downloaded and verified, but installers run only on Windows; nothing was placed or recorded.");
        if (installer.Elevated && !(security ?? MachineRoot.Platform).IsElevated)
            throw new InstallException(ErrorIds.ElevationRequired, FailureKind.PermissionDenied, tool,
                $"{tool}: its {installer.Type} installer installs for the whole machine (scope: {installer.Scope ?? "machine"}) and needs an elevated session (Run as Administrator); nothing was run.");
    }

    /// <summary>Runs the installer: refuses off Windows and without a needed elevation, then maps the exit code (InstallerFailed).</summary>
    /// <returns>The outcome (never Failed: a failure throws).</returns>
    public static async Task<InstallerOutcome> RunAsync(PinnedInstaller installer, InstallerCommand command, string tool, IInstallerLauncher launcher, bool isWindows,
        IMachineRootSecurity security, Action<string>? log, CancellationToken cancellationToken)
    {
        CheckCanRun(installer, tool, isWindows, security);
        log?.Invoke($"Running {command.CommandLine}");
        int code = await launcher.RunAsync(command, cancellationToken).ConfigureAwait(false);
        InstallerOutcome outcome = OutcomeOf(installer, code);
        if (outcome == InstallerOutcome.Failed)
        {
            string meaning = installer.ReturnCodes.TryGetValue(code, out string? response) ? $" ({response}, as its manifest explains the code)" : string.Empty;
            throw new InstallException(ErrorIds.InstallerFailed, FailureKind.WriteError, tool,
                $"{tool}: the installer exited with code {code}{meaning}: {command.CommandLine}. Nothing was recorded in the lock.");
        }
        log?.Invoke(outcome == InstallerOutcome.SucceededRebootRequired
            ? $"The installer exited with {code}: installed; restart Windows to finish."
            : $"The installer exited with {code}: installed.");
        return outcome;
    }

    /// <summary>One argument as the Windows C runtime (CommandLineToArgvW) reads it back: quoted when needed, backslashes before a quote doubled.</summary>
    public static string QuoteArgument(string argument)
    {
        if (argument == null) throw new ArgumentNullException(nameof(argument));
        if (argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '\t', '"' }) < 0) return argument;
        var b = new StringBuilder("\"");
        int backslashes = 0;
        foreach (char c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }
            b.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes);
            backslashes = 0;
            b.Append(c);
        }
        return b.Append('\\', backslashes * 2).Append('"').ToString();
    }
}
