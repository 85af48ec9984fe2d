using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Bench;

/// <summary>
/// Issue 21: the managed Authenticode check of a large PE (a real PE with an overlay grown to --authenticode-mib, signed by
/// osslsigncode with a certificate made here) against `osslsigncode verify` of the same file.
/// </summary>
public static class AuthenticodeBench
{
    public static void Run(string work, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"Authenticode: one signed PE of {options.AuthenticodeMiB} MiB");
        if (!Measure.Has("osslsigncode"))
        {
            Console.WriteLine("  osslsigncode not found: skipped (apt-get install osslsigncode)");
            return;
        }

        using RSA rootKey = RSA.Create(2048), leafKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=Bench Root", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using X509Certificate2 root = rootRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var leafRequest = new CertificateRequest("CN=Bench Publisher", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.3") }, false));
        using X509Certificate2 leaf = leafRequest.Create(root, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), new byte[] { 1, 2, 3, 4 });
        string rootPem = Path.Combine(work, "root.pem"), leafPem = Path.Combine(work, "leaf.pem"), keyPem = Path.Combine(work, "leaf.key");
        File.WriteAllText(rootPem, root.ExportCertificatePem() + "\n");
        File.WriteAllText(leafPem, leaf.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPem, leafKey.ExportPkcs8PrivateKeyPem() + "\n");

        // A real PE (the core assembly) with an overlay: bytes after the last section are part of the image hash.
        string unsigned = Path.Combine(work, "big-unsigned.dll"), signed = Path.Combine(work, "big.dll");
        File.Copy(typeof(ManagedAuthenticode).Assembly.Location, unsigned);
        using (var stream = new FileStream(unsigned, FileMode.Append))
        {
            var rng = new Random(21);
            byte[] buffer = new byte[1 << 20];
            for (int i = 0; i < options.AuthenticodeMiB; i++)
            {
                rng.NextBytes(buffer);
                stream.Write(buffer);
            }
        }
        Measure.Tool("osslsigncode", $"sign -certs \"{leafPem}\" -key \"{keyPem}\" -h sha256 -in \"{unsigned}\" -out \"{signed}\"");
        File.Delete(unsigned);

        var managed = new ManagedAuthenticode(AuthenticodeTrust.FromFiles(new[] { rootPem }));
        int signatures = 0;
        double ours = Measure.Best(options.Repeat, () => signatures = managed.Verify(signed, new SignatureResult(SignatureScheme.Authenticode, true, signed, signed)).Count);
        if (signatures != 1) throw new InvalidOperationException("the managed check did not verify the signature");
        double theirs = Measure.Best(options.Repeat, () => Measure.Tool("osslsigncode", $"verify -CAfile \"{rootPem}\" -in \"{signed}\""));
        Measure.Row($"managed Authenticode verify, {options.AuthenticodeMiB} MiB PE", ours, "osslsigncode verify", theirs, 1.0);
        File.Delete(signed);
    }
}
