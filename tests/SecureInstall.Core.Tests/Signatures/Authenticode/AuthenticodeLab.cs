using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureInstall.Core.Tests.Signatures.Authenticode;

/// <summary>
/// A certificate authority, signers and a timestamp authority made in the test, and the real signer osslsigncode to
/// sign PE files with them. Tests skip (with the reason) when osslsigncode is not installed.
/// </summary>
public sealed class AuthenticodeLab : IDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly TempDir _dir = new();
    private int _serial;

    public AuthenticodeLab()
    {
        Root = Issue("SecureInstall Test Root", null, ca: true, eku: null, Now.AddYears(-10), Now.AddYears(10));
        OtherRoot = Issue("Someone Else's Root", null, ca: true, eku: null, Now.AddYears(-10), Now.AddYears(10));
        Publisher = Issue("Contoso Tools", Root, ca: false, eku: CodeSigningOid, Now.AddDays(-1), Now.AddYears(1));
        SecondPublisher = Issue("Fabrikam Builds", Root, ca: false, eku: CodeSigningOid, Now.AddDays(-1), Now.AddYears(1));
        Stranger = Issue("Contoso Tools", OtherRoot, ca: false, eku: CodeSigningOid, Now.AddDays(-1), Now.AddYears(1));
        WebServer = Issue("Contoso Web", Root, ca: false, eku: "1.3.6.1.5.5.7.3.1", Now.AddDays(-1), Now.AddYears(1));
        Expired = Issue("Contoso Tools 2019", Root, ca: false, eku: CodeSigningOid, Now.AddYears(-3), Now.AddYears(-2));
        TimestampAuthority = Issue("SecureInstall Test TSA", Root, ca: false, eku: "1.3.6.1.5.5.7.3.8", Now.AddYears(-5), Now.AddYears(5));
        StrangeTimestampAuthority = Issue("Stranger TSA", OtherRoot, ca: false, eku: "1.3.6.1.5.5.7.3.8", Now.AddYears(-5), Now.AddYears(5));
        RootFile = WritePem("root.pem", Root.Cert.ExportCertificatePem());
    }

    public const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";

    public sealed record Identity(X509Certificate2 Cert, string CertFile, string KeyFile)
    {
        public string Thumbprint => Cert.Thumbprint;
    }

    public Identity Root { get; }
    public Identity OtherRoot { get; }
    public Identity Publisher { get; }
    public Identity SecondPublisher { get; }
    public Identity Stranger { get; }
    public Identity WebServer { get; }
    public Identity Expired { get; }
    public Identity TimestampAuthority { get; }
    public Identity StrangeTimestampAuthority { get; }
    public string RootFile { get; }
    public string Dir => _dir.Path;

    public static string? OsslSigncode => Which("osslsigncode");
    public static string? Clang => Which("clang");

    public static void SkipWithoutTool() =>
        Skip.If(OsslSigncode == null, "osslsigncode is not installed: it is the real Authenticode signer these tests sign PE files with (apt-get install osslsigncode; .ci/run installs it)");

    /// <summary>A copy of a real PE32 file (the core assembly: IL only, unsigned).</summary>
    public string UnsignedPe32(string name = "tool.dll")
    {
        string path = Path.Combine(Dir, name);
        File.Copy(typeof(SecureInstall.Core.Signatures.AuthenticodeVerifier).Assembly.Location, path, overwrite: true);
        return path;
    }

    /// <summary>A native PE32+ (x64) or PE32 (x86) executable linked by clang/lld for Windows.</summary>
    public string UnsignedNative(bool x64)
    {
        Skip.If(Clang == null, "clang is not installed: it links the native PE32/PE32+ test executables (.ci/run installs clang and lld)");
        string source = Path.Combine(Dir, "main.c");
        File.WriteAllText(source, "int mainCRTStartup(void) { return 42; }\n");
        string exe = Path.Combine(Dir, x64 ? "native64.exe" : "native32.exe");
        Run(Clang!, $"--target={(x64 ? "x86_64" : "i686")}-pc-windows-msvc -fuse-ld=lld -nostdlib -Wl,/entry:mainCRTStartup -Wl,/subsystem:console -o \"{exe}\" \"{source}\"");
        return exe;
    }

    /// <summary>Bytes every payload of <see cref="UnsignedCab"/> and <see cref="UnsignedMsi"/> carries, stored as they are: the tamper tests find them in the container.</summary>
    public static readonly byte[] PayloadMarker = "SECUREINSTALL-PAYLOAD-MARKER"u8.ToArray();

    /// <summary>A payload with a marker the tamper tests find again in the container (stored, not compressed).</summary>
    private string Payload(int size)
    {
        byte[] bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        PayloadMarker.CopyTo(bytes, size / 2);
        string path = Path.Combine(Dir, $"payload-{Interlocked.Increment(ref _serial)}.bin");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>An uncompressed cabinet of two files, by gcab.</summary>
    public string UnsignedCab()
    {
        string? gcab = Which("gcab");
        Skip.If(gcab == null, "gcab is not installed: it makes the test cabinets (apt-get install gcab; .ci/run installs it)");
        int n = Interlocked.Increment(ref _serial);
        string dir = Path.Combine(Dir, "cab-" + n);
        Directory.CreateDirectory(dir);
        File.Copy(Payload(150_000), Path.Combine(dir, "tool.exe"));
        File.WriteAllText(Path.Combine(dir, "readme.txt"), "hello\n");
        string cab = Path.Combine(Dir, $"tools-{n}.cab");
        Run(gcab!, $"-c -n \"{cab}\" \"{Path.Combine(dir, "tool.exe")}\" \"{Path.Combine(dir, "readme.txt")}\"");
        return cab;
    }

    /// <summary>An MSI database with a Property table, summary information, a large stream (FAT) and a small one (mini stream), by msibuild.</summary>
    public string UnsignedMsi(int payloadBytes = 100_000)
    {
        string? msibuild = Which("msibuild");
        Skip.If(msibuild == null, "msibuild is not installed: it makes the test MSI packages (apt-get install msitools; .ci/run installs it)");
        int n = Interlocked.Increment(ref _serial);
        string msi = Path.Combine(Dir, $"setup-{n}.msi");
        string small = Path.Combine(Dir, $"small-{n}.txt");
        File.WriteAllText(small, "a small stream kept in the mini stream\n");
        Run(msibuild!, $"\"{msi}\" -s \"SecureInstall test\" Tests \"Intel;1033\" \"{{12345678-1234-1234-1234-123456789012}}\"");
        Run(msibuild!, $"\"{msi}\" -q \"CREATE TABLE `Property` (`Property` CHAR(72) NOT NULL, `Value` LONGCHAR NOT NULL PRIMARY KEY `Property`)\"");
        Run(msibuild!, $"\"{msi}\" -q \"INSERT INTO `Property` (`Property`, `Value`) VALUES ('ProductName', 'SecureInstall test')\"");
        Run(msibuild!, $"\"{msi}\" -a payload \"{Payload(payloadBytes)}\"");
        Run(msibuild!, $"\"{msi}\" -a small \"{small}\"");
        return msi;
    }

    /// <summary>Signs <paramref name="input"/> with osslsigncode into a new file; -nest adds a nested signature to a signed input.</summary>
    /// <param name="alsoCarry">further certificates the signature carries (a countersigner's, added later).</param>
    public string Sign(string input, Identity signer, string hash = "sha256", bool nest = false, Identity? tsa = null, DateTimeOffset? tsaTime = null, string? output = null,
                       Identity? alsoCarry = null)
    {
        SkipWithoutTool();
        output ??= Path.Combine(Dir, Path.GetFileNameWithoutExtension(input) + "-" + Interlocked.Increment(ref _serial) + Path.GetExtension(input));
        string certs = signer.CertFile;
        if (alsoCarry != null)
        {
            certs = Path.Combine(Dir, "certs-" + Interlocked.Increment(ref _serial) + ".pem");
            File.WriteAllText(certs, File.ReadAllText(signer.CertFile) + File.ReadAllText(alsoCarry.CertFile));
        }
        string args = $"sign -certs \"{certs}\" -key \"{signer.KeyFile}\" -h {hash}";
        if (nest) args += " -nest";
        if (tsa != null) args += $" -TSA-certs \"{tsa.CertFile}\" -TSA-key \"{tsa.KeyFile}\" -TSA-time {(tsaTime ?? Now).ToUnixTimeSeconds()}";
        Run(OsslSigncode!, args + $" -in \"{input}\" -out \"{output}\"");
        return output;
    }

    /// <summary>osslsigncode's own verdict against the lab root (exit code 0 = verified).</summary>
    public int OsslVerify(string file) =>
        Run(OsslSigncode!, $"verify -CAfile \"{RootFile}\" -TSA-CAfile \"{RootFile}\" -in \"{file}\"", check: false);

    private Identity Issue(string cn, Identity? issuer, bool ca, string? eku, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        RSA key = RSA.Create(2048); // kept: a CA signs its children with it
        var request = new CertificateRequest($"CN={cn}, O=SecureInstall Tests", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(ca ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, true));
        // A timestamp authority's EKU must be critical (RFC 3161 section 2.3).
        if (eku != null) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(eku) }, critical: eku == "1.3.6.1.5.5.7.3.8"));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        X509Certificate2 cert = issuer == null
            ? request.CreateSelfSigned(notBefore, notAfter)
            : request.Create(issuer.Cert, notBefore, notAfter, BitConverter.GetBytes(Interlocked.Increment(ref _serial) + 1000));
        string stem = cn.Replace(' ', '-').Replace('\'', '-') + "-" + _serial;
        string certPem = cert.ExportCertificatePem();
        // osslsigncode's -certs file carries the chain above the signer (not the root) so the signature holds it.
        string certFile = WritePem(stem + ".pem", certPem);
        string keyFile = WritePem(stem + ".key", key.ExportPkcs8PrivateKeyPem());
        return new Identity(cert.HasPrivateKey ? cert : cert.CopyWithPrivateKey(key), certFile, keyFile);
    }

    private string WritePem(string name, string pem)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, pem + "\n");
        return path;
    }

    internal static int Run(string tool, string args, bool check = true)
    {
        var info = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(info)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (check && process.ExitCode != 0) throw new InvalidOperationException($"{tool} {args} failed ({process.ExitCode}): {output.Result}{error.Result}");
        return process.ExitCode;
    }

    internal static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);

    public void Dispose()
    {
        foreach (Identity i in new[] { Root, OtherRoot, Publisher, SecondPublisher, Stranger, WebServer, Expired, TimestampAuthority, StrangeTimestampAuthority }) i.Cert.Dispose();
        _dir.Dispose();
    }
}
