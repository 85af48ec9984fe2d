using System.Management.Automation;
using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;

namespace SecureInstall.Commands;

/// <summary>
/// Add-PinnedTool: pins a tool from the aqua registry (every platform's URL, the publisher's digest, the signature policy)
/// and appends one entry to the manifest, leaving the rest of the file as it was.
/// </summary>
[Cmdlet(VerbsCommon.Add, "PinnedTool", SupportsShouldProcess = true)]
[OutputType(typeof(CatalogAddition))]
public sealed class AddPinnedToolCommand : SecureInstallCmdlet
{
    /// <summary>The manifest to append to (created when missing).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Manifest { get; set; } = string.Empty;

    /// <summary>The package: aqua owner/name (cli/cli).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The release tag as the registry writes it (v2.63.0).</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Version { get; set; } = string.Empty;

    [Parameter]
    [ValidateSet("aqua", "winget")]
    public string From { get; set; } = "aqua";

    /// <summary>An aqua registry checkout, or the https URL of its raw files; default the public registry's main branch.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Registry { get; set; }

    /// <summary>Release download base (GitHub Enterprise Server); default https://$GH_HOST/ or https://github.com/.</summary>
    [Parameter]
    public Uri? GitHubBase { get; set; }

    /// <summary>Pin what nothing from the publisher pins by downloading and hashing it now (needs -Reason).</summary>
    [Parameter]
    public SwitchParameter TrustOnFirstUse { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    protected override void ProcessRecord()
    {
        string manifestPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Manifest);
        if (TrustOnFirstUse && string.IsNullOrWhiteSpace(Reason)) ThrowTerminatingError(Errors.ReasonRequired(Name));
        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? w) && w is SwitchParameter s && s.IsPresent;
        try
        {
            var request = new CatalogAddRequest
            {
                ManifestPath = manifestPath, Package = Name, Version = Version, From = From, Registry = ResolveRegistry(),
                GitHubBase = CatalogToolAdder.GitHubBaseFrom(GitHubBase, Environment.GetEnvironmentVariable("GH_HOST")),
                TrustOnFirstUseReason = TrustOnFirstUse ? Reason : null, WhatIf = whatIf,
            };
            using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { Log = Log, NoCache = true });
            CatalogAddition added = Wait(new CatalogToolAdder(downloader, Log).AddAsync(request, CancelToken));
            foreach (CatalogPin pin in added.Pins) WriteVerbose($"{added.Tool} {added.Version} {pin.Platform}: {UriText.Redact(pin.Url)}; digest: {pin.DigestSource}.");
            foreach (string note in added.NotCarried) WriteWarning($"{added.Tool}: not carried: {note}");
            foreach (CatalogPin pin in added.Pins)
            {
                if (pin.Waiver != null) WriteWarning($"{added.Tool} {pin.Platform}: pinned on first use (nothing from the publisher vouches for it): {pin.Waiver}");
            }
            if (whatIf)
            {
                foreach (CatalogPin pin in added.Pins)
                    WriteObject($"What if: {added.Tool} {added.Version} {pin.Platform}: {UriText.Redact(pin.Url)}; digest: {pin.DigestSource}; signature policy: {added.Signature ?? "none"}");
                ShouldProcess(manifestPath, $"Append {added.Tool} {added.Version} ({added.Pins.Count} platform(s)) from {added.Definition}");
                return;
            }
            if (ShouldProcess(manifestPath, $"Append {added.Tool} {added.Version} ({added.Pins.Count} platform(s)) from {added.Definition}"))
            {
                AtomicFile.WriteAllText(manifestPath, added.Text!);
                WriteObject(added);
            }
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            WriteError(Errors.From(ex, Name));
        }
    }

    private string? ResolveRegistry()
    {
        if (CatalogToolAdder.IsRegistryUrl(Registry)) return Registry;
        return SessionState.Path.GetUnresolvedProviderPathFromPSPath(Registry);
    }
}
