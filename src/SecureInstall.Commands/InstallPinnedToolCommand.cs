using System.Management.Automation;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>Install-PinnedTool: gives this machine exactly the tool versions a manifest pins, and proves it in the lock.</summary>
[Cmdlet(VerbsLifecycle.Install, "PinnedTool", SupportsShouldProcess = true)]
[OutputType(typeof(InstallResult))]
public sealed class InstallPinnedToolCommand : PinnedToolCmdlet
{
    private const int ProgressActivityId = 0x51C4;
    private readonly List<string> _names = new();

    /// <summary>Tools to install; all the manifest pins when omitted.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The version (its key in the manifest, or the exact version); the tool's default_version when omitted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>
    /// CurrentUser (default; SECUREINSTALL_HOME moves its root) or AllUsers: %ProgramData%\SecureInstall or /opt/secureinstall
    /// (SECUREINSTALL_MACHINE_HOME moves it), which needs elevation and must be changeable by administrators only.
    /// </summary>
    [Parameter]
    public InstallScope Scope { get => (InstallScope)_scope; set => _scope = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be: PowerShell lays out the cmdlet types while it
    // lists the module's commands, before ModuleInitializer has said where SecureInstall.Core comes from.
    private object _scope = InstallScope.CurrentUser;

    /// <summary>auto (this machine), or a platform: windows-x64, windows-arm64, linux-x64, linux-arm64, darwin-x64, darwin-arm64 (or an alias such as linux-aarch64, macos-arm64).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PlatformCompleter))]
    [ValidatePlatform("auto")]
    public string Platform { get; set; } = "auto";

    /// <summary>
    /// Put the shim folder on PATH: this session's, and the one new sessions get: on Windows the user's PATH (CurrentUser) or
    /// the machine PATH (AllUsers); for all users on Linux /etc/profile.d/secureinstall.sh, on macOS /etc/paths.d/secureinstall.
    /// </summary>
    [Parameter]
    public SwitchParameter AddToPath { get; set; }

    /// <summary>CI mode: install only what the lock records; fail if the manifest and the lock disagree.</summary>
    [Parameter]
    public SwitchParameter Locked { get; set; }

    /// <summary>A bundle folder written by Save-PinnedTool: install from it with no network.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Source { get; set; }

    /// <summary>Registries (oci://HOST/REPO) or OCI image layout folders to fetch pinned artifacts from by digest, before their own URLs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Registry { get; set; } = Array.Empty<string>();

    /// <summary>Fetch only from the registries (-Registry, mirrors.json): never the artifacts' own URLs.</summary>
    [Parameter]
    public SwitchParameter RegistryOnly { get; set; }

    /// <summary>The registry's user name and password (or token); by default the Docker config's entry for the host.</summary>
    [Parameter]
    [Credential]
    public PSCredential? RegistryCredential { get; set; }

    /// <summary>Speak plain HTTP to the -Registry registries (as ORAS's --plain-http), and to mirrors.json registries marked "plainHttp": true.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureTransport { get; set; }

    /// <summary>Reinstall even when the installed tree verifies.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        // The registries are checked before the manifest is read: a mistyped reference is the first thing to hear about.
        VerifiedDownloaderOptions downloaderOptions = RegistryPullOptions(Registry, RegistryOnly, RegistryCredential, AllowInsecureTransport, "artifact pinned by SHA-256");
        PinnedManifest manifest = LoadManifest();
        InstallLock lockFile = LoadLock();
        var options = new ToolInstallerOptions
        {
            Root = ToolInstallerOptions.DefaultRoot(Scope),
            Scope = Scope,
            Platform = string.Equals(Platform, "auto", StringComparison.OrdinalIgnoreCase) ? Platforms.Current : Platforms.Parse(Platform),
            Locked = Locked,
            Force = Force,
            Source = Source == null ? null : ResolveDirectory(Source),
        };
        WriteVerbose($"Installing into {options.Root} for {options.Platform}{(Locked ? ", only what the lock records" : "")}{(options.Source != null ? ", from the bundle " + options.Source : "")}.");
        IEnumerable<string> names = _names.Count > 0 ? _names : manifest.Tools.Select(t => t.Name);

        using var downloader = new VerifiedDownloader(downloaderOptions);
        var installer = new ToolInstaller(options, downloader);
        bool installed = false;
        foreach (string name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            InstallPlan plan;
            try
            {
                plan = installer.Plan(manifest, lockFile, name, Version);
            }
            catch (Core.SecureInstallException ex)
            {
                WriteError(Errors.From(ex, name));
                continue;
            }
            string description = $"Install {plan.Tool} {plan.Version} ({plan.Platform}): {string.Join("; ", plan.Actions)}";
            if (!ShouldProcess(description, $"Install {plan.Tool} {plan.Version} into {plan.TargetDirectory}?", "Install-PinnedTool")) continue;

            using var progress = new ThrottledProgress(this, ProgressActivityId, $"Installing {plan.Tool} {plan.Version}");
            DownloadProgress? latest = null;
            try
            {
                InstallResult result = Wait(
                    installer.InstallAsync(plan, LockPath, new InlineProgress<DownloadProgress>(p => latest = p), Report, CancelToken),
                    () =>
                    {
                        if (latest is { } p) progress.Update($"{p.BytesReceived / 1024} KiB{(p.TotalBytes is long t ? $" of {t / 1024} KiB" : "")}", p.PercentComplete ?? -1);
                    });
                if (result.Status == InstallStatus.AlreadyInstalled)
                    WriteVerbose($"{result.Name} {result.Version}: already installed, verified.");
                foreach (string waiver in result.Waivers) WriteWarning($"{result.Name} {result.Version}: {waiver}");
                installed = true;
                WriteObject(result);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
            {
                WriteError(Errors.From(ex, plan.Tool));
            }
        }

        if (AddToPath) AddBinToPath(options.BinDirectory);
        else if (installed && Scope == InstallScope.AllUsers && !(Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator).Contains(options.BinDirectory, StringComparer.OrdinalIgnoreCase))
            WriteWarning(MachineRoot.PathAdvice(options.BinDirectory));
    }

    private string ResolveDirectory(string path)
    {
        string resolved = ResolveOutputPath(path);
        if (!Directory.Exists(resolved)) ThrowTerminatingError(Errors.PathNotFound(path));
        return resolved;
    }

    private void AddBinToPath(string bin)
    {
        // This session first (the shims win here); then the PATH new sessions get, as PathVariable plans it for the scope.
        string current = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        if (!current.Split(System.IO.Path.PathSeparator).Contains(bin, StringComparer.OrdinalIgnoreCase) && ShouldProcess(bin, "Add to this session's PATH"))
        {
            Environment.SetEnvironmentVariable("PATH", bin + System.IO.Path.PathSeparator + current);
            WriteVerbose($"Added {bin} to this session's PATH.");
        }
        PathVariableSystem system = PathVariableSystem.Current();
        PathChange? change;
        try
        {
            change = PathVariable.Plan(bin, Scope, system);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            WriteError(Errors.From(ex, bin));
            return;
        }
        if (change == null)
        {
            if (Scope == InstallScope.AllUsers) WriteWarning(PathVariable.Advice(bin, Scope));
            else WriteVerbose(PathVariable.Advice(bin, Scope));
            return;
        }
        if (!change.Changes)
        {
            WriteVerbose($"{bin} is already on {change.Target}.");
            return;
        }
        if (!ShouldProcess(change.Target, change.Action)) return;
        try
        {
            PathVariable.Apply(change, system);
            WriteVerbose($"{change.Action}: it was '{change.Before}', it is now '{change.After}'.");
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, change.Target));
        }
    }
}
