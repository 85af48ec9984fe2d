using System.Formats.Tar;
using SecureInstall.Core.Archives;

namespace SecureInstall.Core.Tests.Archives;

public sealed class ArchiveFormatDetectorTests
{
    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0, 0 }, ArchiveFormat.Zip)]
    [InlineData(new byte[] { 0x50, 0x4B, 0x05, 0x06, 0, 0 }, ArchiveFormat.Zip)]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x08, 0 }, ArchiveFormat.TarGzip)]
    [InlineData(new byte[] { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0 }, ArchiveFormat.TarXz)]
    [InlineData(new byte[] { (byte)'B', (byte)'Z', (byte)'h', (byte)'9', 0x31 }, ArchiveFormat.TarBzip2)]
    [InlineData(new byte[] { 0x28, 0xB5, 0x2F, 0xFD, 0 }, ArchiveFormat.TarZstd)]
    public void MagicBytes_NameTheFormat(byte[] head, ArchiveFormat expected)
    {
        Assert.Equal(expected, ArchiveFormatDetector.Detect(head, head.Length));
    }

    [Theory]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.Pax)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.V7)]
    public void TarHeaders_AreRecognised_IncludingV7WithoutMagic(TarEntryFormat format)
    {
        using var ms = new MemoryStream();
        using (var writer = new TarWriter(ms, format, leaveOpen: true))
        {
            writer.WriteEntry(format switch
            {
                TarEntryFormat.V7 => new V7TarEntry(TarEntryType.V7RegularFile, "a.txt"),
                TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, "a.txt"),
                TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, "a.txt"),
                _ => new PaxTarEntry(TarEntryType.RegularFile, "a.txt"),
            });
        }
        ms.Position = 0;
        Assert.Equal(ArchiveFormat.Tar, ArchiveFormatDetector.Detect(ms));
        Assert.Equal(0, ms.Position);
    }

    [Theory]
    [InlineData("plain text that is long enough to fill nothing in particular")]
    [InlineData("BZh0")]
    [InlineData("")]
    public void OtherContent_IsNotAnArchive(string content)
    {
        byte[] head = new byte[512];
        System.Text.Encoding.ASCII.GetBytes(content).CopyTo(head, 0);
        Assert.Null(ArchiveFormatDetector.Detect(head, content.Length == 0 ? 0 : 512));
    }
}
