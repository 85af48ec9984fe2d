// Issue 20's figures, against the real CNCF distribution registry (docker-registry) on loopback, TLS from a test CA and
// htpasswd Basic auth, all in one run so the ratios compare like with like:
//   1. push N pinned artifacts of 1 MiB (default 200): time and blob bytes uploaded; a second push of the same set uploads 0.
//   2. pull+verify one large artifact (default 1 GiB) from the registry, in a child process of its own, against `curl -o` of
//      the same blob URL; each client timed with GNU time (wall seconds, peak RSS, CPU seconds), best and median of --runs
//      interleaved runs, with the load average. Clients: VerifiedDownloader in this program's child (as the cmdlets run it),
//      and `secureinstall install --registry-only`, the managed CLI and the native one (issue 23), where built.
//   3. 8 installs in parallel (8 processes) from the registry into 8 install roots: all succeed, each fetched the blob's
//      bytes once (one attempt, size bytes), peak RSS per process; then the same with each CLI.
//   dotnet run -c Release --project bench/RegistryBench [-- --artifacts 200 --size-mib 1024 --runs 5 --parallel 8 --install-mib 64]  (--parallel 0: push and pull rows only)
//   dotnet run -c Release --project bench/RegistryBench -- serve [--size-mib 1024]: the registry with one blob, until stdin closes,
//   to profile clients by hand (perf stat / perf record / strace against the printed URL; `fetch` is this program's client).
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;
using SecureInstall.Core.Registries;
using SecureInstall.Core.Tests;
using SecureInstall.Core.Tests.Registries;

if (args.Length > 0 && args[0] == "fetch") return await Fetch(args[1], args[2], args[3], args[4]);
if (args.Length > 0 && args[0] == "install") return await InstallOne(args[1], args[2], args[3], args[4]);
if (args.Length > 0 && args[0] == "serve") return await Serve(args);
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
    int runs = Option(args, "--runs", 5);
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
        await PushAll(registry, options, big, "bench/big");
        Console.WriteLine($"push 1 x {sizeMib} MiB (chunked, {RegistryClient.DefaultChunkSize / 1048576} MiB chunks): {pushClock.Elapsed.TotalSeconds:F2} s");
        string blobUrl = $"https://{registry.Host}/v2/bench/big/blobs/sha256:{bigSha}";
        string output = Path.Combine(work, "pulled.bin");
        // The clients: this program's child (VerifiedDownloader as the cmdlets run it), and the CLI as users run it, managed and
        // native (issue 23), each as `secureinstall install --registry-only` into a fresh home, interleaved with curl.
        // The manifest's own file:// URL is gone, so a CLI that did not fetch from the registry fails.
        File.Delete(Path.Combine(work, "big", "tool0"));
        var clients = new List<(string Name, Func<int, Timing> Run)>
        {
            ("VerifiedDownloader (this program's child)", i => Checked(TimedSelfWithOutput(registry, "fetch", registry.Host, "bench/big", bigSha, output), output, bigSha)),
        };
        foreach ((string name, string[] command) in CliCommands())
        {
            clients.Add((name, i =>
            {
                string home = Path.Combine(work, "home-pull-" + name.Split(' ')[0] + i);
                Timing t = CliInstall(registry, command, big, "bench/big", home);
                Directory.Delete(home, true);
                File.Delete(Path.Combine(work, "big", "secureinstall.lock.json"));
                return t;
            }));
        }
        var curl = new List<Timing>();
        var ours = clients.Select(_ => new List<Timing>()).ToList();
        // The registry shares the two cores with the client: its CPU during each run, and the load, go beside every figure.
        var curlServer = new List<double>();
        var oursServer = clients.Select(_ => new List<double>()).ToList();
        var runLines = new List<string>();
        double hashCpu = double.MaxValue;
        string loadBefore = LoadAverage();
        for (int i = 0; i < runs; i++)
        {
            var line = new StringBuilder($"    run {i + 1}, load {LoadAverage().Split(' ')[0]}: ");
            File.Delete(output);
            double server = registry.CpuSeconds;
            Timing c0 = TimedWithOutput("/usr/bin/curl", new[] { "-sSf", "--cacert", registry.CaPemPath, "-u", $"{RegistryProcess.User}:{RegistryProcess.Password}", "-o", output, blobUrl }, null);
            curlServer.Add(registry.CpuSeconds - server);
            // The check hashes the whole file: its CPU time is what SHA-256 of the blob costs on this machine now.
            TimeSpan hashStart = Process.GetCurrentProcess().TotalProcessorTime;
            curl.Add(Checked(c0, output, bigSha));
            hashCpu = Math.Min(hashCpu, (Process.GetCurrentProcess().TotalProcessorTime - hashStart).TotalSeconds);
            line.Append(CultureInfo.InvariantCulture, $"curl {c0.Seconds:F2} s / {c0.CpuSeconds:F2} CPU-s (registry {curlServer[^1]:F2})");
            File.Delete(output);
            for (int c = 0; c < clients.Count; c++)
            {
                server = registry.CpuSeconds;
                Timing t = clients[c].Run(i);
                oursServer[c].Add(registry.CpuSeconds - server);
                ours[c].Add(t);
                line.Append(CultureInfo.InvariantCulture, $" | {clients[c].Name.Split(' ')[0]} {t.Seconds:F2} / {t.CpuSeconds:F2} ({oursServer[c][^1]:F2})");
                File.Delete(output);
            }
            runLines.Add(line.ToString());
        }
        Console.WriteLine($"pull+verify {sizeMib} MiB blob, {runs} interleaved runs, load average {loadBefore} before, {LoadAverage()} after:");
        Console.WriteLine($"  curl -o (no verification)                    {Summary(curl)}; registry CPU {curlServer.Min():F2}-{curlServer.Max():F2} s");
        for (int c = 0; c < clients.Count; c++)
        {
            List<Timing> r = ours[c];
            Console.WriteLine($"  {clients[c].Name,-44} {Summary(r)}; registry CPU {oursServer[c].Min():F2}-{oursServer[c].Max():F2} s; ratio best {Best(r) / Best(curl):F3}, median {Median(r) / Median(curl):F3} (target <= 1.1)");
        }
        Console.WriteLine("  each run (wall s / CPU-s of the client, registry CPU-s in brackets):");
        foreach (string line in runLines) Console.WriteLine(line);
        // As DownloadBench's bound: a client as frugal as curl that also hashes needs at least the CPU of curl's run (registry +
        // curl) plus the hash, spread over every core; where that is above 1.1x curl's time, the target is out of reach here.
        double floor = (curlServer.Min() + curl.Min(r => r.CpuSeconds) + hashCpu) / Environment.ProcessorCount;
        Console.WriteLine($"  Bound for a client as frugal as curl that also hashes: (registry {curlServer.Min():F2} + curl {curl.Min(r => r.CpuSeconds):F2} + SHA-256 {hashCpu:F2}) / " +
                          $"{Environment.ProcessorCount} cores = {floor:F2} s = {floor / Best(curl):F2}x of curl's best");
        File.Delete(output);

        // 3. parallel installs (--parallel 0: only the push and pull rows, e.g. for an A/B of the pull)
        if (parallel < 1)
        {
            Console.WriteLine("parallel installs skipped (--parallel 0)");
            return 0;
        }
        string mid = WriteManifest(work, "mid", 1, installMib);
        string midSha = File.ReadAllText(mid).Split("sha256: \"")[1].Substring(0, 64);
        await PushAll(registry, options, mid, "bench/mid");
        File.Delete(Path.Combine(work, "mid", "tool0"));
        string loadBefore3 = LoadAverage();
        var clock3 = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, parallel).Select(i => Task.Run(() => TimedSelfWithOutput(registry, "install", registry.Host, mid, Path.Combine(work, "root" + i), midSha))).ToArray();
        var results = await Task.WhenAll(tasks);
        clock3.Stop();
        int ok = results.Count(r => r.Code == 0 && r.Out.Contains($"installed {(long)installMib * 1048576} bytes in 1 attempt", StringComparison.Ordinal));
        Console.WriteLine($"{parallel} parallel installs of a {installMib} MiB artifact into {parallel} roots, load average {loadBefore3} before, {LoadAverage()} after:");
        Console.WriteLine($"  VerifiedDownloader (this program's child)    {ok}/{parallel} installed with the blob fetched once ({(long)installMib * 1048576:N0} bytes, 1 attempt each), " +
                          $"{clock3.Elapsed.TotalSeconds:F2} s; {Memory(results)}; RSS at the child's start {results.Min(StartKib) / 1024.0:F1}-{results.Max(StartKib) / 1024.0:F1} MiB");
        foreach (var r in results.Where(r => r.Code != 0)) Console.WriteLine("  failed: " + r.Out.Trim());
        bool allOk = ok == parallel;
        foreach ((string name, string[] command) in CliCommands())
        {
            var clock4 = Stopwatch.StartNew();
            var cli = await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(() =>
            {
                // Each root is a home of its own with its own copy of the manifest (the lock is written beside it).
                string root = Path.Combine(work, "cli-" + name.Split(' ')[0] + i);
                Directory.CreateDirectory(root);
                string manifest = Path.Combine(root, "secureinstall.yml");
                File.Copy(mid, manifest);
                Timing t = CliInstall(registry, command, manifest, "bench/mid", Path.Combine(root, "home"));
                string placed = Path.Combine(root, "home", "tools", "tool0", "1.0.0", "tool0");
                bool good = File.Exists(placed) && FileHasher.HashFile(placed, ChecksumAlgorithm.SHA256) == midSha;
                return (t, good);
            })));
            clock4.Stop();
            int placedOk = cli.Count(r => r.good);
            Console.WriteLine($"  {name,-44} {placedOk}/{parallel} installed and verified, {clock4.Elapsed.TotalSeconds:F2} s; " +
                              $"{Memory(cli.Select(r => r.t).ToList())}");
            allOk &= placedOk == parallel;
        }
        return allOk ? 0 : 1;
    }
    finally
    {
        registry.Stop();
        try { Directory.Delete(work, true); } catch (IOException) { }
    }
}

// `serve [--size-mib N]`: the registry with one pushed blob, kept up until stdin closes, for profiling clients by hand
// (perf stat, strace) against the same blob URL; prints what a client needs and the registry's pid (for its CPU time).
static async Task<int> Serve(string[] args)
{
    int sizeMib = Option(args, "--size-mib", 1024);
    string work = Path.Combine(Path.GetTempPath(), "si-registry-serve-" + Environment.ProcessId);
    Directory.CreateDirectory(work);
    using RegistryProcess registry = RegistryProcess.Start();
    try
    {
        VerifiedDownloaderOptions options = registry.Options();
        string big = WriteManifest(work, "big", 1, sizeMib);
        string bigSha = File.ReadAllText(big).Split("sha256: \"")[1].Substring(0, 64);
        await PushAll(registry, options, big, "bench/big");
        File.Delete(Path.Combine(work, "big", "tool0"));
        Console.WriteLine($"host {registry.Host}");
        Console.WriteLine($"pid {registry.ProcessId}");
        Console.WriteLine($"ca {registry.CaPemPath}");
        Console.WriteLine($"sha256 {bigSha}");
        Console.WriteLine($"url https://{registry.Host}/v2/bench/big/blobs/sha256:{bigSha}");
        Console.WriteLine($"user {RegistryProcess.User}:{RegistryProcess.Password}");
        Console.Out.Flush();
        while (Console.In.ReadLine() != null) { }
        return 0;
    }
    finally
    {
        registry.Stop();
        try { Directory.Delete(work, true); } catch (IOException) { }
    }
}

// Pushes every artifact `manifest` pins to `repository` in the registry, tagged v1.
static async Task PushAll(RegistryProcess registry, VerifiedDownloaderOptions options, string manifest, string repository)
{
    using var downloader = new VerifiedDownloader(options);
    using var client = new RegistryClient(registry.Reference(repository, "v1"), options, options.RegistryCredential);
    await new RegistryPush(downloader, client).PushAsync(manifest,
        PinnedArtifactResolver.Select(new ManifestReader().ReadFile(manifest), Array.Empty<string>(), null, Array.Empty<string>()));
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
    long startKib = RssKib();
    var options = ChildOptions(host, "bench/mid");
    using var downloader = new VerifiedDownloader(options);
    var installer = new ToolInstaller(new ToolInstallerOptions { Root = root, Platform = "linux-x64" }, downloader);
    string lockPath = Path.Combine(root, "secureinstall.lock.json");
    var attempts = new List<string>();
    options.Log = line => { if (line.StartsWith("Attempt", StringComparison.Ordinal)) attempts.Add(line); };
    InstallResult result = await installer.InstallAsync(installer.Plan(new ManifestReader().ReadFile(manifest), InstallLock.Load(lockPath), "tool0", null), lockPath);
    long size = new FileInfo(Path.Combine(result.Path, "tool0")).Length;
    bool fetchedOnce = attempts.Count == 0 && result.Sha256 == sha256;
    Console.WriteLine($"{result.Status}: installed {size} bytes in {(fetchedOnce ? "1 attempt" : attempts.Count + 1 + " attempts")}; rss at start {startKib} KiB");
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

// The CLI as users run it: the managed build (src/SecureInstall.Cli, `dotnet build -c Release`) and the native one
// (`./build.ps1 -Task Native`), whichever is built.
static IEnumerable<(string Name, string[] Command)> CliCommands()
{
    string root = TestPaths.RepositoryRoot;
    string managed = Path.Combine(root, "src", "SecureInstall.Cli", "bin", "Release", "net10.0", "secureinstall");
    string native = Path.Combine(root, "out", "native", "linux-x64", "secureinstall");
    if (File.Exists(managed)) yield return ("managed secureinstall install", new[] { managed });
    else Console.WriteLine($"  ({managed} not built: its rows are skipped)");
    if (File.Exists(native)) yield return ("native secureinstall install", new[] { native });
    else Console.WriteLine($"  ({native} not built, ./build.ps1 -Task Native: its rows are skipped)");
}

// `secureinstall install tool0 --registry-only` from the registry into SECUREINSTALL_HOME=home, the password from the environment.
static Timing CliInstall(RegistryProcess registry, string[] command, string manifest, string repository, string home)
{
    var arguments = command.Skip(1).Concat(new[] { "install", "tool0", "--quiet", "--manifest", manifest, "--platform", "linux-x64",
        "--registry", $"oci://{registry.Host}/{repository}", "--registry-only", "--registry-user", RegistryProcess.User, "--password-env", "SI_BENCH_REGISTRY_PASSWORD" });
    var environment = new Dictionary<string, string> { ["SECUREINSTALL_HOME"] = home, ["SI_BENCH_REGISTRY_PASSWORD"] = RegistryProcess.Password };
    Timing t = TimedWithOutput(command[0], arguments.ToArray(), registry.CaPemPath, environment);
    if (t.Code != 0) throw new InvalidOperationException($"{command[0]} install failed: {t.Out}");
    return t;
}

static Timing Checked(Timing t, string output, string sha256)
{
    if (t.Code != 0) throw new InvalidOperationException($"the client failed: {t.Out}");
    if (FileHasher.HashFile(output, ChecksumAlgorithm.SHA256) != sha256) throw new InvalidOperationException("the client placed other bytes");
    return t;
}

static Timing TimedSelfWithOutput(RegistryProcess registry, params string[] arguments) =>
    TimedWithOutput(Environment.ProcessPath!, arguments, registry.CaPemPath);

// GNU time: wall seconds, peak RSS and CPU seconds (user + system) of the one client process.
static Timing TimedWithOutput(string file, string[] arguments, string? caPem, IDictionary<string, string>? environment = null)
{
    string timing = Path.GetTempFileName();
    var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string a in new[] { "-o", timing, "-f", "%e %M %U %S", file }.Concat(arguments)) start.ArgumentList.Add(a);
    if (caPem != null) start.Environment["SSL_CERT_FILE"] = caPem;
    foreach (var pair in environment ?? new Dictionary<string, string>()) start.Environment[pair.Key] = pair.Value;
    using Process p = Process.Start(start)!;
    MemorySampler memory = MemorySampler.Start(p);
    Task<string> error = p.StandardError.ReadToEndAsync();
    string output = p.StandardOutput.ReadToEnd() + error.Result;
    p.WaitForExit();
    memory.Stop();
    string[] parts = File.ReadAllLines(timing).Last().Split(' ');
    File.Delete(timing);
    double Number(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
    return new Timing(p.ExitCode, Number(0), long.Parse(parts[1], CultureInfo.InvariantCulture), Number(2) + Number(3), output, memory.PeakPssKib, memory.PeakPrivateDirtyKib);
}

// Per process of a parallel run: GNU time's peak RSS, and the largest PSS and private dirty memory sampled (MemorySampler).
static string Memory(IReadOnlyCollection<Timing> runs) =>
    $"peak RSS per process {runs.Min(r => r.PeakKib) / 1024.0:F1}-{runs.Max(r => r.PeakKib) / 1024.0:F1} MiB (target < 64 MiB), " +
    $"peak PSS {runs.Min(r => r.PeakPssKib) / 1024.0:F1}-{runs.Max(r => r.PeakPssKib) / 1024.0:F1} MiB, private dirty {runs.Min(r => r.PeakPrivateDirtyKib) / 1024.0:F1}-{runs.Max(r => r.PeakPrivateDirtyKib) / 1024.0:F1} MiB";

// The install child's own RSS when it began (printed by InstallOne): the runtime and this program, before any SecureInstall work.
static long StartKib(Timing t) =>
    long.Parse(t.Out.Split("rss at start ")[1].Split(' ')[0], CultureInfo.InvariantCulture);

// This process's resident set now, KiB.
static long RssKib() =>
    long.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

static double Best(List<Timing> runs) => runs.Min(r => r.Seconds);

static double Median(List<Timing> runs)
{
    var sorted = runs.Select(r => r.Seconds).OrderBy(x => x).ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Summary(List<Timing> runs) =>
    $"best {Best(runs):F2} s, median {Median(runs):F2} s, CPU {runs.Min(r => r.CpuSeconds):F2}-{runs.Max(r => r.CpuSeconds):F2} s, peak RSS {runs.Max(r => r.PeakKib) / 1024.0:F1} MiB";

static string LoadAverage() => string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static int Option(string[] args, string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

/// <param name="PeakKib">GNU time's peak RSS.</param>
/// <param name="PeakPssKib">The largest PSS and private dirty memory sampled (<see cref="MemorySampler"/>).</param>
internal sealed record Timing(int Code, double Seconds, long PeakKib, double CpuSeconds, string Out, long PeakPssKib, long PeakPrivateDirtyKib);
