using System.Collections.Concurrent;
using System.Net.Http;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>Issue 17 #2 and #7: one redaction for URIs, nested URLs and URLs in free text; results keep no pre-signed URL.</summary>
public sealed class UriRedactionTests
{
    [Theory]
    [InlineData("X-Amz-Signature")]
    [InlineData("X-Amz-Credential")]
    [InlineData("X-Amz-Security-Token")]
    [InlineData("X-Goog-Signature")]
    [InlineData("sig")]
    [InlineData("signature")]
    [InlineData("Signature")]
    [InlineData("token")]
    [InlineData("access_token")]
    [InlineData("code")]
    [InlineData("api_key")]
    [InlineData("client_secret")]
    [InlineData("password")]
    public void SignatureAndTokenParameters_AreHidden(string name)
    {
        string text = UriText.Redact(new Uri($"https://objects.example.com/a.zip?X-Amz-Expires=300&{name}=SECRETVALUE&response-content-type=application%2Foctet-stream"));

        Assert.Equal($"https://objects.example.com/a.zip?X-Amz-Expires=300&{name}=***&response-content-type=application%2Foctet-stream", text);
    }

    [Theory]
    [InlineData("https://h.example/dl?redirect=https%3A%2F%2Fuser%3Asecretpw%40inner.example%2Fx%3FX-Amz-Signature%3Dsecretsig&keep=1")]
    [InlineData("https://h.example/dl?redirect=https%253A%252F%252Fuser%253Asecretpw%2540inner.example%252Fx%253Fsig%253Dsecretsig&keep=1")]
    [InlineData("https://h.example/dl?next=https://user:secretpw@inner.example/x?sig=secretsig&keep=1")]
    [InlineData("https://h.example/dl#access_token=secretsig&next=https%3A%2F%2Fuser%3Asecretpw%40inner.example%2F&keep=1")]
    public void UrlsNestedInQueryValues_AreRedactedToo(string uri)
    {
        string text = UriText.Redact(new Uri(uri));

        Assert.DoesNotContain("secretpw", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secretsig", text, StringComparison.Ordinal);
        Assert.Contains("inner.example", text, StringComparison.Ordinal);
        Assert.Contains("keep=1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UrlsWithoutSecrets_ReadAsBefore()
    {
        // Redact is also the key of the script pin store: a URI with nothing to hide must print exactly as it did.
        foreach (string uri in new[] { "https://example.com/a/b.zip", "https://example.com:8443/x?version=1&os=linux", "http://example.com/", "https://example.com/a%20b?q=a%2Fb#frag" })
            Assert.Equal(new Uri(uri).AbsoluteUri, UriText.Redact(new Uri(uri)));
    }

    [Fact]
    public void UrlsInText_LoseTheirSecrets_AndTheRestOfTheTextStays()
    {
        const string message = "The proxy tunnel request to proxy 'http://user:secretpw@127.0.0.1:3128/' failed with status code '407'. See https://cdn.example/f?X-Amz-Signature=secretsig, or file:///tmp/a%20b.";

        string text = UriText.RedactText(message);

        Assert.Equal("The proxy tunnel request to proxy 'http://127.0.0.1:3128/' failed with status code '407'. See https://cdn.example/f?X-Amz-Signature=***, or file:///tmp/a%20b.", text);
    }

    [Fact]
    public void TextWithoutSecrets_IsReturnedAsIs()
    {
        const string message = "Downloading 'https://example.com/a.zip' failed: HTTP 404 (see file:///tmp/x and C:\\path\\y).";

        Assert.Same(message, UriText.RedactText(message));
    }

    [Fact]
    public void ACauseNamingAProxyPassword_IsKeptRedacted_InsideTheCoresException()
    {
        var cause = new HttpRequestException("The proxy tunnel request to proxy 'http://user:secretpw@proxy.example:3128/' failed.", new IOException("inner via http://u:secretpw@proxy.example/"));

        var ex = new DownloadFailedException(new Uri("https://example.com/a.zip"), null, cause.Message, 1, cause);

        Assert.DoesNotContain("secretpw", ex.ToString(), StringComparison.Ordinal);
        var kept = Assert.IsType<RedactedException>(ex.InnerException);
        Assert.Equal(typeof(HttpRequestException).FullName, kept.OriginalType);
        Assert.Contains("proxy.example:3128", kept.Message, StringComparison.Ordinal);
        Assert.IsType<RedactedException>(kept.InnerException);
    }

    [Fact]
    public async Task APreSignedRedirectTarget_IsRedacted_OnTheResultAndInTheLog()
    {
        string root = Path.Combine(Path.GetTempPath(), "si-redact-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        await using LoopbackServer server = await LoopbackServer.StartAsync();
        byte[] data = RandomNumberGenerator.GetBytes(1024);
        server.Map("signed.bin", c => Serve.File(c, data));
        server.Map("release.bin", Serve.Redirect(new Uri(server.Https("signed.bin") + "?X-Amz-Credential=secretcred&X-Amz-Signature=secretsig&redirect=https%3A%2F%2Fuser%3Asecretpw%40h.example%2F")));
        var log = new ConcurrentQueue<string>();
        try
        {
            using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true, ServerCertificateValidation = server.Trust, Log = log.Enqueue });

            DownloadResult result = await downloader.DownloadAsync(new DownloadRequest(server.Https("release.bin"), Path.Combine(root, "a.bin"))
            {
                Expected = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA256.HashData(data)), ChecksumAlgorithm.SHA256, "-Sha256"),
            });

            string shown = result.FinalUri + " " + string.Join(" ", result.Redirects) + " " + string.Join("\n", log);
            foreach (string secret in new[] { "secretcred", "secretsig", "secretpw" }) Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
            Assert.Equal("/signed.bin", result.FinalUri.AbsolutePath);
            Assert.Contains("X-Amz-Signature=***", result.FinalUri.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void ExceptionProperties_HoldTheRedactedUri_NotThePreSignedOne()
    {
        // $Error[0].Exception.To is as visible as the message, and error records are serialised into CI logs.
        var signed = new Uri("http://cdn.example/a.zip?X-Amz-Signature=s3cr3tsig&X-Amz-Credential=AKIAEXAMPLE");
        var redirect = new InsecureRedirectException(new Uri("https://example.org/a.zip"), signed);
        var failed = new DownloadFailedException(signed, 500, "boom.", 1);
        foreach (string text in new[] { redirect.To.ToString(), redirect.To.OriginalString, failed.Uri.OriginalString, redirect.Message })
        {
            Assert.DoesNotContain("s3cr3tsig", text);
            Assert.DoesNotContain("AKIAEXAMPLE", text);
        }
        Assert.Equal("https://example.org/a.zip", redirect.From.OriginalString);
    }
}
