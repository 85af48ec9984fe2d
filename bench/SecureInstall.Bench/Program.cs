using System.Diagnostics;
using SecureInstall.Core.Checksums;

// Benchmarks that print ratios against the reference tools, measured in the same run on the same files.
// Usage: dotnet run -c Release --project bench/SecureInstall.Bench -- [checksums] [import] [archives] [authenticode] [modules] [--size-mib N] [--files N] [--archive-mib N] [--authenticode-mib N] [--repeat N]
namespace SecureInstall.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
        string work = Path.Combine(Path.GetTempPath(), "secureinstall-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(work);
        try
        {
            Console.WriteLine($"SecureInstall benchmarks ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription})");
            if (options.Runs("checksums")) ChecksumBench.Run(work, options);
            if (options.Runs("import")) ImportBench.Run(options);
            if (options.Runs("archives")) ArchiveBench.Run(work, options);
            if (options.Runs("authenticode")) AuthenticodeBench.Run(work, options);
            if (options.Runs("modules")) ModuleBench.Run(work, options);
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}

public sealed class BenchOptions
{
    /// <summary>The benchmarks this program runs, in order; a name outside this list is an error, not "run nothing".</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "checksums", "import", "archives", "authenticode", "modules" };

    public HashSet<string> Only { get; } = new(StringComparer.OrdinalIgnoreCase);
    public int SizeMiB { get; private set; } = 1024;
    public int Files { get; private set; } = 10_000;
    public int Repeat { get; private set; } = 3;
    public int ArchiveMiB { get; private set; } = 500;
    public int AuthenticodeMiB { get; private set; } = 100;
    public string RepositoryRoot { get; private set; } = FindRoot();

    public bool Runs(string name) => Only.Count == 0 || Only.Contains(name);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size-mib": o.SizeMiB = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--files": o.Files = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--repeat": o.Repeat = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--archive-mib": o.ArchiveMiB = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--authenticode-mib": o.AuthenticodeMiB = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                // `dotnet run -- ` passes a lone "--" through on some SDKs; it separates, it names nothing.
                case "--": break;
                default:
                    if (!Names.Contains(args[i], StringComparer.OrdinalIgnoreCase))
                        throw new ArgumentException($"Unknown benchmark or option '{args[i]}'. Benchmarks: {string.Join(", ", Names)}; options: --size-mib N, --files N, --repeat N, --archive-mib N, --authenticode-mib N.");
                    o.Only.Add(args[i]);
                    break;
            }
        }
        return o;
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "SecureInstall.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? Directory.GetCurrentDirectory();
    }
}

public static class Measure
{
    /// <summary>
    /// Best of N wall-clock runs after <paramref name="warmups"/> unmeasured ones (they warm the page cache, and let the
    /// tiered JIT finish: a PowerShell session that checks files has run this code before).
    /// </summary>
    public static double Best(int repeat, Action action, int warmups = 1)
    {
        for (int i = 0; i < warmups; i++) action();
        double best = double.MaxValue;
        for (int i = 0; i < repeat; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    public static void Tool(string file, string arguments, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        using Process p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}: {err}");
    }

    public static bool Has(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (File.Exists(Path.Combine(dir, tool))) return true;
        }
        return false;
    }

    public static void Row(string name, double ours, string reference, double theirs, double target)
    {
        double ratio = ours / theirs;
        Console.WriteLine($"  {name,-44} {ours,9:F1} ms   {reference,-22} {theirs,9:F1} ms   ratio {ratio,5:F2}x  (target <= {target:F2}x) {(ratio <= target ? "PASS" : "MISS")}");
    }
}

public static class ChecksumBench
{
    public static void Run(string work, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"Checksums: one {options.SizeMiB} MiB file; {options.Files} files of 4 KiB from one list");

        string big = Path.Combine(work, "big.bin");
        WriteRandom(big, (long)options.SizeMiB * 1024 * 1024);
        if (Measure.Has("openssl"))
        {
            string digest = "";
            long baseline = Process.GetCurrentProcess().WorkingSet64;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            double ours = Measure.Best(options.Repeat, () => digest = FileHasher.HashFile(big, ChecksumAlgorithm.SHA256));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            long peakAbove = Process.GetCurrentProcess().PeakWorkingSet64 - baseline;
            double openssl = Measure.Best(options.Repeat, () => Measure.Tool("openssl", $"dgst -sha256 \"{big}\""));
            Measure.Row($"Test-Checksum core, SHA-256 of {options.SizeMiB} MiB", ours, "openssl dgst -sha256", openssl, 1.15);
            Console.WriteLine($"    memory: peak working set {Math.Max(0, peakAbove) / (1024.0 * 1024):F1} MiB above baseline (target < 64); managed allocations over {options.Repeat + 1} runs {allocated / 1024.0:F0} KiB; throughput {options.SizeMiB / (ours / 1000):F0} MiB/s");
        }
        else
        {
            Console.WriteLine("  openssl not found: skipped the large-file ratio (apt-get install openssl)");
        }
        File.Delete(big);

        string dir = Path.Combine(work, "many");
        Directory.CreateDirectory(dir);
        var rng = new Random(7);
        var items = new List<ChecksumListItem>();
        byte[] buf = new byte[4096];
        for (int i = 0; i < options.Files; i++)
        {
            rng.NextBytes(buf);
            string name = $"f{i:D5}.bin";
            File.WriteAllBytes(Path.Combine(dir, name), buf);
            items.Add(new ChecksumListItem(Path.Combine(dir, name), name));
        }
        string listPath = Path.Combine(dir, "SHA256SUMS");
        ChecksumListWriter.Save(new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu), listPath);

        if (Measure.Has("sha256sum"))
        {
            int ok = 0;
            // Each run is ~0.1 s, so more of them: the best of 3 on a 2-core VM mostly measures its neighbours.
            double ours = Measure.Best(Math.Max(options.Repeat, 10), () =>
            {
                ChecksumList list = new ChecksumListParser().ParseFile(listPath);
                ok = new ChecksumVerifier().VerifyMany(list.Entries.Select(e => new ChecksumTarget(list.ResolveListedPath(e, dir), e))).Count(o => o.Result?.IsValid == true);
            }, warmups: 5);
            if (ok != options.Files) throw new InvalidOperationException($"only {ok} of {options.Files} verified");
            double coreutils = Measure.Best(Math.Max(options.Repeat, 10), () => Measure.Tool("sha256sum", "-c --quiet SHA256SUMS", dir));
            Measure.Row($"Test-Checksum core, {options.Files} x 4 KiB from a list", ours, "sha256sum -c", coreutils, 0.5);

            string cli = Path.Combine(options.RepositoryRoot, "src", "SecureInstall.Cli", "bin", "Release", "net10.0", "secureinstall");
            if (File.Exists(cli))
            {
                double cliMs = Measure.Best(options.Repeat, () => Measure.Tool(cli, "verify --quiet --checksums SHA256SUMS", dir));
                Measure.Row("secureinstall verify (whole process)", cliMs, "sha256sum -c", coreutils, 1.0);
            }
            NativeCliBench.Run(options, dir, options.Files);
        }
        else
        {
            Console.WriteLine("  sha256sum not found: skipped the many-files ratio");
        }
    }

    private static void WriteRandom(string path, long bytes)
    {
        byte[] chunk = new byte[4 * 1024 * 1024];
        new Random(1).NextBytes(chunk);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        for (long written = 0; written < bytes; written += chunk.Length)
        {
            chunk[0]++; // not one repeated block
            fs.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - written));
        }
    }
}

public static class ImportBench
{
    public static void Run(BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine("Module load: Import-Module ./SecureInstall.psd1 in a fresh pwsh (timed inside that process)");
        string manifest = Path.Combine(options.RepositoryRoot, "SecureInstall.psd1");
        if (!Measure.Has("pwsh") || !File.Exists(Path.Combine(options.RepositoryRoot, "bin", "SecureInstall.Commands.dll")))
        {
            Console.WriteLine("  pwsh or the built module (./build.ps1 -Task Build) not found: skipped");
            return;
        }
        var samples = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var psi = new ProcessStartInfo("pwsh", $"-NoProfile -NonInteractive -Command \"(Measure-Command {{ Import-Module '{manifest}' }}).TotalMilliseconds\"")
            {
                RedirectStandardOutput = true,
            };
            using Process p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            samples.Add(double.Parse(output, System.Globalization.CultureInfo.InvariantCulture));
        }
        samples.Sort();
        double median = samples[samples.Count / 2];
        Console.WriteLine($"  Import-Module median of 5: {median:F0} ms (min {samples[0]:F0}, max {samples[^1]:F0}); target < 150 ms {(median < 150 ? "PASS" : "MISS")}");
    }
}
