using System.Text;
using SecureInstall.Core.Archives;
using static SecureInstall.Core.Tests.Archives.ArchiveSandbox;

namespace SecureInstall.Core.Tests.Archives;

public sealed class TarEntryReaderTests
{
    private static byte[] Tar(params (byte[] Header, byte[] Data)[] entries)
    {
        using var ms = new MemoryStream();
        foreach (var (h, d) in entries)
        {
            ms.Write(h);
            ms.Write(d);
            ms.Write(new byte[(512 - d.Length % 512) % 512]);
        }
        ms.Write(new byte[1024]);
        return ms.ToArray();
    }

    [Fact]
    public void TypeFlags_AreReportedAsStored()
    {
        byte[] tar = Tar(
            (RawHeader(Encoding.ASCII.GetBytes("f"), '0', 3), Encoding.ASCII.GetBytes("abc")),
            (RawHeader(Encoding.ASCII.GetBytes("h"), '1', 0, "f"), Array.Empty<byte>()),
            (RawHeader(Encoding.ASCII.GetBytes("s"), '2', 0, "f"), Array.Empty<byte>()),
            (RawHeader(Encoding.ASCII.GetBytes("c"), '3', 0), Array.Empty<byte>()),
            (RawHeader(Encoding.ASCII.GetBytes("p"), '6', 0), Array.Empty<byte>()));
        var reader = new TarEntryReader(new MemoryStream(tar), "t.tar");
        var seen = new List<(string, string, string?)>();
        while (reader.MoveNext()) seen.Add((reader.Current!.Name, reader.Current.Type.ToString(), reader.Current.LinkTarget));
        Assert.Equal(new[] { ("f", "File", (string?)null), ("h", "HardLink", "f"), ("s", "SymbolicLink", "f"), ("c", "CharacterDevice", null), ("p", "Fifo", null) }, seen);
    }

    [Fact]
    public void UnreadData_IsSkipped_AndReadDataStopsAtTheDeclaredSize()
    {
        byte[] tar = Tar(
            (RawHeader(Encoding.ASCII.GetBytes("a"), '0', 700), new byte[700]),
            (RawHeader(Encoding.ASCII.GetBytes("b"), '0', 5), Encoding.ASCII.GetBytes("hello")));
        var reader = new TarEntryReader(new MemoryStream(tar), "t.tar");
        Assert.True(reader.MoveNext());
        Assert.True(reader.MoveNext());
        byte[] buffer = new byte[100];
        Assert.Equal(5, reader.ReadData(buffer, 0, 100));
        Assert.Equal(0, reader.ReadData(buffer, 0, 100));
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void BadChecksum_IsCorrupt()
    {
        byte[] tar = Tar((RawHeader(Encoding.ASCII.GetBytes("a"), '0', 0), Array.Empty<byte>()));
        tar[0] = (byte)'b';
        Assert.Throws<ArchiveCorruptException>(() => new TarEntryReader(new MemoryStream(tar), "t.tar").MoveNext());
    }

    [Fact]
    public void LinkWithData_IsCorrupt()
    {
        byte[] tar = Tar((RawHeader(Encoding.ASCII.GetBytes("s"), '2', 10, "x"), new byte[10]));
        Assert.Throws<ArchiveCorruptException>(() => new TarEntryReader(new MemoryStream(tar), "t.tar").MoveNext());
    }

    [Fact]
    public void TruncatedData_IsCorrupt()
    {
        byte[] tar = Tar((RawHeader(Encoding.ASCII.GetBytes("a"), '0', 4000), new byte[4000]));
        var reader = new TarEntryReader(new MemoryStream(tar, 0, 1000), "t.tar");
        Assert.True(reader.MoveNext());
        Assert.Throws<ArchiveCorruptException>(() => reader.MoveNext());
    }

    [Fact]
    public void OversizedPaxHeader_IsCorrupt_NotAllocated()
    {
        byte[] tar = Tar((RawHeader(Encoding.ASCII.GetBytes("PaxHeader"), 'x', 1L << 40), Array.Empty<byte>()));
        Assert.Throws<ArchiveCorruptException>(() => new TarEntryReader(new MemoryStream(tar), "t.tar").MoveNext());
    }
}
