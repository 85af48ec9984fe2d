using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using SecureInstall.Core.Archives;

namespace SecureInstall.Bench;

/// <summary>
/// Expand-VerifiedArchive's core against tar -xzf and unzip -q on the same ~500 MiB tree of many files, in the same run.
/// unzip is not on every image: apt-get install unzip (zip is only used to build the fixture; .NET writes it otherwise).
/// </summary>
public static class ArchiveBench
{
    public static void Run(string work, BenchOptions options)
    {
        Console.WriteLine();
        int files = Math.Max(100, options.ArchiveMiB * 8);
        Console.WriteLine($"Archives: {options.ArchiveMiB} MiB in {files} files (half text, half random), as tar.gz and zip; best of {options.Repeat}");
        if (!Measure.Has("tar") || !Measure.Has("gzip"))
        {
            Console.WriteLine("  tar/gzip not found: skipped");
            return;
        }

        string tree = Path.Combine(work, "tree");
        long bytes = WriteTree(tree, files, (long)options.ArchiveMiB * 1024 * 1024);
        string tgz = Path.Combine(work, "tree.tar.gz");
        string zip = Path.Combine(work, "tree.zip");
        Measure.Tool("tar", $"-czf \"{tgz}\" -C \"{tree}\" .");
        if (Measure.Has("zip")) Measure.Tool("zip", $"-q -r \"{zip}\" .", tree);
        else ZipFile.CreateFromDirectory(tree, zip, CompressionLevel.Optimal, includeBaseDirectory: false);
        Directory.Delete(tree, recursive: true);
        Console.WriteLine($"  fixture: {bytes / 1048576.0:F0} MiB of content; tar.gz {new FileInfo(tgz).Length / 1048576.0:F0} MiB, zip {new FileInfo(zip).Length / 1048576.0:F0} MiB");

        string dest = Path.Combine(work, "out");
        var extractor = new SafeArchiveExtractor();
        double oursTgz = Best(options.Repeat, dest, () => extractor.Extract(tgz, dest));
        double tar = Best(options.Repeat, dest, () => { Directory.CreateDirectory(dest); Measure.Tool("tar", $"-xzf \"{tgz}\" -C \"{dest}\""); });
        Measure.Row("SafeArchiveExtractor, tar.gz", oursTgz, "tar -xzf", tar, 1.5);

        if (Measure.Has("unzip"))
        {
            double oursZip = Best(options.Repeat, dest, () => extractor.Extract(zip, dest));
            double unzip = Best(options.Repeat, dest, () => Measure.Tool("unzip", $"-q \"{zip}\" -d \"{dest}\""));
            Measure.Row("SafeArchiveExtractor, zip", oursZip, "unzip -q", unzip, 1.5);
        }
        else
        {
            Console.WriteLine("  unzip not found: skipped the zip ratio (apt-get install unzip)");
        }
    }

    /// <summary>Best wall-clock time of N runs after one warm-up; the destination is deleted between runs, outside the timing.</summary>
    private static double Best(int repeat, string dest, Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i <= repeat; i++)
        {
            if (Directory.Exists(dest)) Directory.Delete(dest, recursive: true);
            var sw = Stopwatch.StartNew();
            action();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (i > 0) best = Math.Min(best, ms);
        }
        Directory.Delete(dest, recursive: true);
        return best;
    }

    /// <summary>A release-like tree: folders of mixed-size files, text (compresses ~3x) and binary (does not).</summary>
    private static long WriteTree(string root, int files, long totalBytes)
    {
        var rng = new Random(42);
        string[] words = "the of install archive secure checksum release binary module verify extract path entry stream header limit"
            .Split(' ');
        long average = totalBytes / files, written = 0;
        byte[] buffer = new byte[(int)(average * 4)];
        for (int i = 0; i < files; i++)
        {
            string dir = Path.Combine(root, $"pkg{i % 20:D2}", $"sub{i % 7}");
            Directory.CreateDirectory(dir);
            int size = (int)Math.Min(buffer.Length, Math.Max(1, (long)(average * (0.25 + 1.5 * rng.NextDouble()))));
            if (i % 2 == 0)
            {
                rng.NextBytes(buffer.AsSpan(0, size));
            }
            else
            {
                var sb = new StringBuilder(size + 16);
                while (sb.Length < size) sb.Append(words[rng.Next(words.Length)]).Append(rng.Next(100) == 0 ? '\n' : ' ').Append(rng.Next(1000));
                Encoding.ASCII.GetBytes(sb.ToString(0, size), 0, size, buffer, 0);
            }
            File.WriteAllBytes(Path.Combine(dir, $"file{i:D5}.{(i % 2 == 0 ? "bin" : "txt")}"), buffer.AsSpan(0, size).ToArray());
            written += size;
        }
        return written;
    }
}
