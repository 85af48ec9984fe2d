namespace SecureInstall.Core.Install;

/// <summary>A failure while planning or carrying out an install, with the tool it concerns as target.</summary>
public sealed class InstallException : SecureInstallException
{
    public InstallException(string errorId, FailureKind kind, string tool, string message, System.Exception? inner = null)
        : base(message, errorId, kind, tool, inner)
    {
        Tool = tool;
    }

    public string Tool { get; }
}

/// <summary>An installed tree no longer matches the digest the lock recorded.</summary>
public sealed class TreeTamperedException : SecureInstallException
{
    public TreeTamperedException(InstalledToolStatus status)
        : this(status.Name, status.Version, status.Path ?? string.Empty, new TreeDiff { Changed = status.Changed, Added = status.Added, Removed = status.Removed })
    {
    }

    public TreeTamperedException(string tool, string version, string path, TreeDiff diff)
        : base($"{tool} {version} at '{path}' was changed after it was installed and verified ({diff}). Reinstall it with Install-PinnedTool -Force, and find out what changed it.",
               ErrorIds.InstalledTreeTampered, FailureKind.Security, path)
    {
        Diff = diff;
    }

    public TreeDiff Diff { get; }
}

/// <summary>
/// The lock records an install path other than the one derived from the install root, tool and version. The recorded
/// path is reported and never used: nothing there is checked or deleted.
/// </summary>
public sealed class LockPathMismatchException : SecureInstallException
{
    public LockPathMismatchException(string tool, string version, string recordedPath, string expectedPath, string consequence)
        : base($"the lock records {tool} {version} at '{recordedPath}', but this install root keeps it at '{expectedPath}'. The lock was edited, " +
               $"or comes from another machine or scope; the recorded path is not used. {consequence}",
               ErrorIds.LockPathMismatch, FailureKind.Security, recordedPath)
    {
        Tool = tool;
        Version = version;
        RecordedPath = recordedPath;
        ExpectedPath = expectedPath;
    }

    public string Tool { get; }
    public string Version { get; }
    public string RecordedPath { get; }
    public string ExpectedPath { get; }
}
