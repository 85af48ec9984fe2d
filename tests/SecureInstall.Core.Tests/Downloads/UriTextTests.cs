using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

public sealed class UriTextTests
{
    [Fact]
    public void Redact_HidesUserInfoAndSignedQueryValues_AndKeepsTheRest()
    {
        string text = UriText.Redact(new Uri("https://user:pw@objects.example.com/a/b.zip?X-Amz-Signature=abc&X-Amz-Expires=300&token=xyz"));

        Assert.Equal("https://objects.example.com/a/b.zip?X-Amz-Signature=***&X-Amz-Expires=300&token=***", text);
    }

    [Fact]
    public void RedactingLog_RedactsEveryLine_BeforeTheLogSeesIt()
    {
        var lines = new List<string>();
        Action<string> log = UriText.RedactingLog(lines.Add);

        log("Redirect 302 to https://objects.example.com/a.zip?X-Amz-Signature=abc.");

        Assert.Equal(new[] { "Redirect 302 to https://objects.example.com/a.zip?X-Amz-Signature=***." }, lines);
        Assert.True(UriText.IsRedactingLog(log));
        Assert.False(UriText.IsRedactingLog(lines.Add));
    }

    [Fact]
    public void RedactingLog_OfARedactingLog_IsTheSameLog_SoALineIsRedactedOnce()
    {
        Action<string> once = UriText.RedactingLog(_ => { });

        Assert.Same(once, UriText.RedactingLog(once));
    }
}
