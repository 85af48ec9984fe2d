using System;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Threading.Tasks;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>What the *-PinnedTool cmdlets share: the manifest they read and the lock beside it.</summary>
public abstract class PinnedToolCmdlet : SecureInstallCmdlet
{
    private readonly ConcurrentQueue<string> _verbose = new();

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
            WriteVerbose($"Read {manifest.Tools.Count} tool(s) from {ManifestPath} ({manifest.Layout} layout).");
            return manifest;
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or System.IO.IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, Manifest));
            throw;
        }
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

    /// <summary>A sink for the core's log lines, written as verbose output from the cmdlet's thread by <see cref="Wait"/>.</summary>
    protected void Log(string line) => _verbose.Enqueue(line);

    /// <summary>Runs core work to completion on the cmdlet's thread, writing its log lines as they come.</summary>
    protected T Wait<T>(Task<T> work, Action? onTick = null)
    {
        while (!Finished(work))
        {
            DrainVerbose();
            onTick?.Invoke();
        }
        DrainVerbose();
        return work.GetAwaiter().GetResult();
    }

    protected void DrainVerbose()
    {
        while (_verbose.TryDequeue(out string? line))
        {
            if (line.StartsWith("WAIVER ", StringComparison.Ordinal)) WriteWarning(line);
            else WriteVerbose(line);
        }
    }

    private static bool Finished(Task work)
    {
        try
        {
            return work.Wait(100);
        }
        catch (AggregateException)
        {
            return true;
        }
    }
}
