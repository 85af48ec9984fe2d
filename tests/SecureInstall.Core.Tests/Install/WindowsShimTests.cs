using SecureInstall.Core.Install;

namespace SecureInstall.Core.Tests.Install;

/// <summary>
/// Issue 21: the text of a Windows <c>.cmd</c> shim. cmd.exe expands <c>%…%</c> in a batch line even inside quotes, so a
/// <c>%</c> in the install root must be written <c>%%</c>; <c>^ &amp; ( )</c> and spaces are literal inside the quotes and stay as
/// they are. (tests/pester/Windows.Tests.ps1 runs such a shim through cmd.exe on Windows.)
/// </summary>
public sealed class WindowsShimTests
{
    [Theory]
    [InlineData(@"C:\Tools\go\1.23\bin\go.exe", "@\"C:\\Tools\\go\\1.23\\bin\\go.exe\" %*\r\n")]
    [InlineData(@"C:\Program Files\x\1\run.exe", "@\"C:\\Program Files\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\a%PATH%b\x\1\run.exe", "@\"C:\\a%%PATH%%b\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\100%\x\1\run.exe", "@\"C:\\100%%\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\%%\x\1\run.exe", "@\"C:\\%%%%\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\a^b\x\1\run.exe", "@\"C:\\a^b\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\R&D\x\1\run.exe", "@\"C:\\R&D\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\Program Files (x86)\x\1\run.exe", "@\"C:\\Program Files (x86)\\x\\1\\run.exe\" %*\r\n")]
    [InlineData(@"C:\a %x% ^b & (c)\x\1\run.exe", "@\"C:\\a %%x%% ^b & (c)\\x\\1\\run.exe\" %*\r\n")]
    public void ShimText_DoublesPercent_AndKeepsEverythingElseLiteralInsideTheQuotes(string target, string expected)
    {
        Assert.Equal(expected, InstallRootLayout.WindowsShimContent(target));
        Assert.Equal(target, InstallRootLayout.WindowsShimTarget(expected));
    }

    [Theory]
    [InlineData("@\"C:\\a%PATH%b\\x\\1\\run.exe\" %*\r\n")]   // an unescaped % (a shim from before the fix, or hand-written)
    [InlineData("@\"C:\\a%%%b\\x\\1\\run.exe\" %*\r\n")]       // an odd run of %
    [InlineData("@\"C:\\x\\1\\run.exe\" %*\n")]               // not ours: LF only
    [InlineData("@echo off\r\n\"C:\\x\\1\\run.exe\" %*\r\n")] // a user's own script
    public void ShimTarget_IsNull_ForTextTheWriterWouldNotProduce(string text) =>
        Assert.Null(InstallRootLayout.WindowsShimTarget(text));
}
