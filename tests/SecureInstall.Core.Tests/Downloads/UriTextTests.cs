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
}
