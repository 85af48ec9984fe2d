using SecureInstall.Core;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Cli;

/// <summary>The documented exit codes, and how a failure maps to one.</summary>
public static class ExitCodes
{
    public const int Verified = 0;
    public const int VerificationFailed = 1;
    public const int UsageError = 2;

    /// <summary>Prints the failure as "secureinstall: ErrorId: message" on stderr and returns its exit code.</summary>
    public static int Report(Exception exception)
    {
        (string id, FailureKind? kind) = ErrorIds.Classify(exception);
        // The one redaction again: a failure from outside the core (the HTTP stack) may name a URL with its credentials.
        Console.Error.WriteLine($"secureinstall: {id}: {UriText.RedactText(exception.Message)}");
        return kind == FailureKind.Security ? VerificationFailed : UsageError;
    }
}
