using System.Management.Automation;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Commands;

/// <summary>Test-Checksum: checks files against a digest or a checksum list, in any dialect publishers use.</summary>
[Cmdlet(VerbsDiagnostic.Test, "Checksum", DefaultParameterSetName = PathHashSet)]
[OutputType(typeof(ChecksumResult))]
[OutputType(typeof(bool))]
public sealed class TestChecksumCommand : SecureInstallCmdlet
{
    private const string PathHashSet = "Path";
    private const string LiteralHashSet = "LiteralPath";
    private const string PathListSet = "PathChecksumFile";
    private const string LiteralListSet = "LiteralPathChecksumFile";
    private const string PathTextSet = "PathChecksums";
    private const string LiteralTextSet = "LiteralPathChecksums";
    private const int ProgressActivityId = 0x51C1;
    private const int FlushAt = 512;
    private static readonly StringComparison PathComparison = System.IO.Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    private readonly List<ChecksumTarget> _pending = new();
    private readonly ChecksumListParser _parser = new();
    private ChecksumVerifier _verifier = new();
    private ChecksumEntry? _singleDigest;
    private ChecksumList? _list;
    private string? _listBase;
    private string? _listPath;
    private bool _verifyWholeList;
    private int _checked;
    private int _failed;

    /// <summary>Files to check; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathHashSet)]
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathListSet)]
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathTextSet)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Files to check, taken exactly as written (no wildcards). Binds PSPath from Get-ChildItem.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralHashSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralListSet)]
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralTextSet)]
    [Alias("PSPath", "LP", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] LiteralPath
    {
        get => Path;
        set => Path = value;
    }

    /// <summary>The expected digest in hex (any case), optionally prefixed "sha256:".</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = PathHashSet)]
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = LiteralHashSet)]
    [Alias("ExpectedHash", "Sha256")]
    [ValidateNotNullOrEmpty]
    public string Hash { get; set; } = string.Empty;

    /// <summary>A checksum list file (SHA256SUMS, checksums.txt, a .sha256 sidecar, …).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathListSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralListSet)]
    [ValidateNotNullOrEmpty]
    public string ChecksumFile { get; set; } = string.Empty;

    /// <summary>The text of a checksum list; names in it are relative to the current location.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathTextSet)]
    [Parameter(Mandatory = true, ParameterSetName = LiteralTextSet)]
    [ValidateNotNullOrEmpty]
    public string Checksums { get; set; } = string.Empty;

    /// <summary>The algorithm; by default taken from the digest length or the list's tags.</summary>
    [Parameter]
    public ChecksumAlgorithm? Algorithm { get => (ChecksumAlgorithm?)_algorithm; set => _algorithm = value; }

    // Boxed, as every SecureInstall.Core value type in a field here must be: PowerShell lays out the cmdlet types while it
    // lists the module's commands, before ModuleInitializer has said where SecureInstall.Core comes from.
    private object? _algorithm;

    /// <summary>Check MD5 or SHA-1 digests, which prove nothing against an attacker.</summary>
    [Parameter]
    public SwitchParameter AllowWeakAlgorithm { get; set; }

    /// <summary>Return one $true or $false for all files instead of result objects and verification errors.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        _verifier = new ChecksumVerifier(new ChecksumVerifierOptions { AllowWeakAlgorithm = AllowWeakAlgorithm });
        try
        {
            // Decided by what is bound, not by ParameterSetName: with pipeline input still to come the set is not settled
            // yet here (`Get-ChildItem | Test-Checksum -ChecksumFile …` once fell into the -Checksums branch).
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Hash)))
            {
                _singleDigest = ChecksumEntry.FromDigest(Hash, Algorithm, "-Hash");
                WriteVerbose($"Expected digest: {_singleDigest.Algorithm} {_singleDigest.Digest} (from -Hash)"
                             + (_singleDigest.Companions.Count > 0 ? $", with {string.Join(", ", _singleDigest.Companions.Select(c => c.Algorithm))} checked alongside." : "."));
            }
            else if (MyInvocation.BoundParameters.ContainsKey(nameof(ChecksumFile)))
            {
                string listPath = ResolveSingleFile(ChecksumFile, nameof(ChecksumFile));
                _listPath = listPath;
                _list = _parser.ParseFile(listPath, CancelToken);
                _listBase = System.IO.Path.GetDirectoryName(listPath);
            }
            else
            {
                _list = _parser.Parse(Checksums, "-Checksums");
                _listBase = CurrentDirectory;
            }
        }
        catch (Exception ex) when (ex is Core.SecureInstallException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(Errors.From(ex, ChecksumFile.Length > 0 ? ChecksumFile : Hash));
        }
        if (_list != null) DescribeList(_list);
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PathListSet && Path.Length == 0)
        {
            _verifyWholeList = true;
            return;
        }
        foreach (string file in ResolveFiles(Path, literal: ParameterSetName is LiteralHashSet or LiteralListSet or LiteralTextSet))
        {
            if (_listPath != null && string.Equals(System.IO.Path.GetFullPath(file), _listPath, PathComparison))
            {
                // `Get-ChildItem .\release | Test-Checksum -ChecksumFile .\release\SHA256SUMS`: no list names itself.
                WriteVerbose($"Skipping '{file}': it is the checksum list itself.");
                continue;
            }
            ChecksumEntry expected;
            try
            {
                expected = _singleDigest ?? _list!.Find(file, _listBase, Algorithm);
            }
            catch (ChecksumNotFoundException ex)
            {
                Fail(Errors.From(ex, file), verification: true);
                continue;
            }
            _pending.Add(new ChecksumTarget(file, expected));
            if (_pending.Count >= FlushAt) Flush();
        }
    }

    protected override void EndProcessing()
    {
        if (_verifyWholeList) QueueWholeList();
        Flush();
        if (Quiet) WriteObject(_failed == 0 && _checked > 0);
    }

    /// <summary>With -ChecksumFile and no files named, every file the list names is checked, as `sha256sum -c` does.</summary>
    private void QueueWholeList()
    {
        WriteVerbose($"No files named: checking every file {_list!.Source} lists, relative to {_listBase}.");
        foreach (ChecksumEntry entry in _list.EntriesToCheck(Algorithm))
        {
            string file;
            try
            {
                file = _list.ResolveListedPath(entry, _listBase!);
            }
            catch (ChecksumListFormatException ex)
            {
                Fail(Errors.From(ex, _list.Source), verification: false);
                continue;
            }
            if (!File.Exists(file))
            {
                Fail(Errors.ListedFileMissing(file, _list.Source, entry.LineNumber), verification: false);
                continue;
            }
            _pending.Add(new ChecksumTarget(file, entry));
        }
    }

    private void Flush()
    {
        if (_pending.Count == 0) return;
        using var progress = new ThrottledProgress(this, ProgressActivityId, "Verifying checksums");
        if (_pending.Count == 1)
        {
            ChecksumTarget target = _pending[0];
            long size = new FileInfo(target.Path).Length;
            try
            {
                var bytes = new InlineProgress<long>(done => progress.Update(
                    $"{target.Path}: {done / (1024 * 1024)} of {size / (1024 * 1024)} MiB", size == 0 ? 100 : (int)(done * 100 / size)));
                Report(_verifier.Verify(target, bytes, CancelToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not PipelineStoppedException)
            {
                Fail(Errors.From(ex, target.Path), verification: ex is Core.SecureInstallException);
            }
        }
        else
        {
            int done = 0, total = _pending.Count;
            foreach (ChecksumOutcome outcome in _verifier.VerifyMany(_pending, CancelToken))
            {
                done++;
                progress.Update($"{done} of {total} files", done * 100 / total, outcome.Target.Path);
                if (outcome.Result != null) Report(outcome.Result);
                else Fail(Errors.From(outcome.Error!, outcome.Target.Path), verification: outcome.Error is Core.SecureInstallException);
            }
        }
        _pending.Clear();
    }

    private void Report(ChecksumResult result)
    {
        _checked++;
        WriteVerbose($"{result.Algorithm} of '{result.Path}' is {result.ActualHash}; {result.Source} expects {result.ExpectedHash}: {(result.IsValid ? "match" : "MISMATCH")}.");
        if (!result.IsValid) Fail(Errors.From(result.ToMismatch(), result.Path), verification: true);
        if (!Quiet) WriteObject(result);
    }

    protected override void WritePathError(ErrorRecord record) => Fail(record, verification: false);

    /// <summary>-Quiet turns verification failures into $false; input errors (missing files, bad paths) are always reported.</summary>
    private void Fail(ErrorRecord record, bool verification)
    {
        _failed++;
        if (!(Quiet && verification)) WriteError(record);
    }

    private void DescribeList(ChecksumList list)
    {
        WriteVerbose($"Read {list.Entries.Count} entries from {list.Source} ({string.Join(", ", list.Entries.Select(e => e.Algorithm).Distinct())}).");
        if (list.IsClearSigned)
            WriteWarning($"{list.Source} is OpenPGP clear-signed; Test-Checksum does not check that signature, so the list is only as trustworthy as where it came from.");
        int firstEntry = list.Entries.Min(e => e.LineNumber);
        foreach (SkippedLine line in list.SkippedLines)
        {
            string message = $"{list.Source}, line {line.LineNumber}: not a checksum entry, skipped: '{line.Text}'";
            if (line.LineNumber < firstEntry) WriteVerbose(message);
            else WriteWarning(message);
        }
    }
}
