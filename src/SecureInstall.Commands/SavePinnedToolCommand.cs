using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Commands;

/// <summary>Save-PinnedTool: writes verified artifacts, the manifest and its lock into a folder another machine installs from offline.</summary>
[Cmdlet(VerbsData.Save, "PinnedTool", SupportsShouldProcess = true)]
[OutputType(typeof(BundledArtifact))]
public sealed class SavePinnedToolCommand : PinnedToolCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>The bundle folder to write (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Tools to bundle; all when omitted.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The version to bundle; each tool's default when omitted.</summary>
    [Parameter]
    public string? Version { get; set; }

    /// <summary>Platforms to bundle: this machine's when omitted, "all" for every platform the manifest names.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PlatformOrAllCompleter))]
    [ValidatePlatform("auto", "all")]
    public string[] Platform { get; set; } = { "auto" };

    protected override void ProcessRecord() => _names.AddRange(Name);

    protected override void EndProcessing()
    {
        PinnedManifest manifest = LoadManifest();
        string bundle = ResolveOutputPath(Path);
        var platforms = Platform.Contains("all", StringComparer.OrdinalIgnoreCase) ? new List<string>()
            : Platform.Select(p => string.Equals(p, "auto", StringComparison.OrdinalIgnoreCase) ? Platforms.Current : Platforms.Parse(p)).Distinct().ToList();
        IReadOnlyList<ResolvedArtifact> selection;
        try
        {
            selection = PinnedArtifactResolver.Select(manifest, _names, Version, platforms);
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, Manifest));
            return;
        }
        string what = string.Join(", ", selection.Select(s => $"{s.Tool.Name} {s.Version.Version} ({s.Artifact.Platform})"));
        if (!ShouldProcess(bundle, $"Download, verify and save {what}, with the manifest and its lock")) return;
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log });
        try
        {
            foreach (BundledArtifact artifact in Wait(new ToolBundle(downloader).SaveAsync(ManifestPath, selection, bundle, Log, CancelToken))) WriteObject(artifact);
            WriteVerbose($"Install from it with: Install-PinnedTool -Manifest '{System.IO.Path.Combine(bundle, System.IO.Path.GetFileName(ManifestPath))}' -Source '{bundle}'");
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
        {
            WriteError(Errors.From(ex, bundle));
        }
    }
}
