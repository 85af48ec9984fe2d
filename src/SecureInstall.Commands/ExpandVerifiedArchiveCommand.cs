using System.Management.Automation;
using SecureInstall.Core.Archives;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Commands;

/// <summary>Expand-VerifiedArchive: extracts a zip or tar archive with every hostile-archive rule enforced, all or nothing.</summary>
[Cmdlet(VerbsData.Expand, "VerifiedArchive", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(ExtractedEntry))]
[OutputType(typeof(DirectoryInfo))]
public sealed class ExpandVerifiedArchiveCommand : SecureInstallCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralSet = "LiteralPath";
    private const int ProgressActivityId = 0x51C3;

    private ChecksumEntry? _digest;

    /// <summary>The archive; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>The archive, taken exactly as written. Binds PSPath from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath
    {
        get => Path;
        set => Path = value;
    }

    /// <summary>The folder to create with the archive's content.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string DestinationPath { get; set; } = string.Empty;

    /// <summary>The archive's published SHA-256 (hex, optionally "sha256:"); checked before anything is extracted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Replace an existing destination (only once the whole archive has been extracted beside it).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Leading folders dropped from every entry, as tar --strip-components.</summary>
    [Parameter]
    [ValidateRange(0, 64)]
    public int StripComponents { get; set; }

    /// <summary>Only entries matching one of these patterns (after stripping) are written.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[] Include { get; set; } = Array.Empty<string>();

    /// <summary>Output the destination folder instead of the entries written.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long MaxTotalBytes { get; set; } = ArchiveExtractionOptions.DefaultMaxTotalBytes;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxEntryCount { get; set; } = ArchiveExtractionOptions.DefaultMaxEntryCount;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int MaxCompressionRatio { get; set; } = ArchiveExtractionOptions.DefaultMaxCompressionRatio;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int MaxDepth { get; set; } = ArchiveExtractionOptions.DefaultMaxDepth;

    protected override void BeginProcessing()
    {
        if (Sha256.Length == 0) return;
        try
        {
            _digest = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256");
        }
        catch (Core.SecureInstallException ex)
        {
            ThrowTerminatingError(Errors.From(ex, Sha256));
        }
    }

    protected override void ProcessRecord()
    {
        string destination = ResolveOutputPath(DestinationPath);
        foreach (string archive in ResolveFiles(Path, literal: ParameterSetName == LiteralSet))
        {
            if (!ShouldProcess(destination, $"Extract '{archive}' into a new folder{(Force ? ", replacing what is there" : "")}")) continue;
            ArchiveExtractionOptions options = Options();
            ArchiveExtractionResult result;
            using (var progress = new ThrottledProgress(this, ProgressActivityId, $"Extracting {System.IO.Path.GetFileName(archive)}"))
            {
                var report = new InlineProgress<ArchiveExtractionProgress>(p => progress.Update(
                    $"{p.EntriesDone} entries, {p.BytesWritten / (1024 * 1024)} MiB written",
                    p.ArchiveLength == 0 ? -1 : (int)(p.ArchiveBytesRead * 100 / p.ArchiveLength), p.CurrentEntry));
                try
                {
                    result = new SafeArchiveExtractor(options).Extract(archive, destination, report, CancelToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
                {
                    WriteError(Errors.From(ex, archive));
                    continue;
                }
            }
            if (result.Sha256 != null) WriteVerbose($"SHA-256 of '{archive}' is {result.Sha256}, as -Sha256 expects.");
            WriteVerbose($"'{archive}' is {result.Format}: wrote {result.Entries.Count} entries ({result.TotalBytes} bytes) to '{result.DestinationPath}'"
                         + $"{(result.SkippedEntries > 0 ? $", skipped {result.SkippedEntries} (-StripComponents/-Include)" : "")}{(result.ReplacedExisting ? ", replacing the previous content" : "")}.");
            if (PassThru) WriteObject(new DirectoryInfo(result.DestinationPath));
            else WriteObject(result.Entries, enumerateCollection: true);
        }
    }

    private ArchiveExtractionOptions Options()
    {
        var options = new ArchiveExtractionOptions
        {
            MaxTotalBytes = MaxTotalBytes,
            MaxEntryCount = MaxEntryCount,
            MaxCompressionRatio = MaxCompressionRatio,
            MaxDepth = MaxDepth,
            StripComponents = StripComponents,
            Include = Include,
            Overwrite = Force,
            ExpectedDigest = _digest,
        };
        foreach (string loosened in Core.LoosenedLimits.Of(options, name => "-" + name)) WriteVerbose(loosened);
        if (_digest == null) WriteVerbose("No -Sha256: the archive's origin is not verified, only its content made safe to extract.");
        return options;
    }
}
