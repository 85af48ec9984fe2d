using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

public class NuGetFeedTests
{
    private static readonly Uri Index = new("https://feed.test/v3/index.json");

    [Fact]
    public void FlatContainer_IsThePackageBaseAddress_AndPackagePathsAreLowerCaseNormalised()
    {
        // The shape of nuget.org's index: several resources, @type sometimes an array.
        byte[] json = Encoding.UTF8.GetBytes("""
            { "version": "3.0.0", "resources": [
              { "@id": "https://azuresearch.test/query", "@type": "SearchQueryService" },
              { "@id": "https://api.test/v3-flatcontainer/", "@type": ["PackageBaseAddress/3.0.0", "Other"] } ] }
            """);
        Uri flat = NuGetFeed.FlatContainerOf(json, Index);
        Assert.Equal("https://api.test/v3-flatcontainer/", flat.AbsoluteUri);
        Assert.Equal("https://api.test/v3-flatcontainer/psscriptanalyzer/1.23.0/psscriptanalyzer.1.23.0.nupkg",
            NuGetFeed.FlatContainerPackageUri(flat, "PSScriptAnalyzer", PackageVersion.TryParse("1.23")!).AbsoluteUri);
    }

    [Fact]
    public void V2_PackageUri_IsSourcePackageIdVersion()
    {
        Assert.False(NuGetFeed.IsV3(new Uri("https://www.powershellgallery.com/api/v2")));
        Assert.Equal("https://www.powershellgallery.com/api/v2/package/Pester/5.9.0",
            NuGetFeed.V2PackageUri(new Uri("https://www.powershellgallery.com/api/v2"), "Pester", "5.9.0").AbsoluteUri);
    }

    [Theory]
    [InlineData("https://www.powershellgallery.com/api/v2")]
    [InlineData("https://feed.test/v3/index.json")]
    public void PackageRequest_CapsTheDownloadAtTheGallerysPackageLimit(string source)
    {
        // A module pin has no size: without the cap a hostile feed could stream until the disk is full.
        var module = new PinnedModule { Name = "Pester", Version = "5.9.0", Source = new Uri(source), Sha512 = new ChecksumEntry("Pester", ChecksumAlgorithm.SHA512, new string('a', 128), "test") };
        using var downloader = new VerifiedDownloader(new VerifiedDownloaderOptions());
        DownloadRequest request = NuGetFeed.PackageRequest(module, PackageVersion.TryParse("5.9.0")!, Path.Combine(Path.GetTempPath(), "x.nupkg"), downloader, null);
        Assert.Equal(NuGetFeed.MaximumPackageBytes, request.MaximumSize);
        Assert.Equal(256L * 1024 * 1024, NuGetFeed.MaximumPackageBytes);
    }

    [Theory]
    [InlineData("{ \"resources\": [ { \"@id\": \"https://x.test/\", \"@type\": \"SearchQueryService\" } ] }", "names no PackageBaseAddress")]
    [InlineData("<html>not json</html>", "is not a NuGet v3 service index")]
    [InlineData("{ \"resources\": [ { \"@id\": \"ftp://x.test/\", \"@type\": \"PackageBaseAddress/3.0.0\" } ] }", "not an http(s) URL")]
    public void AnUnusableIndex_IsFeedInvalid(string json, string message)
    {
        var ex = Assert.Throws<ModuleException>(() => NuGetFeed.FlatContainerOf(Encoding.UTF8.GetBytes(json), Index));
        Assert.Equal(ErrorIds.FeedInvalid, ex.ErrorId);
        Assert.Contains(message, ex.Message);
    }
}
