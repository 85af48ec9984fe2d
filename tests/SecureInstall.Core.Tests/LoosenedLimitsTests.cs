using SecureInstall.Core.Archives;
using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests;

/// <summary>Issue 19: one place says which limits a caller's options loosen; both front ends print it.</summary>
public sealed class LoosenedLimitsTests
{
    [Fact]
    public void SafeDefaults_LoosenNothing()
    {
        Assert.Empty(LoosenedLimits.Of(new VerifiedDownloaderOptions(), n => n));
        Assert.Empty(LoosenedLimits.Of(new ArchiveExtractionOptions(), n => n));
    }

    [Fact]
    public void EachLoosenedDownloadLimit_IsOneLine_NamedTheFrontEndsWay()
    {
        var options = new VerifiedDownloaderOptions { AllowInsecureTransport = true, AllowWeakAlgorithm = true, MaximumSize = VerifiedDownloaderOptions.DefaultMaximumSize + 1 };

        string[] lines = LoosenedLimits.Of(options, n => "-" + n).ToArray();

        Assert.Equal(3, lines.Length);
        Assert.Equal("-AllowInsecureTransport: http:// URIs are fetched; redirects from https to http are still refused.", lines[0]);
        Assert.StartsWith("-AllowWeakAlgorithm: ", lines[1]);
        Assert.Equal($"-MaximumSize raised to {VerifiedDownloaderOptions.DefaultMaximumSize + 1} (default {VerifiedDownloaderOptions.DefaultMaximumSize}).", lines[2]);
    }

    [Fact]
    public void ARaisedArchiveLimit_IsAnnounced_ALoweredOneIsNot()
    {
        var options = new ArchiveExtractionOptions { MaxDepth = ArchiveExtractionOptions.DefaultMaxDepth + 1, MaxEntryCount = 10 };

        string line = Assert.Single(LoosenedLimits.Of(options, n => n == "MaxDepth" ? "--max-depth" : n));

        Assert.Equal($"--max-depth raised to {ArchiveExtractionOptions.DefaultMaxDepth + 1} (default {ArchiveExtractionOptions.DefaultMaxDepth}).", line);
    }
}
