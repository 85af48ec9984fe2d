using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Tests.Registries;

/// <summary>
/// The CNCF distribution registry (Debian docker-registry, `docker-registry serve CONFIG`) on 127.0.0.1, filesystem storage
/// in a temporary folder, TLS from a test CA made for this run, and htpasswd Basic auth (bcrypt from BouncyCastle), or the
/// token flow against a token endpoint the test runs. Tests skip with the reason when the binary is missing.
/// </summary>
internal sealed class RegistryProcess : IDisposable
{
    public const string User = "fleet";
    public const string Password = "s3cret-pass";
    public const string Binary = "/usr/bin/docker-registry";

    private readonly TempDir _dir = new();
    private Process? _process;
    private readonly StringBuilder _output = new();

    private RegistryProcess(int port, X509Certificate2 ca, bool plainHttp = false)
    {
        Port = port;
        Ca = ca;
        PlainHttp = plainHttp;
    }

    /// <summary>Started without TLS (http://127.0.0.1:PORT), as a registry on a build host's loopback often is.</summary>
    public bool PlainHttp { get; }

    public int Port { get; }

    /// <summary>The registry's process id while it runs (the bench reads its CPU time), else 0.</summary>
    public int ProcessId => _process?.Id ?? 0;

    /// <summary>CPU seconds (user + system) the running registry has used so far, from /proc (Linux only; the bench reads it).</summary>
    public double CpuSeconds
    {
        get
        {
            string stat = File.ReadAllText($"/proc/{ProcessId}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
        }
    }

    /// <summary>The test CA; the registry's certificate is issued by it.</summary>
    public X509Certificate2 Ca { get; }

    public string CaPemPath => Path.Combine(_dir.Path, "ca.pem");

    /// <summary>A folder holding ca.crt, as skopeo --cert-dir wants it.</summary>
    public string CertDirectory => Path.Combine(_dir.Path, "certs.d");

    public string StoragePath => Path.Combine(_dir.Path, "data");

    /// <summary>Where the registry's filesystem storage keeps the bytes of the blob with this sha256 (a sha512-pushed blob too).</summary>
    public string BlobData(string sha256) => Path.Combine(StoragePath, "docker", "registry", "v2", "blobs", "sha256", sha256.Substring(0, 2), sha256, "data");

    public string Host => $"127.0.0.1:{Port}";

    public string Output => _output.ToString();

    public static string? SkipReason() =>
        File.Exists(Binary) ? null : $"needs the CNCF distribution registry at {Binary} (Debian package docker-registry; .ci/run installs it)";

    /// <summary>Basic auth (htpasswd) unless <paramref name="tokenRealm"/> is given: then the token flow, tokens signed by <paramref name="tokenSigner"/>.</summary>
    /// <paramref name="plainHttp"/> starts it without TLS. <paramref name="storageRedirect"/>: blob GETs are answered with a
    /// redirect to that base URL plus the blob's storage path (distribution's "redirect" storage middleware, as a registry on
    /// S3 or Azure storage redirects to a pre-signed URL).
    public static RegistryProcess Start(Uri? tokenRealm = null, X509Certificate2? tokenSigner = null, bool plainHttp = false, Uri? storageRedirect = null)
    {
        X509Certificate2 ca = CreateCa();
        var registry = new RegistryProcess(FreePort(), ca, plainHttp);
        registry.WriteConfig(tokenRealm, tokenSigner, storageRedirect);
        registry.Launch();
        return registry;
    }

    /// <summary>The storage path of the blob with this sha256, as the redirect middleware appends it to its base URL.</summary>
    public static string BlobStoragePath(string sha256) => $"docker/registry/v2/blobs/sha256/{sha256.Substring(0, 2)}/{sha256}/data";

    private void WriteConfig(Uri? tokenRealm, X509Certificate2? tokenSigner, Uri? storageRedirect)
    {
        Directory.CreateDirectory(StoragePath);
        Directory.CreateDirectory(CertDirectory);
        File.WriteAllText(CaPemPath, Ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(CertDirectory, "ca.crt"), Ca.ExportCertificatePem() + "\n");
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 leaf = request.Create(Ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(Path.Combine(_dir.Path, "cert.pem"), leaf.ExportCertificatePem() + "\n" + Ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(_dir.Path, "key.pem"), key.ExportPkcs8PrivateKeyPem() + "\n");

        string auth;
        if (tokenRealm != null)
        {
            File.WriteAllText(Path.Combine(_dir.Path, "token.pem"), tokenSigner!.ExportCertificatePem() + "\n");
            auth = $"""
                auth:
                  token:
                    realm: {tokenRealm.AbsoluteUri}
                    service: secureinstall-test
                    issuer: secureinstall-test-issuer
                    rootcertbundle: {Path.Combine(_dir.Path, "token.pem")}
                """;
        }
        else
        {
            // htpasswd wants bcrypt; BouncyCastle (already a dependency) writes the $2a$ form Go's bcrypt reads.
            string hash = Org.BouncyCastle.Crypto.Generators.OpenBsdBCrypt.Generate("2a", Password.ToCharArray(), RandomNumberGenerator.GetBytes(16), 6);
            File.WriteAllText(Path.Combine(_dir.Path, "htpasswd"), $"{User}:{hash}\n");
            auth = $"""
                auth:
                  htpasswd:
                    realm: secureinstall-test
                    path: {Path.Combine(_dir.Path, "htpasswd")}
                """;
        }
        string tls = PlainHttp ? string.Empty : $"""
              tls:
                certificate: {Path.Combine(_dir.Path, "cert.pem")}
                key: {Path.Combine(_dir.Path, "key.pem")}
            """;
        File.WriteAllText(Path.Combine(_dir.Path, "config.yml"), $"""
            version: 0.1
            log:
              level: warn
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {StoragePath}
              delete:
                enabled: true
            {(storageRedirect == null ? "" : $"middleware:\n  storage:\n    - name: redirect\n      options:\n        baseurl: {storageRedirect.AbsoluteUri}")}
            http:
              addr: 127.0.0.1:{Port}
            {tls}
            {auth}
            """);
    }

    /// <summary>Starts the registry and waits until it answers /v2/.</summary>
    public void Launch()
    {
        var start = new ProcessStartInfo(Binary, new[] { "serve", Path.Combine(_dir.Path, "config.yml") })
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OTEL_TRACES_EXPORTER"] = "none";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited) throw new InvalidOperationException("docker-registry exited: " + Output);
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new TimeoutException("docker-registry did not start: " + Output);
    }

    /// <summary>Stops the registry process (the storage stays, so <see cref="Launch"/> brings back the same content).</summary>
    public void Stop()
    {
        if (_process == null) return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10000);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Trusts certificates issued by this run's CA only.</summary>
    public bool Trust(HttpRequestMessage _, X509Certificate2? certificate, X509Chain? __, System.Net.Security.SslPolicyErrors ___)
    {
        if (certificate == null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public VerifiedDownloaderOptions Options(Action<string>? log = null) => new()
    {
        NoCache = true,
        ServerCertificateValidation = Trust,
        Mirrors = MirrorConfiguration.Empty,
        RegistryCredential = new RegistryCredential(User, Password),
        InitialRetryDelay = TimeSpan.FromMilliseconds(20),
        Log = log,
    };

    public OciReference Reference(string repository = "tools/secureinstall", string tag = "v1") => OciReference.Parse($"oci://{Host}/{repository}:{tag}", PlainHttp);

    /// <summary>Runs an external client (skopeo, curl); returns exit code and output.</summary>
    public static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process p = Process.Start(start)!;
        Task<string> o = p.StandardOutput.ReadToEndAsync();
        Task<string> e = p.StandardError.ReadToEndAsync();
        p.WaitForExit(120000);
        return (p.ExitCode, o.Result, e.Result);
    }

    private static X509Certificate2 CreateCa()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SecureInstall registry test CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddHours(3));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        Stop();
        Ca.Dispose();
        _dir.Dispose();
    }
}
