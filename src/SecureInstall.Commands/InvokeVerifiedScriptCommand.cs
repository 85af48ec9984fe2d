using System.Management.Automation;
using System.Runtime.InteropServices;
using SecureInstall.Core;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Commands;

/// <summary>
/// Invoke-VerifiedScript: the replacement for `irm … | iex`. Fetches a script through the download engine, verifies it
/// (a pinned digest, or the trust-on-first-use pin store), and runs exactly the verified bytes as a script block.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VerifiedScript", DefaultParameterSetName = Sha256Set, SupportsShouldProcess = true)]
[OutputType(typeof(VerifiedScript), typeof(PSObject))]
public sealed class InvokeVerifiedScriptCommand : SecureInstallCmdlet
{
    private const string Sha256Set = "Sha256";
    private const string TrustOnFirstUseSet = "TrustOnFirstUse";

    [Parameter(Mandatory = true, Position = 0)]
    [Alias("Url")]
    [ValidateNotNull]
    public Uri? Uri { get; set; }

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = Sha256Set)]
    [ValidateNotNullOrEmpty]
    public string Sha256 { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = TrustOnFirstUseSet)]
    public SwitchParameter TrustOnFirstUse { get; set; }

    [Parameter(ParameterSetName = TrustOnFirstUseSet)]
    public SwitchParameter Accept { get; set; }

    [Parameter(ParameterSetName = TrustOnFirstUseSet)]
    [ValidateNotNullOrEmpty]
    public string PinStore { get; set; } = string.Empty;

    [Parameter]
    [Alias("Args")]
    public object[] ArgumentList { get; set; } = Array.Empty<object>();

    [Parameter]
    public SwitchParameter Inspect { get; set; }

    [Parameter]
    public SwitchParameter AllowInsecureTransport { get; set; }

    [Parameter]
    public long MaximumSize { get; set; } = ScriptRequest.DefaultMaximumSize;

    protected override void EndProcessing()
    {
        var request = new ScriptRequest(Uri!) { MaximumSize = MaximumSize };
        try
        {
            switch (ParameterSetName)
            {
                case Sha256Set:
                    request.Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256");
                    break;
                case TrustOnFirstUseSet:
                    request.TrustOnFirstUse = true;
                    request.Accept = Accept;
                    request.PinStorePath = PinStore.Length > 0 ? ResolveOutputPath(PinStore) : ScriptPinStore.DefaultPath();
                    WriteVerbose($"-TrustOnFirstUse: the script is compared with its pin in {request.PinStorePath}.");
                    break;
            }
        }
        catch (SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, Sha256));
        }
        var options = new VerifiedDownloaderOptions { AllowInsecureTransport = AllowInsecureTransport, Log = Log };
        foreach (string loosened in LoosenedLimits.Of(options, name => "-" + name)) WriteVerbose(loosened);
        VerifiedScript script;
        try
        {
            script = Wait(new ScriptFetcher(options).FetchAsync(request, CancelToken));
        }
        catch (ScriptChangedException ex)
        {
            ErrorRecord record = Errors.From(ex, UriText.Redact(Uri!));
            record.ErrorDetails = new ErrorDetails(ex.Message + "\n" + ex.Diff);
            ThrowTerminatingError(record);
            return;
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            ThrowTerminatingError(Errors.From(ex, UriText.Redact(Uri!)));
            return;
        }

        script.Authenticode = AuthenticodeStatus(script);
        WriteVerbose($"Verified {UriText.Redact(script.FinalUri)}: sha256:{script.Sha256}, {script.Size:N0} bytes, by {script.DigestSource}; Authenticode: {script.Authenticode}.");
        if (Inspect)
        {
            WriteObject(script);
            return;
        }

        string action = $"Run the script verified as sha256:{script.Sha256} ({script.DigestSource})";
        if (!ShouldProcess(UriText.Redact(script.Uri), action)) return;
        if (script.PinPending)
        {
            try
            {
                ScriptFetcher.RecordPin(script, DateTimeOffset.UtcNow);
            }
            catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException)
            {
                ThrowTerminatingError(Errors.From(ex, script.PinStore));
            }
            WriteWarning(script.Trust == ScriptTrust.FirstUse
                ? $"First use of {UriText.Redact(script.Uri)}: pinned sha256:{script.Sha256} in {script.PinStore}. Later runs refuse a changed script."
                : $"Re-pinned {UriText.Redact(script.Uri)} as sha256:{script.Sha256} in {script.PinStore} (was sha256:{script.PreviousSha256}).");
        }

        // Exactly the verified bytes, decoded once, become the script block: nothing is fetched again.
        ScriptBlock block = InvokeCommand.NewScriptBlock(script.Text);
        foreach (PSObject output in InvokeCommand.InvokeScript(true, block, null, ArgumentList)) WriteObject(output);
    }

    /// <summary>Windows only: the Authenticode status of the verified bytes (checked on a private copy). Elsewhere "NotSupported".</summary>
    private string AuthenticodeStatus(VerifiedScript script)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "NotSupported (Authenticode is checked on Windows only)";
        string folder = Path.Combine(Path.GetTempPath(), "secureinstall-sig-" + Guid.NewGuid().ToString("N").Substring(0, 12));
        Directory.CreateDirectory(folder);
        try
        {
            string copy = Path.Combine(folder, "script.ps1");
            File.WriteAllBytes(copy, script.GetBytes());
            ScriptBlock query = InvokeCommand.NewScriptBlock(
                "param($p) $s = Get-AuthenticodeSignature -LiteralPath $p; if ($s.SignerCertificate) { '{0}, signer {1} ({2})' -f $s.Status, $s.SignerCertificate.Subject, $s.SignerCertificate.Thumbprint } else { [string]$s.Status }");
            var result = InvokeCommand.InvokeScript(true, query, null, copy);
            return result.Count > 0 ? result[0].ToString() : "Unknown";
        }
        finally
        {
            BestEffort.DeleteTree(folder);
        }
    }
}
