using System.IO;
using System.Linq;
using System.Text;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

public class ModuleManifestUpdaterTests
{
    private static readonly Uri Page = new("https://feed.test/api/v2/FindPackagesById()?id='Pester'");

    private static byte[] Atom(string entries, string links = "") => Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" " +
        "xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\">" + links + entries + "</feed>");

    private static string Entry(string version) => $"<entry><m:properties><d:Id>Pester</d:Id><d:Version>{version}</d:Version></m:properties></entry>";

    [Fact]
    public void ODataPage_GivesEachEntrysVersion_AndTheNextLinkResolvedAgainstThePage()
    {
        (var versions, Uri? next) = ModuleManifestUpdater.ParseODataPage(
            Atom(Entry("5.9.0") + Entry("4.10.1") + Entry("not a version"), "<link rel=\"self\" href=\"x\" /><link rel=\"next\" href=\"FindPackagesById()?id='Pester'&amp;$skip=100\" />"), Page);
        Assert.Equal(new[] { "5.9.0", "4.10.1" }, versions.Select(v => v.Normalized));
        Assert.Equal("https://feed.test/api/v2/FindPackagesById()?id='Pester'&$skip=100", next!.OriginalString.Replace("%27", "'"));
    }

    [Fact]
    public void ODataPage_RefusesADtd_AndADocumentThatIsNoFeed()
    {
        byte[] bomb = Encoding.UTF8.GetBytes("<?xml version=\"1.0\"?><!DOCTYPE feed [<!ENTITY a \"aaaa\">]><feed>&a;</feed>");
        Assert.Equal(ErrorIds.FeedInvalid, Assert.Throws<ModuleException>(() => ModuleManifestUpdater.ParseODataPage(bomb, Page)).ErrorId);
        Assert.Equal(ErrorIds.FeedInvalid, Assert.Throws<ModuleException>(() => ModuleManifestUpdater.ParseODataPage(Encoding.UTF8.GetBytes("<html><body>login</body></html>"), Page)).ErrorId);
    }

    [Fact]
    public void FlatIndex_GivesTheVersions_AndRefusesAnotherShape()
    {
        Uri where = new("https://feed.test/flat/pester/index.json");
        Assert.Equal(new[] { "1.0.0", "2.0.0-beta1" }, ModuleManifestUpdater.ParseFlatIndex(Encoding.UTF8.GetBytes("{\"versions\":[\"1.0.0\",\"2.0.0-beta1\"]}"), where).Select(v => v.Normalized));
        Assert.Equal(ErrorIds.FeedInvalid, Assert.Throws<ModuleException>(() => ModuleManifestUpdater.ParseFlatIndex(Encoding.UTF8.GetBytes("[1,2]"), where)).ErrorId);
    }

    private const string Sha1 = "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111a";
    private const string Sha2 = "2222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222b";

    private static string Apply(string text, params ModulePinUpdate[] pins)
    {
        PinnedManifest manifest = new ManifestReader().Read(new StringReader(text), "tools.yml", null);
        return ModuleManifestUpdater.Apply(text, "tools.yml", null, manifest, pins.ToList());
    }

    private static ModulePinUpdate Pin(string name, string version, string sha) => new() { Name = name, Version = version, Sha512 = sha, Source = "https://feed.test/v3/index.json" };

    [Fact]
    public void Apply_ReplacesAPinnedModulesValuesInPlace_AndAppendsANewOne_KeepingComments()
    {
        string text = "# top\nmodules:\n  # the analyzer\n  PSScriptAnalyzer:   # pinned for CI\n    version: '1.22.0'\n    sha512: " + Sha1 + "\n    source: https://feed.test/v3/index.json\n# end\n";
        string result = Apply(text, Pin("PSScriptAnalyzer", "1.23.0", Sha2), Pin("Pester", "5.9.0", Sha1));
        Assert.Equal("# top\nmodules:\n  # the analyzer\n  PSScriptAnalyzer:   # pinned for CI\n    version: \"1.23.0\"\n    sha512: \"" + Sha2 + "\"\n    source: https://feed.test/v3/index.json\n" +
            "  Pester:\n    version: \"5.9.0\"\n    sha512: \"" + Sha1 + "\"\n    source: https://feed.test/v3/index.json\n# end\n", result);
    }

    [Fact]
    public void Apply_RefusesAnotherDigestForAPinnedVersion()
    {
        string text = "modules:\n  Pester:\n    version: \"5.9.0\"\n    sha512: \"" + Sha1 + "\"\n    source: https://feed.test/v3/index.json\n";
        var ex = Assert.Throws<PinnedDigestChangedException>(() => Apply(text, Pin("Pester", "5.9.0", Sha2)));
        Assert.Equal(ErrorIds.PinnedDigestChanged, ex.ErrorId);
        Assert.Contains(Sha1, ex.Message);
        Assert.Equal(text, Apply(text, Pin("Pester", "5.9.0", Sha1)));
    }

    [Fact]
    public void Apply_AddsAModulesSection_ToAManifestOfTools()
    {
        string text = "tools:\n  go:\n    default_version: \"1.22.0\"\n    versions:\n      \"1.22.0\":\n        artifacts:\n          linux-x64:\n            url: https://go.dev/dl/go1.22.0.linux-amd64.tar.gz\n            sha256: " + new string('a', 64) + "\n";
        string result = Apply(text, Pin("Pester", "5.9.0", Sha1));
        Assert.StartsWith(text + "modules:\n  Pester:\n", result);
    }
}
