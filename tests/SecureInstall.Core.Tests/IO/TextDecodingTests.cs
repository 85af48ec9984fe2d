using System.Text;
using SecureInstall.Core.IO;

namespace SecureInstall.Core.Tests.IO;

public sealed class TextDecodingTests
{
    public static TheoryData<byte[], string> Marked() => new()
    {
        { new byte[] { 0xEF, 0xBB, 0xBF, (byte)'a', (byte)'b' }, "ab" },
        { new byte[] { 0xFF, 0xFE, (byte)'a', 0, (byte)'b', 0 }, "ab" },
        { new byte[] { 0xFE, 0xFF, 0, (byte)'a', 0, (byte)'b' }, "ab" },
        { new byte[] { (byte)'a', (byte)'b' }, "ab" },
        { Array.Empty<byte>(), "" },
        { new byte[] { 0xFF, 0xFE, 0, 0, (byte)'a', 0 }, "\0a" }, // UTF-32's mark is UTF-16 LE here (and to ScriptText)
    };

    [Theory]
    [MemberData(nameof(Marked))]
    public void Decode_TheMarkDecides_AndIsDropped_ElseUtf8(byte[] bytes, string expected)
    {
        Assert.Equal(expected, TextDecoding.Decode(bytes, bytes.Length));
    }

    [Fact]
    public void Decode_ReadsOnlyTheCountGiven()
    {
        byte[] bytes = { 0xEF, 0xBB, 0xBF, (byte)'a', (byte)'b', 0xFF };
        Assert.Equal("a", TextDecoding.Decode(bytes, 4));
        Assert.Equal(0, TextDecoding.Utf8BomLength(bytes, 2));
        Assert.Equal(3, TextDecoding.Utf8BomLength(bytes, 3));
    }

    [Fact]
    public void Detect_SniffsUtf16WithoutAMark_OnlyWhenAsked()
    {
        byte[] le = Encoding.Unicode.GetBytes("abcd  f\n");
        byte[] be = Encoding.BigEndianUnicode.GetBytes("abcd  f\n");
        Assert.Equal(Encoding.Unicode, TextDecoding.Detect(le, le.Length, sniffUtf16: true).Encoding);
        Assert.Equal(Encoding.BigEndianUnicode, TextDecoding.Detect(be, be.Length, sniffUtf16: true).Encoding);
        Assert.Equal(Encoding.UTF8, TextDecoding.Detect(le, le.Length).Encoding);
        Assert.Equal("abcd  f\n", TextDecoding.Decode(le, le.Length, sniffUtf16: true));
    }

    [Fact]
    public void WithoutByteOrderMark_DropsOnlyALeadingMark()
    {
        Assert.Equal("a\uFEFF", TextDecoding.WithoutByteOrderMark("\uFEFFa\uFEFF"));
        Assert.Equal("a", TextDecoding.WithoutByteOrderMark("a"));
        Assert.Equal("", TextDecoding.WithoutByteOrderMark(""));
    }

    [Fact]
    public void InvalidUtf8_BecomesTheReplacementCharacter()
    {
        Assert.Equal("a\uFFFD", TextDecoding.Decode(new byte[] { (byte)'a', 0xFF }, 2));
    }
}
