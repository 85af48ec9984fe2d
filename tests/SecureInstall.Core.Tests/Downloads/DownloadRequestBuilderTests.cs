using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>Issue 19: the option rules both download front ends share.</summary>
public sealed class DownloadRequestBuilderTests : IDisposable
{
    private static readonly SignatureKeySpec Keys = new(new SignatureKeyNames("-Min", "-Pgp", "-Fpr", "-SigUri"));
    private static readonly Uri[] Artifact = { new("https://example.test/dl/tool-1.0.zip") };
    private readonly string _dir = Directory.CreateTempSubdirectory("builder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DownloadRequestBuilder Builder(HostBoundToken? token = null, Func<string, string?>? env = null) =>
        new(Keys, verifier: null, token, env ?? (_ => null));

    [Fact]
    public void AFolderDestination_ReceivesTheFileUnderTheUrisFileName()
    {
        DownloadRequest request = Builder().Create(Artifact, _dir, null);

        Assert.Equal(Path.Combine(_dir, "tool-1.0.zip"), request.Destination);
    }

    [Theory]
    [InlineData("https://example.test/a/..%5C..%5Cevil.exe")]   // on Windows "..\..\evil.exe" would land two folders up
    [InlineData("https://example.test/a/tool.zip%3Ahidden")]    // an NTFS stream of tool.zip
    public void AFolderDestination_AndAUriWhoseLastPartIsNoPlainFileName_IsInvalidUri_AndNothingIsPlaced(string uri)
    {
        var ex = Assert.Throws<InvalidUriException>(() => Builder().Create(new[] { new Uri(uri) }, _dir, null));
        Assert.Equal(ErrorIds.InvalidUri, ex.ErrorId);
        Assert.Contains("not one plain file name", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void AFileDestination_IsKept_AndEmptyMeansTheCurrentFolder()
    {
        string file = Path.Combine(_dir, "renamed.zip");

        Assert.Equal(file, Builder().Create(Artifact, file, null).Destination);
        Assert.Equal(Path.Combine(".", "tool-1.0.zip"), Builder().Create(Artifact, string.Empty, null).Destination);
    }

    [Fact]
    public void ASignatureUriWithoutAKey_IsSignatureParametersInvalid()
    {
        var ex = Assert.Throws<SignatureParametersException>(() => Builder().Create(Artifact, _dir, new Uri("https://example.test/dl/tool-1.0.zip.minisig")));

        Assert.Equal(ErrorIds.SignatureParametersInvalid, ex.ErrorId);
        Assert.Equal("-SigUri needs the key to check it with: -Min or -Pgp.", ex.Message);
    }

    [Fact]
    public void ATiedToken_GoesToItsHost_ElseGitHubsTokenFromTheEnvironmentGoesToGitHubOnly()
    {
        Func<string, string?> env = name => name == "GITHUB_TOKEN" ? "gh" : null;
        HostBoundToken tied = HostBoundToken.Create("mine", Artifact[0], null);

        Assert.Equal("mine", Builder(tied, env).Create(Artifact, _dir, null).Token);
        Assert.Null(Builder(null, env).Create(Artifact, _dir, null).Token);
        Assert.Equal("gh", Builder(tied, env).Create(new[] { new Uri("https://github.com/o/r/releases/download/v1/t.zip") }, _dir, null).Token);
    }
}
