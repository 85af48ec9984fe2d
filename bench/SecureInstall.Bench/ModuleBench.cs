using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Modules;

namespace SecureInstall.Bench;

/// <summary>
/// Install-PinnedModule's core installing 20 pinned modules from a loopback NuGet v3 feed, against downloading and
/// unzipping the same 20 .nupkg files with nothing checked (HttpClient + ZipFile, the floor any installer pays).
/// Install-PSResource would be the natural reference, but PSResourceGet does not ship with pwsh here: the floor stands in.
/// The feed is plain http on loopback (AllowInsecureTransport, named here) so neither side pays for TLS the other skips.
/// </summary>
public static class ModuleBench
{
    private const int Modules = 20;

    public static void Run(string work, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"Modules: {Modules} pinned modules (each a .nupkg of 24 files, ~200 KiB) from a loopback NuGet v3 feed; best of {options.Repeat}");
        var routes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var listener = new HttpListener();
        int port = FreePort();
        string prefix = $"http://127.0.0.1:{port}/";
        listener.Prefixes.Add(prefix);
        listener.Start();
        var serving = Task.Run(() => Serve(listener, routes));

        routes["/v3/index.json"] = Encoding.UTF8.GetBytes($"{{ \"version\": \"3.0.0\", \"resources\": [ {{ \"@id\": \"{prefix}v3/flat/\", \"@type\": \"PackageBaseAddress/3.0.0\" }} ] }}");
        var manifest = new PinnedManifest { Source = "bench" };
        var urls = new List<string>();
        for (int i = 0; i < Modules; i++)
        {
            string id = $"BenchModule{i:D2}";
            byte[] package = Package(id, "1.0.0", i);
            string path = $"/v3/flat/{id.ToLowerInvariant()}/1.0.0/{id.ToLowerInvariant()}.1.0.0.nupkg";
            routes[path] = package;
            urls.Add(prefix.TrimEnd('/') + path);
            manifest.Modules.Add(new PinnedModule
            {
                Name = id, Version = "1.0.0", Source = new Uri(prefix + "v3/index.json"),
                Sha512 = ChecksumEntry.FromDigest(Hex.Encode(SHA512.HashData(package)), ChecksumAlgorithm.SHA512, "bench"),
            });
        }

        string modulePath = Path.Combine(work, "Modules");
        string lockPath = Path.Combine(work, "secureinstall.lock.json");
        var downloaderOptions = new VerifiedDownloaderOptions { AllowInsecureTransport = true, NoCache = true };
        double ours = Best(options.Repeat, () =>
        {
            Reset(modulePath, lockPath);
            using var downloader = new VerifiedDownloader(downloaderOptions);
            var installer = new ModuleInstaller(new ModuleInstallerOptions { ModulePath = modulePath, LockRoot = Path.Combine(work, "root") }, downloader);
            IReadOnlyList<ModuleInstallResult> results = installer.InstallAsync(manifest, manifest.Modules, lockPath).GetAwaiter().GetResult();
            if (results.Count != Modules) throw new InvalidOperationException($"installed {results.Count} of {Modules}");
        });

        string plain = Path.Combine(work, "Plain");
        using var http = new HttpClient();
        double floor = Best(options.Repeat, () =>
        {
            Reset(plain, lockPath);
            foreach (string url in urls)
            {
                byte[] bytes = http.GetByteArrayAsync(url).GetAwaiter().GetResult();
                string file = Path.Combine(work, "plain.nupkg");
                File.WriteAllBytes(file, bytes);
                ZipFile.ExtractToDirectory(file, Path.Combine(plain, Path.GetFileName(new Uri(url).AbsolutePath)));
            }
        });
        Measure.Row($"Install-PinnedModule core, {Modules} modules", ours, "download + unzip", floor, 3.0);
        listener.Stop();
        try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    private static void Reset(string folder, string lockPath)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        if (File.Exists(lockPath)) File.Delete(lockPath);
    }

    private static double Best(int repeat, Action action)
    {
        action(); // warm-up: JIT, connections
        double best = double.MaxValue;
        for (int i = 0; i < repeat; i++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    /// <summary>A module package as Publish-PSResource writes one: .nuspec, .psd1, .psm1, 20 script files, the OPC parts.</summary>
    private static byte[] Package(string id, string version, int seed)
    {
        var random = new Random(seed);
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string text)
            {
                using var w = new StreamWriter(zip.CreateEntry(name).Open());
                w.Write(text);
            }
            Add($"{id}.nuspec", $"<?xml version=\"1.0\"?><package><metadata><id>{id}</id><version>{version}</version><authors>bench</authors></metadata></package>");
            Add($"{id}.psd1", $"@{{\n  RootModule = '{id}.psm1'\n  ModuleVersion = '{version}'\n  GUID = '{new Guid(seed, 0, 0, new byte[8])}'\n  FunctionsToExport = @('Get-{id}')\n}}\n");
            Add($"{id}.psm1", $"function Get-{id} {{ '{id}' }}\n");
            for (int f = 0; f < 20; f++)
            {
                var sb = new StringBuilder();
                while (sb.Length < 10_000) sb.Append("function F").Append(random.Next()).Append(" { param($x) $x * ").Append(random.Next(1000)).Append(" }\n");
                Add($"Public/Script{f:D2}.ps1", sb.ToString());
            }
            Add("[Content_Types].xml", "<Types />");
            Add("_rels/.rels", "<Relationships />");
        }
        return buffer.ToArray();
    }

    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void Serve(HttpListener listener, Dictionary<string, byte[]> routes)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = listener.GetContext();
            }
            catch (HttpListenerException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (routes.TryGetValue(context.Request.Url!.AbsolutePath, out byte[]? body))
            {
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength64 = body.Length;
                context.Response.OutputStream.Write(body, 0, body.Length);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
            context.Response.Close();
        }
    }
}
