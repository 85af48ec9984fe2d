using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

public class SignedChecksumListReaderTests
{
    private const string List =
        "1111111111111111111111111111111111111111111111111111111111111111  tool_1.0_linux_amd64.zip\n" +
        "2222222222222222222222222222222222222222222222222222222222222222  tool_1.0_windows_amd64.zip\n";

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    [Fact]
    public void HashiCorpStyle_DetachedSignature_VerifiesThenParses()
    {
        var key = PgpTestKey.Create(withSubkey: true);
        byte[] sig = key.Sign(Encoding.UTF8.GetBytes(List));
        VerifiedChecksumList v = new SignedChecksumListReader(new OpenPgpVerifier(key.Ring()))
            .Read(Bytes(List), "SHA256SUMS", new MemoryStream(sig), "SHA256SUMS.sig");
        Assert.Equal(2, v.List.Entries.Count);
        Assert.Equal(key.Fingerprint, v.Signature.Fingerprint);
        Assert.Equal(new string('2', 64), v.List.Find("/x/tool_1.0_windows_amd64.zip", null).Digest);
    }

    [Fact]
    public void TamperedDigest_IsSignatureInvalid_AndNoListIsReturned()
    {
        var key = PgpTestKey.Create();
        byte[] sig = key.Sign(Encoding.UTF8.GetBytes(List));
        var reader = new SignedChecksumListReader(new OpenPgpVerifier(key.Ring()));
        Assert.Throws<SignatureInvalidException>(() => reader.Read(Bytes(List.Replace("1111", "1112")), "SHA256SUMS", new MemoryStream(sig), "SHA256SUMS.sig"));
    }

    [Fact]
    public void Minisign_DetachedSignature_VerifiesThenParses()
    {
        var key = MinisignTestKey.Create();
        string sig = key.Sign(Encoding.UTF8.GetBytes(List), "timestamp:1700000000\tfile:SHA256SUMS", prehashed: true);
        VerifiedChecksumList v = new SignedChecksumListReader(new MinisignVerifier(MinisignPublicKey.Parse(key.PublicKeyBase64, "k")))
            .Read(Bytes(List), "SHA256SUMS", Bytes(sig), "SHA256SUMS.minisig");
        Assert.Equal(2, v.List.Entries.Count);
        Assert.Equal("timestamp:1700000000\tfile:SHA256SUMS", v.Signature.TrustedComment);
    }

    [Fact]
    public void ClearSignedList_WithoutDetachedSignature_ParsesOnlyTheSignedText()
    {
        var key = PgpTestKey.Create();
        VerifiedChecksumList v = new SignedChecksumListReader(new OpenPgpVerifier(key.Ring())).Read(Bytes(key.ClearSign(List)), "SHA256SUMS.asc", null, null);
        Assert.Equal(2, v.List.Entries.Count);
    }

    [Fact]
    public void ClearSignedList_WithAnEntryAppendedAfterTheSignature_IsRefused()
    {
        var key = PgpTestKey.Create();
        string spliced = key.ClearSign(List) + new string('3', 64) + "  evil.zip\n";
        Assert.Throws<SignatureFormatException>(() =>
            new SignedChecksumListReader(new OpenPgpVerifier(key.Ring())).Read(Bytes(spliced), "SHA256SUMS.asc", null, null));
    }

    [Fact]
    public void MinisignWithoutSignature_IsSignatureFormatInvalid()
    {
        var reader = new SignedChecksumListReader(new MinisignVerifier(MinisignPublicKey.Parse(MinisignTestKey.Create().PublicKeyBase64, "k")));
        Assert.Throws<SignatureFormatException>(() => reader.Read(Bytes(List), "SHA256SUMS", null, null));
    }

    [Fact]
    public void ReadFile_ReadsListAndSignatureFromDisk()
    {
        using var dir = new TempDir();
        var key = PgpTestKey.Create();
        string list = dir.File("SHA256SUMS", List);
        string sig = Path.Combine(dir.Path, "SHA256SUMS.asc");
        File.WriteAllBytes(sig, key.Sign(Encoding.UTF8.GetBytes(List), armored: true));
        Assert.Equal(2, new SignedChecksumListReader(new OpenPgpVerifier(key.Ring())).ReadFile(list, sig).List.Entries.Count);
    }
}
