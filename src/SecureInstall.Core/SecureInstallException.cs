namespace SecureInstall.Core;

/// <summary>What kind of failure an exception reports; the cmdlet layer maps it to an ErrorCategory, the CLI to an exit code.</summary>
public enum FailureKind
{
    /// <summary>A verification failed: digest, size, signature, a refused redirect. Never retried, never loosened silently.</summary>
    Security,
    /// <summary>Input that cannot be read: a malformed checksum line, a corrupt archive, a bad manifest.</summary>
    InvalidData,
    /// <summary>An argument the caller gave is not acceptable (malformed hex, unsupported algorithm).</summary>
    InvalidArgument,
    /// <summary>Something named does not exist (a file, a list entry).</summary>
    NotFound,
    /// <summary>The network or a remote resource failed.</summary>
    ResourceUnavailable,
    /// <summary>The operating system refused access.</summary>
    PermissionDenied,
    /// <summary>Reading local data failed.</summary>
    ReadError,
    /// <summary>Writing local data failed.</summary>
    WriteError,
    /// <summary>The operation is not available here (platform, format).</summary>
    NotSupported,
    /// <summary>A configured limit was reached.</summary>
    LimitExceeded,
    /// <summary>Something to be created already exists and replacing it was not asked for.</summary>
    AlreadyExists,
    /// <summary>A server or proxy refused the credentials given, or none were given where they are needed.</summary>
    AuthenticationFailed,
}

/// <summary>
/// Base of every failure the core reports on purpose. It carries a stable <see cref="ErrorId"/>
/// (the cmdlets use it as the ErrorRecord id, the CLI prints it) and the object the failure is about.
/// </summary>
public abstract class SecureInstallException : Exception
{
    protected SecureInstallException(string message, string errorId, FailureKind kind, object? target, Exception? innerException = null)
        // Every message leaves the core through here: URLs in it (and in the causes kept inside) lose their secrets.
        : base(Downloads.UriText.RedactText(message), Downloads.UriText.RedactException(innerException))
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target switch { string text => Downloads.UriText.RedactText(text), Uri uri => Downloads.UriText.RedactedUri(uri), _ => target };
    }

    /// <summary>Stable identifier, e.g. <c>ChecksumMismatch</c>.</summary>
    public string ErrorId { get; }

    public FailureKind Kind { get; }

    /// <summary>The path, URI or entry the failure is about.</summary>
    public object? Target { get; }
}
