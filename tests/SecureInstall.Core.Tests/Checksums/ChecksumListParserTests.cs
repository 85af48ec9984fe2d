using System.Text;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests.Checksums;

public class ChecksumListParserTests
{
    private static readonly string A64 = new('a', 64);
    private static readonly string B64 = new('b', 64);
    private readonly ChecksumListParser _parser = new();

    [Fact]
    public void GnuTextAndBinaryMode_ReadNamesAndModes()
    {
        ChecksumList list = _parser.Parse($"{A64}  plain.tar.gz\n{B64} *binary.exe\n", "t");
        Assert.Equal(2, list.Entries.Count);
        Assert.Equal("plain.tar.gz", list.Entries[0].FileName);
        Assert.Equal("binary.exe", list.Entries[1].FileName);
        Assert.All(list.Entries, e => Assert.Equal(ChecksumAlgorithm.SHA256, e.Algorithm));
    }

    [Fact]
    public void GnuEscapedName_IsUnescaped()
    {
        ChecksumList list = _parser.Parse($"\\{A64}  dir\\\\odd\\nname.bin\n", "t");
        Assert.Equal("dir\\odd\nname.bin", list.Entries[0].FileName);
    }

    [Fact]
    public void GnuEscapedName_WithUnknownEscape_IsRefusedWithLine()
    {
        var ex = Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"{B64}  ok\n\\{A64}  bad\\qname\n", "list.txt"));
        Assert.Equal(2, ex.LineNumber);
        Assert.Equal("ChecksumListInvalid", ex.ErrorId);
    }

    [Theory]
    [InlineData("SHA256 (file.zip) = {0}", ChecksumAlgorithm.SHA256)]
    [InlineData("SHA2-256(file.zip)= {0}", ChecksumAlgorithm.SHA256)]
    [InlineData("sha256 (file.zip) = {0}", ChecksumAlgorithm.SHA256)]
    public void BsdAndOpenSslTags_AreRead(string format, ChecksumAlgorithm expected)
    {
        ChecksumList list = _parser.Parse(string.Format(format, A64), "t");
        Assert.Equal("file.zip", list.Entries.Single().FileName);
        Assert.Equal(expected, list.Entries.Single().Algorithm);
    }

    [Fact]
    public void BsdTag_WithParenthesesInName_KeepsWholeName()
    {
        ChecksumList list = _parser.Parse($"SHA256 (setup (x64).exe) = {A64}\n", "t");
        Assert.Equal("setup (x64).exe", list.Entries.Single().FileName);
    }

    [Fact]
    public void BsdTag_WhoseDigestLengthContradictsTag_IsRefused()
    {
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"SHA512 (f) = {A64}\n", "t"));
    }

    [Fact]
    public void BsdTag_WithUnsupportedAlgorithm_IsSkippedAndReported()
    {
        ChecksumList list = _parser.Parse($"RMD160 (f) = {new string('c', 40)}\nSHA256 (f) = {A64}\n", "t");
        Assert.Single(list.Entries);
        Assert.Equal(1, list.SkippedLines.Single().LineNumber);
    }

    [Theory]
    [InlineData(32, ChecksumAlgorithm.MD5)]
    [InlineData(40, ChecksumAlgorithm.SHA1)]
    [InlineData(64, ChecksumAlgorithm.SHA256)]
    [InlineData(96, ChecksumAlgorithm.SHA384)]
    [InlineData(128, ChecksumAlgorithm.SHA512)]
    public void AlgorithmComesFromDigestLength(int length, ChecksumAlgorithm expected)
    {
        Assert.Equal(expected, _parser.Parse(new string('d', length) + "  f\n", "t").Entries.Single().Algorithm);
    }

    [Fact]
    public void UnsupportedDigestLength_IsRefusedWithLineNumber()
    {
        var ex = Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"# header\n{new string('e', 56)}  f\n", "sums"));
        Assert.Equal(2, ex.LineNumber);
        Assert.Contains("sums, line 2", ex.Message);
    }

    [Fact]
    public void HashOnlySidecar_IsOneNamelessEntry()
    {
        ChecksumList list = _parser.Parse(A64 + "\n", "x.sha256");
        Assert.Null(list.Entries.Single().FileName);
    }

    [Fact]
    public void CrlfMissingFinalNewlineAndMixedCase_AreTolerated()
    {
        string mixed = "AbCdEf" + new string('0', 58);
        ChecksumList list = _parser.Parse($"{A64}  one\r\n{mixed}  two", "t");
        Assert.Equal(2, list.Entries.Count);
        Assert.Equal(mixed.ToLowerInvariant(), list.Entries[1].Digest);
    }

    [Theory]
    [InlineData("utf-8-bom")]
    [InlineData("utf-16le")]
    [InlineData("utf-16be")]
    [InlineData("utf-16le-nobom")]
    public void Encodings_AreDetectedFromBytes(string encoding)
    {
        string text = $"{A64}  name with spaces.zip\r\n";
        byte[] bytes = encoding switch
        {
            "utf-8-bom" => Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray(),
            "utf-16le" => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray(),
            "utf-16be" => Encoding.BigEndianUnicode.GetPreamble().Concat(Encoding.BigEndianUnicode.GetBytes(text)).ToArray(),
            _ => Encoding.Unicode.GetBytes(text),
        };
        ChecksumList list = _parser.Parse(new MemoryStream(bytes), "t");
        Assert.Equal("name with spaces.zip", list.Entries.Single().FileName);
    }

    [Fact]
    public void DuplicateNameWithDifferentDigests_IsConflictNamingBothLines()
    {
        var ex = Assert.Throws<ChecksumConflictException>(() => _parser.Parse($"{A64}  f\n{B64}  ./f\n", "t"));
        Assert.Equal(1, ex.FirstLine);
        Assert.Equal(2, ex.SecondLine);
    }

    [Fact]
    public void DuplicateNameWithSameDigest_IsOneEntry()
    {
        Assert.Single(_parser.Parse($"{A64}  f\n{A64} *f\n", "t").Entries);
    }

    [Fact]
    public void EmptyOrCommentOnlyList_IsAnError()
    {
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse("", "t"));
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse("# only a comment\n\n", "t"));
    }

    [Fact]
    public void LineWithDigestInUnknownFormat_IsRefused_OtherTextIsSkipped()
    {
        ChecksumList list = _parser.Parse($"Release 1.2 checksums\n{A64}  f\n", "t");
        Assert.Equal(1, list.SkippedLines.Single().LineNumber);
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"{A64}  f\nfile: {B64}\n", "t"));
    }

    [Fact]
    public void ClearSignedList_IsUnwrapped_AndFlagged()
    {
        string text = $"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{A64}  f\n- -dash-escaped line\n-----BEGIN PGP SIGNATURE-----\n\niQEz{B64}\n-----END PGP SIGNATURE-----\n";
        ChecksumList list = _parser.Parse(text, "t");
        Assert.True(list.IsClearSigned);
        Assert.Single(list.Entries);
    }

    [Fact]
    public void UnclosedSignatureArmor_IsRefused()
    {
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"{A64}  f\n-----BEGIN PGP SIGNATURE-----\nabc\n", "t"));
    }

    [Fact]
    public void GetFileHashTableAndListOutput_AreRead()
    {
        string table = $"\nAlgorithm       Hash          Path\n---------       ----          ----\nSHA256          {A64.ToUpperInvariant()}       C:\\dl\\tool.exe\n\n";
        Assert.Equal("C:\\dl\\tool.exe", _parser.Parse(table, "t").Entries.Single().FileName);

        string formatList = $"\nAlgorithm : SHA256\nHash      : {A64.ToUpperInvariant()}\nPath      : C:\\very\\long\\path\\\n            deno.zip\n\nAlgorithm : SHA256\nHash      : {B64}\nPath      : C:\\b.zip\n";
        ChecksumList list = _parser.Parse(formatList, "t");
        Assert.Equal(new[] { "C:\\very\\long\\path\\deno.zip", "C:\\b.zip" }, list.Entries.Select(e => e.FileName));
    }

    [Fact]
    public void OversizedInput_IsRefusedBeforeReadingItAll()
    {
        var parser = new ChecksumListParser { MaximumBytes = 1000 };
        var ex = Assert.Throws<ChecksumListFormatException>(() => parser.Parse(new MemoryStream(new byte[5000]), "huge"));
        Assert.Contains("larger than", ex.Message);
    }

    [Fact]
    public void OversizedUnseekableInput_IsRefusedWhileReading()
    {
        var parser = new ChecksumListParser { MaximumBytes = 100_000 };
        var ex = Assert.Throws<ChecksumListFormatException>(() => parser.Parse(new UnseekableStream(new byte[300_000]), "piped"));
        Assert.Contains("larger than 100000 bytes", ex.Message);
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    public void StreamedList_ReadsTheSameWhateverTheStream_AcrossBufferGrowth(string encodingName)
    {
        // Longer than the first buffer of an unseekable stream, so the pooled buffer grows while reading.
        var text = new StringBuilder();
        for (int i = 0; i < 3000; i++) text.Append(i % 2 == 0 ? A64 : B64).Append("  dir/file-").Append(i).Append("-é.bin\n");
        Encoding encoding = Encoding.GetEncoding(encodingName);
        byte[] bytes = encoding.GetPreamble().Concat(encoding.GetBytes(text.ToString())).ToArray();
        ChecksumList seekable = _parser.Parse(new MemoryStream(bytes), "s");
        ChecksumList piped = _parser.Parse(new UnseekableStream(bytes), "p");
        Assert.Equal(3000, seekable.Entries.Count);
        Assert.Equal(seekable.Entries.Select(e => e.ToString()), piped.Entries.Select(e => e.ToString()));
        Assert.Equal("dir/file-2999-é.bin", piped.Entries[^1].FileName);
        Assert.Equal(3000, piped.Entries[^1].LineNumber);
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    }

    [Fact]
    public void NameWithNul_IsRefused()
    {
        Assert.Throws<ChecksumListFormatException>(() => _parser.Parse($"{A64}  a\0b\n", "t"));
    }
}
