using SecureInstall.Core.Downloads;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>Issue 17 #9: a token goes only to the hosts the user tied it to.</summary>
public sealed class HostBoundTokenTests
{
    [Fact]
    public void ATokenTiedToACommandLineUri_GoesToThatHostAndPortOnly()
    {
        HostBoundToken token = HostBoundToken.Create("t", new Uri("http://127.0.0.1:8080/a.bin"), null);

        Assert.Equal("t", token.For(new Uri("http://127.0.0.1:8080/other.bin")));
        Assert.Null(token.For(new Uri("http://127.0.0.1:9090/a.bin")));
        Assert.Null(token.For(new Uri("http://localhost:8080/a.bin")));
    }

    [Fact]
    public void TokenHosts_AreHostsHostPortsOrUris_AndABareHostMeansPort443()
    {
        HostBoundToken token = HostBoundToken.Create("t", null, new[] { "API.example.com", "127.0.0.1:8443", "http://files.example:8080/ignored/path" });

        Assert.Equal("t", token.For(new Uri("https://api.example.com/x")));
        Assert.Null(token.For(new Uri("http://api.example.com/x")));
        Assert.Equal("t", token.For(new Uri("https://127.0.0.1:8443/x")));
        Assert.Equal("t", token.For(new Uri("http://files.example:8080/y")));
        Assert.Null(token.For(new Uri("https://evil.example/x")));
    }

    [Fact]
    public void ATokenTiedToNoHost_IsRefused_AsTokenHostRequired()
    {
        var ex = Assert.Throws<TokenHostException>(() => HostBoundToken.Create("t", null, Array.Empty<string>()));

        Assert.Equal(ErrorIds.TokenHostRequired, ex.ErrorId);
    }

    [Theory]
    [InlineData("example.com/path")]
    [InlineData("user:pw@example.com")]
    [InlineData("")]
    [InlineData("ftp://example.com")]
    public void AMalformedTokenHost_IsRefused_AsTokenHostInvalid(string entry)
    {
        var ex = Assert.Throws<TokenHostException>(() => HostBoundToken.Create("t", new Uri("https://example.com/a"), new[] { entry }));

        Assert.Equal(ErrorIds.TokenHostInvalid, ex.ErrorId);
    }

    [Fact]
    public void FromOptions_NoTokenAndNoHosts_IsNoToken_HostsWithoutAToken_AreTokenHostInvalid()
    {
        Assert.Null(HostBoundToken.FromOptions(null, new Uri("https://example.test/a"), Array.Empty<string>()));
        Assert.Null(HostBoundToken.FromOptions(string.Empty, null, null));
        var ex = Assert.Throws<TokenHostException>(() => HostBoundToken.FromOptions(null, null, new[] { "api.example.com" }));
        Assert.Equal(ErrorIds.TokenHostInvalid, ex.ErrorId);
        Assert.Equal("t", HostBoundToken.FromOptions("t", null, new[] { "api.example.com" })!.For(new Uri("https://api.example.com/x")));
    }
}
