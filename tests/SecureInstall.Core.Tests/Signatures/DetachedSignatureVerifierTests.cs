using System.Text;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>How VerifyFile finds the signature when none is named: beside the file, or inside it (clear-signed).</summary>
public class DetachedSignatureVerifierTests
{
    [Fact]
    public void Minisign_FindsFileDotMinisig()
    {
        using var dir = new TempDir();
        var key = MinisignTestKey.Create();
        string file = dir.File("app.zip", "bytes");
        dir.File("app.zip.minisig", key.Sign(Encoding.UTF8.GetBytes("bytes"), "t", prehashed: true));
        SignatureResult r = new MinisignVerifier(MinisignPublicKey.Parse(key.PublicKeyBase64, "k")).VerifyFile(file);
        Assert.Equal(file + ".minisig", r.SignaturePath);
    }

    [Theory]
    [InlineData(".sig")]
    [InlineData(".asc")]
    [InlineData(".gpg")]
    public void OpenPgp_FindsSigAscOrGpg(string extension)
    {
        using var dir = new TempDir();
        var key = PgpTestKey.Create();
        string file = dir.File("SHA256SUMS", "list");
        File.WriteAllBytes(file + extension, key.Sign(Encoding.UTF8.GetBytes("list"), armored: extension == ".asc"));
        Assert.Equal(file + extension, new OpenPgpVerifier(key.Ring()).VerifyFile(file).SignaturePath);
    }

    [Fact]
    public void OpenPgp_WithNoSignatureBeside_ChecksAClearSignedFile()
    {
        using var dir = new TempDir();
        var key = PgpTestKey.Create();
        string file = dir.File("hashes.txt", key.ClearSign("abc  app.zip\n"));
        Assert.Equal("clear-signed", new OpenPgpVerifier(key.Ring()).VerifyFile(file).SignaturePath);
    }

    [Fact]
    public void NoSignatureAnywhere_IsSignatureNotFound_NamingWhatWasTried()
    {
        using var dir = new TempDir();
        string file = dir.File("SHA256SUMS", "abc  app.zip\n");
        var ex = Assert.Throws<SignatureFileNotFoundException>(() => new OpenPgpVerifier(PgpTestKey.Create().Ring()).VerifyFile(file));
        Assert.Equal(ErrorIds.SignatureNotFound, ex.ErrorId);
        Assert.Equal(new[] { "SHA256SUMS.sig", "SHA256SUMS.asc", "SHA256SUMS.gpg" }, ex.Tried);
    }
}
