using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.Manifests;

/// <summary>Issue 19: -Platform and --platform are read by one rule.</summary>
public sealed class PlatformsTests
{
    [Theory]
    [InlineData("linux-x64", "linux-x64")]
    [InlineData("Linux_AArch64", "linux-arm64")]
    [InlineData("macos-arm64", "darwin-arm64")]
    [InlineData("win-amd64", "windows-x64")]
    public void Parse_ReadsTheAliasesMetInTheWild(string typed, string expected) => Assert.Equal(expected, Platforms.Parse(typed));

    [Fact]
    public void Parse_RefusesAnUnknownPlatform_NamingTheKnownOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Platforms.Parse("solaris-sparc"));

        Assert.Equal($"'solaris-sparc' is not a platform (one of {string.Join(", ", Platforms.Known)}).", ex.Message);
    }
}
