using System.Security.Cryptography;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.Downloads;

public class MirrorConfigurationTests
{
    [Fact]
    public void Expand_PutsMatchingMirrorsFirst_ThenTheOriginal()
    {
        using var dir = new TempDir();
        string file = dir.File("mirrors.json", """{"mirrors": [{"prefix": "https://github.com/", "mirror": "https://proxy.corp.test/gh/"}]}""");
        MirrorConfiguration m = MirrorConfiguration.Load(file);
        var expanded = m.Expand(new[] { new Uri("https://github.com/o/r/releases/download/v1/t.zip"), new Uri("https://other.test/t.zip") });
        Assert.Equal(new[] { "https://proxy.corp.test/gh/o/r/releases/download/v1/t.zip", "https://github.com/o/r/releases/download/v1/t.zip", "https://other.test/t.zip" },
            expanded.Select(u => u.AbsoluteUri));
    }

    [Fact]
    public void MissingFile_MeansNoMirrors()
    {
        Assert.Empty(MirrorConfiguration.Load("/nonexistent/mirrors.json").Rules);
    }

    [Theory]
    [InlineData("""{"mirrors": [{"prefix": "https://a.test/", "mirror": "http://plain.test/"}]}""")]
    [InlineData("""{"mirrors": [{"prefix": "not a uri", "mirror": "https://m.test/"}]}""")]
    [InlineData("""{"mirrors": 3}""")]
    [InlineData("""not json""")]
    public void BadConfiguration_IsAnErrorNamingTheFile(string json)
    {
        using var dir = new TempDir();
        string file = dir.File("mirrors.json", json);
        var ex = Assert.Throws<MirrorConfigurationException>(() => MirrorConfiguration.Load(file));
        Assert.Equal(ErrorIds.MirrorConfigurationInvalid, ex.ErrorId);
        Assert.Contains(file, ex.Message);
    }

    [Fact]
    public async Task PinnedDownload_IsServedByTheConfiguredMirror_WhenTheOriginIsUnreachable()
    {
        using var dir = new TempDir();
        string served = dir.File("mirror/pkg/t.bin", "payload");
        string sha = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(served))).ToLowerInvariant();
        string config = dir.File("mirrors.json", $$"""{"mirrors": [{"prefix": "https://127.0.0.1:1/", "mirror": "{{new Uri(Path.Combine(dir.Path, "mirror")).AbsoluteUri}}/"}]}""");
        var options = new VerifiedDownloaderOptions { NoCache = true, Mirrors = MirrorConfiguration.Load(config), MaximumRetries = 0 };
        using var downloader = new VerifiedDownloader(options);
        var request = new DownloadRequest(new Uri("https://127.0.0.1:1/pkg/t.bin"), Path.Combine(dir.Path, "out.bin"))
        {
            Expected = ChecksumEntry.FromDigest(sha, ChecksumAlgorithm.SHA256, "test"),
        };
        DownloadResult result = await downloader.DownloadAsync(request);
        Assert.True(result.Uri.IsFile);
        Assert.Equal("payload", File.ReadAllText(Path.Combine(dir.Path, "out.bin")));
    }

    [Fact]
    public async Task UnpinnedDownload_NeverUsesConfiguredMirrors()
    {
        using var dir = new TempDir();
        dir.File("mirror/pkg/t.bin", "payload");
        string config = dir.File("mirrors.json", $$"""{"mirrors": [{"prefix": "https://127.0.0.1:1/", "mirror": "{{new Uri(Path.Combine(dir.Path, "mirror")).AbsoluteUri}}/"}]}""");
        var options = new VerifiedDownloaderOptions { NoCache = true, Mirrors = MirrorConfiguration.Load(config), MaximumRetries = 0 };
        using var downloader = new VerifiedDownloader(options);
        var request = new DownloadRequest(new Uri("https://127.0.0.1:1/pkg/t.bin"), Path.Combine(dir.Path, "out.bin")) { SkipVerification = true };
        await Assert.ThrowsAsync<DownloadFailedException>(() => downloader.DownloadAsync(request));
        Assert.False(File.Exists(Path.Combine(dir.Path, "out.bin")));
    }
}
