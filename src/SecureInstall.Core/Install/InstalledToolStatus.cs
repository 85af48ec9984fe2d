namespace SecureInstall.Core.Install;

public enum InstalledState
{
    /// <summary>The tree on disk has the digest the lock recorded.</summary>
    Verified,
    /// <summary>Entries were changed, added or removed after the install (content, kind or mode), a shim was replaced, or the lock's path disagrees.</summary>
    Tampered,
    /// <summary>The lock records it, but its folder is gone.</summary>
    Missing,
    /// <summary>The manifest pins it, the lock records no install for this platform.</summary>
    NotInstalled,
    /// <summary>Installed (not re-hashed: Get-PinnedTool without -Verify).</summary>
    Installed,
}

/// <summary>One tool as found on this machine, against the manifest and the lock.</summary>
public sealed class InstalledToolStatus
{
    public string Name { get; set; } = string.Empty;
    public string Version { get; set; } = string.Empty;
    public string Platform { get; set; } = string.Empty;
    public InstalledState Status { get; set; }
    /// <summary>Where the tool is: &lt;root&gt;/&lt;tool&gt;/&lt;version&gt;, derived from the install root, never read from the lock.</summary>
    public string? Path { get; set; }

    /// <summary>The path the lock records when it differs from <see cref="Path"/> (LockPathMismatch); null when they agree.</summary>
    public string? RecordedPath { get; set; }
    public string? PinnedVersion { get; set; }
    public string? TreeDigest { get; set; }
    public IReadOnlyList<string> Changed { get; set; } = Array.Empty<string>();
    public IReadOnlyList<string> Added { get; set; } = Array.Empty<string>();
    public IReadOnlyList<string> Removed { get; set; } = Array.Empty<string>();

    /// <summary>The waivers the lock records for this install (an installer's own machine changes are not verified, …).</summary>
    public IReadOnlyList<string> Waivers { get; set; } = Array.Empty<string>();

    /// <summary>The signature re-verified from the lock (a Sigstore bundle), or null when the install recorded none.</summary>
    public string? Signature { get; set; }
}
