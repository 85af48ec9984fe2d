using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.Install;

/// <summary>Stands in for the installer process (the Windows path tested on every OS): records each command and exits with the code given.</summary>
internal sealed class RecordingInstallerLauncher(int exitCode) : IInstallerLauncher
{
    public List<InstallerCommand> Runs { get; } = new();

    public Task<int> RunAsync(InstallerCommand command, CancellationToken cancellationToken)
    {
        Runs.Add(command);
        return Task.FromResult(exitCode);
    }
}

/// <summary>Elevated or not, as the test says; every path admin-only.</summary>
internal sealed class FixedElevation(bool elevated) : IMachineRootSecurity
{
    public bool IsElevated => elevated;
    public string? Problem(string path) => null;
    public void Secure(string home) { }
}
