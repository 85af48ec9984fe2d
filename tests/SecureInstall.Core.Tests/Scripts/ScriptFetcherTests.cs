using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.Scripts;

public sealed class ScriptFetcherTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-scripts-" + Guid.NewGuid().ToString("N"));

    public ScriptFetcherTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (Uri Uri, string Sha) Publish(string text)
    {
        string path = Path.Combine(_dir, "install.ps1");
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return (new Uri(path), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant());
    }

    private static ScriptFetcher Fetcher() => new(new VerifiedDownloaderOptions { NoCache = true });

    private ScriptRequest Tofu(Uri uri, bool accept = false) =>
        new(uri) { TrustOnFirstUse = true, Accept = accept, PinStorePath = Path.Combine(_dir, "pins", "script-pins.json") };

    [Fact]
    public async Task PinnedDigest_ReturnsTheVerifiedText()
    {
        (Uri uri, string sha) = Publish("'hi'\n");
        VerifiedScript script = await Fetcher().FetchAsync(new ScriptRequest(uri) { Expected = ChecksumEntry.FromDigest(sha, ChecksumAlgorithm.SHA256, "-Sha256") });
        Assert.Equal("'hi'\n", script.Text);
        Assert.Equal(ScriptTrust.PinnedDigest, script.Trust);
        Assert.False(script.PinPending);
    }

    [Fact]
    public async Task WrongDigest_ThrowsChecksumMismatch_AndLeavesNoTemporaryFolder()
    {
        (Uri uri, _) = Publish("'hi'\n");
        int before = Directory.GetDirectories(Path.GetTempPath(), "secureinstall-script-*").Length;
        await Assert.ThrowsAsync<ChecksumMismatchException>(() => Fetcher().FetchAsync(new ScriptRequest(uri) { Expected = ChecksumEntry.FromDigest(new string('0', 64), ChecksumAlgorithm.SHA256, "-Sha256") }));
        Assert.True(Directory.GetDirectories(Path.GetTempPath(), "secureinstall-script-*").Length <= before);
    }

    [Fact]
    public async Task FirstUse_DoesNotWriteUntilRecordPin_ThenMatches_ThenRefusesAChange()
    {
        (Uri uri, string sha) = Publish("'v1'\n");
        VerifiedScript first = await Fetcher().FetchAsync(Tofu(uri));
        Assert.Equal(ScriptTrust.FirstUse, first.Trust);
        Assert.False(File.Exists(first.PinStore));
        ScriptFetcher.RecordPin(first, DateTimeOffset.UnixEpoch);
        Assert.Equal(sha, new ScriptPinStore(first.PinStore!).Find(uri)!.Sha256);

        Assert.Equal(ScriptTrust.PinStore, (await Fetcher().FetchAsync(Tofu(uri))).Trust);

        Publish("'v2'\n");
        var changed = await Assert.ThrowsAsync<ScriptChangedException>(() => Fetcher().FetchAsync(Tofu(uri)));
        Assert.Equal(sha, changed.PinnedSha256);
        Assert.Contains("-'v1'\n+'v2'\n", changed.Diff);
        Assert.Equal(ErrorIds.ScriptChanged, changed.ErrorId);

        VerifiedScript accepted = await Fetcher().FetchAsync(Tofu(uri, accept: true));
        Assert.Equal(ScriptTrust.Repinned, accepted.Trust);
        ScriptFetcher.RecordPin(accepted, DateTimeOffset.UnixEpoch);
        Assert.Equal(accepted.Sha256, new ScriptPinStore(accepted.PinStore!).Find(uri)!.Sha256);
    }

    [Fact]
    public async Task NeitherDigestNorTrustOnFirstUse_IsAnArgumentError()
    {
        (Uri uri, _) = Publish("'hi'\n");
        await Assert.ThrowsAsync<ArgumentException>(() => Fetcher().FetchAsync(new ScriptRequest(uri)));
    }
}
