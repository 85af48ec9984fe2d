using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace SecureInstall.Core.Checksums;

/// <summary>A file to check and the digest it must have.</summary>
public sealed class ChecksumTarget
{
    public ChecksumTarget(string path, ChecksumEntry expected)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Expected = expected ?? throw new ArgumentNullException(nameof(expected));
    }

    public string Path { get; }
    public ChecksumEntry Expected { get; }
}

/// <summary>The result of one target, or the failure that kept it from being checked (missing file, access denied, weak algorithm).</summary>
public sealed class ChecksumOutcome
{
    internal ChecksumOutcome(ChecksumTarget target, ChecksumResult? result, Exception? error)
    {
        Target = target;
        Result = result;
        Error = error;
    }

    public ChecksumTarget Target { get; }
    public ChecksumResult? Result { get; }
    public Exception? Error { get; }
}

public sealed class ChecksumVerifierOptions
{
    /// <summary>Check MD5 and SHA-1 digests too. Off by default: they prove nothing against an attacker.</summary>
    public bool AllowWeakAlgorithm { get; set; }

    /// <summary>Files hashed at once; hashing is CPU-bound, so one per core.</summary>
    public int MaxDegreeOfParallelism { get; set; } = Environment.ProcessorCount;
}

/// <summary>Checks files against expected digests: one at a time with byte progress, or many in parallel.</summary>
public sealed class ChecksumVerifier
{
    private const int BatchSize = 256;
    private readonly ChecksumVerifierOptions _options;

    public ChecksumVerifier(ChecksumVerifierOptions? options = null) => _options = options ?? new ChecksumVerifierOptions();

    /// <summary>
    /// Hashes one file and compares. A mismatch is a result with <see cref="ChecksumResult.IsValid"/> false, not an exception:
    /// the caller decides how loud to be. I/O failures and a refused weak algorithm throw.
    /// </summary>
    public ChecksumResult Verify(ChecksumTarget target, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (target == null) throw new ArgumentNullException(nameof(target));
        ChecksumEntry expected = target.Expected;
        if (ChecksumAlgorithms.IsWeak(expected.Algorithm) && !_options.AllowWeakAlgorithm)
            throw new WeakAlgorithmException(expected.Algorithm, target.Path);
        string actual = FileHasher.HashFile(target.Path, expected.Algorithm, progress, cancellationToken);
        string source = expected.LineNumber > 0 ? $"{expected.Source}:{expected.LineNumber}" : expected.Source;
        return new ChecksumResult(target.Path, expected.Algorithm, expected.Digest, actual, source);
    }

    /// <summary>
    /// Checks many files on all cores and yields outcomes in input order, a batch at a time, so results stream
    /// out while later files are still being hashed and a failure of one file does not stop the others.
    /// </summary>
    public IEnumerable<ChecksumOutcome> VerifyMany(IEnumerable<ChecksumTarget> targets, CancellationToken cancellationToken = default)
    {
        if (targets == null) throw new ArgumentNullException(nameof(targets));
        var batch = new List<ChecksumTarget>(BatchSize);
        foreach (ChecksumTarget target in targets)
        {
            batch.Add(target);
            if (batch.Count == BatchSize)
            {
                foreach (ChecksumOutcome outcome in RunBatch(batch, cancellationToken)) yield return outcome;
                batch.Clear();
            }
        }
        foreach (ChecksumOutcome outcome in RunBatch(batch, cancellationToken)) yield return outcome;
    }

    private ChecksumOutcome[] RunBatch(List<ChecksumTarget> batch, CancellationToken cancellationToken)
    {
        var outcomes = new ChecksumOutcome[batch.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxDegreeOfParallelism), CancellationToken = cancellationToken };
        Parallel.For(0, batch.Count, parallel, i =>
        {
            try
            {
                outcomes[i] = new ChecksumOutcome(batch[i], Verify(batch[i], null, cancellationToken), null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcomes[i] = new ChecksumOutcome(batch[i], null, ex);
            }
        });
        return outcomes;
    }
}
