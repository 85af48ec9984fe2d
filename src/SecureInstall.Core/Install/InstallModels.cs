using SecureInstall.Core.Archives;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Install;

public enum InstallScope
{
    CurrentUser,
    AllUsers,
}

public sealed class ToolInstallerOptions
{
    /// <summary>Where tools go: <c>&lt;Root&gt;/&lt;tool&gt;/&lt;version&gt;/</c>, shims in <c>&lt;Root&gt;/bin</c>.</summary>
    public string Root { get; set; } = DefaultRoot(InstallScope.CurrentUser);

    /// <summary>AllUsers: installing and uninstalling need elevation, and the root must be admin-only (<see cref="MachineRoot"/>).</summary>
    public InstallScope Scope { get; set; } = InstallScope.CurrentUser;

    /// <summary>How elevation and admin-only folders are checked for AllUsers; null is this OS's (<see cref="MachineRoot.Platform"/>).</summary>
    public IMachineRootSecurity? MachineSecurity { get; set; }

    public string Platform { get; set; } = Platforms.Current;

    /// <summary>CI mode: install only what the lock records, and fail when the manifest disagrees with it.</summary>
    public bool Locked { get; set; }

    /// <summary>A folder written by Save-PinnedTool: artifacts are taken from it by digest, with no network.</summary>
    public string? Source { get; set; }

    /// <summary>Reinstall even when the installed tree verifies.</summary>
    public bool Force { get; set; }

    /// <summary>How long to wait for another process installing the same tool.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public ArchiveExtractionOptions Extraction { get; set; } = new();

    /// <summary>Starts an installer artifact's setup program (installer:); null is a child process (<see cref="ProcessInstallerLauncher"/>).</summary>
    public IInstallerLauncher? InstallerLauncher { get; set; }

    /// <summary>Whether setup programs run here: Windows only; elsewhere an installer is downloaded, verified and refused (InstallerNotRunHere).</summary>
    public bool RunsInstallers { get; set; } = IO.UnixFileSystem.IsWindows;

    public string BinDirectory => Path.Combine(Root, "bin");

    /// <summary>
    /// Per user: %LOCALAPPDATA%\SecureInstall\tools on Windows, $XDG_DATA_HOME/secureinstall/tools (~/.local/share) elsewhere;
    /// all users: %ProgramData%\SecureInstall\tools or /opt/secureinstall/tools (<see cref="MachineRoot.ToolRoot"/>).
    /// SECUREINSTALL_HOME moves the per-user root; SECUREINSTALL_MACHINE_HOME the all-users one (a user's variable must not
    /// move where an administrator installs for everyone).
    /// </summary>
    public static string DefaultRoot(InstallScope scope)
    {
        if (scope == InstallScope.AllUsers) return MachineRoot.ToolRoot();
        string? overridden = Environment.GetEnvironmentVariable("SECUREINSTALL_HOME");
        if (!string.IsNullOrEmpty(overridden)) return Path.Combine(overridden, "tools");
        bool windows = Path.DirectorySeparatorChar == '\\';
        if (windows) return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecureInstall", "tools");
        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string data = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share") : xdg!;
        return Path.Combine(data, "secureinstall", "tools");
    }
}

/// <summary>What an install will do, before it does it (for -WhatIf and for the install itself).</summary>
public sealed class InstallPlan
{
    public string Tool { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;
    public PinnedArtifact Artifact { get; internal set; } = null!;
    public IReadOnlyList<Uri> Uris { get; internal set; } = Array.Empty<Uri>();
    public IReadOnlyList<Waiver> Waivers { get; internal set; } = Array.Empty<Waiver>();

    /// <summary>The command that runs the artifact when it is a setup program (installer:), or null.</summary>
    public InstallerCommand? InstallerCommand { get; internal set; }
    public string TargetDirectory { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();

    /// <summary>Paths inside the installed tree that are executables: the manifest's bin, or the file itself for a plain binary.</summary>
    public IReadOnlyList<string> Executables { get; internal set; } = Array.Empty<string>();

    /// <summary>The shims this install writes: command name → the executable it starts (a name another tool owns is left out).</summary>
    public IReadOnlyDictionary<string, string> ShimCommands { get; internal set; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Commands the manifest says this tool owns (owns_shims): their shims may replace another tool's.</summary>
    public IReadOnlyList<string> OwnedShims { get; internal set; } = Array.Empty<string>();

    public string DigestSource { get; internal set; } = string.Empty;

    /// <summary><see cref="DigestSource"/> as the lock records it (the manifest by its file name), the same on every machine.</summary>
    public string LockDigestSource { get; internal set; } = string.Empty;

    /// <summary>The signature the manifest's policy requires of the artifact, or null when it requires none.</summary>
    public Signatures.ManifestSignatureRequirement? Signature { get; internal set; }

    /// <summary>The signature's URL as the lock records it (<see cref="PinnedArtifact.LockUrlOf"/>), or null.</summary>
    public string? LockSignatureUrl { get; internal set; }

    /// <summary>The Sigstore bundle (or GitHub attestation) the manifest's policy requires, or null.</summary>
    public Signatures.Sigstore.SigstoreRequirement? Sigstore { get; internal set; }

    /// <summary>Where that bundle is fetched from.</summary>
    public Uri? SigstoreBundleUri { get; internal set; }

    /// <summary>The Authenticode signer every executable must be signed by (checked in staging), or null.</summary>
    public Signatures.Authenticode.AuthenticodeRequirement? Authenticode { get; internal set; }

    /// <summary>Every download and write, in order, as a person reads it.</summary>
    public IReadOnlyList<string> Actions { get; internal set; } = Array.Empty<string>();
}

public enum InstallStatus
{
    Installed,
    AlreadyInstalled,
}

/// <summary>The outcome of installing one tool.</summary>
public sealed class InstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;
    public InstallStatus Status { get; internal set; }
    public string Path { get; internal set; } = string.Empty;
    public string Sha256 { get; internal set; } = string.Empty;
    public IReadOnlyList<string> VerifiedBy { get; internal set; } = Array.Empty<string>();
    public string TreeDigest { get; internal set; } = string.Empty;
    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();
    public IReadOnlyList<string> Waivers { get; internal set; } = Array.Empty<string>();
    public bool FromCache { get; internal set; }

    /// <summary>The artifact was a setup program that asked for a restart to finish (exit code 3010, 1641, …).</summary>
    public bool RebootRequired { get; internal set; }
}

/// <summary>What Uninstall-PinnedTool removed.</summary>
public sealed class UninstallResult
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Platform { get; internal set; } = string.Empty;

    /// <summary>The version folder removed: &lt;root&gt;/&lt;tool&gt;/&lt;version&gt;.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>The different path the lock recorded (not touched), or null.</summary>
    public string? RecordedPath { get; internal set; }

    public IReadOnlyList<string> Shims { get; internal set; } = Array.Empty<string>();
}

