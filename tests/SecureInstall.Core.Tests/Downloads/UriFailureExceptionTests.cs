using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>Issue 19: "an exception about a URI keeps it without its secrets" has one owner, UriFailureException.</summary>
public sealed class UriFailureExceptionTests
{
    private static readonly Uri Secret = new("https://deploy:hunter2@example.test/dl/tool%5Cx.zip?token=abc123&v=1");

    public static IEnumerable<object[]> Failures() => new[]
    {
        new object[] { new SizeLimitExceededException(Secret, 10, 11) },
        new object[] { new SizeMismatchException(Secret, 10, 11) },
        new object[] { new InsecureTransportException(Secret) },
        new object[] { new VerificationRequiredException(Secret) },
        // It kept the URI as given, password and all, before it took the shared base.
        new object[] { new InvalidUriException(Secret, "The URI", "ends in 'tool\\x.zip', which is not one plain file name.") },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void TheUriItHolds_ItsTarget_AndItsMessage_CarryNoSecret(UriFailureException failure)
    {
        foreach (string shown in new[] { failure.Uri.ToString(), failure.Uri.OriginalString, failure.Target?.ToString() ?? "", failure.Message })
        {
            Assert.DoesNotContain("hunter2", shown);
            Assert.DoesNotContain("abc123", shown);
        }
        Assert.Equal("example.test", failure.Uri.Host);
    }
}
