using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Authenticode;

namespace SecureInstall.Bench;

/// <summary>
/// Issue 21: the managed Authenticode check of a large PE (a real PE with an overlay grown to --authenticode-mib), a
/// cabinet (gcab) and an MSI (msibuild) holding that many MiB, each signed by osslsigncode with a certificate made here,
/// against `osslsigncode verify` of the same file.
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
        var managed = new ManagedAuthenticode(AuthenticodeTrust.FromFiles(new[] { rootPem }));
        SignAndMeasure(unsigned, signed, $"{options.AuthenticodeMiB} MiB PE");

        // The same payload as one stored file in a cabinet (gcab) and as one stream of an MSI (msibuild): the cabinet
        // digest is one range of the file; the MSI digest walks the compound file's FAT chain sector by sector.
        string payload = Path.Combine(work, "payload.bin");
        using (var stream = new FileStream(payload, FileMode.Create))
        {
            var rng = new Random(21);
            byte[] buffer = new byte[1 << 20];
            for (int i = 0; i < options.AuthenticodeMiB; i++)
            {
                rng.NextBytes(buffer);
                stream.Write(buffer);
            }
        }
        if (Measure.Has("gcab"))
        {
            string cab = Path.Combine(work, "big-unsigned.cab");
            Measure.Tool("gcab", $"-c -n \"{cab}\" \"{payload}\"");
            SignAndMeasure(cab, Path.Combine(work, "big.cab"), $"{options.AuthenticodeMiB} MiB cabinet");
        }
        else Console.WriteLine("  gcab not found: cabinet row skipped (apt-get install gcab)");
        if (Measure.Has("msibuild"))
        {
            string msi = Path.Combine(work, "big-unsigned.msi");
            Measure.Tool("msibuild", $"\"{msi}\" -a payload \"{payload}\"");
            SignAndMeasure(msi, Path.Combine(work, "big.msi"), $"{options.AuthenticodeMiB} MiB MSI");
        }
        else Console.WriteLine("  msibuild not found: MSI row skipped (apt-get install msitools)");
        File.Delete(payload);

        void SignAndMeasure(string input, string output, string what)
        {
            Measure.Tool("osslsigncode", $"sign -certs \"{leafPem}\" -key \"{keyPem}\" -h sha256 -in \"{input}\" -out \"{output}\"");
            File.Delete(input);
            int signatures = 0;
            double ours = Measure.Best(options.Repeat, () => signatures = managed.Verify(output, new SignatureResult(SignatureScheme.Authenticode, true, output, output)).Count);
            if (signatures != 1) throw new InvalidOperationException($"the managed check did not verify the {what}");
            double theirs = Measure.Best(options.Repeat, () => Measure.Tool("osslsigncode", $"verify -CAfile \"{rootPem}\" -in \"{output}\""));
            Measure.Row($"managed Authenticode verify, {what}", ours, "osslsigncode verify", theirs, 1.0);
            File.Delete(output);
        }
    }
}
