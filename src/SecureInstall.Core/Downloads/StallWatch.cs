using System.Diagnostics;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// Cancels an attempt when no progress was made for the stall timeout. One timer per attempt instead of a
/// timed token per read: reads are thousands a second, and netstandard2.0 cannot reset a CancellationTokenSource.
/// </summary>
internal sealed class StallWatch : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly Timer? _timer;
    private readonly long _timeoutTicks;
    private long _lastProgress;
    private int _stalled;

    public StallWatch(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Timeout = timeout;
        _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _lastProgress = Stopwatch.GetTimestamp();
        if (timeout > TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            _timeoutTicks = (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            TimeSpan period = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(1000, timeout.TotalMilliseconds / 4)));
            _timer = new Timer(_ => Check(), null, period, period);
        }
    }

    public CancellationToken Token => _source.Token;

    /// <summary>How long without progress counts as a stall.</summary>
    public TimeSpan Timeout { get; }

    public bool Stalled => Volatile.Read(ref _stalled) != 0;

    public void Touch() => Volatile.Write(ref _lastProgress, Stopwatch.GetTimestamp());

    /// <summary>
    /// Runs <paramref name="abort"/> when the attempt is cancelled: a blocking read has no token, and on .NET Framework a
    /// pending read ignores its token, so the response has to be disposed to end them.
    /// </summary>
    public IDisposable OnStall(Action abort) => new Registration(_source.Token.Register(abort));

    private void Check()
    {
        if (Stopwatch.GetTimestamp() - Volatile.Read(ref _lastProgress) <= _timeoutTicks) return;
        if (Interlocked.Exchange(ref _stalled, 1) != 0) return;
        try { _source.Cancel(); } catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }

    private sealed class Registration : IDisposable
    {
        private CancellationTokenRegistration _registration;

        public Registration(CancellationTokenRegistration registration) => _registration = registration;

        public void Dispose() => _registration.Dispose();
    }
}

/// <summary>Average rate since the transfer started, and whether it is time for another progress report.</summary>
internal sealed class RateMeter
{
    private static readonly long Interval = Stopwatch.Frequency / 8;
    private long _startTicks;
    private long _startBytes;
    private long _lastReport;
    private bool _started;

    public void Start(long bytes)
    {
        if (_started) return;
        _started = true;
        _startTicks = Stopwatch.GetTimestamp();
        _startBytes = bytes;
    }

    public bool Due()
    {
        long now = Stopwatch.GetTimestamp();
        if (now - _lastReport < Interval) return false;
        _lastReport = now;
        return true;
    }

    public double BytesPerSecond(long bytes)
    {
        double seconds = (double)(Stopwatch.GetTimestamp() - _startTicks) / Stopwatch.Frequency;
        return seconds <= 0 ? 0 : (bytes - _startBytes) / seconds;
    }
}

/// <summary>Calls back on the reporting thread (unlike Progress&lt;T&gt;, which posts and may reorder).</summary>
internal sealed class CallbackProgress<T> : IProgress<T>
{
    private readonly Action<T> _callback;

    public CallbackProgress(Action<T> callback) => _callback = callback;

    public void Report(T value) => _callback(value);
}
