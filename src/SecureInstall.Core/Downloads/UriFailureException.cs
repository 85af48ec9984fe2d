namespace SecureInstall.Core.Downloads;

/// <summary>
/// A failure about one URI. The one place the rule "an exception keeps the URI without its secrets" lives: the URI it
/// holds and the target it names are redacted (user:password, secret query values), whatever the derived failure is.
/// </summary>
public abstract class UriFailureException : SecureInstallException
{
    protected UriFailureException(string message, string errorId, FailureKind kind, Uri uri, Exception? innerException = null)
        : base(message, errorId, kind, UriText.Redact(uri ?? throw new ArgumentNullException(nameof(uri))), innerException)
    {
        Uri = UriText.RedactedUri(uri);
    }

    /// <summary>The URI the failure is about, redacted.</summary>
    public Uri Uri { get; }
}
