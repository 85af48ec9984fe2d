using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// Cabinets and MSI packages made by the real tools (gcab; msibuild from msitools) and signed by osslsigncode with the
/// lab's certificates, verified in managed code; every verdict is checked against `osslsigncode verify`. Skips (with the
/// reason) when gcab, msibuild or osslsigncode is not installed; .ci/run installs them.
/// </summary>
public sealed class ContainerAuthenticodeTests(AuthenticodeLab lab) : IClassFixture<AuthenticodeLab>
{
    private static readonly byte[] SignedDataOid = { 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02 };

    private AuthenticodeVerifier Verifier(AuthenticodeLab.Identity? pinned = null)
    {
        var options = new AuthenticodeVerifierOptions { Trust = AuthenticodeTrust.FromFiles(new[] { lab.RootFile }) };
        options.SignerThumbprints.Add((pinned ?? lab.Publisher).Thumbprint);
        return new AuthenticodeVerifier(options, platform: null, now: null);
    }

    private string Unsigned(string kind) => kind == "cab" ? lab.UnsignedCab() : lab.UnsignedMsi();

    private static int IndexOf(byte[] haystack, byte[] needle, int from = 0)
    {
        for (int i = from; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        }
        return -1;
    }

    private static void Patch(string file, Action<byte[]> change)
    {
        byte[] bytes = File.ReadAllBytes(file);
        change(bytes);
        File.WriteAllBytes(file, bytes);
    }

    [SkippableTheory]
    [InlineData("cab", "sha256", "cabinet hash SHA256")]
    [InlineData("cab", "sha1", "cabinet hash SHA1")]
    [InlineData("cab", "sha512", "cabinet hash SHA512")]
    [InlineData("msi", "sha256", "MSI hash SHA256")]
    [InlineData("msi", "sha384", "MSI hash SHA384")]
    public void Signed_IsValid_AsOsslsigncodeSays(string kind, string hash, string check)
    {
        string signed = lab.Sign(Unsigned(kind), lab.Publisher, hash);
        Assert.Equal(0, lab.OsslVerify(signed));

        SignatureResult result = Verifier().Verify(signed);

        Assert.True(result.IsValid);
        Assert.Equal(lab.Publisher.Thumbprint, result.Fingerprint);
        Assert.Equal(lab.Publisher.Cert.Subject, result.Signer);
        Assert.StartsWith($"managed (1 signature: {check}", result.Checks);
    }

    [SkippableFact]
    public void LargeMsi_Version3WithDifatSectors_IsReadWhole_AndSignedAsVersion4_IsValid()
    {
        // msibuild writes 9 MiB in 512-byte sectors (version 3): more FAT sectors than the header's 109 slots, the rest
        // listed through the DIFAT chain. osslsigncode rewrites the signed file with 4096-byte sectors (version 4).
        string unsigned = lab.UnsignedMsi(9 << 20);
        byte[] head = File.ReadAllBytes(unsigned).Take(0x50).ToArray();
        Assert.Equal(3, BitConverter.ToUInt16(head, 0x1A));
        Assert.True(BitConverter.ToUInt32(head, 0x48) > 0, "the unsigned file has DIFAT sectors");
        using (FileStream stream = File.OpenRead(unsigned))
        {
            CompoundFile file = CompoundFile.Read(stream, unsigned, default);
            Assert.Contains(file.Root.Children, c => c.Size == 9 << 20 && c.Chain.Count == (9 << 20) / 512);
        }
        Assert.Contains("carries no Authenticode signature", Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(unsigned)).Reason);

        string signed = lab.Sign(unsigned, lab.Publisher);
        Assert.Equal(4, BitConverter.ToUInt16(File.ReadAllBytes(signed), 0x1A));
        Assert.Equal(0, lab.OsslVerify(signed));
        Assert.True(Verifier().Verify(signed).IsValid);
    }

    [SkippableFact]
    public void SignedMsi_WithMsiDigitalSignatureEx_IsValid_AndAChangedPreHashStream_IsRefused()
    {
        string unsigned = lab.UnsignedMsi();
        string signed = Path.Combine(lab.Dir, "dse.msi");
        AuthenticodeLab.Run(AuthenticodeLab.OsslSigncode!, $"sign -certs \"{lab.Publisher.CertFile}\" -key \"{lab.Publisher.KeyFile}\" -h sha256 -add-msi-dse -in \"{unsigned}\" -out \"{signed}\"");
        Assert.Equal(0, lab.OsslVerify(signed));
        Assert.True(Verifier().Verify(signed).IsValid);

        // The stream holds the metadata pre-hash the signature covers: a stream edited to another value is refused.
        CompoundFileEntry ex;
        byte[] before = File.ReadAllBytes(signed);
        using (var stream = new MemoryStream(before))
        {
            CompoundFile file = CompoundFile.Read(stream, signed, default);
            ex = file.Root.Children.Single(c => c.Name == "\u0005MsiDigitalSignatureEx");
            var (offset, _) = file.Ranges(ex).First();
            before[offset] ^= 0xFF;
        }
        File.WriteAllBytes(signed, before);

        var error = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));
        Assert.Contains("MsiDigitalSignatureEx", error.Reason);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void OneChangedPayloadByte_IsSignatureInvalid_ChangedAfterSigning(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.Publisher);
        Patch(signed, bytes => bytes[IndexOf(bytes, AuthenticodeLab.PayloadMarker)] ^= 0x01); // in a cabinet folder's data / in the MSI's payload stream
        Assert.NotEqual(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));

        Assert.Equal(ErrorIds.SignatureInvalid, ex.ErrorId);
        Assert.Contains("changed after it was signed", ex.Reason);
        Assert.Contains(kind == "cab" ? "cabinet hash" : "MSI hash", ex.Reason);
    }

    [SkippableFact]
    public void ChangedMsiStorageClsid_IsSignatureInvalid_TheDigestCoversIt()
    {
        string signed = lab.Sign(lab.UnsignedMsi(), lab.Publisher);
        Patch(signed, bytes =>
        {
            using var stream = new MemoryStream(bytes.ToArray());
            CompoundFile file = CompoundFile.Read(stream, signed, default);
            int root = IndexOf(bytes, file.Root.Raw);
            bytes[root + 0x50] ^= 0x01; // the root storage's CLSID
        });
        Assert.NotEqual(0, lab.OsslVerify(signed));

        Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(signed));
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void SignerFromAnotherRoot_IsSignerNotTrusted(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.Stranger);
        Assert.NotEqual(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(lab.Stranger).Verify(signed));

        Assert.Equal(ErrorIds.SignerNotTrusted, ex.ErrorId);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void ValidSignatureByAnUnpinnedSigner_IsSignerNotTrusted(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.SecondPublisher);
        Assert.Equal(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier().Verify(signed));

        Assert.Contains("did not pin", ex.Message);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void SignerWithoutCodeSigningEku_IsSignerNotTrusted(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.WebServer);
        Assert.NotEqual(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<SignerNotTrustedException>(() => Verifier(lab.WebServer).Verify(signed));

        Assert.Contains("1.3.6.1.5.5.7.3.3", ex.Message);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void Unsigned_IsSignatureInvalid_NoSignature(string kind)
    {
        AuthenticodeLab.SkipWithoutTool();
        string unsigned = Unsigned(kind);
        Assert.NotEqual(0, lab.OsslVerify(unsigned));

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier().Verify(unsigned));

        Assert.Contains("carries no Authenticode signature", ex.Reason);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void NestedSignature_EveryOneChecked_AndTheNestedSignerMayBePinned(string kind)
    {
        string once = lab.Sign(Unsigned(kind), lab.Publisher);
        string twice = lab.Sign(once, lab.SecondPublisher, "sha512", nest: true);
        Assert.Equal(0, lab.OsslVerify(twice));

        SignatureResult result = Verifier(lab.SecondPublisher).Verify(twice);

        Assert.Equal(lab.SecondPublisher.Thumbprint, result.Fingerprint);
        Assert.StartsWith("managed (2 signatures", result.Checks);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void TimestampedSignature_IsValid_AndCarriesItsTime(string kind)
    {
        DateTimeOffset at = AuthenticodeLab.Now.AddHours(-3);
        string signed = lab.Sign(Unsigned(kind), lab.Publisher, tsa: lab.TimestampAuthority, tsaTime: at);
        Assert.Equal(0, lab.OsslVerify(signed));

        SignatureResult result = Verifier().Verify(signed);

        Assert.Equal(at.ToUnixTimeSeconds(), result.SignedAt!.Value.ToUnixTimeSeconds());
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void SignatureBlobWhoseLengthLies_IsMalformed(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.Publisher);
        Patch(signed, bytes =>
        {
            int der = IndexOf(bytes, SignedDataOid) - 4; // 30 82 LL LL 06 09 … signedData
            Assert.Equal(0x30, bytes[der]);
            bytes[der + 2] ^= 0x40; // the SignedData now claims far more than the area holds
        });
        Assert.NotEqual(0, lab.OsslVerify(signed));

        SecureInstallException ex = kind == "cab"
            ? Assert.Throws<CabinetMalformedException>(() => Verifier().Verify(signed))
            : Assert.Throws<MsiMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(kind == "cab" ? ErrorIds.CabinetMalformed : ErrorIds.MsiMalformed, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
    }

    [SkippableTheory]
    [InlineData("cab")]
    [InlineData("msi")]
    public void SignatureBlobOfTheWrongType_IsSignatureFormatInvalid(string kind)
    {
        string signed = lab.Sign(Unsigned(kind), lab.Publisher);
        Patch(signed, bytes => bytes[IndexOf(bytes, SignedDataOid) + SignedDataOid.Length - 1] = 0x03); // signedData → envelopedData
        Assert.NotEqual(0, lab.OsslVerify(signed));

        Assert.Throws<SignatureFormatException>(() => Verifier().Verify(signed));
    }

    [SkippableFact]
    public void PeSignatureCarriedInACabinet_IsRefused_ForItsContentType()
    {
        // The cabinet's reserve is re-pointed at a PE signature (SpcPeImageData): refused before any digest is compared.
        string cab = lab.Sign(lab.UnsignedCab(), lab.Publisher);
        string pe = lab.Sign(lab.UnsignedPe32(), lab.Publisher);
        byte[] peBytes = File.ReadAllBytes(pe);
        int peDer = IndexOf(peBytes, SignedDataOid) - 4;
        int peLength = 4 + (peBytes[peDer + 2] << 8 | peBytes[peDer + 3]);
        byte[] cabBytes = File.ReadAllBytes(cab);
        uint offset = BitConverter.ToUInt32(cabBytes, 44);
        byte[] grafted = cabBytes.Take((int)offset).Concat(peBytes.Skip(peDer).Take(peLength)).ToArray();
        BitConverter.GetBytes((uint)peLength).CopyTo(grafted, 48);
        File.WriteAllBytes(cab, grafted);

        var ex = Assert.Throws<SignatureFormatException>(() => Verifier().Verify(cab));

        Assert.Contains("not a cabinet", ex.Message);
    }

    [SkippableFact]
    public void BytesAppendedAfterACabinetSignature_AreCabinetMalformed_SignatureNotAtEnd()
    {
        string signed = lab.Sign(lab.UnsignedCab(), lab.Publisher);
        File.AppendAllText(signed, "payload the signature does not cover");
        Assert.NotEqual(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<CabinetMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(CabinetDefect.SignatureNotAtEnd, ex.Defect);
    }

    [SkippableTheory]
    [InlineData(4, CabinetDefect.BadHeader)]   // reserved1, outside the digest
    [InlineData(16, CabinetDefect.BadHeader)]  // coffFiles no longer where the folder table ends
    [InlineData(24, CabinetDefect.BadHeader)]  // versionMinor
    public void HostileCabinetHeader_IsCabinetMalformed(int offset, CabinetDefect defect)
    {
        string signed = lab.Sign(lab.UnsignedCab(), lab.Publisher);
        Patch(signed, bytes => bytes[offset] ^= 0x08);
        Assert.NotEqual(0, lab.OsslVerify(signed));

        var ex = Assert.Throws<CabinetMalformedException>(() => Verifier().Verify(signed));

        Assert.Equal(defect, ex.Defect);
        Assert.Equal(ErrorIds.CabinetMalformed, ex.ErrorId);
    }

    // ---- hostile compound-file structures, made from a real signed MSI ----

    private sealed record MsiLayout(byte[] Bytes, CompoundFile File, CompoundFileEntry Payload, CompoundFileEntry Small)
    {
        public int EntryOffset(CompoundFileEntry entry)
        {
            for (int i = 512; i <= Bytes.Length - 128; i += 128)
            {
                if (Bytes.AsSpan(i, 128).SequenceEqual(entry.Raw)) return i;
            }
            throw new InvalidOperationException("entry not found");
        }

        public int FatEntryOffset(uint sector) => (int)((BitConverter.ToUInt32(Bytes, 0x4C) + 1) * 512 + sector * 4);

        public int MiniFatEntryOffset(uint miniSector) => (int)((BitConverter.ToUInt32(Bytes, 0x3C) + 1) * 512 + miniSector * 4);
    }

    private (string Path, MsiLayout Layout) SignedMsiLayout()
    {
        string signed = lab.Sign(lab.UnsignedMsi(), lab.Publisher);
        byte[] bytes = File.ReadAllBytes(signed);
        using var stream = new MemoryStream(bytes.ToArray());
        CompoundFile file = CompoundFile.Read(stream, signed, default);
        CompoundFileEntry payload = file.Root.Children.Single(c => !c.InMiniStream && c.Size == 100_000);
        CompoundFileEntry small = file.Root.Children.First(c => c.InMiniStream && c.Size > 64);
        return (signed, new MsiLayout(bytes, file, payload, small));
    }

    private void AssertMsiRefused(string path, MsiLayout layout, MsiDefect defect)
    {
        File.WriteAllBytes(path, layout.Bytes);
        var ex = Assert.Throws<MsiMalformedException>(() => Verifier().Verify(path));
        Assert.Equal(defect, ex.Defect);
        Assert.Equal(ErrorIds.MsiMalformed, ex.ErrorId);
        Assert.Contains(defect.ToString(), ex.Message);
    }

    [SkippableFact]
    public void MsiFatChainThatLoops_IsChainCrossLinked()
    {
        var (path, msi) = SignedMsiLayout();
        uint last = msi.Payload.Chain[^1];
        BitConverter.GetBytes(msi.Payload.Chain[0]).CopyTo(msi.Bytes, msi.FatEntryOffset(last)); // the last sector leads back to the first

        // osslsigncode reads only as many sectors as the stream's size needs and so accepts this file; a chain that never
        // ends is not MS-CFB, and another reader (msi.dll) need not stop where osslsigncode does, so it is refused here.
        AssertMsiRefused(path, msi, MsiDefect.ChainCrossLinked);
    }

    [SkippableFact]
    public void MsiMiniFatChainThatLoops_IsChainCrossLinked()
    {
        var (path, msi) = SignedMsiLayout();
        BitConverter.GetBytes(msi.Small.Chain[0]).CopyTo(msi.Bytes, msi.MiniFatEntryOffset(msi.Small.Chain[^1]));

        AssertMsiRefused(path, msi, MsiDefect.ChainCrossLinked);
    }

    [SkippableFact]
    public void MsiStreamStartingOutsideTheFile_IsSectorOutOfFile()
    {
        var (path, msi) = SignedMsiLayout();
        BitConverter.GetBytes(0x00FFFFF0u).CopyTo(msi.Bytes, msi.EntryOffset(msi.Payload) + 0x74);

        AssertMsiRefused(path, msi, MsiDefect.SectorOutOfFile);
        Assert.NotEqual(0, lab.OsslVerify(path));
    }

    [SkippableFact]
    public void MsiStreamSizeLongerThanItsChain_IsChainLengthMismatch()
    {
        var (path, msi) = SignedMsiLayout();
        BitConverter.GetBytes(msi.Payload.Size + 4096).CopyTo(msi.Bytes, msi.EntryOffset(msi.Payload) + 0x78);

        AssertMsiRefused(path, msi, MsiDefect.ChainLengthMismatch);
    }

    [SkippableFact]
    public void MsiDirectoryTreeThatLoops_IsDirectoryLoop()
    {
        var (path, msi) = SignedMsiLayout();
        BitConverter.GetBytes(msi.File.Root.Child).CopyTo(msi.Bytes, msi.EntryOffset(msi.Payload) + 0x44 + (msi.Payload.Left == 0xFFFFFFFF ? 0 : 4));

        AssertMsiRefused(path, msi, MsiDefect.DirectoryLoop);
    }

    [SkippableTheory]
    [InlineData(0x1E, 10, MsiDefect.BadSectorShift)]
    [InlineData(0x20, 7, MsiDefect.BadSectorShift)]
    [InlineData(0x1A, 5, MsiDefect.BadHeader)]
    public void MsiHeaderWithImpossibleValues_IsMalformed(int offset, byte value, MsiDefect defect)
    {
        var (path, msi) = SignedMsiLayout();
        msi.Bytes[offset] = value;

        AssertMsiRefused(path, msi, defect);
        Assert.NotEqual(0, lab.OsslVerify(path));
    }

    [SkippableFact]
    public void MsiHeaderCountingMoreFatSectorsThanTheFileHas_IsBadHeader()
    {
        // osslsigncode never reads the FAT count and accepts this file; the count is what bounds the FAT read here.
        var (path, msi) = SignedMsiLayout();
        msi.Bytes[0x2C] = 0x7F;

        AssertMsiRefused(path, msi, MsiDefect.BadHeader);
    }

    [Fact]
    public void CompoundFileWithMoreDirectoryEntriesThanAreRead_IsDirectoryTooLarge()
    {
        // A version-4 file (4096-byte sectors, 32 entries each) whose directory chain is one sector longer than the bound
        // allows; every other structure is consistent, so only the directory size refuses it.
        const int sectorSize = 4096, fatSectors = 5;
        int directorySectors = CompoundFile.MaxDirectoryEntries / (sectorSize / 128) + 1;
        byte[] file = new byte[sectorSize * (1 + fatSectors + directorySectors)];
        AuthenticodeContainer.CompoundFileMagic.CopyTo(file, 0);
        BitConverter.GetBytes((ushort)0x3E).CopyTo(file, 0x18);
        BitConverter.GetBytes((ushort)4).CopyTo(file, 0x1A);
        BitConverter.GetBytes((ushort)0xFFFE).CopyTo(file, 0x1C);
        BitConverter.GetBytes((ushort)12).CopyTo(file, 0x1E);
        BitConverter.GetBytes((ushort)6).CopyTo(file, 0x20);
        BitConverter.GetBytes((uint)directorySectors).CopyTo(file, 0x28);
        BitConverter.GetBytes((uint)fatSectors).CopyTo(file, 0x2C);
        BitConverter.GetBytes((uint)fatSectors).CopyTo(file, 0x30); // the directory starts after the FAT
        BitConverter.GetBytes(4096u).CopyTo(file, 0x38);
        BitConverter.GetBytes(0xFFFFFFFEu).CopyTo(file, 0x3C);
        BitConverter.GetBytes(0xFFFFFFFEu).CopyTo(file, 0x44);
        for (int i = 0; i < 109; i++) BitConverter.GetBytes(i < fatSectors ? (uint)i : 0xFFFFFFFFu).CopyTo(file, 0x4C + i * 4);
        for (int s = 0; s < fatSectors * (sectorSize / 4); s++)
        {
            uint next = s < fatSectors ? 0xFFFFFFFDu : s < fatSectors + directorySectors - 1 ? (uint)s + 1 : s == fatSectors + directorySectors - 1 ? 0xFFFFFFFEu : 0xFFFFFFFFu;
            BitConverter.GetBytes(next).CopyTo(file, sectorSize + s * 4);
        }

        var ex = Assert.Throws<MsiMalformedException>(() => CompoundFile.Read(new MemoryStream(file), "huge.msi", default));

        Assert.Equal(MsiDefect.DirectoryTooLarge, ex.Defect);
    }

    [SkippableFact]
    public void MsiWithTwoEntriesOfOneName_IsDuplicateName()
    {
        var (path, msi) = SignedMsiLayout();
        CompoundFileEntry other = msi.File.Root.Children.First(c => c != msi.Small && c.Type == CompoundFileEntry.Stream && c.NameBytes.Length <= msi.Small.NameBytes.Length + 0);
        int at = msi.EntryOffset(other);
        msi.Small.NameBytes.CopyTo(msi.Bytes, at);
        for (int i = msi.Small.NameBytes.Length; i < 64; i++) msi.Bytes[at + i] = 0;
        BitConverter.GetBytes((ushort)msi.Small.NameBytes.Length).CopyTo(msi.Bytes, at + 0x40);

        AssertMsiRefused(path, msi, MsiDefect.DuplicateName);
    }
}
