using System.Text;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>Issue 20: what an oci:// reference, a Docker config, a Bearer challenge and a mirrors.json registry entry may be.</summary>
public sealed class OciReferenceTests
{
    [Theory]
    [InlineData("oci://registry.example.com/tools/si:v1", "registry.example.com", "tools/si", "v1")]
    [InlineData("oci://127.0.0.1:5000/a", "127.0.0.1:5000", "a", "latest")]
    [InlineData("oci://Host.Example:8443/org/team/tool.x_y-z:1.2.3-rc_1", "host.example:8443", "org/team/tool.x_y-z", "1.2.3-rc_1")]
    public void Parse_ReadsHostRepositoryAndTag(string text, string host, string repository, string tag)
    {
        OciReference r = OciReference.Parse(text);
        Assert.Equal(host, r.Host);
        Assert.Equal(repository, r.Repository);
        Assert.Equal(tag, r.Tag);
        Assert.Equal($"https://{host}/v2/{repository}/blobs/sha256:00", r.BlobUri("sha256:00").AbsoluteUri);
    }

    [Theory]
    [InlineData("https://registry.example.com/tools")]
    [InlineData("oci://registry.example.com")]
    [InlineData("oci://registry.example.com/")]
    [InlineData("oci://registry.example.com/Tools")]
    [InlineData("oci://registry.example.com/tools/../etc")]
    [InlineData("oci://registry.example.com/tools?x=1")]
    [InlineData("oci://registry.example.com/tools:-bad")]
    [InlineData("oci://user:pass@registry.example.com/tools")]
    [InlineData("oci://registry.example.com/tools/%2e%2e/x")]
    public void Parse_RefusesWhatTheDistributionSpecDoesNotAllow(string text)
    {
        var ex = Assert.Throws<RegistryReferenceException>(() => OciReference.Parse(text));
        Assert.Equal(ErrorIds.RegistryReferenceInvalid, ex.ErrorId);
        Assert.DoesNotContain("pass@", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistrySource_IsAReferenceOrAnImageLayoutFolder_AndNothingElse()
    {
        using var dir = new TempDir();
        Assert.NotNull(RegistrySource.Parse("oci://r.example/x").Reference);
        Assert.Equal(ErrorIds.RegistryReferenceInvalid, Assert.Throws<RegistryReferenceException>(() => RegistrySource.Parse(dir.Path)).ErrorId);
        dir.File("oci-layout", """{"imageLayoutVersion":"1.0.0"}""");
        RegistrySource layout = RegistrySource.Parse(dir.Path);
        Assert.Equal(Path.Combine(dir.Path, "blobs", "sha256", new string('a', 64)), layout.BlobUri("sha256:" + new string('A', 64)).LocalPath);
        Assert.Throws<RegistryReferenceException>(() => RegistrySource.Parse("https://r.example/x"));
    }

    [Fact]
    public void ABundleWrittenBeforeTheImageLayout_GivenAsARegistry_IsRefusedSayingThatSourceReadsIt()
    {
        // Review finding: the refusal only said to write a new layout, which an air-gapped machine holding an older bundle
        // cannot do (Save-PinnedTool fetches from the manifest's URLs); -Source reads that bundle as it is.
        using var dir = new TempDir();
        dir.File("artifacts/" + new string('a', 64) + "/tool.tar.gz", "x");
        dir.File("secureinstall.yml", "tools: {}\n");
        var ex = Assert.Throws<RegistryReferenceException>(() => RegistrySource.Parse(dir.Path));
        Assert.Equal(ErrorIds.RegistryReferenceInvalid, ex.ErrorId);
        Assert.Contains($"install from it with -Source {dir.Path} (--source)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DockerConfig_FindsTheHostsAuth_InAnyKeyForm()
    {
        using var dir = new TempDir();
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("fleet:pa:ss"));
        string file = dir.File("config.json", $$$"""{"auths": {"https://other.example/v1/": {"auth": "eDp5"}, "https://r.example:5000/v1/": {"auth": "{{{auth}}}"} } }""");
        RegistryCredential? found = DockerConfig.Find("r.example:5000", file);
        Assert.NotNull(found);
        Assert.Equal("fleet", found!.UserName);
        Assert.Equal("pa:ss", found.Password);
        Assert.Equal(file, found.Source);
        Assert.DoesNotContain("pa:ss", found.ToString(), StringComparison.Ordinal);
        Assert.Null(DockerConfig.Find("r.example", file));
        Assert.Null(DockerConfig.Find("r.example", Path.Combine(dir.Path, "none.json")));
    }

    [Fact]
    public void DockerConfig_AnAuthsEntryWithAnIdentityToken_IsThatToken_NotItsEmptyPassword()
    {
        // Review finding: docker login to ACR writes {"auth": base64("00000000-…:"), "identitytoken": "…"}; the empty password
        // was sent as Basic and refused. The identity token is what docker sends, to the token service.
        using var dir = new TempDir();
        string auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("00000000-0000-0000-0000-000000000000:"));
        string file = dir.File("config.json", $$$"""{"auths": {"fleet.azurecr.io": {"auth": "{{{auth}}}", "identitytoken": "eyJ-refresh"} } }""");
        RegistryCredential? found = DockerConfig.Find("fleet.azurecr.io", file);
        Assert.NotNull(found);
        Assert.True(found!.IsIdentityToken);
        Assert.Equal("eyJ-refresh", found.Password);
        Assert.Equal(file, found.Source);
    }

    [Theory]
    [InlineData("""{"auths": {"r.example": {"auth": "not base64!"}}}""")]
    [InlineData("""{"auths": {"r.example": {"auth": "bm9jb2xvbg=="}}}""")]
    [InlineData("""{"auths": """)]
    public void DockerConfig_Malformed_IsRegistryCredentialInvalid_NamingTheFile(string json)
    {
        using var dir = new TempDir();
        string file = dir.File("config.json", json);
        var ex = Assert.Throws<RegistryCredentialException>(() => DockerConfig.Find("r.example", file));
        Assert.Equal(ErrorIds.RegistryCredentialInvalid, ex.ErrorId);
        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AGivenCredential_GoesOnlyToTheRegistriesItWasGivenWith_NotToAMirrorsJsonRegistry()
    {
        // Review finding: -RegistryCredential / --registry-user was sent to every registry tried, mirrors.json ones included.
        using var dir = new TempDir();
        string config = dir.File("config.json", """{"auths": {"mirror.example": {"auth": "bWlycm9yOm93bg=="}}}""");
        var given = new RegistryCredential("fleet", "s3cret");
        var options = new VerifiedDownloaderOptions { RegistryCredential = given, Registries = new[] { RegistrySource.Parse("oci://internal.example:5000/tools") } };
        using var blobs = new RegistryBlobs(options);

        Assert.Same(given, blobs.CredentialFor("internal.example:5000", config));
        Assert.Null(blobs.CredentialFor("other.example", config));
        RegistryCredential? own = blobs.CredentialFor("mirror.example", config);
        Assert.Equal("mirror", own!.UserName);
        Assert.Equal("own", own.Password);
    }

    [Fact]
    public void BearerChallenge_ParametersAreRead_QuotedOrNot()
    {
        var p = RegistryClient.ChallengeParameters("realm=\"https://auth.example/token\",service=\"registry.example\", scope=\"repository:a/b:pull,push\",error=insufficient_scope");
        Assert.Equal("https://auth.example/token", p["realm"]);
        Assert.Equal("registry.example", p["service"]);
        Assert.Equal("repository:a/b:pull,push", p["scope"]);
        Assert.Equal("insufficient_scope", p["error"]);
    }

    [Fact]
    public void MirrorsJson_RegistryEntries_AreRead_AndABadOneIsMirrorConfigurationInvalid()
    {
        using var dir = new TempDir();
        string file = dir.File("mirrors.json", """{"mirrors": [{"registry": "oci://registry.corp.example/tools"}, {"prefix": "https://github.com/", "mirror": "https://proxy.corp.example/gh/"}]}""");
        MirrorConfiguration m = MirrorConfiguration.Load(file);
        Assert.Equal("tools", Assert.Single(m.Registries).Reference!.Repository);
        Assert.Single(m.Rules);
        string bad = dir.File("bad.json", """{"mirrors": [{"registry": "oci://registry.corp.example"}]}""");
        var ex = Assert.Throws<MirrorConfigurationException>(() => MirrorConfiguration.Load(bad));
        Assert.Equal(ErrorIds.MirrorConfigurationInvalid, ex.ErrorId);
    }
}
