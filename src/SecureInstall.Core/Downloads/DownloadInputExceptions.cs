namespace SecureInstall.Core.Downloads;

/// <summary>A URI to fetch is not absolute ("tool.zip", "/dl/tool.zip"): there is no host or scheme to fetch it from.</summary>
public sealed class InvalidUriException : UriFailureException
{
    public InvalidUriException(Uri uri, string what)
        : base($"{what} '{UriText.Redact(uri)}' is not absolute: it names no scheme or host to fetch from. Give the full address (https://host/path), or file:///full/path for a local file.",
               ErrorIds.InvalidUri, FailureKind.InvalidArgument, uri)
    {
    }

    /// <summary>The URI is absolute but cannot serve as asked (its last part names no plain file name for a folder destination).</summary>
    public InvalidUriException(Uri uri, string what, string reason)
        : base($"{what} '{UriText.Redact(uri)}' {reason}", ErrorIds.InvalidUri, FailureKind.InvalidArgument, uri)
    {
    }
}

/// <summary>The verified file could not be placed where it was asked to go; found before anything is fetched.</summary>
public sealed class DestinationNotFoundException : SecureInstallException
{
    public DestinationNotFoundException(string destination, string reason)
        : base($"The destination '{destination}' {reason} Nothing was downloaded.", ErrorIds.PathNotFound, FailureKind.NotFound, destination)
    {
        Destination = destination;
    }

    public string Destination { get; }
}
