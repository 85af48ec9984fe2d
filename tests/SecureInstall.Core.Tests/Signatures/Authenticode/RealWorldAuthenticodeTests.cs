using System.Runtime.InteropServices;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.Tsp;
using Org.BouncyCastle.X509;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// Issue 21: files signed by someone else, in the wild: the .NET runtime's own assemblies, which Microsoft signs with
/// Authenticode (SHA-256, an RFC 3161 timestamp from Microsoft's TSA) and which ship inside the SDK running these tests.
/// Microsoft's roots are not on this machine, so the test trusts the CAs the signature itself carries (its PCAs): every
/// other check (image hash, signature, EKU, timestamp, validity at the timestamp) runs as it would for a user.
/// </summary>
public sealed class RealWorldAuthenticodeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string RuntimeFile(string name) => Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), name);

    private static bool IsSigned(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return PeImage.Read(stream, path).IsSigned;
    }

    /// <summary>The CA certificates inside the signature and inside its timestamp token, as one PEM file.</summary>
    private string CarriedCas(string path)
    {
        using FileStream stream = File.OpenRead(path);
        byte[] der = PeImage.Read(stream, path).ReadSignature(stream);
        var cas = new List<X509Certificate>();
        foreach (AuthenticodeSignedData signature in AuthenticodeSignedData.ReadAll(der, path, AuthenticodeSignedData.SpcPeImageData, PeImage.KindName))
        {
            cas.AddRange(signature.Certificates);
            var stamp = signature.Signer.UnsignedAttributes?[new DerObjectIdentifier(AuthenticodeSignedData.Rfc3161CounterSignature)];
            if (stamp != null)
                cas.AddRange(new TimeStampToken(new CmsSignedData(Org.BouncyCastle.Asn1.Cms.ContentInfo.GetInstance(stamp.AttrValues[0]))).GetCertificates().EnumerateMatches(null));
        }
        string pem = Path.Combine(_dir.Path, "carried-cas.pem");
        File.WriteAllText(pem, string.Concat(cas.Where(c => c.GetBasicConstraints() >= 0).Distinct().Select(c =>
            "-----BEGIN CERTIFICATE-----\n" + Convert.ToBase64String(c.GetEncoded(), Base64FormattingOptions.InsertLineBreaks) + "\n-----END CERTIFICATE-----\n")));
        return pem;
    }

    [SkippableTheory]
    [InlineData("System.Runtime.dll")]
    [InlineData("System.Private.CoreLib.dll")]
    public void MicrosoftSignedRuntimeAssembly_Verifies_WithItsTimestamp(string name)
    {
        string path = RuntimeFile(name);
        Skip.IfNot(File.Exists(path) && IsSigned(path), $"{name} of this runtime is not Authenticode-signed here (Microsoft signs the official builds; a source-built runtime is not)");

        IReadOnlyList<AuthenticodeSigner> signers = new ManagedAuthenticode(AuthenticodeTrust.FromFiles(new[] { CarriedCas(path) }))
            .Verify(path, new SignatureResult(SignatureScheme.Authenticode, true, path, path));

        Assert.Contains("O=Microsoft Corporation", signers[0].Subject);
        Assert.Equal("RFC 3161", signers[0].TimestampKind);
        Assert.NotNull(signers[0].Timestamp);
    }

    [SkippableFact]
    public void MicrosoftSignedRuntimeAssembly_WithoutMicrosoftsRoot_IsSignerNotTrusted_NotAFormatError()
    {
        string path = RuntimeFile("System.Runtime.dll");
        Skip.IfNot(File.Exists(path) && IsSigned(path), "System.Runtime.dll of this runtime is not Authenticode-signed here");
        using var other = new AuthenticodeLab();

        var ex = Assert.Throws<SignerNotTrustedException>(() => new ManagedAuthenticode(AuthenticodeTrust.FromFiles(new[] { other.RootFile }))
            .Verify(path, new SignatureResult(SignatureScheme.Authenticode, true, path, path)));

        Assert.Contains("Microsoft", ex.Message);
    }

    [SkippableFact]
    public void MicrosoftSignedRuntimeAssembly_OneChangedByte_IsSignatureInvalid()
    {
        string path = RuntimeFile("System.Runtime.dll");
        Skip.IfNot(File.Exists(path) && IsSigned(path), "System.Runtime.dll of this runtime is not Authenticode-signed here");
        string copy = Path.Combine(_dir.Path, "System.Runtime.dll");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 3] ^= 0x10;
        File.WriteAllBytes(copy, bytes);

        var ex = Assert.Throws<SignatureInvalidException>(() => new ManagedAuthenticode(AuthenticodeTrust.FromFiles(new[] { CarriedCas(path) }))
            .Verify(copy, new SignatureResult(SignatureScheme.Authenticode, true, copy, copy)));

        Assert.Contains("changed after it was signed", ex.Reason);
    }
}
