using SecureInstall.Core.Signatures;

namespace SecureInstall.Core.Tests.Signatures;

/// <summary>Issue 19: one rule for the trusted-key options of both front ends.</summary>
public sealed class SignatureKeySpecTests : IDisposable
{
    // The official minisign test vector's key (id E7620F1842B4E81F).
    private const string TypedKey = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
    private static readonly SignatureKeyNames Names = new("-Min", "-Pgp", "-Fpr", "-SigUri");
    private readonly string _dir = Directory.CreateTempSubdirectory("keyspec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Another well-formed minisign key: "Ed", key id 0102030405060708, 32 zero bytes.</summary>
    private static string OtherKey() =>
        Convert.ToBase64String(new byte[] { (byte)'E', (byte)'d', 1, 2, 3, 4, 5, 6, 7, 8 }.Concat(new byte[32]).ToArray());

    [Fact]
    public void KeyText_IsTheKey_EvenWhenAFileOfThatNameHoldsAnotherKey()
    {
        string planted = Path.Combine(_dir, TypedKey);
        File.WriteAllText(planted, "untrusted comment: planted\n" + OtherKey() + "\n");
        var spec = new SignatureKeySpec(Names) { MinisignKey = TypedKey };

        DetachedSignatureVerifier verifier = spec.CreateVerifier(_ => planted, p => p)!;

        Assert.Contains("E7620F1842B4E81F", verifier.TrustedKeyDescription);
        Assert.DoesNotContain("0807060504030201", verifier.TrustedKeyDescription);
    }

    [Fact]
    public void AValueThatIsNotKeyText_IsReadAsTheKeyFile()
    {
        string file = Path.Combine(_dir, "minisign.pub");
        File.WriteAllText(file, "untrusted comment: other\n" + OtherKey() + "\n");
        var spec = new SignatureKeySpec(Names) { MinisignKey = "minisign.pub" };

        DetachedSignatureVerifier verifier = spec.CreateVerifier(p => p == "minisign.pub" ? file : null, p => p)!;

        Assert.Contains("0807060504030201", verifier.TrustedKeyDescription);
    }

    [Theory]
    [InlineData(TypedKey, true)]
    [InlineData("untrusted comment: minisign public key E7620F1842B4E81F\r\n" + TypedKey + "\r\n", true)]
    [InlineData("minisign.pub", false)]
    [InlineData("RWQ-too-short", false)]
    public void IsMinisignKeyText_ReadsMinisignsOwnOutput(string value, bool expected) =>
        Assert.Equal(expected, SignatureKeySpec.IsMinisignKeyText(value));

    [Fact]
    public void TwoKeys_AreSignatureParametersInvalid_NamingTheFrontEndsOptions()
    {
        var spec = new SignatureKeySpec(Names) { MinisignKey = TypedKey, PgpKeyFile = "k.asc" };

        var ex = Assert.Throws<SignatureParametersException>(() => spec.CreateVerifier(_ => null, p => p));

        Assert.Equal(ErrorIds.SignatureParametersInvalid, ex.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, ex.Kind);
        Assert.Equal("Give one trusted key: -Min or -Pgp.", ex.Message);
    }

    [Fact]
    public void AFingerprintWithoutAnOpenPgpKey_IsSignatureParametersInvalid()
    {
        var spec = new SignatureKeySpec(Names) { MinisignKey = TypedKey, Fingerprint = "01461741D1D1D2745FB4D2B602652EAC77DD49B9" };

        var ex = Assert.Throws<SignatureParametersException>(() => spec.CreateVerifier(_ => null, p => p));

        Assert.Equal("-Fpr pins a key of -Pgp; give the key file too.", ex.Message);
    }

    [Fact]
    public void NoKey_GivesNoVerifier()
    {
        var spec = new SignatureKeySpec(Names);

        Assert.True(spec.IsEmpty);
        Assert.Null(spec.CreateVerifier(_ => throw new InvalidOperationException("not asked"), _ => throw new InvalidOperationException("not asked")));
    }
}
