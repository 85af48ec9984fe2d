using System.Diagnostics;

namespace SecureInstall.Core.Downloads;

/// <summary>What became of one request of a batch: a result, or the exception that stopped it.</summary>
public sealed class DownloadOutcome
{
    internal DownloadOutcome(DownloadRequest request, DownloadResult? result, Exception? error)
    {
        Request = request;
        Result = result;
        Error = error;
    }

    public DownloadRequest Request { get; }
    public DownloadResult? Result { get; }
    public Exception? Error { get; }
}

/// <summary>All transfers of a batch together: one progress bar for many downloads.</summary>
public sealed class BatchProgress
{
    public BatchProgress(int count, int completed, long bytesReceived, long? totalBytes, double bytesPerSecond)
    {
        Count = count;
        Completed = completed;
        BytesReceived = bytesReceived;
        TotalBytes = totalBytes;
        BytesPerSecond = bytesPerSecond;
    }

    public int Count { get; }
    public int Completed { get; }
    public long BytesReceived { get; }

    /// <summary>The sum of the sizes announced so far; null until every transfer has started and announced one.</summary>
    public long? TotalBytes { get; }
    public double BytesPerSecond { get; }

    public TimeSpan? Remaining => DownloadProgress.RemainingOf(TotalBytes, BytesReceived, BytesPerSecond);
}

/// <summary>Sums the progress of concurrent transfers and reports it at most a few times a second.</summary>
internal sealed class BatchTracker
{
    private static readonly long Interval = Stopwatch.Frequency / 8;
    private readonly object _gate = new();
    private readonly long[] _received;
    private readonly long?[] _totals;
    private readonly IProgress<BatchProgress>? _progress;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastReport;
    private int _completed;

    public BatchTracker(int count, IProgress<BatchProgress>? progress)
    {
        _received = new long[count];
        _totals = new long?[count];
        _progress = progress;
    }

    public void Update(int index, DownloadProgress progress)
    {
        lock (_gate)
        {
            _received[index] = progress.BytesReceived;
            _totals[index] = progress.TotalBytes;
            ReportIfDue(force: false);
        }
    }

    public void Complete(int index)
    {
        lock (_gate)
        {
            _completed++;
            if (_totals[index] == null) _totals[index] = _received[index];
            ReportIfDue(force: false);
        }
    }

    public void Flush()
    {
        lock (_gate) ReportIfDue(force: true);
    }

    private void ReportIfDue(bool force)
    {
        if (_progress == null) return;
        long now = Stopwatch.GetTimestamp();
        if (!force && now - _lastReport < Interval) return;
        _lastReport = now;
        long received = 0, total = 0;
        bool allKnown = true;
        for (int i = 0; i < _received.Length; i++)
        {
            received += _received[i];
            if (_totals[i] is long t) total += t;
            else allKnown = false;
        }
        double seconds = (double)(now - _start) / Stopwatch.Frequency;
        _progress.Report(new BatchProgress(_received.Length, _completed, received, allKnown ? total : null, seconds > 0 ? received / seconds : 0));
    }
}
