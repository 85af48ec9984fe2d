using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 20: the Bearer token flow against the real docker-registry configured with auth: token. The token endpoint is
/// the test's own (Kestrel on loopback): it checks the Basic credentials, and issues an RS256 JWT whose x5c certificate is
/// the registry's rootcertbundle, granting the scope asked for.
/// </summary>
public sealed class RegistryTokenFlowTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _log = new();
    private readonly List<string> _issued = new();
    private readonly List<string?> _tokenRequests = new();
    private LoopbackServer _server = null!;
    private X509Certificate2 _signer = null!;
    private RSA _signingKey = null!;

    /// <summary>The expires_in the token endpoint states; the JWT's exp is set so that the registry refuses it after that.</summary>
    private int _expiresIn = 600;

    /// <summary>When set, the registry refuses a token after this many seconds whatever its expires_in says (a token revoked, or a clock ahead).</summary>
    private int? _registryAcceptsFor;

    /// <summary>distribution accepts a token up to 60 s past its exp (clock skew, token.Leeway).</summary>
    private const int RegistryLeeway = 60;

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _signingKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=secureinstall test token signer", _signingKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _signer = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddHours(2));
        _server.Map("token", IssueAsync);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _signer.Dispose();
        _signingKey.Dispose();
        _dir.Dispose();
    }

    private async Task IssueAsync(HttpContext context)
    {
        string? authorization = context.Request.Headers.Authorization.FirstOrDefault();
        lock (_tokenRequests) _tokenRequests.Add(authorization);
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RegistryProcess.User}:{RegistryProcess.Password}"));
        string scope;
        if (HttpMethods.IsPost(context.Request.Method))
        {
            // The OAuth2 form docker posts with an identity token (distribution's token spec, "oauth.md").
            IFormCollection form = await context.Request.ReadFormAsync();
            lock (_tokenRequests) _tokenRequests.Add("POST " + form["grant_type"] + " " + form["client_id"]);
            if (authorization != null || form["grant_type"] != "refresh_token" || form["refresh_token"] != IdentityToken)
            {
                context.Response.StatusCode = 401;
                return;
            }
            scope = form["scope"].ToString();
        }
        else
        {
            if (authorization != expected)
            {
                context.Response.StatusCode = 401;
                return;
            }
            scope = context.Request.Query["scope"].ToString();
        }
        if (scope.EndsWith(":pull", StringComparison.Ordinal)) lock (_tokenRequests) _pullScopes++;
        string[] parts = scope.Split(':');
        var access = parts.Length == 3 ? new[] { new { type = parts[0], name = parts[1], actions = parts[2].Split(',') } } : Array.Empty<object>().Select(_ => new { type = "", name = "", actions = Array.Empty<string>() }).ToArray();
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_signer.RawData) } }));
        string claims = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = "secureinstall-test-issuer", sub = RegistryProcess.User, aud = "secureinstall-test", exp = now + (_registryAcceptsFor ?? _expiresIn) - RegistryLeeway, nbf = now - 30, iat = now,
            jti = Guid.NewGuid().ToString("N"), access,
        }));
        string signature = Base64Url(_signingKey.SignData(Encoding.ASCII.GetBytes(header + "." + claims), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        string token = header + "." + claims + "." + signature;
        lock (_issued) _issued.Add(token);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(HttpMethods.IsPost(context.Request.Method)
            ? JsonSerializer.Serialize(new { access_token = token, expires_in = _expiresIn })
            : JsonSerializer.Serialize(new { token, expires_in = _expiresIn }));
    }

    private const string IdentityToken = "identity-token-for-fleet";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private VerifiedDownloaderOptions Options(RegistryProcess registry, RegistryCredential credential)
    {
        VerifiedDownloaderOptions options = registry.Options(_log.Add);
        options.RegistryCredential = credential;
        options.ServerCertificateValidation = (m, c, ch, e) => registry.Trust(m, c, ch, e) || _server.Trust(m, c, ch, e);
        return options;
    }

    [SkippableFact]
    public async Task TokenFlow_PushAndPull_GetATokenFromTheRealm_AndNeverLogIt()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer);
        (string manifest, var files) = RegistryPushPullTests.Fixture(_dir);
        VerifiedDownloaderOptions options = Options(registry, new RegistryCredential(RegistryProcess.User, RegistryProcess.Password));

        using (var downloader = new VerifiedDownloader(options))
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
        {
            var selection = PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>());
            RegistryPushResult pushed = await new RegistryPush(downloader, client).PushAsync(manifest, selection, _log.Add);
            Assert.Equal(pushed.Layers + 1, pushed.BlobsUploaded);
        }
        Assert.NotEmpty(_issued);

        File.Delete(files["linux-x64"].Path);
        options.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        options.RegistryOnly = true;
        using (var downloader = new VerifiedDownloader(options))
        {
            var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, downloader);
            string lockPath = InstallLock.PathBeside(manifest);
            InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "hello", null), lockPath);
            Assert.Equal(InstallStatus.Installed, result.Status);
        }
        Assert.Contains(_log, l => l.Contains("asks for a bearer token", StringComparison.Ordinal));
        foreach (string token in _issued) Assert.DoesNotContain(_log, l => l.Contains(token.Split('.')[2], StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains(RegistryProcess.Password, StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task IdentityToken_FromACredentialHelper_IsPostedAsARefreshToken_NeverAsBasic()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer);
        (string manifest, _) = RegistryPushPullTests.Fixture(_dir, count: 1);
        // What DockerCredentialHelper makes of a helper's {"Username": "<token>", "Secret": …}.
        RegistryCredential identity = new DockerCredentialHelper("pass", "/c.json").Parse("{\"Username\":\"<token>\",\"Secret\":\"" + IdentityToken + "\"}", registry.Host)!;
        VerifiedDownloaderOptions options = Options(registry, identity);
        using (var downloader = new VerifiedDownloader(options))
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
        {
            var selection = PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>());
            RegistryPushResult pushed = await new RegistryPush(downloader, client).PushAsync(manifest, selection, _log.Add);
            Assert.Equal(pushed.Layers + 1, pushed.BlobsUploaded);
        }
        Assert.Contains("POST refresh_token secureinstall", _tokenRequests);
        Assert.DoesNotContain(_tokenRequests, r => r != null && r.StartsWith("Basic", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains(IdentityToken, StringComparison.Ordinal));

        // A registry that asks for Basic never gets an identity token.
        using RegistryProcess basic = RegistryProcess.Start();
        VerifiedDownloaderOptions basicOptions = Options(basic, identity);
        using var basicClient = new RegistryClient(basic.Reference(), basicOptions, identity);
        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => basicClient.BlobExistsAsync("sha256:" + new string('0', 64), CancellationToken.None));
        Assert.Contains("is an identity token, which goes only to a token service", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task TokenFlow_ATokenPastItsExpiresIn_IsAskedForAgain_ForAPushAndForAPull()
    {
        // Review finding: a bearer token was kept for the client's whole life; once the registry's token expired (minutes on
        // real registries), every later request of a long push or of a fleet's install was HTTP 401 (RegistryAuthenticationFailed).
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        _expiresIn = 3;
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer);
        (string manifest, var files) = RegistryPushPullTests.Fixture(_dir, count: 2);
        VerifiedDownloaderOptions options = Options(registry, new RegistryCredential(RegistryProcess.User, RegistryProcess.Password));
        using (var downloader = new VerifiedDownloader(options))
        using (var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential))
        {
            var selection = PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>());
            await new RegistryPush(downloader, client).PushAsync(manifest, selection, _log.Add);
            int issued = _issued.Count;
            await Task.Delay(TimeSpan.FromSeconds(_expiresIn + 1));
            Assert.True(await client.BlobExistsAsync("sha256:" + files["linux-x64"].Sha256, CancellationToken.None));
            Assert.Equal(issued + 1, _issued.Count);
        }

        options.Registries = new[] { RegistrySource.Parse($"oci://{registry.Host}/tools/secureinstall") };
        options.RegistryOnly = true;
        options.NoCache = true;
        using (var downloader = new VerifiedDownloader(options))
        {
            foreach (string platform in new[] { "linux-x64", "darwin-arm64" })
            {
                if (platform != "linux-x64") await Task.Delay(TimeSpan.FromSeconds(_expiresIn + 1));
                DownloadResult pulled = await downloader.DownloadAsync(new DownloadRequest(new Uri("https://example.invalid/" + platform), Path.Combine(_dir.Path, "pulled-" + platform))
                {
                    Expected = ChecksumEntry.FromDigest(files[platform].Sha256, ChecksumAlgorithm.SHA256, "test pin"),
                });
                Assert.True(pulled.Verified);
            }
        }
    }

    /// <summary>The manifest's one 4 MiB artifact pushed to <paramref name="registry"/> with the token flow; the tokens issued so far.</summary>
    private async Task<(string Manifest, (string Path, string Sha256) File)> PushLargeBlob(RegistryProcess registry, VerifiedDownloaderOptions options)
    {
        (string manifest, var files) = RegistryPushPullTests.Fixture(_dir, count: 1, size: BlobSize);
        using var downloader = new VerifiedDownloader(options);
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        await new RegistryPush(downloader, client).PushAsync(manifest,
            PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>()));
        File.Delete(files["linux-x64"].Path);
        return (manifest, files["linux-x64"]);
    }

    private const int BlobSize = 4 * 1024 * 1024;

    /// <summary>A -RegistryOnly install from <paramref name="host"/>, whose first retry wait lasts until the pull token has expired at the registry.</summary>
    private async Task<InstallResult> InstallWaitingPastExpiry(VerifiedDownloaderOptions options, string manifest, string host, TimeSpan firstRetryWait)
    {
        options.Registries = new[] { RegistrySource.Parse($"oci://{host}/tools/secureinstall") };
        options.RegistryOnly = true;
        options.NoCache = true;
        int waits = 0;
        options.Delay = (wait, cancel) => Interlocked.Increment(ref waits) == 1 ? Task.Delay(firstRetryWait, cancel) : Task.Delay(wait, cancel);
        using var downloader = new VerifiedDownloader(options);
        var installer = new ToolInstaller(new ToolInstallerOptions { Root = Path.Combine(_dir.Path, "root"), Platform = "linux-x64" }, downloader);
        string lockPath = InstallLock.PathBeside(manifest);
        return await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "hello", null), lockPath);
    }

    private int PullTokensIssued() { lock (_tokenRequests) return _pullScopes; }

    private int _pullScopes;

    [SkippableFact]
    public async Task ABlobCutOffMidway_ResumedAfterItsTokenExpired_GetsACurrentToken_AndTheInstallVerifies()
    {
        // Review finding (issue 20): the Authorization of a registry blob GET was taken once, when the download started; a
        // resume after the bearer token expired resent it, the registry answered 401 and the install failed. The storage
        // host the registry redirects the blob to cuts the first transfer; the retry waits past the token's expiry.
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        _expiresIn = 3;
        await using LoopbackServer storage = await LoopbackServer.StartAsync();
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer, storageRedirect: storage.HttpsLocalhost(""));
        VerifiedDownloaderOptions options = Options(registry, new RegistryCredential(RegistryProcess.User, RegistryProcess.Password));
        options.ServerCertificateValidation = (m, c, ch, e) => registry.Trust(m, c, ch, e) || _server.Trust(m, c, ch, e) || storage.Trust(m, c, ch, e);
        (string manifest, (string Path, string Sha256) file) = await PushLargeBlob(registry, options);
        string stored = RegistryProcess.BlobStoragePath(file.Sha256);
        byte[] blob = File.ReadAllBytes(registry.BlobData(file.Sha256));
        int served = 0;
        storage.Map(stored, c => Serve.File(c, blob, abortAfter: Interlocked.Increment(ref served) == 1 ? BlobSize / 4 : null));
        int pullTokens = PullTokensIssued();

        InstallResult result = await InstallWaitingPastExpiry(options, manifest, registry.Host, TimeSpan.FromSeconds(_expiresIn + 1));

        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Equal(file.Sha256, FileHasher.HashFile(Path.Combine(result.Path, "hello"), ChecksumAlgorithm.SHA256));
        Assert.Single(_log, l => l.StartsWith("Resuming at byte ", StringComparison.Ordinal));
        // The resume asked the token endpoint again (the client renews a token past 90% of its expires_in) rather than being refused.
        Assert.True(PullTokensIssued() >= pullTokens + 2, $"pull tokens issued during the install: {PullTokensIssued() - pullTokens}");
        Assert.DoesNotContain(_log, l => l.Contains("refused the credentials", StringComparison.Ordinal));
        // No token to another host: the storage host got the two blob requests without Authorization, the token endpoint only Basic.
        IReadOnlyList<SeenRequest> fetched = storage.RequestsTo(stored);
        Assert.Equal(2, fetched.Count);
        Assert.All(fetched, r => Assert.Null(r.Authorization));
        Assert.Equal($"bytes={BlobSize / 4}-", fetched[1].Range);
        Assert.DoesNotContain(_tokenRequests, r => r != null && !r.StartsWith("Basic ", StringComparison.Ordinal) && !r.StartsWith("POST ", StringComparison.Ordinal));
        foreach (string token in _issued) Assert.DoesNotContain(_log, l => l.Contains(token.Split('.')[2], StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task ABlobCutOffMidway_WhoseResumeTheRegistryRefuses401_RenewsTheTokenOnce_AndTheInstallVerifies()
    {
        // A token the registry stops accepting before its expires_in (revoked, or the registry's clock ahead): the resume is
        // answered 401; the token is asked for anew once and the resume sent again. The registry serves the blob itself here,
        // through a forwarder that cuts the first transfer a quarter of the way in.
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        _registryAcceptsFor = 3;
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer);
        VerifiedDownloaderOptions options = Options(registry, new RegistryCredential(RegistryProcess.User, RegistryProcess.Password));
        (string manifest, (string Path, string Sha256) file) = await PushLargeBlob(registry, options);
        using var cutter = new PacedForwarder(registry.Port, TimeSpan.Zero, cutOnceAfter: BlobSize / 4);
        int pullTokens = PullTokensIssued();

        InstallResult result = await InstallWaitingPastExpiry(options, manifest, cutter.Host, TimeSpan.FromSeconds(_registryAcceptsFor.Value + 1));

        Assert.True(cutter.HasCut);
        Assert.Equal(InstallStatus.Installed, result.Status);
        Assert.Equal(file.Sha256, FileHasher.HashFile(Path.Combine(result.Path, "hello"), ChecksumAlgorithm.SHA256));
        Assert.Single(_log, l => l.StartsWith("Resuming at byte ", StringComparison.Ordinal));
        Assert.Single(_log, l => l.Contains("refused the credentials sent with the resume (HTTP 401); asking for new ones", StringComparison.Ordinal));
        Assert.Equal(pullTokens + 2, PullTokensIssued());
        Assert.DoesNotContain(_tokenRequests, r => r != null && !r.StartsWith("Basic ", StringComparison.Ordinal) && !r.StartsWith("POST ", StringComparison.Ordinal));
        foreach (string token in _issued) Assert.DoesNotContain(_log, l => l.Contains(token.Split('.')[2], StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task TokenFlow_RefusedCredentials_AreRegistryAuthenticationFailed()
    {
        Skip.If(RegistryProcess.SkipReason() != null, RegistryProcess.SkipReason());
        using RegistryProcess registry = RegistryProcess.Start(_server.Https("token"), _signer);
        VerifiedDownloaderOptions options = Options(registry, new RegistryCredential(RegistryProcess.User, "wrong"));
        using var client = new RegistryClient(registry.Reference(), options, options.RegistryCredential);
        var ex = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => client.BlobExistsAsync("sha256:" + new string('0', 64), CancellationToken.None));
        Assert.Equal(ErrorIds.RegistryAuthenticationFailed, ex.ErrorId);
        Assert.Contains("token service refused", ex.Message, StringComparison.Ordinal);
        Assert.Single(_tokenRequests);
    }
}
