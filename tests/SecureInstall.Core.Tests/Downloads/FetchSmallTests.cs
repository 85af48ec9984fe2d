using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>
/// <see cref="VerifiedDownloader.FetchSmallAsync"/>: the one capped fetch of a small document (a checksum list, a
/// signature, a bundle) that the expected-digest resolver uses and that callers fetching a bundle can use (issue 19).
/// </summary>
public sealed class FetchSmallTests : IAsyncLifetime
{
    private const string Token = "ghp_smallfetchsecret";
    private readonly byte[] _document = RandomNumberGenerator.GetBytes(10_000);
    private readonly ConcurrentQueue<string> _log = new();
    private LoopbackServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.Map("bundle.json", c => Serve.File(c, _document));
        _server.Map("chunked.json", async c =>
        {
            for (int i = 0; i < 10; i++) await c.Response.Body.WriteAsync(_document.AsMemory(0, 5_000));
        });
        _server.Map("page.json", c => Serve.File(c, "<html><body>login</body></html>"u8.ToArray(), contentType: "text/html"));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private VerifiedDownloader Downloader(bool allowInsecure = false) => new(new VerifiedDownloaderOptions
    {
        NoCache = true,
        ServerCertificateValidation = _server.Trust,
        AllowInsecureTransport = allowInsecure,
        MaximumRetries = 0,
        Log = _log.Enqueue,
    });

    [Fact]
    public async Task SmallDocument_IsReturnedWhole_AndNamedInTheLog()
    {
        using VerifiedDownloader downloader = Downloader();

        byte[] bytes = await downloader.FetchSmallAsync(_server.Https("bundle.json"), 64 * 1024, "Sigstore bundle");

        Assert.Equal(_document, bytes);
        Assert.Contains(_log, l => l.StartsWith("Fetching the Sigstore bundle https://", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnnouncedLengthAboveTheCap_FailsWithSizeLimitExceeded()
    {
        using VerifiedDownloader downloader = Downloader();

        SizeLimitExceededException ex = await Assert.ThrowsAsync<SizeLimitExceededException>(() => downloader.FetchSmallAsync(_server.Https("bundle.json"), 4_096));

        Assert.Equal(4_096, ex.Limit);
        Assert.Equal(_document.Length, ex.Seen);
    }

    [Fact]
    public async Task UnannouncedBodyAboveTheCap_IsStoppedWhileStreaming()
    {
        using VerifiedDownloader downloader = Downloader();

        SizeLimitExceededException ex = await Assert.ThrowsAsync<SizeLimitExceededException>(() => downloader.FetchSmallAsync(_server.Https("chunked.json"), 20_000));

        Assert.True(ex.Seen > 20_000);
        Assert.True(ex.Seen <= 50_000);
    }

    [Fact]
    public async Task HtmlPage_FailsWithUnexpectedHtml()
    {
        using VerifiedDownloader downloader = Downloader();

        await Assert.ThrowsAsync<UnexpectedHtmlException>(() => downloader.FetchSmallAsync(_server.Https("page.json"), 64 * 1024));
    }

    [Fact]
    public async Task HttpUri_WithoutAllowInsecureTransport_FailsWithInsecureTransport_AndSendsNothing()
    {
        using VerifiedDownloader downloader = Downloader();

        await Assert.ThrowsAsync<InsecureTransportException>(() => downloader.FetchSmallAsync(_server.Http("bundle.json"), 64 * 1024));

        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Token_IsSentToTheDocumentsOrigin_AndNotAfterARedirectElsewhere()
    {
        _server.Map("moved.json", Serve.Redirect(_server.HttpsLocalhost("bundle.json")));
        using VerifiedDownloader downloader = Downloader();

        Assert.Equal(_document, await downloader.FetchSmallAsync(_server.Https("bundle.json"), 64 * 1024, token: Token));
        Assert.Equal(_document, await downloader.FetchSmallAsync(_server.Https("moved.json"), 64 * 1024, token: Token));

        IReadOnlyList<SeenRequest> direct = _server.RequestsTo("bundle.json");
        Assert.Equal(2, direct.Count);
        Assert.Equal("Bearer " + Token, direct[0].Authorization);
        Assert.Null(direct[1].Authorization);
        Assert.DoesNotContain(_log, l => l.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ZeroCap_IsRefusedBeforeAnyRequest()
    {
        using VerifiedDownloader downloader = Downloader();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => downloader.FetchSmallAsync(_server.Https("bundle.json"), 0));

        Assert.Empty(_server.Requests);
    }
}
