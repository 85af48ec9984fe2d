using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class ChecksumEntryTests
{
    [Fact]
    public void FromDigest_AcceptsPrefixAndUpperCase()
    {
        ChecksumEntry e = ChecksumEntry.FromDigest("SHA256:" + new string('A', 64), null, "t");
        Assert.Equal(ChecksumAlgorithm.SHA256, e.Algorithm);
        Assert.Equal(new string('a', 64), e.Digest);
    }

    [Theory]
    [InlineData("xyz")]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("blake3:aaaa")]
    public void FromDigest_RefusesMalformedInput(string value)
    {
        var ex = Assert.Throws<InvalidDigestException>(() => ChecksumEntry.FromDigest(value, null, "t"));
        Assert.Equal("InvalidHash", ex.ErrorId);
    }

    [Fact]
    public void FromDigest_RefusesAlgorithmThatContradictsLength()
    {
        Assert.Throws<InvalidDigestException>(() => ChecksumEntry.FromDigest(new string('a', 64), ChecksumAlgorithm.SHA512, "t"));
        Assert.Throws<InvalidDigestException>(() => ChecksumEntry.FromDigest("sha512:" + new string('a', 64), null, "t"));
    }
}
