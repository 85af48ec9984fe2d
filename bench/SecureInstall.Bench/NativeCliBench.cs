using System.Runtime.InteropServices;

namespace SecureInstall.Bench;

/// <summary>
/// The Native AOT `secureinstall` (issue 23: `./build.ps1 -Task Native` puts it in out/native/&lt;rid&gt;) as a bash CI step
/// runs it, a whole process per call, against coreutils in the same run: start-up, the many-files list the checksum
/// bench wrote, and one small file. Skipped, saying why, where the binary was not built.
/// </summary>
public static class NativeCliBench
{
    public static string BinaryPath(BenchOptions options)
    {
        string os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : "linux";
        string rid = os + "-" + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        return Path.Combine(options.RepositoryRoot, "out", "native", rid, os == "win" ? "secureinstall.exe" : "secureinstall");
    }

    /// <param name="dir">The folder of 4 KiB files with SHA256SUMS that <see cref="ChecksumBench"/> wrote.</param>
    public static void Run(BenchOptions options, string dir, int files)
    {
        string native = BinaryPath(options);
        if (!File.Exists(native))
        {
            Console.WriteLine($"  native secureinstall not built ({native}): skipped its rows (./build.ps1 -Task Native; needs clang and lld)");
            return;
        }
        // Each call is a few ms: many more runs than the other rows, and each of ours right beside the reference's, so
        // that a neighbour's burst on this shared machine lands on both sides; best and median of the pairs are printed.
        int repeat = Math.Max(options.Repeat, 30);

        Pairs("native secureinstall --version (start-up)", repeat, () => Measure.Tool(native, "--version"), "sha256sum --version", () => Measure.Tool("sha256sum", "--version"), null);
        Pairs($"native secureinstall verify, {files} x 4 KiB", Math.Max(options.Repeat, 10), () => Measure.Tool(native, "verify --quiet --checksums SHA256SUMS", dir),
            "sha256sum -c", () => Measure.Tool("sha256sum", "-c --quiet SHA256SUMS", dir), 0.6);

        string one = Path.Combine(dir, "f00000.bin");
        string digest = SecureInstall.Core.Checksums.FileHasher.HashFile(one, SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA256);
        Pairs("native secureinstall verify, one 4 KiB file", repeat, () => Measure.Tool(native, $"verify --quiet --sha256 {digest} \"{one}\""),
            "sha256sum", () => Measure.Tool("sha256sum", $"\"{one}\""), 1.5);

        long size = new FileInfo(native).Length;
        Console.WriteLine($"    native binary: {size:N0} bytes ({size / (1024.0 * 1024):F1} MiB), {RuntimeInformation.OSArchitecture}, self-contained (no .NET needed)");
    }

    /// <summary>Runs ours and the reference alternately (after 3 warm-ups each) and prints best and median of each, their ratios and the load average.</summary>
    private static void Pairs(string name, int repeat, Action ours, string reference, Action theirs, double? target)
    {
        var a = new List<double>();
        var b = new List<double>();
        for (int i = 0; i < repeat + 3; i++)
        {
            double x = Time(ours), y = Time(theirs);
            if (i < 3) continue;
            a.Add(x);
            b.Add(y);
        }
        a.Sort();
        b.Sort();
        double bestRatio = a[0] / b[0], medianRatio = a[a.Count / 2] / b[b.Count / 2];
        string verdict = target == null ? "(target <= 20 ms) " + (a[0] <= 20 ? "PASS" : "MISS") : $"ratio best {bestRatio:F2}x, median {medianRatio:F2}x (target <= {target:F2}x) {(bestRatio <= target ? "PASS" : "MISS")}";
        string load = File.Exists("/proc/loadavg") ? "load " + string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "";
        Console.WriteLine($"  {name,-44} best {a[0],7:F1} ms, median {a[a.Count / 2],7:F1} ms   {reference,-20} best {b[0],7:F1} ms, median {b[b.Count / 2],7:F1} ms   {verdict}  {load}");
    }

    private static double Time(Action action)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }
}
