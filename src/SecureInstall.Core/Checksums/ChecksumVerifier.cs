namespace SecureInstall.Core.Checksums;

/// <summary>A file to check and the digest it must have.</summary>
public sealed class ChecksumTarget
{
    public ChecksumTarget(string path, ChecksumEntry expected)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Expected = expected ?? throw new ArgumentNullException(nameof(expected));
    }

    /// <summary>A listed file, opened through <paramref name="folder"/> by <paramref name="nameInFolder"/>: only <see cref="ChecksumList.ListedTarget"/> makes one, after checking the name stays inside.</summary>
    internal ChecksumTarget(string path, ChecksumEntry expected, IO.OpenedFolder folder, string nameInFolder)
        : this(path, expected)
    {
        Folder = folder;
        NameInFolder = nameInFolder;
    }

    public string Path { get; }
    public ChecksumEntry Expected { get; }

    /// <summary>The folder the file is opened through, or null: opened by <see cref="Path"/>.</summary>
    internal IO.OpenedFolder? Folder { get; }

    /// <summary>The file's name inside <see cref="Folder"/> ('/'-separated), when there is one.</summary>
    internal string? NameInFolder { get; }
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
    private readonly ChecksumVerifierOptions _options;

    public ChecksumVerifier(ChecksumVerifierOptions? options = null) => _options = options ?? new ChecksumVerifierOptions();

    /// <summary>
    /// Hashes one file and compares. A mismatch is a result with <see cref="ChecksumResult.IsValid"/> false, not an exception:
    /// the caller decides how loud to be. I/O failures and a refused weak algorithm throw.
    /// </summary>
    public ChecksumResult Verify(ChecksumTarget target, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Verify(target, progress, alone: false, cancellationToken);

    /// <param name="alone">The only file this run checks (see <see cref="FileHasher.SmallFileBytes"/>).</param>
    /// <param name="scratch">The calling worker's reused buffer and hash objects, or null.</param>
    private ChecksumResult Verify(ChecksumTarget target, IProgress<long>? progress, bool alone, CancellationToken cancellationToken, FileHasher.HashScratch? scratch = null)
    {
        if (target == null) throw new ArgumentNullException(nameof(target));
        ChecksumEntry expected = target.Expected;
        if (ChecksumAlgorithms.IsWeak(expected.Algorithm) && !_options.AllowWeakAlgorithm)
            throw new WeakAlgorithmException(expected.Algorithm, target.Path);
        string source = SourceOf(expected);
        if (expected.Companions.Count == 0 && expected.Size == null)
        {
            string actual = FileHasher.HashFile(target.Path, new[] { expected.Algorithm }, progress, alone, cancellationToken, scratch, target.Folder, target.NameInFolder).Digests[0];
            return new ChecksumResult(target.Path, expected.Algorithm, expected.Digest, actual, source);
        }
        // Every digest the source gave for the file is computed in the same read: two that disagree are a mismatch.
        var algorithms = new List<ChecksumAlgorithm> { expected.Algorithm };
        algorithms.AddRange(expected.Companions.Select(c => c.Algorithm));
        (string[] digests, long length) = FileHasher.HashFile(target.Path, algorithms, progress, alone, cancellationToken, scratch, target.Folder, target.NameInFolder);
        var companions = expected.Companions.Select((c, i) => new ChecksumResult(target.Path, c.Algorithm, c.Digest, digests[i + 1], SourceOf(c))).ToList();
        return new ChecksumResult(target.Path, expected.Algorithm, expected.Digest, digests[0], source, expected.Size, length, companions);
    }

    private static string SourceOf(ChecksumEntry entry) => entry.LineNumber > 0 ? $"{entry.Source}:{entry.LineNumber}" : entry.Source;

    /// <summary>
    /// Checks many files on all cores and yields outcomes in input order as soon as each is ready, so results stream
    /// out while later files are still being hashed and a failure of one file does not stop the others. The workers
    /// live for the whole run and never wait for each other: a batch-and-barrier scheme lets a core fall idle at every
    /// barrier, and waking it again costs more than hashing a small file (half the cores' time on 10,000 files of 4 KiB
    /// in a VM). At most <see cref="Window"/> outcomes wait for the caller; an enumeration error of
    /// <paramref name="targets"/> is thrown after the outcomes of the targets before it.
    /// </summary>
    public IEnumerable<ChecksumOutcome> VerifyMany(IEnumerable<ChecksumTarget> targets, CancellationToken cancellationToken = default)
    {
        if (targets == null) throw new ArgumentNullException(nameof(targets));
        return Run(targets, cancellationToken);
    }

    /// <summary>How many finished outcomes may wait for the caller before the workers pause.</summary>
    internal const int Window = 4096;

    private IEnumerable<ChecksumOutcome> Run(IEnumerable<ChecksumTarget> targets, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int workers = Math.Max(1, _options.MaxDegreeOfParallelism);
        // One file (a CLI checking one download): no worker threads to start, for a run that is mostly start-up.
        bool alone = targets is ICollection<ChecksumTarget> { Count: <= 1 };
        if (workers == 1 || alone)
        {
            foreach (ChecksumTarget target in targets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return VerifyOutcome(target, alone, cancellationToken);
            }
            yield break;
        }

        using var pipeline = new OrderedPipeline(this, targets, workers, cancellationToken);
        while (pipeline.TryTake(out ChecksumOutcome? outcome)) yield return outcome!;
    }

    private ChecksumOutcome VerifyOutcome(ChecksumTarget target, bool alone, CancellationToken cancellationToken, FileHasher.HashScratch? scratch = null)
    {
        try
        {
            return new ChecksumOutcome(target, Verify(target, null, alone, cancellationToken, scratch), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new ChecksumOutcome(target, null, ex);
        }
    }

    /// <summary>
    /// Workers take targets from the shared enumerator in order, a few at a time (one lock for <see cref="Batch"/>
    /// targets), verify them and put each outcome in its slot of a ring; the caller takes the slots in order. No
    /// semaphore per target: a worker only waits when <see cref="Window"/> outcomes are waiting for the caller, so the
    /// hand-off of 10,000 small files costs no futex calls beyond the caller's polling.
    /// </summary>
    private sealed class OrderedPipeline : IDisposable
    {
        /// <summary>Targets a worker takes under one lock: enough to make the lock rare, few enough that the caller's next outcome is never far behind.</summary>
        private const int Batch = 16;

        private readonly ChecksumVerifier _verifier;
        private readonly IEnumerator<ChecksumTarget> _source;
        private readonly CancellationToken _cancellationToken;
        private readonly ChecksumOutcome?[] _ring = new ChecksumOutcome?[Window];
        private readonly CancellationTokenSource _stop;
        private readonly Task[] _workers;
        private readonly object _gate = new();
        private long _taken;           // targets handed to workers (under _source's lock)
        private long _yielded;         // outcomes given to the caller
        private bool _sourceDone;      // the enumerator ended or threw; _taken is final
        private Exception? _failure;   // the enumerator threw (after _taken targets) or a worker was cancelled

        public OrderedPipeline(ChecksumVerifier verifier, IEnumerable<ChecksumTarget> targets, int workers, CancellationToken cancellationToken)
        {
            _verifier = verifier;
            _source = targets.GetEnumerator();
            _cancellationToken = cancellationToken;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _workers = new Task[workers];
            for (int i = 0; i < workers; i++) _workers[i] = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        private void Work()
        {
            var batch = new ChecksumTarget[Batch];
            using var scratch = new FileHasher.HashScratch();
            try
            {
                while (true)
                {
                    long first = 0;
                    int count = 0;
                    while (count == 0)
                    {
                        _stop.Token.ThrowIfCancellationRequested();
                        lock (_source)
                        {
                            if (_sourceDone || _stop.IsCancellationRequested) return;
                            // Room in the ring: slots the caller has not taken yet are never overwritten.
                            long room = Window - (_taken - Interlocked.Read(ref _yielded));
                            first = _taken;
                            bool ended = false;
                            Exception? error = null;
                            while (count < Math.Min(Batch, room))
                            {
                                try
                                {
                                    if (!_source.MoveNext()) { ended = true; break; }
                                    batch[count] = _source.Current ?? throw new ArgumentException("a target is null.", "targets");
                                }
                                catch (Exception ex)
                                {
                                    (ended, error) = (true, ex);
                                    break;
                                }
                                count++;
                            }
                            // _taken is final before the end is announced: the caller stops when it has yielded _taken outcomes.
                            Interlocked.Add(ref _taken, count);
                            if (ended) Finish(error);
                        }
                        if (count == 0)
                        {
                            if (Volatile.Read(ref _sourceDone)) return;
                            Thread.Sleep(1);   // the ring is full: the caller is behind
                        }
                    }
                    for (int i = 0; i < count; i++)
                    {
                        ChecksumOutcome outcome = _verifier.VerifyOutcome(batch[i], alone: false, _stop.Token, scratch);
                        batch[i] = null!;
                        // No wake-up call per outcome: waking the caller for each small file costs a core more than the
                        // hashing. It polls every millisecond instead and then takes every outcome that is ready.
                        Volatile.Write(ref _ring[(first + i) % Window], outcome);
                    }
                }
            }
            catch (OperationCanceledException ex)
            {
                lock (_gate)
                {
                    _failure ??= ex;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        // Called under _source's lock.
        private void Finish(Exception? error)
        {
            lock (_gate)
            {
                Volatile.Write(ref _sourceDone, true);
                if (error != null) _failure ??= error;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>The next outcome in input order; false after the last. Only the caller's thread calls this.</summary>
        public bool TryTake(out ChecksumOutcome? outcome)
        {
            int slot = (int)(_yielded % Window);
            while ((outcome = Volatile.Read(ref _ring[slot])) == null)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                lock (_gate)
                {
                    if (Volatile.Read(ref _ring[slot]) != null) continue;
                    if (_failure is OperationCanceledException) throw _failure;
                    if (_sourceDone && _yielded == Interlocked.Read(ref _taken))
                    {
                        if (_failure != null) throw _failure;
                        return false;
                    }
                    Monitor.Wait(_gate, 1);
                }
            }
            _ring[slot] = null;
            Interlocked.Increment(ref _yielded);
            return true;
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { Task.WaitAll(_workers); } catch (AggregateException) { }
            lock (_source) _source.Dispose();
            _stop.Dispose();
        }
    }
}
