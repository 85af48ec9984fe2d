using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// Issue 21: PowerShell script signatures (# SIG # Begin signature block) verified in managed code. The digest is proven
/// on scripts Windows signed (tests/fixtures/authenticode-scripts, README there); the rest sign scripts with the real
/// signer osslsigncode (which signs .ps1/.psm1/.psd1/.ps1xml as the PowerShell SIP does) and the lab's certificates.
/// </summary>
public sealed class PowerShellScriptTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private readonly AuthenticodeLab _lab = lab;

    /// <summary>"CN=PSCatalog Code Signing", the signer of both real samples.</summary>
    private const string RealSampleSigner = "CN=PSCatalog Code Signing";

    private static string Fixture(string name) => Path.Combine(TestPaths.RepositoryRoot, "tests", "fixtures", "authenticode-scripts", name);

    private AuthenticodeVerifier Verifier(string? thumbprint = null, string? subject = null, bool platformStore = false)
    {
        var options = new AuthenticodeVerifierOptions { Trust = platformStore ? AuthenticodeTrust.PlatformStore : AuthenticodeTrust.FromFiles(new[] { _lab.RootFile }) };
        if (thumbprint != null) options.SignerThumbprints.Add(thumbprint);
        if (subject != null) options.SignerSubjects.Add(subject);
        if (thumbprint == null && subject == null) options.SignerThumbprints.Add(_lab.Publisher.Thumbprint);
        return new AuthenticodeVerifier(options, platform: null, now: null);
    }

    private string Script(string name, string text, System.Text.Encoding? encoding = null)
    {
        string path = Path.Combine(_lab.Dir, name);
        File.WriteAllText(path, text, encoding ?? new System.Text.UTF8Encoding(false));
        return path;
    }

    private const string Body = "param([string]$Name = 'world')\r\nWrite-Output \"Hello, $Name\"\r\n";

    private static (byte[] Claimed, byte[] Computed) Digests(string path)
    {
        using FileStream stream = File.OpenRead(path);
        PowerShellScript script = PowerShellScript.Read(stream, path, path);
        AuthenticodeSignedData signature = AuthenticodeSignedData.ReadAll(script.Signature!, path, script.IndirectDataType, script.Kind, script.SipGuid)[0];
        return (signature.ImageDigest, script.Hash(new[] { signature.ImageHashAlgorithm }, CancellationToken.None)[signature.ImageHashAlgorithm]);
    }

    [Theory]
    [InlineData("TestArchiveModule.1.0.1.11.psd1")]
    [InlineData("TestArchiveModule.1.0.1.5.psd1")]
    public void RealWindowsSignedScript_DigestEqualsTheSignedSpcIndirectDataContentDigest(string name)
    {
        (byte[] claimed, byte[] computed) = Digests(Fixture(name));
        Assert.Equal(20, claimed.Length); // SHA-1, as Windows signed in 2016
        Assert.Equal(Hex.Encode(claimed), Hex.Encode(computed));
    }

    [Fact]
    public void RealWindowsSignedScript_WithLfLineEndings_NoLongerMatches_LineBreaksAreSigned()
    {
        string lf = Script("lf.psd1", File.ReadAllText(Fixture("TestArchiveModule.1.0.1.11.psd1")).Replace("\r\n", "\n"));
        (byte[] claimed, byte[] computed) = Digests(lf);
        Assert.NotEqual(Hex.Encode(claimed), Hex.Encode(computed));
    }

    [Fact]
    public void RealWindowsSignedScript_VerifiesUpToTheChain_WhoseTestRootIsNotPublished()
    {
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(subject: RealSampleSigner, platformStore: true).Verify(Fixture("TestArchiveModule.1.0.1.11.psd1")));

        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.Equal(RealSampleSigner, ex.Result.Signer);
        Assert.DoesNotContain("changed after", ex.Message);
    }

    [Fact]
    public void RealWindowsSignedScript_OneCharacterChanged_IsSignatureInvalid()
    {
        string changed = Script("changed.psd1", File.ReadAllText(Fixture("TestArchiveModule.1.0.1.11.psd1")).Replace("ModuleVersion=\"1.0.1.11\"", "ModuleVersion=\"1.0.1.12\""));

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(subject: RealSampleSigner, platformStore: true).Verify(changed));

        Assert.Contains("changed after it was signed", ex.Message);
    }

    [SkippableTheory]
    [InlineData("hello.ps1", "sha256")]
    [InlineData("Module.psm1", "sha256")]
    [InlineData("Module.psd1", "sha384")]
    [InlineData("hello.ps1", "sha1")]
    public void SignedByOsslsigncode_PinnedSigner_IsValid_AndSaysScriptHash(string name, string hash)
    {
        string signed = _lab.Sign(Script(name, Body), _lab.Publisher, hash);
        Assert.Equal(0, _lab.OsslVerify(signed));

        SignatureResult result = Verifier().Verify(signed);

        Assert.True(result.IsValid);
        Assert.Equal(_lab.Publisher.Thumbprint, result.Fingerprint);
        Assert.Contains("script hash " + hash.ToUpperInvariant(), result.Checks);
    }

    [SkippableTheory]
    [InlineData("utf8bom")]
    [InlineData("utf16le")]
    public void SignedScriptWithAByteOrderMark_IsValid_TheMarkIsHashedAsText(string encoding)
    {
        System.Text.Encoding enc = encoding == "utf16le" ? new System.Text.UnicodeEncoding(false, true) : new System.Text.UTF8Encoding(true);
        string signed = _lab.Sign(Script("bom-" + encoding + ".ps1", "# Grüße\r\n" + Body, enc), _lab.Publisher);
        Assert.Equal(0, _lab.OsslVerify(signed));

        Assert.True(Verifier().Verify(signed).IsValid);
    }

    [SkippableFact]
    public void SignedPs1Xml_XmlCommentBlock_IsValid()
    {
        string signed = _lab.Sign(Script("Types.ps1xml", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Types>\r\n</Types>\r\n"), _lab.Publisher);
        Assert.Contains("<!-- SIG # Begin signature block -->", File.ReadAllText(signed));

        Assert.True(Verifier().Verify(signed).IsValid);
    }

    [SkippableFact]
    public void TamperedOneCharacter_IsSignatureInvalid()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.Publisher);
        File.WriteAllText(signed, File.ReadAllText(signed).Replace("Hello,", "Hellp,"));
        Assert.NotEqual(0, _lab.OsslVerify(signed));

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.Contains("changed after it was signed", ex.Message);
    }

    [SkippableFact]
    public void OtherSigner_IsSignerNotTrusted_NamingIt()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.SecondPublisher);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier().Verify(signed));

        Assert.Contains(_lab.SecondPublisher.Thumbprint, ex.Actual);
    }

    [SkippableFact]
    public void SignerWithoutCodeSigningEku_IsSignerNotTrusted()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.WebServer);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.WebServer.Thumbprint).Verify(signed));

        Assert.Contains("1.3.6.1.5.5.7.3.3", ex.Message);
    }

    [SkippableFact]
    public void ExpiredSigner_NoTimestamp_IsSignerNotTrusted_ButTimestampedInsideValidity_IsValid()
    {
        string script = Script("hello.ps1", Body);
        string bare = _lab.Sign(script, _lab.Expired);
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.Expired.Thumbprint).Verify(bare));
        Assert.Contains("no timestamp", ex.Message);

        string stamped = _lab.Sign(script, _lab.Expired, tsa: _lab.TimestampAuthority, tsaTime: AuthenticodeLab.Now.AddYears(-2).AddDays(-30));
        SignatureResult result = Verifier(thumbprint: _lab.Expired.Thumbprint).Verify(stamped);
        Assert.True(result.IsValid);
        Assert.NotNull(result.SignedAt);
    }

    [SkippableTheory]
    [InlineData("not-base64")]
    [InlineData("not-a-comment")]
    [InlineData("cut-der")]
    public void CorruptedBlock_IsSignatureFormatInvalid(string how)
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.Publisher);
        var lines = File.ReadAllText(signed).Split(new[] { "\r\n" }, StringSplitOptions.None).ToList();
        int begin = lines.IndexOf("# SIG # Begin signature block");
        switch (how)
        {
            case "not-base64": lines[begin + 3] = lines[begin + 3].Remove(12, 1).Insert(12, "!"); break;
            case "not-a-comment": lines[begin + 3] = lines[begin + 3].Substring(2); break;
            default: lines.RemoveRange(begin + 3, 4); break;
        }
        File.WriteAllText(signed, string.Join("\r\n", lines));

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.SignatureFormatInvalid, ex.ErrorId);
    }

    [Fact]
    public void UnsignedScript_IsSignatureInvalid_NoBlock()
    {
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(Script("hello.ps1", Body)));

        Assert.Contains("no Authenticode signature", ex.Message);
    }

    [SkippableFact]
    public void TextAfterTheBlock_IsRefused_NoSignatureCoversIt()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.Publisher);
        File.AppendAllText(signed, "Remove-Item -Recurse C:\\\r\n");

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(signed));

        Assert.Contains("text follows the signature block", ex.Message);
    }

    [SkippableFact]
    public void TwoBlocks_AreRefused()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.Publisher);
        string text = File.ReadAllText(signed);
        string block = text.Substring(text.IndexOf("\r\n# SIG # Begin", StringComparison.Ordinal));
        File.WriteAllText(signed, text + "Write-Output 'more'" + block);

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(signed));

        Assert.Contains("2 signature blocks", ex.Message);
    }

    [SkippableFact]
    public void PeSignatureCopiedIntoAScript_IsRefused_ItIsNotForThePowerShellSip()
    {
        string pe = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] der;
        using (FileStream stream = File.OpenRead(pe))
        {
            PeImage image = PeImage.Read(stream, pe);
            der = image.ReadSignature(stream);
        }
        string base64 = Convert.ToBase64String(der);
        var block = new System.Text.StringBuilder("\r\n# SIG # Begin signature block\r\n");
        for (int i = 0; i < base64.Length; i += 64) block.Append("# ").Append(base64, i, Math.Min(64, base64.Length - i)).Append("\r\n");
        block.Append("# SIG # End signature block\r\n");
        string script = Script("transplant.ps1", Body + block);

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(script));

        Assert.Contains("not a PowerShell script", ex.Message);
    }

    [Fact]
    public void NotUtf8WithoutAByteOrderMark_IsRefused_TheCodePageWouldDecide()
    {
        string path = Path.Combine(_lab.Dir, "ansi.ps1");
        File.WriteAllBytes(path, new byte[] { (byte)'#', (byte)' ', 0xE9, (byte)'\r', (byte)'\n' });

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(path));

        Assert.Contains("ANSI code page", ex.Message);
    }

    [SkippableFact]
    public void DownloadStagedUnderATemporaryName_IsReadAsAScript_ByTheNameItIsShownAs()
    {
        string signed = _lab.Sign(Script("hello.ps1", Body), _lab.Publisher);
        string staged = Path.Combine(_lab.Dir, ".hello.ps1.1234.partial");
        File.Copy(signed, staged, overwrite: true);

        SignatureResult result = Verifier().Verify(staged, "https://example.test/hello.ps1?sig=redacted", CancellationToken.None);

        Assert.True(result.IsValid);
        Assert.Throws<SignatureNotSupportedException>(() => Verifier().Verify(staged, "https://example.test/hello.bin", CancellationToken.None));
    }
}
