using System.Text;
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
