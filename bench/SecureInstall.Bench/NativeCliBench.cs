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
    /// <param name="coreutilsMs">sha256sum -c on that list, measured by <see cref="ChecksumBench"/> in this run.</param>
    public static void Run(BenchOptions options, string dir, int files, double coreutilsMs)
    {
        string native = BinaryPath(options);
        if (!File.Exists(native))
        {
            Console.WriteLine($"  native secureinstall not built ({native}): skipped its rows (./build.ps1 -Task Native; needs clang and lld)");
            return;
        }
        // Each call is a few ms: many more runs than the other rows, so the best one is not a neighbour's time slice.
        int repeat = Math.Max(options.Repeat, 30);

        double startup = Measure.Best(repeat, () => Measure.Tool(native, "--version"), warmups: 3);
        double coreutilsStartup = Measure.Best(repeat, () => Measure.Tool("sha256sum", "--version"), warmups: 3);
        Console.WriteLine($"  {"native secureinstall --version (start-up)",-44} {startup,9:F1} ms   {"sha256sum --version",-22} {coreutilsStartup,9:F1} ms   (target <= 20 ms) {(startup <= 20 ? "PASS" : "MISS")}");

        double many = Measure.Best(Math.Max(options.Repeat, 10), () => Measure.Tool(native, "verify --quiet --checksums SHA256SUMS", dir));
        Measure.Row($"native secureinstall verify, {files} x 4 KiB", many, "sha256sum -c", coreutilsMs, 0.6);

        string one = Path.Combine(dir, "f00000.bin");
        string digest = SecureInstall.Core.Checksums.FileHasher.HashFile(one, SecureInstall.Core.Checksums.ChecksumAlgorithm.SHA256);
        double ours = Measure.Best(repeat, () => Measure.Tool(native, $"verify --quiet --sha256 {digest} \"{one}\""), warmups: 3);
        double theirs = Measure.Best(repeat, () => Measure.Tool("sha256sum", $"\"{one}\""), warmups: 3);
        Measure.Row("native secureinstall verify, one 4 KiB file", ours, "sha256sum", theirs, 1.5);

        long size = new FileInfo(native).Length;
        Console.WriteLine($"    native binary: {size:N0} bytes ({size / (1024.0 * 1024):F1} MiB), {RuntimeInformation.OSArchitecture}, self-contained (no .NET needed)");
    }
}
