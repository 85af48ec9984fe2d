using System.Management.Automation;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Commands;

/// <summary>New-ChecksumFile: writes the checksum list a publisher uploads beside a release.</summary>
[Cmdlet(VerbsCommon.New, "ChecksumFile", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewChecksumFileCommand : SecureInstallCmdlet
{
    private const string PathSet = "Path";
    private const string LiteralPathSet = "LiteralPath";

    private readonly List<string> _files = new();

    /// <summary>Files to list; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Files to list, taken exactly as written.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath
    {
        get => Path;
        set => Path = value;
    }

    /// <summary>The list to write. Files below its folder are listed by relative path, others by name.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string OutFile { get; set; } = string.Empty;

    [Parameter]
    public ChecksumAlgorithm Algorithm { get => (ChecksumAlgorithm)_algorithm; set => _algorithm = value; }

    /// <summary>Gnu: "hex  name" (sha256sum, GoReleaser). Bsd: "SHA256 (name) = hex".</summary>
    [Parameter]
    public ChecksumListFormat Format { get => (ChecksumListFormat)_format; set => _format = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be: PowerShell lays out the cmdlet types while it
    // lists the module's commands, before ModuleInitializer has said where SecureInstall.Core comes from.
    private object _algorithm = ChecksumAlgorithm.SHA256;
    private object _format = ChecksumListFormat.Gnu;

    /// <summary>Replace an existing list.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Allow an MD5 or SHA-1 list (for legacy consumers only).</summary>
    [Parameter]
    public SwitchParameter AllowWeakAlgorithm { get; set; }

    private string _outFile = string.Empty;

    protected override void BeginProcessing() => _outFile = ResolveOutputPath(OutFile);

    protected override void ProcessRecord()
    {
        foreach (string file in ResolveFiles(Path, literal: ParameterSetName == LiteralPathSet))
        {
            // A wildcard over the release folder also matches the list being replaced.
            if (!string.Equals(System.IO.Path.GetFullPath(file), _outFile, StringComparison.Ordinal)) _files.Add(file);
        }
    }

    protected override void EndProcessing()
    {
        if (_files.Count == 0) ThrowTerminatingError(Errors.NoInputFiles("list"));
        if (File.Exists(_outFile) && !Force) ThrowTerminatingError(Errors.OutFileExists(_outFile));
        string listDir = System.IO.Path.GetDirectoryName(_outFile)!;
        List<ChecksumListItem> items = _files.Distinct(StringComparer.Ordinal)
            .Select(f => new ChecksumListItem(f, ChecksumListWriter.NameFor(f, listDir))).ToList();
        if (!ShouldProcess(_outFile, $"Write {Algorithm} checksums of {items.Count} file(s)")) return;

        string text;
        try
        {
            WriteVerbose($"Hashing {items.Count} file(s) with {Algorithm}.");
            text = new ChecksumListWriter(new ChecksumVerifierOptions { AllowWeakAlgorithm = AllowWeakAlgorithm })
                .Write(items, Algorithm, Format, CancelToken);
            ChecksumListWriter.Save(text, _outFile);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(Errors.DuplicateListName(ex, _outFile));
            return;
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, _outFile));
            return;
        }
        WriteVerbose($"Wrote {items.Count} entries to {_outFile} (UTF-8, LF, sorted by name).");
        WriteObject(new FileInfo(_outFile));
    }
}
