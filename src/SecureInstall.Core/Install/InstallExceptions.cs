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
    public TreeTamperedException(string tool, string version, string path, TreeDiff diff)
        : base($"{tool} {version} at '{path}' was changed after it was installed and verified ({diff}). Reinstall it with Install-PinnedTool -Force, and find out what changed it.",
               ErrorIds.InstalledTreeTampered, FailureKind.Security, path)
    {
        Diff = diff;
    }

    public TreeDiff Diff { get; }
}
