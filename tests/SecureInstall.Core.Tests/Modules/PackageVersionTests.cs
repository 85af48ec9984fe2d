using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

public class PackageVersionTests
{
    [Theory]
    [InlineData("1.2", "1.2.0")]
    [InlineData("1.2.0.0", "1.2.0")]
    [InlineData("1.02.3.4", "1.2.3.4")]
    [InlineData("2.0.0-Beta1", "2.0.0-beta1")]
    [InlineData("1.0.0+build.5", "1.0.0")]
    public void Normalized_IsWhatTheFlatContainerUses(string text, string normalized) =>
        Assert.Equal(normalized, PackageVersion.TryParse(text)!.Normalized);

    [Theory]
    [InlineData("")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1..2")]
    [InlineData("v1.0")]
    [InlineData("1.0-")]
    [InlineData("1.0-be ta")]
    public void NotAVersion_IsNull(string text) => Assert.Null(PackageVersion.TryParse(text));

    [Fact]
    public void Release_SortsAfterItsPrereleases_AndEqualVersionsCompareEqual()
    {
        Assert.True(PackageVersion.TryParse("1.0.0")!.CompareTo(PackageVersion.TryParse("1.0.0-rc1")) > 0);
        Assert.True(PackageVersion.TryParse("1.0.0-rc1")!.CompareTo(PackageVersion.TryParse("1.0.0")) < 0);
        Assert.True(PackageVersion.TryParse("1.2")!.SameAs(PackageVersion.TryParse("1.2.0.0")!));
    }

    [Theory]
    [InlineData("1.5.0", "1.0", true)]
    [InlineData("0.9.0", "1.0", false)]
    [InlineData("1.0.0", "[1.0]", true)]
    [InlineData("1.0.1", "[1.0]", false)]
    [InlineData("1.9.9", "[1.0,2.0)", true)]
    [InlineData("2.0.0", "[1.0,2.0)", false)]
    [InlineData("1.0.0", "(1.0,2.0]", false)]
    [InlineData("2.0.0", "(1.0,2.0]", true)]
    [InlineData("0.1.0", "(,1.0]", true)]
    [InlineData("9.9.9", "", true)]
    public void Satisfies_ReadsNuGetRanges(string version, string range, bool expected) =>
        Assert.Equal(expected, PackageVersion.TryParse(version)!.Satisfies(range));

    [Theory]
    [InlineData("[1.0")]
    [InlineData("[a,b]")]
    [InlineData("(1.0)")]
    public void Satisfies_UnreadableRange_IsNull(string range) => Assert.Null(PackageVersion.TryParse("1.0.0")!.Satisfies(range));
}
