using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Management.Automation;

namespace SecureInstall.Commands;

/// <summary>
/// Base of every cmdlet that does I/O: owns the cancellation that Ctrl+C (StopProcessing) triggers, resolves
/// paths the way Get-FileHash does (plus the FileSystem check it forgot), and writes throttled progress.
/// </summary>
public abstract class SecureInstallCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    // Lines from worker threads, shown on the pipeline thread in order: verbose, or a warning the user sees without asking.
    private readonly System.Collections.Concurrent.ConcurrentQueue<(bool Warning, string Text)> _verbose = new();

    protected CancellationToken CancelToken => _cancel.Token;

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose()
    {
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Resolves -Path (wildcards, PSDrives, relative paths) or -LiteralPath to file system paths of existing files.
    /// A miss is an error only when the path had no wildcard; a non-FileSystem provider is an error. A folder is skipped
    /// when a wildcard or the pipeline (Get-ChildItem output) brought it, as Get-FileHash does; a folder named as an
    /// argument is PathIsDirectory (it used to be skipped too, so the command said nothing at all).
    /// </summary>
    protected IEnumerable<string> ResolveFiles(IEnumerable<string> paths, bool literal)
    {
        foreach (string path in paths)
        {
            Collection<string> resolved;
            ProviderInfo provider;
            try
            {
                if (literal)
                {
                    resolved = new Collection<string> { SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _) };
                }
                else
                {
                    resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
                }
            }
            catch (ItemNotFoundException ex)
            {
                if (literal || !WildcardPattern.ContainsWildcardCharacters(path)) WritePathError(Errors.PathNotFound(path, ex));
                continue;
            }
            catch (Exception ex) when (ex is System.Management.Automation.DriveNotFoundException or ProviderNotFoundException or NotSupportedException or ArgumentException)
            {
                WritePathError(Errors.From(ex, path));
                continue;
            }

            if (provider.Name != "FileSystem")
            {
                WritePathError(Errors.NotFileSystemPath(path, provider.Name));
                continue;
            }
            foreach (string file in resolved)
            {
                if (Directory.Exists(file))
                {
                    if (MyInvocation.ExpectingInput || (!literal && WildcardPattern.ContainsWildcardCharacters(path)))
                        WriteVerbose($"Skipped '{file}': a folder.");
                    else
                        WritePathError(Errors.From(new Core.IO.PathIsDirectoryException(file), file));
                    continue;
                }
                if (!File.Exists(file))
                {
                    WritePathError(Errors.PathNotFound(file));
                    continue;
                }
                yield return file;
            }
        }
    }

    /// <summary>
    /// A sink for the core's log lines, written as verbose output from the cmdlet's thread by <see cref="Wait"/>. Redacted by
    /// the core's one log redaction, once: a downloader given this log passes its lines through without redacting them again.
    /// </summary>
    protected Action<string> Log => _log ??= SecureInstall.Core.Downloads.UriText.RedactingLog(line => _verbose.Enqueue((false, line)));

    private Action<string>? _log;

    /// <summary>An install's line: a waiver or warning becomes a warning (shown without -Verbose), the rest verbose.</summary>
    protected void Report(SecureInstall.Core.Install.InstallEvent e) => _verbose.Enqueue((e.IsWarning, SecureInstall.Core.Downloads.UriText.RedactText(e.Message)));

    /// <summary>Runs core work to completion on the cmdlet's thread, writing its log lines as they come; returns its result or throws its failure.</summary>
    protected T Wait<T>(System.Threading.Tasks.Task<T> work, Action? onTick = null)
    {
        WaitForCompletion(work, onTick);
        return work.GetAwaiter().GetResult();
    }

    /// <summary>Like <see cref="Wait{T}"/>, but leaves the outcome (result or failure) for the caller to read.</summary>
    protected void WaitForCompletion(System.Threading.Tasks.Task work, Action? onTick = null)
    {
        while (!Finished(work))
        {
            DrainVerbose();
            onTick?.Invoke();
        }
        DrainVerbose();
    }

    protected void DrainVerbose()
    {
        while (_verbose.TryDequeue(out var line))
        {
            if (line.Warning) WriteWarning(line.Text);
            else WriteVerbose(line.Text);
        }
    }

    private static bool Finished(System.Threading.Tasks.Task work)
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

    /// <summary>How <see cref="ResolveFiles"/> reports a path it could not use; a cmdlet that counts failures overrides it.</summary>
    protected virtual void WritePathError(ErrorRecord record) => WriteError(record);

    /// <summary>Resolves one path that must name a single existing file (a checksum list, a key); a miss is terminating.</summary>
    protected string ResolveSingleFile(string path, string parameterName)
    {
        Collection<string> resolved;
        ProviderInfo provider;
        try
        {
            resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out provider);
        }
        catch (ItemNotFoundException ex)
        {
            ThrowTerminatingError(Errors.PathNotFound(path, ex));
            throw; // not reached
        }
        if (provider.Name != "FileSystem") ThrowTerminatingError(Errors.NotFileSystemPath(path, provider.Name));
        if (resolved.Count == 1 && Directory.Exists(resolved[0]))
            ThrowTerminatingError(Errors.From(new Core.IO.PathIsDirectoryException(resolved[0]), path));
        if (resolved.Count != 1 || !File.Exists(resolved[0]))
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-{parameterName} '{path}' must name exactly one existing file."),
                Core.ErrorIds.PathNotFound, ErrorCategory.InvalidArgument, path));
        return resolved[0];
    }

    /// <summary>Where a path to be written resolves to (it need not exist yet); a non-FileSystem provider is terminating.</summary>
    protected string ResolveOutputPath(string path)
    {
        string resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
        if (provider.Name != "FileSystem") ThrowTerminatingError(Errors.NotFileSystemPath(path, provider.Name));
        return resolved;
    }

    /// <summary>How the cmdlets spell the trusted-key parameters in the key spec's messages.</summary>
    internal static Core.Signatures.SignatureKeyNames KeyNames => new("-MinisignPublicKey", "-PgpPublicKey", "-Fingerprint", "-SignatureUri");

    /// <summary>The key spec for the key parameters a cmdlet was given (empty text: not given).</summary>
    protected static Core.Signatures.SignatureKeySpec KeySpec(string minisignPublicKey, string pgpPublicKey, string fingerprint, bool allowExpiredKey) =>
        new(KeyNames)
        {
            MinisignKey = minisignPublicKey.Length > 0 ? minisignPublicKey : null,
            PgpKeyFile = pgpPublicKey.Length > 0 ? pgpPublicKey : null,
            Fingerprint = fingerprint.Length > 0 ? fingerprint : null,
            AllowExpiredKey = allowExpiredKey,
        };

    /// <summary>
    /// The verifier for a key spec (null when it names no key), its paths resolved through PowerShell. Throws the core's
    /// exceptions (SignatureParametersInvalid, PublicKeyInvalid, InvalidFingerprint); an OpenPGP key path that does not
    /// resolve is terminating.
    /// </summary>
    protected Core.Signatures.DetachedSignatureVerifier? CreateSignatureVerifier(Core.Signatures.SignatureKeySpec keys) =>
        keys.CreateVerifier(TryResolveExistingFile, path => ResolveSingleFile(path, "PgpPublicKey"));

    /// <summary>The verifier for the key parameters a cmdlet was given: a minisign key (string or .pub path) or an OpenPGP key file.</summary>
    protected Core.Signatures.DetachedSignatureVerifier CreateSignatureVerifier(string minisignPublicKey, string pgpPublicKey, string fingerprint, bool allowExpiredKey) =>
        CreateSignatureVerifier(KeySpec(minisignPublicKey, pgpPublicKey, fingerprint, allowExpiredKey))
        ?? throw new ArgumentException("A minisign or an OpenPGP key is needed.");

    /// <summary>The file a PowerShell path names when it names exactly one existing file system file; otherwise null, no error.</summary>
    private string? TryResolveExistingFile(string path)
    {
        try
        {
            Collection<string> resolved = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
            return provider.Name == "FileSystem" && resolved.Count == 1 && File.Exists(resolved[0]) ? resolved[0] : null;
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException
                                   or NotSupportedException or ArgumentException or PSInvalidOperationException)
        {
            return null;
        }
    }

    protected string CurrentDirectory => SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary>
    /// Progress written from the cmdlet's thread only, at most a few times a second (Windows PowerShell's web
    /// cmdlets slowed 10-50× from unthrottled progress), and always completed.
    /// </summary>
    protected sealed class ThrottledProgress : IDisposable
    {
        private const long IntervalMs = 200;
        private readonly SecureInstallCmdlet _cmdlet;
        private readonly ProgressRecord _record;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastWrite = -IntervalMs;
        private bool _written;

        public ThrottledProgress(SecureInstallCmdlet cmdlet, int activityId, string activity)
        {
            _cmdlet = cmdlet;
            _record = new ProgressRecord(activityId, activity, "Starting");
        }

        public void Update(string status, int percent, string? currentOperation = null, int secondsRemaining = -1)
        {
            long now = _clock.ElapsedMilliseconds;
            if (now - _lastWrite < IntervalMs) return;
            _lastWrite = now;
            _record.StatusDescription = status;
            _record.PercentComplete = Math.Max(-1, Math.Min(100, percent));
            _record.CurrentOperation = currentOperation;
            _record.SecondsRemaining = secondsRemaining;
            _cmdlet.WriteProgress(_record);
            _written = true;
        }

        public void Dispose()
        {
            if (!_written) return;
            _record.RecordType = ProgressRecordType.Completed;
            _cmdlet.WriteProgress(_record);
        }
    }
}

/// <summary>
/// Calls back on the reporting thread. Progress&lt;T&gt; would post to a thread pool, and only the cmdlet's own
/// thread may call WriteProgress; the core reports on the cmdlet's thread when it runs there.
/// </summary>
internal sealed class InlineProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;

    public InlineProgress(Action<T> report) => _report = report;

    public void Report(T value) => _report(value);
}
