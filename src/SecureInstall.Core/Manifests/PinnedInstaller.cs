namespace SecureInstall.Core.Manifests;

/// <summary>
/// An artifact that is a setup program (the manifest's <c>installer:</c> block, from winget's msi, wix, exe, inno, nullsoft
/// and burn installers): it is pinned and download-verified like any artifact, then run with its silent switches on
/// Windows. What it changes on the machine is its own, outside the installed tree: the lock records that waiver.
/// </summary>
public sealed class PinnedInstaller
{
    /// <summary>The installer types SecureInstall runs.</summary>
    public static readonly IReadOnlyList<string> Types = new[] { "msi", "wix", "exe", "inno", "nullsoft", "burn" };

    /// <summary>msi, wix, exe, inno, nullsoft or burn.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>The manifest's silent switches (winget Silent, else SilentWithProgress): they replace the type's defaults. Null: the defaults.</summary>
    public string? Silent { get; set; }

    /// <summary>Switches added after the silent ones (winget Custom).</summary>
    public string? Custom { get; set; }

    /// <summary>"user", "machine", or null when the manifest does not say.</summary>
    public string? Scope { get; set; }

    /// <summary>The installer must run elevated (machine scope, or winget's ElevationRequirement: elevationRequired).</summary>
    public bool Elevated { get; set; }

    /// <summary>Exit codes besides 0 that mean success (winget InstallerSuccessCodes).</summary>
    public IReadOnlyList<int> SuccessCodes { get; set; } = Array.Empty<int>();

    /// <summary>Exit codes the publisher explains (winget ExpectedReturnCodes): code → response (packageInUse, rebootRequiredToFinish, …).</summary>
    public IReadOnlyDictionary<int, string> ReturnCodes { get; set; } = new Dictionary<int, string>();

    /// <summary>The waiver every installer's lock entry carries: Test-PinnedTool checks the verified installer, not what it did.</summary>
    public const string WaiverRule = "InstallerChangesNotVerified";

    public string WaiverReason =>
        $"a {Type} installer changes the machine outside the installed tree (its own files, registry, services); Test-PinnedTool verifies the installer that ran, not those changes";
}
