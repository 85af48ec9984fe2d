using System.Management.Automation;
using SecureInstall.Core;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Commands;

/// <summary>
/// Every ErrorRecord the module writes is built here: a stable ErrorId (from <see cref="ErrorIds"/>), the category
/// that matches the failure, the offending path or URI as target, and the real exception inside.
/// </summary>
internal static class Errors
{
    /// <summary>Maps any exception from the core (or the file system) to its record: the id and kind from <see cref="ErrorIds.Classify"/>.</summary>
    public static ErrorRecord From(Exception exception, object? target)
    {
        // A failure from outside the core (the HTTP stack, the file system) may name a URL with its credentials: the
        // record holds a redacted copy (the core's own exceptions are redacted when they are made).
        Exception shown = exception is SecureInstallException ? exception : UriText.RedactException(exception)!;
        if (target is string text) target = UriText.RedactText(text);
        (string id, FailureKind? kind) = ErrorIds.Classify(exception);
        return exception is SecureInstallException known
            ? new ErrorRecord(known, id, Category(kind), known.Target ?? target)
            : new ErrorRecord(shown, id, Category(kind), target);
    }

    public static ErrorCategory Category(FailureKind? kind) => kind switch
    {
        FailureKind.Security => ErrorCategory.SecurityError,
        FailureKind.InvalidData => ErrorCategory.InvalidData,
        FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
        FailureKind.NotFound => ErrorCategory.ObjectNotFound,
        FailureKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
        FailureKind.ReadError => ErrorCategory.ReadError,
        FailureKind.WriteError => ErrorCategory.WriteError,
        FailureKind.NotSupported => ErrorCategory.NotImplemented,
        FailureKind.LimitExceeded => ErrorCategory.LimitsExceeded,
        FailureKind.AlreadyExists => ErrorCategory.ResourceExists,
        FailureKind.AuthenticationFailed => ErrorCategory.AuthenticationError,
        _ => ErrorCategory.NotSpecified,
    };

    public static ErrorRecord PathNotFound(string path, Exception? inner = null) =>
        new(new ItemNotFoundException($"Cannot find path '{path}' because it does not exist.", inner),
            ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, path);

    public static ErrorRecord ListedFileMissing(string path, string listSource, int line) =>
        new(new ItemNotFoundException($"'{path}' is listed in {listSource} (line {line}) but does not exist. A missing file is not verified."),
            ErrorIds.PathNotFound, ErrorCategory.ObjectNotFound, path);

    public static ErrorRecord NotFileSystemPath(string path, string providerName) =>
        new(new ArgumentException($"'{path}' is a {providerName} path. Only file system paths can be checked."),
            ErrorIds.NotFileSystemPath, ErrorCategory.InvalidArgument, path);

    public static ErrorRecord OutFileExists(string path) =>
        new(new IOException($"'{path}' already exists. Use -Force to replace it."),
            ErrorIds.OutFileExists, ErrorCategory.ResourceExists, path);

    public static ErrorRecord NoInputFiles(string what) =>
        new(new ArgumentException($"No files to {what}: the paths given matched no file."),
            ErrorIds.NoInputFiles, ErrorCategory.InvalidArgument, null);

    public static ErrorRecord ReasonRequired(string target) =>
        new(new ArgumentException("-Force needs a -Reason: it is written into the manifest beside the new digest."),
            ErrorIds.ReasonRequired, ErrorCategory.InvalidArgument, target);

    public static ErrorRecord DuplicateListName(ArgumentException exception, string outFile) =>
        new(exception, ErrorIds.DuplicateListName, ErrorCategory.InvalidArgument, outFile);

    /// <summary>No signer pinned: a parameter mistake, with the id Get-VerifiedArtifact and the CLI give for -TrustedRoot without a pin.</summary>
    public static ErrorRecord SignerPinRequired() =>
        new(new ArgumentException("Authenticode needs a pin: give -SignerThumbprint or -SignerSubject. \"Signed by anyone Windows trusts\" is not a pin."),
            ErrorIds.SignatureParametersInvalid, ErrorCategory.InvalidArgument, null);

    /// <summary>The token's value is never shown: it may be a secret.</summary>
    public static ErrorRecord TokenInvalid(object token) =>
        new(new ArgumentException($"-Token takes a string or a SecureString; it was given a {token.GetType().FullName} (its value is not shown). Pass the token text, e.g. -Token $env:GITHUB_TOKEN, or (Read-Host -AsSecureString)."),
            ErrorIds.TokenInvalid, ErrorCategory.InvalidArgument, null);

    public static ErrorRecord SignatureParametersInvalid(string message) => From(new Core.Signatures.SignatureParametersException(message), null);

    public static ErrorRecord ProxyCredentialWithoutProxy() =>
        new(new ArgumentException("-ProxyCredential needs -Proxy."), ErrorIds.ProxyCredentialWithoutProxy, ErrorCategory.InvalidArgument, null);
}
