namespace SecureInstall.Core.Downloads;

/// <summary>
/// Stands in for an exception whose message carried a secret (the HTTP stack names the proxy with its password): the
/// same type name, message and stack trace, redacted by <see cref="UriText.RedactText"/>, so the cause stays inspectable.
/// </summary>
public sealed class RedactedException : Exception
{
    private readonly string? _stackTrace;

    internal RedactedException(Exception original, Exception? inner)
        : base(UriText.RedactText(original.Message), inner)
    {
        OriginalType = original.GetType().FullName ?? original.GetType().Name;
        _stackTrace = original.StackTrace == null ? null : UriText.RedactText(original.StackTrace);
        HResult = original.HResult;
        Source = original.Source;
    }

    /// <summary>The full name of the exception type that was redacted, e.g. System.Net.Http.HttpRequestException.</summary>
    public string OriginalType { get; }

    public override string? StackTrace => _stackTrace;

    public override string ToString()
    {
        string text = $"{OriginalType}: {Message}";
        if (InnerException != null) text += " ---> " + InnerException + Environment.NewLine + "   --- End of inner exception stack trace ---";
        if (_stackTrace != null) text += Environment.NewLine + _stackTrace;
        return text;
    }
}
