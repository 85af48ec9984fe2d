using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>
/// The HashiCorp release flow end to end through VerifiedDownloader on a loopback HTTPS server: SHA256SUMS and its
/// detached SHA256SUMS.sig are fetched, the list's signature is verified with the trusted key, and only then is the
/// artifact's digest taken from the list. Also a minisign signature over the artifact itself.
/// </summary>
public sealed class SignedDownloadTests : IAsyncLifetime
{
    private const string Artifact = "tool_1.2.3_linux_amd64.zip";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-sig-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(300_000);
    private readonly List<string> _log = new();
    private LoopbackServer _server = null!;
    private PgpTestKey _key = null!;
    private byte[] _list = null!;

    private string Destination => Path.Combine(_root, Artifact);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        _key = PgpTestKey.Create(withSubkey: true);
        _list = Encoding.ASCII.GetBytes(
            $"{Convert.ToHexStringLower(SHA256.HashData(_data))}  {Artifact}\n{new string('b', 64)}  tool_1.2.3_windows_amd64.zip\n");
        _server = await LoopbackServer.StartAsync();
        _server.Map(Artifact, c => Serve.File(c, _data));
        _server.Map("SHA256SUMS", c => Serve.File(c, _list, contentType: "text/plain"));
        _server.Map("SHA256SUMS.sig", c => Serve.File(c, _key.Sign(_list)));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private VerifiedDownloaderOptions Options() => new()
    {
        NoCache = true,
        ServerCertificateValidation = _server.Trust,
        Delay = (_, _) => Task.CompletedTask,
        MaximumRetries = 0,
        Log = line => { lock (_log) _log.Add(line); },
    };

    private DownloadRequest HashiCorpStyle(DetachedSignatureVerifier verifier, string signature = "SHA256SUMS.sig") =>
        new(_server.Https(Artifact), Destination)
        {
            ChecksumUri = _server.Https("SHA256SUMS"),
            SignatureUri = _server.Https(signature),
            SignatureVerifier = verifier,
        };

    [Fact]
    public async Task SignedList_VerifiesTheListThenTheArtifact_AndReportsTheSigner()
    {
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult r = await downloader.DownloadAsync(HashiCorpStyle(new OpenPgpVerifier(_key.Ring())));
        Assert.True(r.Verified);
        Assert.Equal(_data, File.ReadAllBytes(Destination));
        Assert.NotNull(r.Signature);
        Assert.Equal(_key.Fingerprint, r.Signature!.Fingerprint);
        Assert.Contains(_log, l => l.Contains("checksum list's OpenPgp signature is valid"));
    }

    [Fact]
    public async Task SignatureByAnotherKey_IsSignerNotTrusted_AndNothingIsPlaced()
    {
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => downloader.DownloadAsync(HashiCorpStyle(new OpenPgpVerifier(PgpTestKey.Create().Ring()))));
        Assert.False(File.Exists(Destination));
        Assert.DoesNotContain(_server.Requests, q => q.Path == "/" + Artifact); // the artifact is never fetched
    }

    [Fact]
    public async Task TamperedList_IsSignatureInvalid_AndNothingIsPlaced()
    {
        _server.Map("SHA256SUMS", c => Serve.File(c, Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(_list).Replace("bbbb", "cccc")), contentType: "text/plain"));
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<SignatureInvalidException>(() => downloader.DownloadAsync(HashiCorpStyle(new OpenPgpVerifier(_key.Ring()))));
        Assert.False(File.Exists(Destination));
    }

    [Fact]
    public async Task MissingSignature_FailsClosed_BeforeTheArtifactIsFetched()
    {
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<DownloadFailedException>(() => downloader.DownloadAsync(HashiCorpStyle(new OpenPgpVerifier(_key.Ring()), "absent.sig")));
        Assert.False(File.Exists(Destination));
        Assert.DoesNotContain(_server.Requests, q => q.Path == "/" + Artifact);
    }

    [Fact]
    public async Task ClearSignedList_WithoutSignatureUri_IsVerified()
    {
        _server.Map("SHA256SUMS.asc", c => Serve.File(c, Encoding.UTF8.GetBytes(_key.ClearSign(Encoding.ASCII.GetString(_list))), contentType: "text/plain"));
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult r = await downloader.DownloadAsync(new DownloadRequest(_server.Https(Artifact), Destination)
        {
            ChecksumUri = _server.Https("SHA256SUMS.asc"),
            SignatureVerifier = new OpenPgpVerifier(_key.Ring()),
        });
        Assert.Equal(_key.Fingerprint, r.Signature!.Fingerprint);
    }

    [Fact]
    public async Task MinisignSignatureOverTheArtifact_IsTheSourceOfTruth_WithoutAnyDigest()
    {
        var minisign = MinisignTestKey.Create();
        _server.Map(Artifact + ".minisig", c => Serve.File(c, Encoding.UTF8.GetBytes(minisign.Sign(_data, "timestamp:1700000000\tfile:" + Artifact, prehashed: true))));
        var request = new DownloadRequest(_server.Https(Artifact), Destination)
        {
            SignatureUri = _server.Https(Artifact + ".minisig"),
            SignatureVerifier = new MinisignVerifier(MinisignPublicKey.Parse(minisign.PublicKeyBase64, "k")),
        };
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult r = await downloader.DownloadAsync(request);
        Assert.True(r.Verified);
        Assert.Equal("timestamp:1700000000\tfile:" + Artifact, r.Signature!.TrustedComment);
        Assert.StartsWith("Minisign signature", r.DigestSource);
    }

    [Fact]
    public async Task MinisignSignatureOverTheArtifact_TamperedBytes_LeaveNothingBehind()
    {
        var minisign = MinisignTestKey.Create();
        byte[] other = (byte[])_data.Clone();
        other[1000] ^= 0xFF;
        _server.Map(Artifact + ".minisig", c => Serve.File(c, Encoding.UTF8.GetBytes(minisign.Sign(other, "t", prehashed: true))));
        var request = new DownloadRequest(_server.Https(Artifact), Destination)
        {
            SignatureUri = _server.Https(Artifact + ".minisig"),
            SignatureVerifier = new MinisignVerifier(MinisignPublicKey.Parse(minisign.PublicKeyBase64, "k")),
        };
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<SignatureInvalidException>(() => downloader.DownloadAsync(request));
        Assert.Empty(Directory.GetFiles(_root));
    }

    [Fact]
    public async Task SignatureUriWithoutKey_IsRefused()
    {
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<ArgumentException>(() => downloader.DownloadAsync(new DownloadRequest(_server.Https(Artifact), Destination)
        {
            ChecksumUri = _server.Https("SHA256SUMS"),
            SignatureUri = _server.Https("SHA256SUMS.sig"),
        }));
    }
}
