using System.Management.Automation;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>What the *-PinnedTool cmdlets share: the manifest they read and the lock beside it.</summary>
public abstract class PinnedToolCmdlet : SecureInstallCmdlet
{
    /// <summary>The manifest (YAML). Its lock, secureinstall.lock.json, sits beside it.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Manifest { get; set; } = string.Empty;

    protected string ManifestPath { get; private set; } = string.Empty;

    protected string LockPath => InstallLock.PathBeside(ManifestPath);

    /// <summary>Resolves -Manifest (which fixes where the lock is) without reading it.</summary>
    protected void ResolveManifestPath() => ManifestPath = ResolveSingleFile(Manifest, nameof(Manifest));

    /// <summary>Reads the manifest; a manifest that cannot be read makes the command meaningless (terminating).</summary>
    protected PinnedManifest LoadManifest()
    {
        ResolveManifestPath();
        try
        {
            PinnedManifest manifest = new ManifestReader().ReadFile(ManifestPath);
            WriteVerbose($"Read {manifest.Tools.Count} tool(s){(manifest.Modules.Count > 0 ? $" and {manifest.Modules.Count} module(s)" : "")} from {ManifestPath} ({manifest.Layout} layout).");
            return manifest;
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or System.IO.IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, Manifest));
            throw;
        }
    }

    /// <summary>
    /// The downloader options of -Registry, -RegistryOnly, -RegistryCredential and -AllowInsecureTransport, as Install-PinnedTool
    /// and Install-PinnedModule take them: each registry an oci:// reference or an image layout folder (resolved here). A
    /// malformed one makes the command meaningless (terminating), before the manifest is read.
    /// </summary>
    protected Core.Downloads.VerifiedDownloaderOptions RegistryPullOptions(string[] registry, bool registryOnly, PSCredential? credential, bool allowInsecureTransport, string pinnedBy)
    {
        var options = new Core.Downloads.VerifiedDownloaderOptions
        {
            Log = Log, RegistryOnly = registryOnly, RegistryCredential = SavePinnedToolCommand.RegistryCredentialOf(credential), AllowInsecureTransport = allowInsecureTransport,
        };
        foreach (string loosened in Core.LoosenedLimits.Of(options, name => "-" + name)) WriteVerbose(loosened);
        try
        {
            options.Registries = registry.Select(r => Core.Registries.OciReference.IsReference(r)
                ? Core.Registries.RegistrySource.Parse(r, plainHttp: allowInsecureTransport)
                : Core.Registries.RegistrySource.Parse(ResolveOutputPath(r))).ToList();
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, string.Join(", ", registry)));
        }
        if (options.Registries.Count > 0) WriteVerbose($"Trying the registries {string.Join(", ", options.Registries)} first for every {pinnedBy}{(registryOnly ? ", and nothing else" : "")}.");
        return options;
    }

    protected InstallLock LoadLock()
    {
        try
        {
            return InstallLock.Load(LockPath);
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, LockPath));
            throw;
        }
    }
}
