using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

public sealed class VerifiedDownloaderTests : IAsyncLifetime
{
    private const string Token = "ghp_supersecrettokenvalue";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-dl-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(2_500_000);
    private readonly ConcurrentQueue<TimeSpan> _delays = new();
    private readonly ConcurrentQueue<string> _log = new();
    private LoopbackServer _server = null!;

    private string OutDir => Path.Combine(_root, "out");
    private string CacheDir => Path.Combine(_root, "cache");
    private string Destination => Path.Combine(OutDir, "artifact.bin");
    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_data));

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(OutDir);
        _server = await LoopbackServer.StartAsync();
        _server.Map("artifact.bin", c => Serve.File(c, _data));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private VerifiedDownloaderOptions Options(bool cache = false) => new()
    {
        NoCache = !cache,
        CacheDirectory = CacheDir,
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
        MaximumRetries = 3,
        StallTimeout = TimeSpan.FromSeconds(5),
        ServerCertificateValidation = _server.Trust,
        Delay = (delay, _) =>
        {
            _delays.Enqueue(delay);
            return Task.CompletedTask;
        },
        Log = _log.Enqueue,
    };

    private DownloadRequest Pinned(params Uri[] uris) => new(uris, Destination)
    {
        Expected = ChecksumEntry.FromDigest(Sha256, ChecksumAlgorithm.SHA256, "-Sha256"),
    };

    private async Task<T> FailsWith<T>(DownloadRequest request, VerifiedDownloaderOptions? options = null, string? errorId = null) where T : SecureInstallException
    {
        using var downloader = new VerifiedDownloader(options ?? Options());
        T ex = await Assert.ThrowsAsync<T>(() => downloader.DownloadAsync(request));
        if (errorId != null) Assert.Equal(errorId, ex.ErrorId);
        return ex;
    }

    /// <summary>Nothing at the destination, no temporary file beside it, nothing half-written in the cache.</summary>
    private void AssertNothingLeft()
    {
        Assert.Empty(Directory.GetFileSystemEntries(OutDir));
        if (Directory.Exists(CacheDir))
            Assert.Empty(Directory.GetFiles(CacheDir, "*.partial", SearchOption.AllDirectories));
    }

    private void AssertPlaced(DownloadResult result)
    {
        Assert.Equal(Destination, result.Path);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.Equal(Sha256, result.Sha256);
        Assert.Equal(_data.Length, result.Size);
        Assert.Single(Directory.GetFileSystemEntries(OutDir));
    }

    [Fact]
    public async Task PinnedSha256_PlacesVerifiedFile_AndReportsWhereItCameFrom()
    {
        var reports = new ConcurrentQueue<DownloadProgress>();
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")), new SyncProgress<DownloadProgress>(reports.Enqueue));

        AssertPlaced(result);
        Assert.True(result.Verified);
        Assert.False(result.FromCache);
        Assert.Equal("-Sha256", result.DigestSource);
        Assert.Equal(_server.Https("artifact.bin"), result.FinalUri);
        Assert.Equal(1, result.Attempts);
        Assert.Equal(_data.Length, reports.Last().BytesReceived);
        Assert.Equal(_data.Length, reports.Last().TotalBytes);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(100_000)]
    public async Task BufferSmallerThanAChunk_StillReadsTheWholeBodyInOneAttempt(int bufferSize)
    {
        // A buffer below the (then fixed) 128 KiB chunk size once made the copy loop ask for 0 bytes, read that as the end of the
        // body, and limp through the file one resume per buffer.
        VerifiedDownloaderOptions options = Options();
        options.BufferSize = bufferSize;
        options.MaximumRetries = 0;
        using var downloader = new VerifiedDownloader(options);

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        AssertPlaced(result);
        Assert.Equal(1, result.Attempts);
    }

    [Fact]
    public async Task FlushToDisk_PlacesTheSameVerifiedFile_AndRefusesATamperedOneLeavingNothing()
    {
        VerifiedDownloaderOptions options = Options();
        options.FlushToDisk = true;
        using (var downloader = new VerifiedDownloader(options))
        {
            AssertPlaced(await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin"))));
        }
        File.Delete(Destination);
        byte[] tampered = (byte[])_data.Clone();
        tampered[1_234_567] ^= 1;
        _server.Map("tampered.bin", c => Serve.File(c, tampered));

        await FailsWith<ChecksumMismatchException>(Pinned(_server.Https("tampered.bin")), options, "ChecksumMismatch");
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(1_500_000)]
    [InlineData(2_499_999)]
    public async Task ConnectionResetMidBody_ResumesWithRangeAndIfRange_AndVerifiesTheWholeFile(int offset)
    {
        int calls = 0;
        _server.Map("flaky.bin", c => Serve.File(c, _data, abortAfter: Interlocked.Increment(ref calls) == 1 ? offset : null));
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("flaky.bin")));

        AssertPlaced(result);
        Assert.Equal(2, result.Attempts);
        SeenRequest resumed = _server.RequestsTo("flaky.bin")[1];
        // A reset can discard a byte still unread in the socket buffer; then there is nothing to resume from.
        if (offset == 1 && resumed.Range == null) return;
        Assert.StartsWith("bytes=", resumed.Range);
        Assert.True(long.Parse(resumed.Range!.Substring(6).TrimEnd('-')) > 0);
        Assert.Equal(Serve.ETag, resumed.IfRange);
    }

    [Fact]
    public async Task ConnectionResetOnEveryAttempt_FailsWithDownloadFailed_AndLeavesNothing()
    {
        _server.Map("broken.bin", c => Serve.File(c, _data, abortAfter: 1000, advertiseRanges: false));

        DownloadFailedException ex = await FailsWith<DownloadFailedException>(Pinned(_server.Https("broken.bin")), errorId: "DownloadFailed");

        Assert.Equal(FailureKind.ResourceUnavailable, ex.Kind);
        Assert.Equal(4, ex.Attempts);
        Assert.Equal(3, _delays.Count);
        AssertNothingLeft();
    }

    [Fact]
    public async Task TruncatedBodyWithLyingContentLength_FailsWithDownloadFailed_AndLeavesNothing()
    {
        _server.Map("short.bin", async c =>
        {
            c.Response.ContentLength = _data.Length + 4096;
            await c.Response.Body.WriteAsync(_data);
        });

        await FailsWith<DownloadFailedException>(Pinned(_server.Https("short.bin")), errorId: "DownloadFailed");

        AssertNothingLeft();
    }

    [Fact]
    public async Task SlowBody_ReportsProgressBeforeAWholeChunkHasArrived()
    {
        // Reads are gathered into 1 MiB chunks before hashing; a slow link must still see the bytes count up.
        _server.Map("trickle.bin", async c =>
        {
            c.Response.ContentLength = _data.Length;
            for (int offset = 0; offset < 256 * 1024; offset += 64 * 1024)
            {
                await c.Response.Body.WriteAsync(_data.AsMemory(offset, 64 * 1024));
                await c.Response.Body.FlushAsync();
                await Task.Delay(200);
            }
            await c.Response.Body.WriteAsync(_data.AsMemory(256 * 1024));
        });
        var reports = new ConcurrentQueue<DownloadProgress>();
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("trickle.bin")), new SyncProgress<DownloadProgress>(reports.Enqueue));

        AssertPlaced(result);
        Assert.Contains(reports, r => r.BytesReceived > 0 && r.BytesReceived <= 256 * 1024);
        Assert.Equal(_data.Length, reports.Last().BytesReceived);
    }

    [Fact]
    public async Task SlowTricklePastStallTimeout_FailsWithDownloadStalled_AndLeavesNothing()
    {
        _server.Map("slow.bin", async c =>
        {
            c.Response.ContentLength = _data.Length;
            await c.Response.Body.WriteAsync(_data.AsMemory(0, 100));
            await c.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted).ContinueWith(_ => { });
        });
        VerifiedDownloaderOptions options = Options();
        options.StallTimeout = TimeSpan.FromMilliseconds(300);
        options.MaximumRetries = 1;

        DownloadStalledException ex = await FailsWith<DownloadStalledException>(Pinned(_server.Https("slow.bin")), options, "DownloadStalled");

        Assert.Equal(2, ex.Attempts);
        AssertNothingLeft();
    }

    /// <summary>A body far longer than the drain limit: the first MiB arrives, then the server goes silent for good.</summary>
    private void MapHangingLargeBody(string path)
    {
        _server.Map(path, async c =>
        {
            c.Response.ContentLength = 64L * 1024 * 1024;
            await c.Response.Body.WriteAsync(_data.AsMemory(0, 1024 * 1024));
            await c.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, c.RequestAborted).ContinueWith(_ => { });
        });
    }

    [Fact]
    public async Task StallWithMostOfALargeBodyToCome_EndsTheWaitingRead_WithDownloadStalled_AndLeavesNothing()
    {
        // Most of a large body is read with blocking reads; a stall must still end the read that waits for the network.
        MapHangingLargeBody("hangs.bin");
        VerifiedDownloaderOptions options = Options();
        options.StallTimeout = TimeSpan.FromMilliseconds(300);
        options.MaximumRetries = 1;
        using var downloader = new VerifiedDownloader(options);

        Task<DownloadResult> download = downloader.DownloadAsync(Pinned(_server.Https("hangs.bin")));
        Assert.Same(download, await Task.WhenAny(download, Task.Delay(TimeSpan.FromSeconds(30))));

        DownloadStalledException ex = await Assert.ThrowsAsync<DownloadStalledException>(() => download);
        Assert.Equal("DownloadStalled", ex.ErrorId);
        Assert.Equal(2, ex.Attempts);
        AssertNothingLeft();
    }

    [Fact]
    public async Task Cancellation_WhileAReadWaitsForALargeBody_StopsTheDownload_AndLeavesNothing()
    {
        MapHangingLargeBody("hangs.bin");
        using var downloader = new VerifiedDownloader(Options());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        Task<DownloadResult> download = downloader.DownloadAsync(Pinned(_server.Https("hangs.bin")), null, cancel.Token);
        Assert.Same(download, await Task.WhenAny(download, Task.Delay(TimeSpan.FromSeconds(30))));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
        AssertNothingLeft();
    }

    [Fact]
    public async Task ServerError500ThenSuccess_RetriesAfterBackoff_AndSucceeds()
    {
        int calls = 0;
        _server.Map("once500.bin", c =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                c.Response.StatusCode = 500;
                return Task.CompletedTask;
            }
            return Serve.File(c, _data);
        });
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("once500.bin")));

        AssertPlaced(result);
        Assert.Equal(2, result.Attempts);
        Assert.Single(_delays);
    }

    [Fact]
    public async Task TooManyRequests429_WaitsForRetryAfter_ThenSucceeds()
    {
        int calls = 0;
        _server.Map("busy.bin", c =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                c.Response.StatusCode = 429;
                c.Response.Headers.RetryAfter = "7";
                return Task.CompletedTask;
            }
            return Serve.File(c, _data);
        });
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("busy.bin")));

        AssertPlaced(result);
        Assert.Equal(TimeSpan.FromSeconds(7), Assert.Single(_delays));
    }

    [Fact]
    public async Task NotFound404_IsNotRetried_AndFailsWithDownloadFailed()
    {
        DownloadFailedException ex = await FailsWith<DownloadFailedException>(Pinned(_server.Https("missing.bin")), errorId: "DownloadFailed");

        Assert.Equal(404, ex.StatusCode);
        Assert.Empty(_delays);
        AssertNothingLeft();
    }

    [Fact]
    public async Task RedirectLoop_FailsWithTooManyRedirects_AndLeavesNothing()
    {
        _server.Map("loop-a", Serve.Redirect(_server.Https("loop-b")));
        _server.Map("loop-b", Serve.Redirect(_server.Https("loop-a")));

        TooManyRedirectsException ex = await FailsWith<TooManyRedirectsException>(Pinned(_server.Https("loop-a")), errorId: "TooManyRedirects");

        Assert.True(ex.IsLoop);
        AssertNothingLeft();
    }

    [Fact]
    public async Task RedirectChainLongerThanTheCap_FailsWithTooManyRedirects()
    {
        for (int i = 0; i < 5; i++) _server.Map($"hop{i}", Serve.Redirect(_server.Https($"hop{i + 1}")));
        _server.Map("hop5", c => Serve.File(c, _data));
        VerifiedDownloaderOptions options = Options();
        options.MaximumRedirects = 3;

        TooManyRedirectsException ex = await FailsWith<TooManyRedirectsException>(Pinned(_server.Https("hop0")), options, "TooManyRedirects");

        Assert.False(ex.IsLoop);
        Assert.Empty(_server.RequestsTo("hop5"));
        AssertNothingLeft();
    }

    [Fact]
    public async Task RedirectsWithinTheCap_AreFollowed_AndReportedInOrder()
    {
        _server.Map("hop0", Serve.Redirect(_server.Https("hop1"), 301));
        _server.Map("hop1", Serve.Redirect(_server.Https("artifact.bin"), 307));
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("hop0")));

        AssertPlaced(result);
        Assert.Equal(new[] { _server.Https("hop1"), _server.Https("artifact.bin") }, result.Redirects);
        Assert.Equal(_server.Https("artifact.bin"), result.FinalUri);
    }

    [Fact]
    public async Task HttpsToHttpRedirect_IsRefusedWithInsecureRedirect_EvenWhenInsecureTransportIsAllowed()
    {
        _server.Map("downgrade", Serve.Redirect(_server.Http("artifact.bin")));
        VerifiedDownloaderOptions options = Options();
        options.AllowInsecureTransport = true;

        InsecureRedirectException ex = await FailsWith<InsecureRedirectException>(Pinned(_server.Https("downgrade")), options, "InsecureRedirect");

        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.DoesNotContain(_server.Requests, r => r.Scheme == "http");
        AssertNothingLeft();
    }

    [Fact]
    public async Task CrossHostRedirect_DropsTheAuthorizationHeader_AndNeverLogsTheToken()
    {
        _server.Map("api/asset", Serve.Redirect(_server.HttpsLocalhost("storage/artifact")));
        _server.Map("storage/artifact", c => Serve.File(c, _data));
        DownloadRequest request = Pinned(_server.Https("api/asset"));
        request.Token = Token;
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(request);

        AssertPlaced(result);
        Assert.Equal("Bearer " + Token, Assert.Single(_server.RequestsTo("api/asset")).Authorization);
        SeenRequest redirected = Assert.Single(_server.RequestsTo("storage/artifact"));
        Assert.Equal("localhost", redirected.Host);
        Assert.Null(redirected.Authorization);
        Assert.DoesNotContain(_log, line => line.Contains(Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TokenIsNotSentToAMirrorOnAnotherHost()
    {
        DownloadRequest request = Pinned(_server.Https("missing.bin"), _server.HttpsLocalhost("artifact.bin"));
        request.Token = Token;
        using var downloader = new VerifiedDownloader(Options());

        await downloader.DownloadAsync(request);

        Assert.Equal("Bearer " + Token, Assert.Single(_server.RequestsTo("missing.bin")).Authorization);
        Assert.Null(Assert.Single(_server.RequestsTo("artifact.bin")).Authorization);
    }

    [Fact]
    public async Task TamperedByte_FailsWithChecksumMismatch_AndKeepsTheExistingDestination()
    {
        byte[] tampered = (byte[])_data.Clone();
        tampered[1_234_567] ^= 0x01;
        _server.Map("tampered.bin", c => Serve.File(c, tampered));
        File.WriteAllText(Destination, "the previous, verified version");

        ChecksumMismatchException ex = await FailsWith<ChecksumMismatchException>(Pinned(_server.Https("tampered.bin")), errorId: "ChecksumMismatch");

        Assert.Equal(Sha256, ex.Expected);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(tampered)), ex.Actual);
        Assert.Equal(FailureKind.Security, ex.Kind);
        Assert.Equal("the previous, verified version", File.ReadAllText(Destination));
        Assert.Single(Directory.GetFileSystemEntries(OutDir));
    }

    [Fact]
    public async Task WrongSize_FailsWithSizeMismatch_BeforeTheBodyIsRead()
    {
        DownloadRequest request = Pinned(_server.Https("artifact.bin"));
        request.ExpectedSize = _data.Length - 1;

        SizeMismatchException ex = await FailsWith<SizeMismatchException>(request, errorId: "SizeMismatch");

        Assert.Equal(_data.Length, ex.Actual);
        AssertNothingLeft();
    }

    [Fact]
    public async Task AnnouncedLengthAboveMaximumSize_FailsWithSizeLimitExceeded()
    {
        VerifiedDownloaderOptions options = Options();
        options.MaximumSize = 1_000_000;

        await FailsWith<SizeLimitExceededException>(Pinned(_server.Https("artifact.bin")), options, "SizeLimitExceeded");

        AssertNothingLeft();
    }

    [Fact]
    public async Task UnannouncedBodyAboveMaximumSize_IsStoppedWhileStreaming_WithSizeLimitExceeded()
    {
        _server.Map("chunked.bin", async c =>
        {
            for (int i = 0; i < 10; i++) await c.Response.Body.WriteAsync(_data.AsMemory(0, 250_000));
        });
        VerifiedDownloaderOptions options = Options();
        options.MaximumSize = 1_000_000;

        SizeLimitExceededException ex = await FailsWith<SizeLimitExceededException>(Pinned(_server.Https("chunked.bin")), options, "SizeLimitExceeded");

        Assert.True(ex.Seen > 1_000_000);
        AssertNothingLeft();
    }

    [Fact]
    public async Task RequestMaximumSize_CapsBelowTheDownloadersLimit_WhileStreaming()
    {
        _server.Map("chunked-request.bin", async c =>
        {
            for (int i = 0; i < 10; i++) await c.Response.Body.WriteAsync(_data.AsMemory(0, 250_000));
        });
        DownloadRequest request = Pinned(_server.Https("chunked-request.bin"));
        request.MaximumSize = 1_000_000; // a NuGet package's cap: the downloader's own stays at its 8 GiB default

        SizeLimitExceededException ex = await FailsWith<SizeLimitExceededException>(request, Options(), "SizeLimitExceeded");

        Assert.Equal(1_000_000, ex.Limit);
        Assert.DoesNotContain("-MaximumSize (", ex.Message); // the request's own cap: raising the downloader's would not help
        AssertNothingLeft();
    }

    [Fact]
    public async Task HtmlErrorPage_FailsWithUnexpectedHtml_AndLeavesNothing()
    {
        _server.Map("login", c =>
        {
            c.Response.ContentType = "text/html; charset=utf-8";
            return c.Response.WriteAsync("<!DOCTYPE html><html><body>Please sign in</body></html>");
        });

        UnexpectedHtmlException ex = await FailsWith<UnexpectedHtmlException>(Pinned(_server.Https("login")), errorId: "UnexpectedHtml");

        Assert.Contains("text/html", ex.Evidence);
        AssertNothingLeft();
    }

    [Fact]
    public async Task HtmlBodyLabelledAsBinary_FailsWithUnexpectedHtml()
    {
        _server.Map("disguised.bin", c => Serve.File(c, Encoding.UTF8.GetBytes("\n  <html><head><title>404</title></head><body>gone, but say it with a 200 and a binary type</body></html>")));

        await FailsWith<UnexpectedHtmlException>(Pinned(_server.Https("disguised.bin")), errorId: "UnexpectedHtml");

        AssertNothingLeft();
    }

    [Fact]
    public async Task RangeIgnoredByServer_RestartsFromByteZero_AndPlacesTheRightFile()
    {
        int calls = 0;
        _server.Map("norange.bin", c => Serve.File(c, _data, ignoreRange: true, abortAfter: Interlocked.Increment(ref calls) == 1 ? 1_000_000 : null));
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("norange.bin")));

        AssertPlaced(result);
        Assert.NotNull(_server.RequestsTo("norange.bin")[1].Range);
        Assert.Contains(_log, l => l.Contains("starting again from byte 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CachedPinnedDigest_IsRehashedAndServed_WithNoNetwork()
    {
        using (var first = new VerifiedDownloader(Options(cache: true)))
        {
            await first.DownloadAsync(Pinned(_server.Https("artifact.bin")));
        }
        File.Delete(Destination);
        int requestsBefore = _server.Requests.Count;
        await _server.DisposeAsync();
        _server = await LoopbackServer.StartAsync();

        using var second = new VerifiedDownloader(Options(cache: true));
        DownloadResult result = await second.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        AssertPlaced(result);
        Assert.True(result.FromCache);
        Assert.Equal(0, result.Attempts);
        Assert.Empty(_server.Requests);
        Assert.True(requestsBefore > 0);
    }

    [Fact]
    public async Task CacheHitOnTheDestinationItself_LeavesTheFileInPlace()
    {
        using var downloader = new VerifiedDownloader(Options(cache: true));
        await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        DownloadResult again = await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        AssertPlaced(again);
        Assert.True(again.FromCache);
    }

    [Fact]
    public async Task CorruptedCacheEntry_IsEvicted_AndTheFileDownloadedAgain()
    {
        var cache = new ArtifactCache(CacheDir);
        Directory.CreateDirectory(Path.GetDirectoryName(cache.PathFor(Sha256))!);
        File.WriteAllText(cache.PathFor(Sha256), "rotten");
        using var downloader = new VerifiedDownloader(Options(cache: true));

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        AssertPlaced(result);
        Assert.False(result.FromCache);
        Assert.Equal(_data, File.ReadAllBytes(cache.PathFor(Sha256)));
    }

    [Fact]
    public async Task FirstMirrorFails_SecondMirrorServes()
    {
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("missing.bin"), _server.Https("artifact.bin")));

        AssertPlaced(result);
        Assert.Equal(_server.Https("artifact.bin"), result.Uri);
    }

    [Fact]
    public async Task AllMirrorsFail_ReportsTheSecurityFailureOverTheOutage()
    {
        byte[] tampered = (byte[])_data.Clone();
        tampered[0] ^= 0xFF;
        _server.Map("evil.bin", c => Serve.File(c, tampered));

        await FailsWith<ChecksumMismatchException>(Pinned(_server.Https("evil.bin"), _server.Https("missing.bin")), errorId: "ChecksumMismatch");

        AssertNothingLeft();
    }

    [Fact]
    public async Task HttpUri_WithoutAllowInsecureTransport_FailsWithInsecureTransport_AndSendsNothing()
    {
        await FailsWith<InsecureTransportException>(Pinned(_server.Http("artifact.bin")), errorId: "InsecureTransport");

        Assert.Empty(_server.Requests);
        AssertNothingLeft();
    }

    [Fact]
    public async Task HttpUri_WithAllowInsecureTransport_IsFetched_AndStillVerified()
    {
        VerifiedDownloaderOptions options = Options();
        options.AllowInsecureTransport = true;
        using var downloader = new VerifiedDownloader(options);

        AssertPlaced(await downloader.DownloadAsync(Pinned(_server.Http("artifact.bin"))));
    }

    [Fact]
    public async Task NoDigestSource_FailsWithVerificationRequired_BeforeAnyRequest()
    {
        await FailsWith<VerificationRequiredException>(new DownloadRequest(_server.Https("artifact.bin"), Destination), errorId: "VerificationRequired");

        Assert.Empty(_server.Requests);
        AssertNothingLeft();
    }

    [Fact]
    public async Task SkipVerification_KeepsTheFile_AndReportsTheDigestSeen()
    {
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(new DownloadRequest(_server.Https("artifact.bin"), Destination) { SkipVerification = true });

        AssertPlaced(result);
        Assert.False(result.Verified);
        Assert.Equal("none", result.DigestSource);
    }

    [Fact]
    public async Task ChecksumUri_LooksTheArtifactUpByFileName()
    {
        _server.Map("SHA256SUMS", c => c.Response.WriteAsync($"{new string('0', 64)}  other.bin\n{Sha256}  artifact.bin\n"));
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(new DownloadRequest(_server.Https("artifact.bin"), Destination) { ChecksumUri = _server.Https("SHA256SUMS") });

        AssertPlaced(result);
        Assert.EndsWith("SHA256SUMS:2", result.DigestSource);
    }

    [Fact]
    public async Task ChecksumFile_ThatDoesNotListTheArtifact_FailsWithChecksumNotFound()
    {
        string list = Path.Combine(_root, "SHA256SUMS");
        File.WriteAllText(list, $"{Sha256}  something-else.bin\n");

        await FailsWith<ChecksumNotFoundException>(new DownloadRequest(_server.Https("artifact.bin"), Destination) { ChecksumFile = list }, errorId: "ChecksumNotFound");

        Assert.Empty(_server.Requests);
        AssertNothingLeft();
    }

    [Fact]
    public async Task Sha512Digest_IsVerified_AndTheResultStillCarriesSha256()
    {
        DownloadRequest request = new(_server.Https("artifact.bin"), Destination)
        {
            Expected = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA512.HashData(_data)), null, "-Hash"),
        };
        using var downloader = new VerifiedDownloader(Options());

        AssertPlaced(await downloader.DownloadAsync(request));
    }

    [Fact]
    public async Task FileUri_IsCopiedAndVerified()
    {
        string source = Path.Combine(_root, "mirror", "artifact.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        File.WriteAllBytes(source, _data);
        using var downloader = new VerifiedDownloader(Options());

        DownloadResult result = await downloader.DownloadAsync(Pinned(new Uri(source)));

        AssertPlaced(result);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ManyDownloads_RunInParallel_WithCombinedProgress_AndOneFailureDoesNotStopTheOthers()
    {
        var requests = new List<DownloadRequest>();
        for (int i = 0; i < 6; i++)
        {
            requests.Add(new DownloadRequest(_server.Https(i == 3 ? "missing.bin" : "artifact.bin"), Path.Combine(OutDir, $"copy{i}.bin"))
            {
                Expected = ChecksumEntry.FromDigest(Sha256, null, "-Sha256"),
            });
        }
        var reports = new ConcurrentQueue<BatchProgress>();
        using var downloader = new VerifiedDownloader(Options());

        IReadOnlyList<DownloadOutcome> outcomes = await downloader.DownloadManyAsync(requests, 3, new SyncProgress<BatchProgress>(reports.Enqueue));

        Assert.Equal(6, outcomes.Count);
        Assert.IsType<DownloadFailedException>(outcomes[3].Error);
        Assert.All(outcomes.Where((_, i) => i != 3), o => Assert.Equal(Sha256, o.Result!.Sha256));
        Assert.Equal(5, Directory.GetFiles(OutDir).Length);
        BatchProgress last = reports.Last();
        Assert.Equal(6, last.Completed);
        Assert.Equal(5L * _data.Length, last.BytesReceived);
    }

    [Fact]
    public async Task Cancellation_StopsTheDownload_AndLeavesNothing()
    {
        _server.Map("endless.bin", async c =>
        {
            c.Response.ContentLength = _data.Length;
            await c.Response.Body.WriteAsync(_data.AsMemory(0, 10));
            await Task.Delay(TimeSpan.FromSeconds(30), c.RequestAborted).ContinueWith(_ => { });
        });
        using var downloader = new VerifiedDownloader(Options());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => downloader.DownloadAsync(Pinned(_server.Https("endless.bin")), null, cancel.Token));

        AssertNothingLeft();
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
