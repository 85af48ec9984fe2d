using System.Collections.Concurrent;
using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.IO;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;
using SecureInstall.Core.Tests.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>
/// A download's Authenticode requirement (DownloadRequest.Authenticode), over a loopback HTTPS server, on PE files the
/// real signer osslsigncode signs with the lab's certificates: checked on the staged bytes before they are placed, and
/// again on a cache hit.
/// </summary>
public sealed class StagedAuthenticodeTests : IAsyncLifetime, IDisposable
{
    private readonly AuthenticodeLab _lab = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "si-acdl-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<string> _log = new();
    private LoopbackServer _server = null!;

    private string OutDir => Path.Combine(_root, "out");
    private string Destination => Path.Combine(OutDir, "setup.dll");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(OutDir);
        _server = await LoopbackServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    public void Dispose() => _lab.Dispose();

    private VerifiedDownloaderOptions Options(bool cache = false) => new()
    {
        NoCache = !cache,
        CacheDirectory = Path.Combine(_root, "cache"),
        ServerCertificateValidation = _server.Trust,
        Log = _log.Enqueue,
    };

    /// <summary>The managed check alone: on Windows WinVerifyTrust would not trust the lab's root.</summary>
    private AuthenticodeVerifier Pin(AuthenticodeLab.Identity signer)
    {
        var options = new AuthenticodeVerifierOptions { Trust = AuthenticodeTrust.FromFiles(new[] { _lab.RootFile }) };
        options.SignerThumbprints.Add(signer.Thumbprint);
        return new AuthenticodeVerifier(options, platform: null, now: null);
    }

    /// <summary>Serves <paramref name="file"/> as setup.dll; the request pins its SHA-256 (unless <paramref name="pinDigest"/> is false) and the signer.</summary>
    private DownloadRequest Serve(string file, AuthenticodeLab.Identity pinned, bool pinDigest = true)
    {
        byte[] bytes = File.ReadAllBytes(file);
        _server.Map("setup.dll", c => Downloads.Serve.File(c, bytes));
        var request = new DownloadRequest(_server.Https("setup.dll"), Destination) { Authenticode = Pin(pinned) };
        if (pinDigest) request.Expected = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA256.HashData(bytes)), ChecksumAlgorithm.SHA256, "-Sha256");
        return request;
    }

    private void AssertNothingLeft() => Assert.Empty(Directory.GetFileSystemEntries(OutDir));

    /// <summary>One owner for "seal the staged file only when a check runs" (a fetch and a cache copy both asked it).</summary>
    [SkippableFact]
    public void AStagedFile_IsSealedOnlyWhenAnAuthenticodeCheckRuns()
    {
        using AtomicFile staged = AtomicFile.Create(Destination);
        staged.Stream.WriteByte(1);
        Assert.Null(StagedAuthenticode.Check(new DownloadRequest(new Uri("https://example.test/a.dll"), Destination), staged, flushToDisk: false, new Uri("https://example.test/a.dll"), _log.Enqueue, default));
        Assert.True(staged.Stream.CanWrite, "no check was asked for, so the staged file stays open for writing");

        string unsigned = _lab.UnsignedPe32();
        var request = new DownloadRequest(new Uri("https://example.test/a.dll"), Destination) { Authenticode = Pin(_lab.Publisher) };
        using AtomicFile pe = AtomicFile.Create(Path.Combine(OutDir, "b.dll"));
        pe.Stream.Write(File.ReadAllBytes(unsigned));
        Assert.ThrowsAny<SecureInstallException>(() => StagedAuthenticode.Check(request, pe, flushToDisk: false, new Uri("https://example.test/b.dll"), _log.Enqueue, default));
        Assert.False(pe.Stream.CanWrite, "the check reads the file by name, so it was sealed first");
    }

    [SkippableFact]
    public async Task SignedByThePinnedSigner_IsPlaced_WithTheSignatureInTheResult()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult result = await downloader.DownloadAsync(Serve(signed, _lab.Publisher));
        Assert.Equal(File.ReadAllBytes(signed), File.ReadAllBytes(Destination));
        Assert.True(result.Verified);
        Assert.Equal("-Sha256", result.DigestSource);
        Assert.Equal(SignatureScheme.Authenticode, result.Signature!.Scheme);
        Assert.Equal(_lab.Publisher.Thumbprint, result.Signature.Fingerprint);
        Assert.StartsWith("managed (1 signature: image hash SHA256", result.Signature.Checks);
        // Named by the URI the user gave, not by the temporary file the bytes were checked in.
        Assert.Equal(UriText.Redact(_server.Https("setup.dll")), result.Signature.Path);
        Assert.Contains(_log, l => l.StartsWith("The artifact's Authenticode signature is valid", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task SignatureAlone_VerifiesTheDownload_AndNamesItAsTheSource()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        using var downloader = new VerifiedDownloader(Options());
        DownloadResult result = await downloader.DownloadAsync(Serve(signed, _lab.Publisher, pinDigest: false));
        Assert.True(result.Verified);
        Assert.Equal($"Authenticode signature by thumbprint {_lab.Publisher.Thumbprint}", result.DigestSource);
    }

    [SkippableFact]
    public async Task OtherSigner_IsSignerNotTrusted_AndNothingIsPlaced()
    {
        string byOther = _lab.Sign(_lab.UnsignedPe32(), _lab.SecondPublisher);
        using var downloader = new VerifiedDownloader(Options());
        var ex = await Assert.ThrowsAsync<SignerNotTrustedException>(() => downloader.DownloadAsync(Serve(byOther, _lab.Publisher)));
        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        AssertNothingLeft();
    }

    [SkippableFact]
    public async Task ChangedAfterSigning_IsSignatureInvalid_NamingTheUri_AndTheOldFileStays()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        bytes[0x400] ^= 1;
        string tampered = Path.Combine(_lab.Dir, "tampered.dll");
        File.WriteAllBytes(tampered, bytes);
        File.WriteAllText(Destination, "the old file");
        using var downloader = new VerifiedDownloader(Options());
        var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() => downloader.DownloadAsync(Serve(tampered, _lab.Publisher)));
        Assert.Contains("changed after it was signed", ex.Message);
        Assert.Contains("setup.dll", ex.Message);
        Assert.DoesNotContain(".partial", ex.Message);
        Assert.Equal("the old file", File.ReadAllText(Destination));
        Assert.Single(Directory.GetFileSystemEntries(OutDir));
    }

    [SkippableFact]
    public async Task Unsigned_IsSignatureInvalid_AndAppendedBytes_ArePeImageMalformed()
    {
        AuthenticodeLab.SkipWithoutTool();
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<SignatureInvalidException>(() => downloader.DownloadAsync(Serve(_lab.UnsignedPe32(), _lab.Publisher, pinDigest: false)));
        AssertNothingLeft();
        string appended = Path.Combine(_lab.Dir, "appended.dll");
        File.WriteAllBytes(appended, File.ReadAllBytes(_lab.Sign(_lab.UnsignedPe32(), _lab.Publisher)).Concat(new byte[16]).ToArray());
        var ex = await Assert.ThrowsAsync<PeImageMalformedException>(() => downloader.DownloadAsync(Serve(appended, _lab.Publisher, pinDigest: false)));
        Assert.Equal(ErrorIds.PeImageMalformed, ex.ErrorId);
        AssertNothingLeft();
    }

    [SkippableFact]
    public async Task CacheHit_IsVerifiedAgain_BeforeItIsPlaced()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        using (var first = new VerifiedDownloader(Options(cache: true)))
            Assert.False((await first.DownloadAsync(Serve(signed, _lab.Publisher))).FromCache);
        File.Delete(Destination);
        int requests = _server.RequestsTo("setup.dll").Count;

        using var downloader = new VerifiedDownloader(Options(cache: true));
        DownloadResult hit = await downloader.DownloadAsync(Serve(signed, _lab.Publisher));
        Assert.True(hit.FromCache);
        Assert.Equal(_lab.Publisher.Thumbprint, hit.Signature!.Fingerprint);
        File.Delete(Destination);

        // The same cached bytes, pinned to another signer: refused from the cache, with nothing placed and nothing fetched.
        await Assert.ThrowsAsync<SignerNotTrustedException>(() => downloader.DownloadAsync(Serve(signed, _lab.SecondPublisher)));
        AssertNothingLeft();
        Assert.Equal(requests, _server.RequestsTo("setup.dll").Count);
        Assert.Contains(_log, l => l.StartsWith("Verifying the Authenticode signature", StringComparison.Ordinal));
    }

    [Fact]
    public void FromPins_NoPin_IsNull_RootWithoutPin_IsSignatureParametersInvalid()
    {
        Assert.Null(AuthenticodeVerifier.FromPins(Array.Empty<string>(), Array.Empty<string>(), Array.Empty<string>(), "--trusted-root"));
        var ex = Assert.Throws<SignatureParametersException>(() => AuthenticodeVerifier.FromPins(Array.Empty<string>(), Array.Empty<string>(), new[] { _lab.RootFile }, "--trusted-root"));
        Assert.Equal(ErrorIds.SignatureParametersInvalid, ex.ErrorId);
        Assert.Contains("--trusted-root", ex.Message);
        Assert.Throws<InvalidFingerprintException>(() => AuthenticodeVerifier.FromPins(new[] { "ABCD" }, Array.Empty<string>(), Array.Empty<string>(), "--trusted-root"));
    }

    [Fact]
    public async Task SkipVerification_WithASigner_IsRefusedBeforeAnyRequest()
    {
        var request = new DownloadRequest(_server.Https("setup.dll"), Destination) { Authenticode = Pin(_lab.Publisher), SkipVerification = true };
        using var downloader = new VerifiedDownloader(Options());
        await Assert.ThrowsAsync<ArgumentException>(() => downloader.DownloadAsync(request));
        Assert.Empty(_server.RequestsTo("setup.dll"));
        AssertNothingLeft();
    }

    [Fact]
    public void Builder_GivesEveryRequestTheSigner()
    {
        AuthenticodeVerifier pin = Pin(_lab.Publisher);
        var builder = new DownloadRequestBuilder(new SignatureKeySpec(new SignatureKeyNames("-MinisignPublicKey", "-PgpPublicKey", "-Fingerprint", "-SignatureUri")), null, null, _ => null, authenticode: pin);
        Assert.Same(pin, builder.Create(new[] { _server.Https("setup.dll") }, Destination, null).Authenticode);
    }
}
