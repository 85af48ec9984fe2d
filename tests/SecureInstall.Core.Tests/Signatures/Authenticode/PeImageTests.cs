using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>Issue 21: the PE walk refuses every layout that would let bytes escape the image hash, each with its own Defect.</summary>
public sealed class PeImageTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly byte[] _pe = File.ReadAllBytes(typeof(ManagedAuthenticode).Assembly.Location);

    public void Dispose() => _dir.Dispose();

    private int PeOffset => BitConverter.ToInt32(_pe, 0x3C);
    private int Optional => PeOffset + 24;
    private int Directories => Optional + 96; // the core assembly is PE32
    private int Sections => Optional + BitConverter.ToUInt16(_pe, PeOffset + 20);

    private void Put(int at, uint value) => BitConverter.GetBytes(value).CopyTo(_pe, at);
    private void Put16(int at, ushort value) => BitConverter.GetBytes(value).CopyTo(_pe, at);

    private PeImageMalformedException Refused(byte[]? bytes = null)
    {
        string path = Path.Combine(_dir.Path, "x.dll");
        File.WriteAllBytes(path, bytes ?? _pe);
        using FileStream stream = File.OpenRead(path);
        var ex = Assert.Throws<PeImageMalformedException>(() => PeImage.Read(stream, path));
        Assert.Equal(ErrorIds.PeImageMalformed, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidData, ex.Kind);
        Assert.Contains(ex.Defect.ToString(), ex.Message);
        return ex;
    }

    [Fact]
    public void TheRealAssembly_IsReadAsUnsignedPe32()
    {
        string path = Path.Combine(_dir.Path, "ok.dll");
        File.WriteAllBytes(path, _pe);
        using FileStream stream = File.OpenRead(path);
        PeImage image = PeImage.Read(stream, path);
        Assert.False(image.IsPe32Plus);
        Assert.False(image.IsSigned);
        Assert.Equal(Optional + 64, image.CheckSumOffset);
    }

    [Fact]
    public void NoMzMagic_IsNotPeImage()
    {
        _pe[0] = (byte)'Z';
        Assert.Equal(PeDefect.NotPeImage, Refused().Defect);
    }

    [Fact]
    public void ShorterThanADosHeader_IsNotPeImage()
    {
        Assert.Equal(PeDefect.NotPeImage, Refused("MZ"u8.ToArray()).Defect);
    }

    [Fact]
    public void ELfanewOutsideTheFile_IsBadPeHeaderOffset()
    {
        Put(0x3C, 0x7FFFFFF0);
        Assert.Equal(PeDefect.BadPeHeaderOffset, Refused().Defect);
    }

    [Fact]
    public void NoPeSignature_IsBadPeHeaderOffset()
    {
        _pe[PeOffset] = (byte)'N';
        Assert.Equal(PeDefect.BadPeHeaderOffset, Refused().Defect);
    }

    [Fact]
    public void UnknownOptionalHeaderMagic_IsBadOptionalHeader()
    {
        Put16(Optional, 0x107);
        Assert.Equal(PeDefect.BadOptionalHeader, Refused().Defect);
    }

    [Fact]
    public void TooFewDataDirectories_ForTheCertificateEntry_IsBadOptionalHeader()
    {
        Put(Directories - 4, 4);
        Assert.Equal(PeDefect.BadOptionalHeader, Refused().Defect);
    }

    [Fact]
    public void ASectionTableReachingPastTheFile_IsHeadersOutsideFile()
    {
        Put16(PeOffset + 6, 60000);
        Assert.Equal(PeDefect.HeadersOutsideFile, Refused().Defect);
    }

    [Fact]
    public void ASectionPastTheEndOfTheFile_IsSectionOutOfBounds()
    {
        Put(Sections + 16, (uint)_pe.Length);
        Assert.Equal(PeDefect.SectionOutOfBounds, Refused().Defect);
    }

    [Fact]
    public void TwoSectionsSharingBytes_IsSectionOutOfBounds()
    {
        Put(Sections + 40 + 20, BitConverter.ToUInt32(_pe, Sections + 20));
        Assert.Contains("overlap", Refused().Reason);
    }

    [Fact]
    public void ASectionInsideTheHeaders_IsSectionOutOfBounds()
    {
        Put(Sections + 20, 0);
        Assert.Contains("inside the headers", Refused().Reason);
    }

    [Fact]
    public void ADirectoryPastSizeOfImage_IsDirectoryOutOfBounds()
    {
        Put(Directories + 8, 0xFFFFFF00);
        Put(Directories + 12, 0x1000);
        Assert.Equal(PeDefect.DirectoryOutOfBounds, Refused().Defect);
    }

    [Fact]
    public void ACertificateTableThatDoesNotEndTheFile_IsCertificateTableNotAtEnd()
    {
        Put(Directories + 4 * 8, (uint)(_pe.Length - 64) & ~7u);
        Put(Directories + 4 * 8 + 4, 16);
        Assert.Equal(PeDefect.CertificateTableNotAtEnd, Refused().Defect);
    }

    [Fact]
    public void AnUnalignedCertificateTable_IsCertificateTableNotAtEnd()
    {
        byte[] longer = _pe.Concat(new byte[20]).ToArray();
        BitConverter.GetBytes((uint)(longer.Length - 17)).CopyTo(longer, Directories + 4 * 8);
        BitConverter.GetBytes(17u).CopyTo(longer, Directories + 4 * 8 + 4);
        Assert.Contains("aligned", Refused(longer).Reason);
    }
}
