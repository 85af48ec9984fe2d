namespace SecureInstall.Core.Install;

/// <summary>What kind of line an install reports: the front end decides how each is shown (verbose, warning).</summary>
public enum InstallEventKind
{
    /// <summary>What was checked and done: -Verbose in PowerShell, stderr unless --quiet in the CLI.</summary>
    Info,

    /// <summary>Something the user should see without asking.</summary>
    Warning,

    /// <summary>A fail-closed rule the manifest waived: always shown, never silenced.</summary>
    Waiver,
}

/// <summary>One line an install reports, with its kind (not a prefix in the text).</summary>
public sealed class InstallEvent
{
    public InstallEvent(InstallEventKind kind, string message)
    {
        Kind = kind;
        Message = message ?? throw new ArgumentNullException(nameof(message));
    }

    public InstallEventKind Kind { get; }

    public string Message { get; }

    /// <summary>Whether the user sees it without asking for detail (a warning or a waiver).</summary>
    public bool IsWarning => Kind != InstallEventKind.Info;

    public static InstallEvent Info(string message) => new(InstallEventKind.Info, message);

    public override string ToString() => Message;
}
