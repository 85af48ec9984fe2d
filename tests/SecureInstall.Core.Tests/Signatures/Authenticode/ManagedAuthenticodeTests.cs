using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// Issue 21: Authenticode verified in managed code on every OS, against PE files the real signer (osslsigncode) signed
/// with certificates made here. The platform check is left out (null) so these run alike everywhere.
/// </summary>
public sealed class ManagedAuthenticodeTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private readonly AuthenticodeLab _lab = lab;

    private AuthenticodeVerifier Verifier(string? thumbprint = null, string? subject = null, bool platformStore = false)
    {
        var options = new AuthenticodeVerifierOptions { Trust = platformStore ? AuthenticodeTrust.PlatformStore : AuthenticodeTrust.FromFiles(new[] { _lab.RootFile }) };
        if (thumbprint != null) options.SignerThumbprints.Add(thumbprint);
        if (subject != null) options.SignerSubjects.Add(subject);
        if (thumbprint == null && subject == null) options.SignerThumbprints.Add(_lab.Publisher.Thumbprint);
        return new AuthenticodeVerifier(options, platform: null, now: null);
    }

    [SkippableFact]
    public void SignedPe32_PinnedThumbprint_IsValid_AndSaysWhatRan()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        Assert.Equal(0, _lab.OsslVerify(signed));

        SignatureResult result = Verifier().Verify(signed);

        Assert.True(result.IsValid);
        Assert.Equal(_lab.Publisher.Thumbprint, result.Fingerprint);
        Assert.Equal(_lab.Publisher.Cert.Subject, result.Signer);
        Assert.Contains("managed", result.Checks);
        Assert.Contains("SHA256", result.Checks);
        Assert.Contains("no timestamp", result.Checks);
        Assert.Null(result.SignedAt);
    }

    [SkippableTheory]
    [InlineData(true, "sha256")]
    [InlineData(false, "sha256")]
    [InlineData(true, "sha384")]
    [InlineData(true, "sha512")]
    [InlineData(false, "sha1")]
    public void SignedNative_Pe32AndPe32Plus_EveryImageHash_IsValid(bool x64, string hash)
    {
        string signed = _lab.Sign(_lab.UnsignedNative(x64), _lab.Publisher, hash);
        Assert.Equal(0, _lab.OsslVerify(signed));

        SignatureResult result = Verifier().Verify(signed);

        Assert.Contains(hash.ToUpperInvariant(), result.Checks);
    }

    [SkippableFact]
    public void PinnedSubject_IsValid()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        Assert.True(Verifier(subject: _lab.Publisher.Cert.Subject.ToUpperInvariant()).Verify(signed).IsValid);
    }

    [SkippableFact]
    public void OneChangedByte_IsSignatureInvalid_ChangedAfterSigning()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        bytes[0x400] ^= 0x01; // inside the first section
        File.WriteAllBytes(signed, bytes);
        Assert.NotEqual(0, _lab.OsslVerify(signed));

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.Contains("changed after it was signed", ex.Message);
    }

    [SkippableFact]
    public void ChangedCheckSumField_IsStillValid_TheSpecSkipsIt()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        int checkSum = BitConverter.ToInt32(bytes, 0x3C) + 4 + 20 + 64;
        bytes[checkSum] ^= 0xFF;
        File.WriteAllBytes(signed, bytes);

        Assert.True(Verifier().Verify(signed).IsValid);
    }

    [SkippableFact]
    public void OtherSigner_SameRoot_IsSignerNotTrusted_NamingBoth()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.SecondPublisher);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
        Assert.Contains(_lab.Publisher.Thumbprint, ex.Expected);
        Assert.Contains(_lab.SecondPublisher.Thumbprint, ex.Actual);
    }

    [SkippableFact]
    public void SameNameFromAnotherRoot_IsSignerNotTrusted_EvenWhenTheSubjectIsPinned()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Stranger);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(subject: _lab.Publisher.Cert.Subject).Verify(signed));

        Assert.Contains("not issued by the trusted root", ex.Reason);
    }

    [SkippableFact]
    public void NoTrustedRootGiven_ThePlatformStoreDoesNotKnowTheTestRoot_IsSignerNotTrusted()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(platformStore: true).Verify(signed));

        Assert.Contains("platform's root store", ex.Reason);
    }

    [SkippableFact]
    public void SignerWithoutCodeSigningEku_IsSignerNotTrusted()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.WebServer);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.WebServer.Thumbprint).Verify(signed));

        Assert.Contains("not a code signing certificate", ex.Reason);
    }

    [SkippableFact]
    public void ExpiredSigner_NoTimestamp_IsSignerNotTrusted_CheckedNow()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Expired);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.Expired.Thumbprint).Verify(signed));

        Assert.Contains("was not valid at", ex.Reason);
        Assert.Contains("no timestamp", ex.Reason);
    }

    [SkippableFact]
    public void ExpiredSigner_TimestampedInsideItsValidity_IsValid_SignedAtIsTheTimestamp()
    {
        DateTimeOffset stamped = AuthenticodeLab.Now.AddYears(-2).AddMonths(-6);
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Expired, tsa: _lab.TimestampAuthority, tsaTime: stamped);

        SignatureResult result = Verifier(thumbprint: _lab.Expired.Thumbprint).Verify(signed);

        Assert.Equal(stamped.ToUnixTimeSeconds(), result.SignedAt!.Value.ToUnixTimeSeconds());
        Assert.Contains(", timestamp", result.Checks);
    }

    [SkippableFact]
    public void ExpiredSigner_TimestampedAfterItExpired_IsSignerNotTrusted()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Expired, tsa: _lab.TimestampAuthority, tsaTime: AuthenticodeLab.Now.AddDays(-3));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.Expired.Thumbprint).Verify(signed));

        Assert.Contains("RFC 3161 timestamp", ex.Reason);
    }

    [SkippableFact]
    public void TimestampFromAnUntrustedAuthority_IsSignerNotTrusted_NotIgnored()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher, tsa: _lab.StrangeTimestampAuthority);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier().Verify(signed));

        Assert.Contains("timestamp", ex.Reason);
        Assert.Contains("Stranger TSA", ex.Actual);
    }

    [SkippableFact]
    public void Nested_PinnedSignerIsTheNestedOne_IsValid()
    {
        string first = _lab.Sign(_lab.UnsignedPe32(), _lab.SecondPublisher, "sha1");
        string both = _lab.Sign(first, _lab.Publisher, "sha256", nest: true);
        Assert.Equal(0, _lab.OsslVerify(both));

        SignatureResult result = Verifier(thumbprint: _lab.Publisher.Thumbprint).Verify(both);

        Assert.Equal(_lab.Publisher.Thumbprint, result.Fingerprint);
        Assert.Contains("2 signatures", result.Checks);
        Assert.Contains("SHA1/SHA256", result.Checks);
    }

    [SkippableFact]
    public void Nested_AnUntrustedNestedSignature_FailsTheFile_EvenThoughThePinnedPrimaryIsGood()
    {
        string first = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        string both = _lab.Sign(first, _lab.Stranger, nest: true);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(thumbprint: _lab.Publisher.Thumbprint).Verify(both));

        Assert.Contains("nested signature 1", ex.Reason);
    }

    [SkippableFact]
    public void CorruptedSignatureValue_IsSignatureInvalid()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        int tableEnd = bytes.Length;
        // The RSA signature value is the last large OCTET STRING of the SignerInfo, near the end of the blob.
        int at = tableEnd - 1;
        while (bytes[at] == 0) at--;
        bytes[at - 8] ^= 0x5A;
        File.WriteAllBytes(signed, bytes);

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));

        Assert.Contains("does not verify", ex.Reason);
    }

    [SkippableFact]
    public void TruncatedSignatureBlob_IsPeImageMalformed_BadCertificateEntry()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        var (tableOffset, _) = CertificateDirectory(File.ReadAllBytes(signed));
        byte[] bytes = File.ReadAllBytes(signed);
        bytes[tableOffset + 8 + 2] ^= 0x40; // the SignedData's DER length now claims far more than the entry holds
        File.WriteAllBytes(signed, bytes);

        var ex = Assert.Throws<PeImageMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.PeImageMalformed, ex.ErrorId);
        Assert.Equal(PeDefect.BadCertificateEntry, ex.Defect);
    }

    [SkippableFact]
    public void Unsigned_IsSignatureInvalid_NoSignature()
    {
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(_lab.UnsignedPe32()));

        Assert.Contains("carries no Authenticode signature", ex.Reason);
    }

    [SkippableFact]
    public void BytesAppendedAfterTheSignature_IsPeImageMalformed_CertificateTableNotAtEnd()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        File.AppendAllText(signed, "payload the signature does not cover");
        Assert.NotEqual(0, _lab.OsslVerify(signed));

        var ex = Assert.Throws<PeImageMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(PeDefect.CertificateTableNotAtEnd, ex.Defect);
    }

    [SkippableFact]
    public void DataHiddenInsideTheCertificateEntry_IsPeImageMalformed_BadCertificateEntry()
    {
        // CVE-2013-3900: grow the WIN_CERTIFICATE and the directory entry to carry bytes after the PKCS#7 blob.
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        var (tableOffset, entry) = CertificateDirectory(bytes);
        byte[] hidden = "powershell -c evil\0\0\0\0\0\0"u8.ToArray(); // 24 bytes: keeps 8-byte alignment
        var grown = bytes.Concat(hidden).ToArray();
        BitConverter.GetBytes(BitConverter.ToUInt32(bytes, entry + 4) + (uint)hidden.Length).CopyTo(grown, entry + 4);
        BitConverter.GetBytes(BitConverter.ToUInt32(bytes, tableOffset) + (uint)hidden.Length).CopyTo(grown, tableOffset);
        File.WriteAllBytes(signed, grown);

        var ex = Assert.Throws<PeImageMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(PeDefect.BadCertificateEntry, ex.Defect);
        Assert.Contains("hidden", ex.Reason);
    }

    [SkippableFact]
    public void Md5ImageHash_IsWeakAlgorithmRefused()
    {
        string signed = _lab.Sign(_lab.UnsignedPe32(), _lab.Publisher, "md5");

        var ex = Assert.Throws<SecureInstall.Core.Checksums.WeakAlgorithmException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.WeakAlgorithmRefused, ex.ErrorId);
    }

    /// <summary>(certificate table file offset, file offset of its data-directory entry) of a PE32 file.</summary>
    internal static (int TableOffset, int EntryOffset) CertificateDirectory(byte[] pe)
    {
        int optional = BitConverter.ToInt32(pe, 0x3C) + 4 + 20;
        bool plus = BitConverter.ToUInt16(pe, optional) == 0x20b;
        int entry = optional + (plus ? 112 : 96) + 4 * 8;
        return ((int)BitConverter.ToUInt32(pe, entry), entry);
    }
}

/// <summary>Issue 21: on Windows WinVerifyTrust runs beside the managed check; the agreement rule, tested with a stand-in platform check.</summary>
public sealed class AuthenticodeAgreementTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private sealed class Platform(Func<string, SignatureResult, PlatformAuthenticodeVerdict> verify) : IPlatformAuthenticode
    {
        public int Calls { get; private set; }
        public string Name => "WinVerifyTrust (stand-in)";

        public PlatformAuthenticodeVerdict Verify(string path, bool checkRevocation, SignatureResult result)
        {
            Calls++;
            return verify(path, result);
        }
    }

    private AuthenticodeVerifier Verifier(IPlatformAuthenticode platform)
    {
        var options = new AuthenticodeVerifierOptions { Trust = AuthenticodeTrust.FromFiles(new[] { lab.RootFile }) };
        options.SignerThumbprints.Add(lab.Publisher.Thumbprint);
        return new AuthenticodeVerifier(options, platform, now: null);
    }

    private static PlatformAuthenticodeVerdict Says(AuthenticodeLab.Identity who) => new(who.Thumbprint, who.Cert.Subject, "sha256RSA");

    [SkippableFact]
    public void BothAcceptTheSameSigner_IsValid_AndTheResultNamesBothChecks()
    {
        string signed = lab.Sign(lab.UnsignedPe32(), lab.Publisher);

        SignatureResult result = Verifier(new Platform((_, _) => Says(lab.Publisher))).Verify(signed);

        Assert.Contains("managed", result.Checks);
        Assert.Contains("WinVerifyTrust (stand-in) (with revocation)", result.Checks);
    }

    [SkippableFact]
    public void ThePlatformNamesAnotherSigner_FailsClosed_Disagree()
    {
        string signed = lab.Sign(lab.UnsignedPe32(), lab.Publisher);

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(new Platform((_, _) => Says(lab.SecondPublisher))).Verify(signed));

        Assert.Contains("disagree", ex.Reason);
        Assert.Contains(lab.SecondPublisher.Thumbprint, ex.Reason);
    }

    [SkippableFact]
    public void ThePlatformRefuses_WhatTheManagedCheckAccepted_FailsWithThePlatformsError()
    {
        string signed = lab.Sign(lab.UnsignedPe32(), lab.Publisher);

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(new Platform((_, r) => throw new SignerNotTrustedException(r.AsInvalid(), "a chain Windows trusts", "0x800B010C", "revoked"))).Verify(signed));

        Assert.Equal("revoked", ex.Reason);
    }

    [SkippableFact]
    public void TheManagedCheckRefuses_ThePlatformIsNotAsked_AndCannotOverrule()
    {
        string signed = lab.Sign(lab.UnsignedPe32(), lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        bytes[0x400] ^= 1;
        File.WriteAllBytes(signed, bytes);
        var platform = new Platform((_, _) => Says(lab.Publisher));

        Assert.Throws<SignatureInvalidException>(() => Verifier(platform).Verify(signed));
        Assert.Equal(0, platform.Calls);
    }

    [Fact]
    public void NotAPeFile_OnlyThePlatformChecks_AndThePinStillApplies()
    {
        using var dir = new TempDir();
        string script = dir.File("install.msi", "an MSI is a compound file, neither PE nor script\n");

        SignatureResult result = Verifier(new Platform((_, _) => Says(lab.Publisher))).Verify(script);
        Assert.Equal("WinVerifyTrust (stand-in) (with revocation)", result.Checks);

        Assert.Throws<SignerNotTrustedException>(() => Verifier(new Platform((_, _) => Says(lab.SecondPublisher))).Verify(script));
    }
}

/// <summary>
/// Issue 21: the legacy Authenticode timestamp, a PKCS#9 countersignature over the signer's signature value. osslsigncode
/// makes one only through a remote Authenticode TSA (-t URL), so the test adds it to an osslsigncode signature with
/// BouncyCastle and writes the signature back into the PE's certificate table.
/// </summary>
public sealed class CountersignatureTimestampTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private string Countersigned(AuthenticodeLab.Identity signer, AuthenticodeLab.Identity tsa, DateTimeOffset at)
    {
        string signed = lab.Sign(lab.UnsignedPe32(), signer, alsoCarry: tsa);
        byte[] pe = File.ReadAllBytes(signed);
        var (tableOffset, entry) = ManagedAuthenticodeTests.CertificateDirectory(pe);
        byte[] der;
        using (FileStream stream = File.OpenRead(signed)) der = PeImage.Read(stream, signed).ReadSignature(stream);

        var cms = new Org.BouncyCastle.Cms.CmsSignedData(der);
        Org.BouncyCastle.Cms.SignerInformation primary = cms.GetSignerInfos().GetSigners().Single();
        var generator = new Org.BouncyCastle.Cms.CmsSignedDataGenerator();
        var signingTime = new Org.BouncyCastle.Asn1.Cms.Attribute(Org.BouncyCastle.Asn1.Cms.CmsAttributes.SigningTime,
            new Org.BouncyCastle.Asn1.DerSet(new Org.BouncyCastle.Asn1.Cms.Time(at.UtcDateTime)));
        var attributes = new Org.BouncyCastle.Asn1.Cms.AttributeTable(new Org.BouncyCastle.Asn1.Asn1EncodableVector(signingTime));
        generator.AddSigner(Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(System.Security.Cryptography.X509Certificates.RSACertificateExtensions.GetRSAPrivateKey(tsa.Cert)!).Private,
            new Org.BouncyCastle.X509.X509CertificateParser().ReadCertificate(tsa.Cert.RawData), Org.BouncyCastle.Cms.CmsSignedGenerator.DigestSha256, attributes, null);
        Org.BouncyCastle.Cms.SignerInformationStore counter = generator.GenerateCounterSigners(primary);
        var stamped = Org.BouncyCastle.Cms.SignerInformation.AddCounterSigners(primary, counter);
        byte[] newDer = Org.BouncyCastle.Cms.CmsSignedData.ReplaceSigners(cms, new Org.BouncyCastle.Cms.SignerInformationStore(stamped)).GetEncoded("DER");

        int padded = (8 + newDer.Length + 7) & ~7;
        byte[] table = new byte[padded];
        BitConverter.GetBytes((uint)(8 + newDer.Length)).CopyTo(table, 0);
        BitConverter.GetBytes((ushort)0x0200).CopyTo(table, 4);
        BitConverter.GetBytes((ushort)0x0002).CopyTo(table, 6);
        newDer.CopyTo(table, 8);
        byte[] result = pe.Take(tableOffset).Concat(table).ToArray();
        BitConverter.GetBytes((uint)padded).CopyTo(result, entry + 4);
        string path = Path.Combine(lab.Dir, "countersigned-" + Guid.NewGuid().ToString("N") + ".dll");
        File.WriteAllBytes(path, result);
        return path;
    }

    private AuthenticodeVerifier Verifier(AuthenticodeLab.Identity pinned)
    {
        var options = new AuthenticodeVerifierOptions { Trust = AuthenticodeTrust.FromFiles(new[] { lab.RootFile }) };
        options.SignerThumbprints.Add(pinned.Thumbprint);
        return new AuthenticodeVerifier(options, platform: null, now: null);
    }

    [SkippableFact]
    public void ExpiredSigner_CountersignedInsideItsValidity_IsValid_AtTheCountersignatureTime()
    {
        DateTimeOffset at = AuthenticodeLab.Now.AddYears(-2).AddMonths(-6);
        string file = Countersigned(lab.Expired, lab.TimestampAuthority, at);

        SignatureResult result = Verifier(lab.Expired).Verify(file);

        Assert.Equal(at.ToUnixTimeSeconds(), result.SignedAt!.Value.ToUnixTimeSeconds());
    }

    [SkippableFact]
    public void ExpiredSigner_CountersignedAfterItExpired_IsSignerNotTrusted()
    {
        string file = Countersigned(lab.Expired, lab.TimestampAuthority, AuthenticodeLab.Now.AddDays(-1));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(lab.Expired).Verify(file));

        Assert.Contains("countersignature timestamp", ex.Reason);
    }

    [SkippableFact]
    public void CountersignatureByAnUntrustedAuthority_IsSignerNotTrusted()
    {
        string file = Countersigned(lab.Publisher, lab.StrangeTimestampAuthority, AuthenticodeLab.Now.AddDays(-1));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(lab.Publisher).Verify(file));

        Assert.Contains("Stranger TSA", ex.Actual);
    }
}
