using System.Text;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// Issue 20: the Docker config's credsStore and credHelpers. What a helper answers, and docker's precedence
/// (credHelpers[host] &gt; credsStore &gt; auths). The round trip through a real helper (docker-credential-pass with pass and
/// gpg) runs in tests/pester/Save-PinnedTool.Tests.ps1, in child processes with their own GNUPGHOME and password store.
/// </summary>
public sealed class DockerCredentialHelperTests : IDisposable
{
    private const string Missing = "secureinstall-test-no-such-helper";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Auths(string host) =>
        "\"auths\": {\"" + host + "\": {\"auth\": \"" + Convert.ToBase64String(Encoding.UTF8.GetBytes("fleet:from-auths")) + "\"}}";

    [Fact]
    public void Answer_IsAUserAndPassword_OrAnIdentityTokenForTheUserToken()
    {
        var helper = new DockerCredentialHelper("pass", "/home/u/.docker/config.json");
        // docker-credential-pass 0.6.4 answers a host it holds nothing for with empty fields and exit code 0: anonymous.
        Assert.Null(helper.Parse("""{"ServerURL":"other.example","Username":"","Secret":""}""", "other.example"));
        RegistryCredential basic = helper.Parse("""{"ServerURL":"r.example","Username":"fleet","Secret":"pw"}""", "r.example")!;
        Assert.False(basic.IsIdentityToken);
        Assert.Equal(("fleet", "pw"), (basic.UserName, basic.Password));
        Assert.Contains("docker-credential-pass", basic.Source, StringComparison.Ordinal);

        RegistryCredential token = helper.Parse("""{"ServerURL":"r.example","Username":"<token>","Secret":"refresh-123"}""", "r.example")!;
        Assert.True(token.IsIdentityToken);
        Assert.Equal("refresh-123", token.Password);
        Assert.DoesNotContain("refresh-123", token.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"ServerURL":"r.example","Username":"fleet"}""")]
    [InlineData("[]")]
    public void Answer_ThatIsNoCredential_IsRegistryCredentialHelperFailed(string output)
    {
        var helper = new DockerCredentialHelper("pass", "/c.json");
        var ex = Assert.Throws<RegistryCredentialHelperException>(() => helper.Parse(output, "r.example"));
        Assert.Equal(ErrorIds.RegistryCredentialHelperFailed, ex.ErrorId);
        Assert.Contains("r.example", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../../bin/sh")]
    [InlineData("/usr/bin/evil")]
    [InlineData("pass get")]
    [InlineData("")]
    public void HelperName_ThatIsNotAProgramNameSuffix_IsRefused_NothingRuns(string name)
    {
        string config = _dir.File("config.json", "{\"credsStore\": \"" + name.Replace("\\", "\\\\") + "\", " + Auths("r.example") + "}");
        if (name.Length == 0)
        {
            // An empty credsStore is what docker writes when none is set: auths is read.
            Assert.Equal("from-auths", DockerConfig.Find("r.example", config)!.Password);
            return;
        }
        var ex = Assert.Throws<RegistryCredentialException>(() => DockerConfig.Find("r.example", config));
        Assert.Equal(ErrorIds.RegistryCredentialInvalid, ex.ErrorId);
    }

    [Fact]
    public void MissingHelper_IsRegistryCredentialHelperFailed_NamingTheProgramAndTheConfig()
    {
        string config = _dir.File("config.json", "{\"credsStore\": \"" + Missing + "\", " + Auths("r.example") + "}");
        var ex = Assert.Throws<RegistryCredentialHelperException>(() => DockerConfig.Find("r.example", config));
        Assert.Equal(ErrorIds.RegistryCredentialHelperFailed, ex.ErrorId);
        Assert.Equal(FailureKind.AuthenticationFailed, ex.Kind);
        Assert.Contains("docker-credential-" + Missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains(config, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Precedence_IsDockers_CredHelpersForTheHost_ThenCredsStore_ThenAuths()
    {
        // credHelpers names a helper for this host only: it is run (and fails here), before credsStore and auths.
        string config = _dir.File("config.json", "{\"credHelpers\": {\"r.example:5000\": \"" + Missing + "\"}, \"credsStore\": \"" + Missing + "-store\", "
            + Auths("r.example:5000") + "}");
        Assert.Contains("docker-credential-" + Missing + " ", Assert.Throws<RegistryCredentialHelperException>(() => DockerConfig.Find("r.example:5000", config)).Message, StringComparison.Ordinal);
        // Another host: credsStore.
        Assert.Contains("docker-credential-" + Missing + "-store", Assert.Throws<RegistryCredentialHelperException>(() => DockerConfig.Find("other.example", config)).Message, StringComparison.Ordinal);
        // No helper at all: auths.
        string plain = _dir.File("plain.json", "{" + Auths("r.example:5000") + "}");
        Assert.Equal("from-auths", DockerConfig.Find("r.example:5000", plain)!.Password);
    }
}
