using System.Text;
using SecureInstall.Core.Scripts;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>
/// Issue 17 #13: `secureinstall run-script` hands the verified script to pwsh or, failing that, Windows PowerShell 5.1
/// as a file. Both read a file's BOM; without one, 5.1 reads the ANSI code page while the digest and --inspect read
/// UTF-8. The file written for the host must decode, under either host's rule, to exactly the reviewed text.
/// </summary>
public sealed class ScriptHostEncodingTests
{
    /// <summary>
    /// How Windows PowerShell 5.1 reads a script file: a StreamReader over the ANSI code page (Latin-1 stands in for
    /// Windows-1252 here) that honours a BOM (UTF-8, UTF-16 LE/BE, UTF-32).
    /// </summary>
    private static string WindowsPowerShellReads(byte[] file) =>
        new StreamReader(new MemoryStream(file), Encoding.Latin1, detectEncodingFromByteOrderMarks: true).ReadToEnd();

    /// <summary>How pwsh 7 reads one: the same, with UTF-8 when there is no BOM.</summary>
    private static string PwshReads(byte[] file) =>
        new StreamReader(new MemoryStream(file), new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true).ReadToEnd();

    public static TheoryData<string, byte[]> Scripts() => new()
    {
        { "UTF-8 without BOM, non-ASCII", new UTF8Encoding(false).GetBytes("Write-Output 'café €'\n") },
        { "UTF-8 with BOM", new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes("'café €'\n")).ToArray() },
        { "UTF-16 LE with BOM", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("'café €'\n")).ToArray() },
        { "UTF-16 BE with BOM", Encoding.BigEndianUnicode.GetPreamble().Concat(Encoding.BigEndianUnicode.GetBytes("'café €'\n")).ToArray() },
        { "FF FE 00 00: UTF-16 LE to the review, UTF-32 to a host", new byte[] { 0xFF, 0xFE, 0x00, 0x00, (byte)'\'', 0, (byte)'x', 0, (byte)'\'', 0 } },
        { "invalid UTF-8", new byte[] { (byte)'\'', 0xC3, (byte)'\'', 0xFF, (byte)'\n' } },
        { "empty", Array.Empty<byte>() },
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public void ScriptFile_DecodesToTheReviewedText_InBothHosts(string name, byte[] verified)
    {
        string reviewed = ScriptText.Decode(verified);
        byte[] file = ScriptText.ForScriptFile(verified);
        Assert.True(reviewed == WindowsPowerShellReads(file), $"{name}: Windows PowerShell would run other text than was reviewed");
        Assert.True(reviewed == PwshReads(file), $"{name}: pwsh would run other text than was reviewed");
    }

    [Fact]
    public void BomLessUtf8_IsWrittenWithABom_AndTheSameBytesAfterIt()
    {
        byte[] verified = new UTF8Encoding(false).GetBytes("Write-Output 'café €'\n");
        // The bytes as they were, which run-script used to write: Windows PowerShell would run 'cafÃ© â‚¬'.
        Assert.NotEqual(ScriptText.Decode(verified), WindowsPowerShellReads(verified));
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(verified).ToArray(), ScriptText.ForScriptFile(verified));
    }

    [Fact]
    public void BytesWithABomBothReadAlike_AreWrittenUnchanged_SoASignatureOverThemHolds()
    {
        byte[] utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("'x'\n")).ToArray();
        Assert.Equal(utf16, ScriptText.ForScriptFile(utf16));
        byte[] utf8 = new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes("'x'\n")).ToArray();
        Assert.Equal(utf8, ScriptText.ForScriptFile(utf8));
    }
}
