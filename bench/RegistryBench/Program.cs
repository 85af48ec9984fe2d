// Issue 20's figures, against the real CNCF distribution registry (docker-registry) on loopback, TLS from a test CA and
// htpasswd Basic auth, all in one run so the ratios compare like with like:
//   1. push N pinned artifacts of 1 MiB (default 200): time and blob bytes uploaded; a second push of the same set uploads 0.
//   2. pull+verify one large artifact (default 1 GiB) from the registry, in a child process of its own, against `curl -o` of
//      the same blob URL; each client timed with GNU time (wall seconds and peak RSS), best of --runs.
//   3. 8 installs in parallel (8 processes) from the registry into 8 install roots: all succeed, each fetched the blob's
//      bytes once (one attempt, size bytes), peak RSS per process.
//   dotnet run -c Release --project bench/RegistryBench [-- --artifacts 200 --size-mib 1024 --runs 3 --parallel 8 --install-mib 64]
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;
using SecureInstall.Core.Tests.Registries;

if (args.Length > 0 && args[0] == "fetch") return await Fetch(args[1], args[2], args[3], args[4]);
if (args.Length > 0 && args[0] == "install") return await InstallOne(args[1], args[2], args[3], args[4]);
return await Run(args);

static async Task<int> Run(string[] args)
{
    if (RegistryProcess.SkipReason() is string why)
    {
        Console.WriteLine($"RegistryBench skipped: {why}.");
        return 0;
    }
    int artifacts = Option(args, "--artifacts", 200);
    int sizeMib = Option(args, "--size-mib", 1024);
    int runs = Option(args, "--runs", 3);
    int parallel = Option(args, "--parallel", 8);
    int installMib = Option(args, "--install-mib", 64);
    string work = Path.Combine(Path.GetTempPath(), "si-registry-bench-" + Environment.ProcessId);
    Directory.CreateDirectory(work);
    using RegistryProcess registry = RegistryProcess.Start();
    try
    {
        Console.WriteLine($"docker-registry on https://{registry.Host} (TLS from a test CA, htpasswd Basic auth); {Environment.ProcessorCount} cores");

        // 1. push
        string many = WriteManifest(work, "many", artifacts, 1);
        VerifiedDownloaderOptions options = registry.Options();
        var selection = PinnedArtifactResolver.Select(new ManifestReader().ReadFile(many), Array.Empty<string>(), null, Array.Empty<string>());
        foreach (int round in new[] { 1, 2 })
        {
            using var downloader = new VerifiedDownloader(options);
            using var client = new RegistryClient(registry.Reference("bench/many", "v1"), options, options.RegistryCredential);
            var clock = Stopwatch.StartNew();
            RegistryPushResult pushed = await new RegistryPush(downloader, client).PushAsync(many, selection);
            clock.Stop();
            Console.WriteLine($"push {artifacts} x 1 MiB ({(round == 1 ? "first" : "again")}): {clock.Elapsed.TotalSeconds:F2} s, {pushed.Layers} layers, " +
                              $"{pushed.BlobsUploaded} blobs uploaded, {pushed.BlobsSkipped} already there, {pushed.BytesUploaded:N0} blob bytes uploaded");
        }

        // 2. pull+verify a large artifact against curl -o of the same blob URL
        string big = WriteManifest(work, "big", 1, sizeMib);
        string bigSha = File.ReadAllText(big).Split("sha256: \"")[1].Substring(0, 64);
        var pushClock = Stopwatch.StartNew();
        using (var downloader = new VerifiedDownloader(options))
        using (var client = new RegistryClient(registry.Reference("bench/big", "v1"), options, options.RegistryCredential))
        {
            await new RegistryPush(downloader, client).PushAsync(big,
                PinnedArtifactResolver.Select(new ManifestReader().ReadFile(big), Array.Empty<string>(), null, Array.Empty<string>()));
        }
        Console.WriteLine($"push 1 x {sizeMib} MiB (chunked, {RegistryClient.DefaultChunkSize / 1048576} MiB chunks): {pushClock.Elapsed.TotalSeconds:F2} s");
        string blobUrl = $"https://{registry.Host}/v2/bench/big/blobs/sha256:{bigSha}";
        string output = Path.Combine(work, "pulled.bin");
        var curl = new List<(double, long)>();
        var ours = new List<(double, long)>();
        for (int i = 0; i < runs; i++)
        {
            File.Delete(output);
            curl.Add(Timed("/usr/bin/curl", "-sSf", "--cacert", registry.CaPemPath, "-u", $"{RegistryProcess.User}:{RegistryProcess.Password}", "-o", output, blobUrl));
            if (FileHasher.HashFile(output, ChecksumAlgorithm.SHA256) != bigSha) throw new InvalidOperationException("curl fetched other bytes");
            File.Delete(output);
            ours.Add(TimedSelf(registry, "fetch", registry.Host, "bench/big", bigSha, output));
            if (FileHasher.HashFile(output, ChecksumAlgorithm.SHA256) != bigSha) throw new InvalidOperationException("the fetch placed other bytes");
        }
        (double curlBest, long curlPeak) = curl.OrderBy(r => r.Item1).First();
        (double oursBest, long oursPeak) = ours.OrderBy(r => r.Item1).First();
        Console.WriteLine($"pull+verify {sizeMib} MiB blob: curl -o {curlBest:F2} s (peak {curlPeak / 1024} MiB); VerifiedDownloader from the registry {oursBest:F2} s " +
                          $"(peak {oursPeak / 1024} MiB); ratio {oursBest / curlBest:F3} (target <= 1.1); best of {runs}");
        File.Delete(output);

        // 3. parallel installs
        string mid = WriteManifest(work, "mid", 1, installMib);
        string midSha = File.ReadAllText(mid).Split("sha256: \"")[1].Substring(0, 64);
        using (var downloader = new VerifiedDownloader(options))
        using (var client = new RegistryClient(registry.Reference("bench/mid", "v1"), options, options.RegistryCredential))
        {
            await new RegistryPush(downloader, client).PushAsync(mid,
                PinnedArtifactResolver.Select(new ManifestReader().ReadFile(mid), Array.Empty<string>(), null, Array.Empty<string>()));
        }
        File.Delete(Path.Combine(work, "mid", "tool0"));
        var clock3 = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, parallel).Select(i => Task.Run(() => TimedSelfWithOutput(registry, "install", registry.Host, mid, Path.Combine(work, "root" + i), midSha))).ToArray();
        var results = await Task.WhenAll(tasks);
        clock3.Stop();
        int ok = results.Count(r => r.Code == 0 && r.Out.Contains($"installed {(long)installMib * 1048576} bytes in 1 attempt", StringComparison.Ordinal));
        long worstPeak = results.Max(r => r.PeakKib);
        Console.WriteLine($"{parallel} parallel installs of a {installMib} MiB artifact into {parallel} roots: {ok}/{parallel} installed with the blob fetched once " +
                          $"({(long)installMib * 1048576:N0} bytes, 1 attempt each), {clock3.Elapsed.TotalSeconds:F2} s; peak RSS per process max {worstPeak / 1024} MiB (target < 64 MiB)");
        foreach (var r in results.Where(r => r.Code != 0)) Console.WriteLine("  failed: " + r.Out.Trim());
        return ok == parallel ? 0 : 1;
    }
    finally
    {
        registry.Stop();
        try { Directory.Delete(work, true); } catch (IOException) { }
    }
}

// A manifest pinning `count` tools of `mib` MiB of random bytes each, as file:// URLs.
static string WriteManifest(string work, string name, int count, int mib)
{
    string dir = Path.Combine(work, name);
    Directory.CreateDirectory(dir);
    var yaml = new StringBuilder("tools:\n");
    byte[] buffer = new byte[1048576];
    for (int i = 0; i < count; i++)
    {
        string path = Path.Combine(dir, "tool" + i);
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        using (FileStream file = File.Create(path))
        {
            for (int m = 0; m < mib; m++)
            {
                RandomNumberGenerator.Fill(buffer);
                file.Write(buffer);
                sha.AppendData(buffer);
            }
            yaml.Append(CultureInfo.InvariantCulture, $"  tool{i}:\n    versions:\n      \"1.0.0\":\n        artifacts:\n          linux-x64:\n            url: {new Uri(path).AbsoluteUri}\n            sha256: \"{Convert.ToHexStringLower(sha.GetHashAndReset())}\"\n");
        }
    }
    string manifest = Path.Combine(dir, "secureinstall.yml");
    File.WriteAllText(manifest, yaml.ToString());
    return manifest;
}

// Child: fetch one blob by its pin from the registry only, verified, into `output`.
static async Task<int> Fetch(string host, string repository, string sha256, string output)
{
    var options = ChildOptions(host, repository);
    using var downloader = new VerifiedDownloader(options);
    DownloadResult result = await downloader.DownloadAsync(new DownloadRequest(new Uri("https://original.invalid/tool"), output)
    {
        Expected = ChecksumEntry.FromDigest(sha256, ChecksumAlgorithm.SHA256, "bench pin"),
    });
    return result.Verified ? 0 : 1;
}

// Child: install tool0 of `manifest` into `root` from the registry only.
static async Task<int> InstallOne(string host, string manifest, string root, string sha256)
{
    var options = ChildOptions(host, "bench/mid");
    using var downloader = new VerifiedDownloader(options);
    var installer = new ToolInstaller(new ToolInstallerOptions { Root = root, Platform = "linux-x64" }, downloader);
    string lockPath = Path.Combine(root, "secureinstall.lock.json");
    var attempts = new List<string>();
    options.Log = line => { if (line.StartsWith("Attempt", StringComparison.Ordinal)) attempts.Add(line); };
    InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "tool0", null), lockPath);
    long size = new FileInfo(Path.Combine(result.Path, "tool0")).Length;
    bool fetchedOnce = attempts.Count == 0 && result.Sha256 == sha256;
    Console.WriteLine($"{result.Status}: installed {size} bytes in {(fetchedOnce ? "1 attempt" : attempts.Count + 1 + " attempts")}");
    return result.Status == InstallStatus.Installed && fetchedOnce ? 0 : 1;
}

static VerifiedDownloaderOptions ChildOptions(string host, string repository) => new()
{
    NoCache = true,
    Mirrors = MirrorConfiguration.Empty,
    Registries = new[] { RegistrySource.Parse($"oci://{host}/{repository}") },
    RegistryOnly = true,
    RegistryCredential = new RegistryCredential(RegistryProcess.User, RegistryProcess.Password),
};

static (double Seconds, long PeakKib) Timed(string file, params string[] arguments)
{
    var r = TimedWithOutput(file, arguments, null);
    if (r.Code != 0) throw new InvalidOperationException($"{file} failed: {r.Out}");
    return (r.Seconds, r.PeakKib);
}

static (double Seconds, long PeakKib) TimedSelf(RegistryProcess registry, params string[] arguments)
{
    var r = TimedSelfWithOutput(registry, arguments);
    if (r.Code != 0) throw new InvalidOperationException($"fetch failed: {r.Out}");
    return (r.Seconds, r.PeakKib);
}

static (int Code, double Seconds, long PeakKib, string Out) TimedSelfWithOutput(RegistryProcess registry, params string[] arguments) =>
    TimedWithOutput(Environment.ProcessPath!, arguments, registry.CaPemPath);

// GNU time: wall seconds and peak RSS of the one client process.
static (int Code, double Seconds, long PeakKib, string Out) TimedWithOutput(string file, string[] arguments, string? caPem)
{
    string timing = Path.GetTempFileName();
    var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string a in new[] { "-o", timing, "-f", "%e %M", file }.Concat(arguments)) start.ArgumentList.Add(a);
    if (caPem != null) start.Environment["SSL_CERT_FILE"] = caPem;
    using Process p = Process.Start(start)!;
    string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
    p.WaitForExit();
    string[] parts = File.ReadAllLines(timing).Last().Split(' ');
    File.Delete(timing);
    return (p.ExitCode, double.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), output);
}

static int Option(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
