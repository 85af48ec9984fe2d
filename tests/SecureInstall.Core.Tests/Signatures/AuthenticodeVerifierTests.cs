using System.Runtime.InteropServices;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>Only the off-Windows behaviour runs on the Linux CI; the Windows cases run where WinVerifyTrust exists.</summary>
public class AuthenticodeVerifierTests
{
    private static AuthenticodeVerifier Pinned()
    {
        var options = new AuthenticodeVerifierOptions();
        options.SignerThumbprints.Add("0123456789ABCDEF0123456789ABCDEF01234567");
        return new AuthenticodeVerifier(options);
    }

    [SkippableFact]
    public void OffWindows_AWindowsScriptHostFile_IsSignatureNotSupported_NeverAPass()
    {
        Skip.If(RuntimeInformation.IsOSPlatform(OSPlatform.Windows), "WinVerifyTrust exists here");
        using var dir = new TempDir();
        string file = dir.File("install.vbs", "WScript.Echo \"no PE, cabinet, MSI or PowerShell SIP reads this\"\n");
        var ex = Assert.Throws<SignatureNotSupportedException>(() => Pinned().Verify(file));
        Assert.Equal(ErrorIds.SignatureNotSupported, ex.ErrorId);
        Assert.Equal(FailureKind.NotSupported, ex.Kind);
        Assert.Contains("not a PE file", ex.Message);
        Assert.Contains("Windows", ex.Message);
    }

    [Fact]
    public void AFileStartingMZ_ButNoPeHeader_IsPeImageMalformed_OnEveryOs()
    {
        using var dir = new TempDir();
        string file = dir.File("setup.exe", "MZ not really, just text pretending to be a program....................................");
        var ex = Assert.Throws<SecureInstall.Core.Signatures.Authenticode.PeImageMalformedException>(() => Pinned().Verify(file));
        Assert.Equal(ErrorIds.PeImageMalformed, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
    }

    [SkippableFact]
    public void OnWindows_UnsignedFile_IsSignatureInvalid()
    {
        Skip.IfNot(RuntimeInformation.IsOSPlatform(OSPlatform.Windows), "needs WinVerifyTrust");
        using var dir = new TempDir();
        string file = dir.File("unsigned.ps1", "Write-Output 1\n");
        Assert.Throws<SignatureInvalidException>(() => Pinned().Verify(file));
    }

    [Fact]
    public void NoPin_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new AuthenticodeVerifier(new AuthenticodeVerifierOptions()));
    }

    [Fact]
    public void MalformedThumbprint_IsInvalidFingerprint()
    {
        var options = new AuthenticodeVerifierOptions();
        options.SignerThumbprints.Add("ABCD");
        Assert.Throws<InvalidFingerprintException>(() => new AuthenticodeVerifier(options));
    }
}
