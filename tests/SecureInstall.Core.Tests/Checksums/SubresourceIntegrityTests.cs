using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

/// <summary>SRI digests (sha512-&lt;base64&gt;), as npm/yarn/pnpm lock files, HTML integrity= and Nix write them.</summary>
public class SubresourceIntegrityTests
{
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("hello from a lock file\n");

    private static string Sri(string name, HashAlgorithm hash) => name + "-" + Convert.ToBase64String(hash.ComputeHash(Content));

    [Theory]
    [InlineData("sha256", ChecksumAlgorithm.SHA256)]
    [InlineData("sha384", ChecksumAlgorithm.SHA384)]
    [InlineData("sha512", ChecksumAlgorithm.SHA512)]
    public void SriDigest_TakesTheAlgorithmFromThePrefix_AndVerifies(string prefix, ChecksumAlgorithm algorithm)
    {
        using HashAlgorithm hash = ChecksumAlgorithms.Create(algorithm);
        ChecksumEntry entry = ChecksumEntry.FromDigest(Sri(prefix, hash), null, "-Hash");
        Assert.Equal(algorithm, entry.Algorithm);
        using var dir = new TempDir();
        string file = dir.File("a.txt", string.Empty);
        File.WriteAllBytes(file, Content);
        Assert.True(new ChecksumVerifier().Verify(new ChecksumTarget(file, entry)).IsValid);
    }

    [Fact]
    public void SriSha1_IsReadAsTheWeakAlgorithmItIs()
    {
        using var sha1 = SHA1.Create();
        Assert.Equal(ChecksumAlgorithm.SHA1, ChecksumEntry.FromDigest(Sri("sha1", sha1), null, "lock").Algorithm);
    }

    [Fact]
    public void TwoSriHashes_BothRight_Verify()
    {
        using var sha384 = SHA384.Create();
        using var sha512 = SHA512.Create();
        ChecksumEntry entry = ChecksumEntry.FromDigest(Sri("sha384", sha384) + " " + Sri("sha512", sha512), null, "integrity");
        Assert.Equal(ChecksumAlgorithm.SHA512, entry.Algorithm);
        using var dir = new TempDir();
        string file = dir.File("a.txt", string.Empty);
        File.WriteAllBytes(file, Content);
        Assert.True(new ChecksumVerifier().Verify(new ChecksumTarget(file, entry)).IsValid);
    }

    [Fact]
    public void TwoSriHashes_TheWeakerWrong_IsAMismatch_NotTheStrongerWins()
    {
        using var sha512 = SHA512.Create();
        string wrong384 = "sha384-" + Convert.ToBase64String(new byte[48]);
        ChecksumEntry entry = ChecksumEntry.FromDigest(wrong384 + " " + Sri("sha512", sha512), null, "integrity");
        using var dir = new TempDir();
        string file = dir.File("a.txt", string.Empty);
        File.WriteAllBytes(file, Content);

        ChecksumResult result = new ChecksumVerifier().Verify(new ChecksumTarget(file, entry));

        Assert.False(result.IsValid);
        Assert.Equal(ChecksumAlgorithm.SHA384, result.ToMismatch().Algorithm);
    }

    [Theory]
    [InlineData("sha512-!!!notbase64")]
    [InlineData("sha256-AAAA")]
    [InlineData("whirlpool-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    public void MalformedSri_IsAnInvalidDigest(string value)
    {
        Assert.Throws<InvalidDigestException>(() => ChecksumEntry.FromDigest(value, null, "-Hash"));
    }

    [Fact]
    public void SriWhoseLengthContradictsItsPrefix_IsRefused()
    {
        string sha256Length = "sha512-" + Convert.ToBase64String(new byte[32]);
        var ex = Assert.Throws<InvalidDigestException>(() => ChecksumEntry.FromDigest(sha256Length, null, "-Hash"));
        Assert.Contains("SHA512", ex.Message);
    }
}
