using System.Net.Http;

namespace SecureInstall.Core.Downloads;

/// <summary>A failure worth another attempt: the connection broke, timed out or stalled, or the server said "later".</summary>
internal sealed class TransientFailure : Exception
{
    public TransientFailure(string reason, int? statusCode = null, TimeSpan? retryAfter = null, bool stalled = false, Exception? inner = null)
        : base(reason, inner)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        Stalled = stalled;
    }

    public int? StatusCode { get; }
    public TimeSpan? RetryAfter { get; }
    public bool Stalled { get; }

    /// <summary>Whether <paramref name="ex"/> is the network failing (or the stall watch ending a read), not the caller cancelling.</summary>
    public static bool IsNetworkFailure(Exception ex, StallWatch? watch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return false;
        return ex is HttpRequestException or IOException
            || (ex is OperationCanceledException or ObjectDisposedException && watch != null && watch.Stalled);
    }

    /// <summary>The retryable failure for a network exception; its message is redacted (the HTTP stack may name a proxy with its password).</summary>
    public static TransientFailure From(Exception ex, StallWatch? watch, long received) =>
        watch != null && watch.Stalled
            ? new TransientFailure($"no data for {watch.Timeout.TotalSeconds:0.#} s after {received:N0} bytes", stalled: true, inner: ex)
            : new TransientFailure(UriText.RedactText(Innermost(ex).Message), inner: ex);

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException != null) ex = ex.InnerException;
        return ex;
    }
}
