using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

/// <summary>
/// The reader is compared with Import-PowerShellDataFile on every real manifest at hand in Install-PinnedModule.Tests.ps1;
/// these are the forms those files do not all show.
/// </summary>
public class PowerShellDataFileTests
{
    [Fact]
    public void ReadsTheConstantForms_ModuleManifestsUse()
    {
        IDictionary<string, object?> d = PowerShellDataFile.Parse("""
            <# block
               comment #>
            @{
                # line comment
                'Quoted Key' = 'it''s'; Plain = "tab`there"
                ModuleVersion = '1.2.3'
                Count = 42; Ratio = 0.5; Hex = 0x1F; Neg = -3
                Flags = $true, $FALSE, $null
                Nested = @{ PSData = @{ Prerelease = 'beta1'; Tags = @('a'
                    'b', 'c') } }
                Empty = @()
                Notes = @'
            line one
            $notExpanded
            '@
            }
            """, "t.psd1");
        Assert.Equal("it's", d["quoted key"]);
        Assert.Equal("tab\there", d["Plain"]);
        Assert.Equal("1.2.3", d["moduleversion"]);
        Assert.Equal(typeof(int), d["Count"]!.GetType());
        Assert.Equal(42, d["Count"]);
        Assert.Equal(0.5, d["Ratio"]);
        Assert.Equal(31, d["Hex"]);
        Assert.Equal(-3, d["Neg"]);
        Assert.Equal(new object?[] { true, false, null }, (object?[])d["Flags"]!);
        var psData = (IDictionary<string, object?>)((IDictionary<string, object?>)d["Nested"]!)["PSData"]!;
        Assert.Equal("beta1", psData["Prerelease"]);
        Assert.Equal(new object?[] { "a", "b", "c" }, (object?[])psData["Tags"]!);
        Assert.Empty((object?[])d["Empty"]!);
        Assert.Equal("line one\n$notExpanded", d["Notes"]);
    }

    [Theory]
    [InlineData("@{ A = $x }", "not constant")]
    [InlineData("@{ A = \"v$($x)\" }", "expands")]
    [InlineData("@{ A = @\"\n$x\n\"@ }", "expands")]
    [InlineData("@{ A = (1) }", "does not start a constant")]
    [InlineData("@{ A = 'x' } ; 1", "nothing may follow")]
    [InlineData("@{ A = 'x'; A = 'y' }", "given twice")]
    [InlineData("@{ A = 'x'", "never closed")]
    [InlineData("'just a string'", "one hashtable literal")]
    public void NonConstantOrMalformed_IsRefused_WithTheLine(string text, string message)
    {
        var ex = Assert.Throws<FormatException>(() => PowerShellDataFile.Parse(text, "bad.psd1"));
        Assert.Contains(message, ex.Message);
        Assert.StartsWith("bad.psd1, line ", ex.Message);
    }

    [Fact]
    public void DeepNesting_IsRefused_BeforeTheStackIs()
    {
        string text = string.Concat(Enumerable.Repeat("@{ A = ", 5000)) + "1" + new string('}', 5000);
        var ex = Assert.Throws<FormatException>(() => PowerShellDataFile.Parse(text, "deep.psd1"));
        Assert.Contains("nest deeper", ex.Message);
    }
}
