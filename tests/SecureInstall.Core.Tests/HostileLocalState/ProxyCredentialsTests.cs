using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>Issue 17 #2: proxy credentials are used, a 407 is not retried, and the password is in no message or log line.</summary>
public sealed class ProxyCredentialsTests : IAsyncLifetime
{
    private const string Password = "secretpw";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-proxy-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(4096);
    private readonly ConcurrentQueue<string> _log = new();
    private LoopbackProxy _proxy = null!;
    private LoopbackServer _server = null!;

    private string Destination => Path.Combine(_root, "artifact.bin");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _proxy = new LoopbackProxy("user", Password, _data);
        _server = await LoopbackServer.StartAsync();
        _server.Map("artifact.bin", c => Serve.File(c, _data));
    }

    public async Task DisposeAsync()
    {
        _proxy.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private VerifiedDownloaderOptions Options(IWebProxy proxy) => new()
    {
        NoCache = true,
        AllowInsecureTransport = true,
        MaximumRetries = 3,
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
        Delay = (_, _) => Task.CompletedTask,
        ServerCertificateValidation = _server.Trust,
        Proxy = proxy,
        Log = _log.Enqueue,
    };

    private DownloadRequest Pinned(Uri uri) => new(uri, Destination)
    {
        Expected = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA256.HashData(_data)), ChecksumAlgorithm.SHA256, "-Sha256"),
    };

    [Fact]
    public async Task CredentialsWrittenInTheProxyUri_AreUsed_ForAPlainHttpRequest()
    {
        using var downloader = new VerifiedDownloader(Options(ProxyAddress.Create(_proxy.Address("user:" + Password))));

        DownloadResult result = await downloader.DownloadAsync(Pinned(new Uri("http://127.0.0.1:9/artifact.bin")));

        Assert.True(result.Verified);
        Assert.True(_proxy.Authorized >= 1, "the proxy never saw the credentials");
    }

    [Fact]
    public async Task CredentialsWrittenInTheProxyUri_AreUsed_ThroughAConnectTunnel()
    {
        using var downloader = new VerifiedDownloader(Options(ProxyAddress.Create(_proxy.Address("user:" + Password))));

        DownloadResult result = await downloader.DownloadAsync(Pinned(_server.Https("artifact.bin")));

        Assert.True(result.Verified);
        Assert.True(_proxy.Authorized >= 1, "the proxy never saw the credentials");
    }

    [Fact]
    public void CredentialsInTheUriAndAsAParameter_AreRefused_AsProxyInvalid()
    {
        var ex = Assert.Throws<ProxyInvalidException>(() => ProxyAddress.Create(_proxy.Address("user:" + Password), new NetworkCredential("other", "x")));

        Assert.Equal(ErrorIds.ProxyInvalid, ex.ErrorId);
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https")]
    [InlineData("http")]
    public async Task RefusedProxyCredentials_AreNotRetried_AndThePasswordIsInNoMessageOrLogLine(string scheme)
    {
        // The address keeps user:secretpw as the HTTP stack sees it (what HTTPS_PROXY gives it); the credentials it sends are wrong.
        var proxy = new WebProxy(_proxy.Address("user:" + Password)) { Credentials = new NetworkCredential("user", "wrong") };
        using var downloader = new VerifiedDownloader(Options(proxy));
        Uri target = scheme == "https" ? _server.Https("artifact.bin") : new Uri("http://127.0.0.1:9/artifact.bin");

        var ex = await Assert.ThrowsAsync<ProxyAuthenticationRequiredException>(() => downloader.DownloadAsync(Pinned(target)));

        Assert.Equal(ErrorIds.ProxyAuthenticationRequired, ex.ErrorId);
        Assert.Equal(FailureKind.AuthenticationFailed, ex.Kind);
        // One attempt: the request without credentials and the handler's answer to the challenge, nothing more.
        Assert.InRange(_proxy.Requests, 1, 2);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_log, line => line.Contains(Password, StringComparison.Ordinal));
        Assert.False(File.Exists(Destination));
    }

    [Fact]
    public async Task AFailureThroughAProxyWithCredentials_IsRetriedWithoutThePasswordInTheRetryLinesOrTheError()
    {
        // A proxy that accepts the credentials but cannot reach the target: a transient failure, retried, whose .NET
        // message names the proxy URI with its password.
        var proxy = new WebProxy(_proxy.Address("user:" + Password)) { Credentials = new NetworkCredential("user", Password) };
        using var downloader = new VerifiedDownloader(Options(proxy));

        var ex = await Assert.ThrowsAnyAsync<SecureInstallException>(() => downloader.DownloadAsync(Pinned(new Uri("https://127.0.0.1:9/artifact.bin"))));

        Assert.Equal(ErrorIds.DownloadFailed, ex.ErrorId);
        Assert.Contains(_log, line => line.StartsWith("Attempt 1 failed", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_log, line => line.Contains(Password, StringComparison.Ordinal));
    }
}
