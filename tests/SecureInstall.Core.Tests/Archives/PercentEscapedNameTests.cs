using System.Text;
using SecureInstall.Core.Archives;

namespace SecureInstall.Core.Tests.Archives;

/// <summary>
/// Issue 22: a .nupkg's entry names are OPC part names, percent-escaped ("My%20Module.psm1"). With
/// <see cref="ArchiveExtractionOptions.DecodePercentEscapes"/> they are decoded, and the decoded name meets every archive rule.
/// </summary>
public sealed class PercentEscapedNameTests : IDisposable
{
    private readonly ArchiveSandbox _box = new();

    public void Dispose() => _box.Dispose();

    private static ArchiveExtractionOptions Opc => new() { DecodePercentEscapes = true };

    [Fact]
    public void EscapedNames_AreDecoded_WhenAsked_AndKeptAsTheyAreOtherwise()
    {
        string zip = _box.Zip("pkg.nupkg", ("My%20Module.psm1", Encoding.UTF8.GetBytes("x")), ("de/Gr%C3%BC%C3%9Fe.psd1", Encoding.UTF8.GetBytes("y")), ("[Content_Types].xml", Encoding.UTF8.GetBytes("z")));

        _box.Extract(zip, Opc);

        Assert.True(File.Exists(Path.Combine(_box.Destination, "My Module.psm1")));
        Assert.True(File.Exists(Path.Combine(_box.Destination, "de", "Grüße.psd1")));
        Assert.True(File.Exists(Path.Combine(_box.Destination, "[Content_Types].xml")));
    }

    [Fact]
    public void WithoutTheOption_ThePercentIsPartOfTheName()
    {
        string zip = _box.Zip("plain.zip", ("My%20Module.psm1", Encoding.UTF8.GetBytes("x")));

        _box.Extract(zip);

        Assert.True(File.Exists(Path.Combine(_box.Destination, "My%20Module.psm1")));
    }

    [Theory]
    [InlineData("%2e%2e/escaped.ps1", UnsafeEntryRule.ParentTraversal)]
    [InlineData("sub/%2E%2E/%2E%2E/escaped.ps1", UnsafeEntryRule.ParentTraversal)]
    [InlineData("a%2Fb.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("a%5C..%5Cb.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("nul%00.ps1", UnsafeEntryRule.ControlCharacter)]
    [InlineData("bad%zz.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("cut%2", UnsafeEntryRule.InvalidEscape)]
    [InlineData("notutf8%C3.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("%2Fabsolute.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("C%3A%5Cx.ps1", UnsafeEntryRule.InvalidEscape)]
    [InlineData("stream.ps1%3Ahidden", UnsafeEntryRule.AlternateDataStream)]
    public void DecodedNameThatIsUnsafe_IsRefused_WithTheArchiveRule_AndNothingWritten(string name, UnsafeEntryRule rule)
    {
        string zip = _box.Zip("hostile.nupkg", ("ok.psd1", Encoding.UTF8.GetBytes("@{}")), (name, Encoding.UTF8.GetBytes("owned")));

        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => _box.Extract(zip, Opc));

        Assert.Equal(rule, ex.Rule);
        Assert.Equal(ErrorIds.UnsafeArchiveEntry, ex.ErrorId);
        _box.AssertNothingWritten();
    }
}
