using System;
using System.Collections.Generic;
using System.IO;

namespace SecureInstall.Release;

/// <summary>
/// The release build, one command:
///   dotnet run --project tools/SecureInstall.Release -c Release -- build [--output DIR] [--base-uri URI] [--native DIR]
/// and the bootstrap stamp alone (tests stamp a bootstrap for a package they made):
///   … stamp --bootstrap FILE --output FILE --version V --package-uri URI --sha256 HEX --size N
/// the commit and time a build embeds (the last commit outside README.md and action.yml, which pin the assets):
///   … source [--root DIR]
/// and install.sh's stamp alone (tests stamp it for binaries they serve):
///   … stamp-sh --script FILE --output FILE --version V --base-uri URI [--sha256-linux-x64 HEX] [--sha256-linux-arm64 HEX] [--sha256-osx-arm64 HEX]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            if (args.Length == 0 || args[0] is "-h" or "--help") return Usage(0);
            Dictionary<string, string> options = ParseOptions(args);
            switch (args[0])
            {
                case "build":
                    string root = Path.GetFullPath(Get(options, "root", FindRoot()));
                    var builder = new ReleaseBuilder(root, Path.GetFullPath(Get(options, "output", Path.Combine(root, "out", "release"))),
                        options.TryGetValue("base-uri", out string? baseUri) ? baseUri : null, Console.Out,
                        options.TryGetValue("native", out string? native) ? Path.GetFullPath(native) : null);
                    builder.Build();
                    return 0;
                case "source":
                    // The commit and time a release build of --root embeds (build.ps1 -Task Native compiles with the same).
                    (string? commit, DateTimeOffset date) = ReleaseBuilder.SourceRevision(Path.GetFullPath(Get(options, "root", FindRoot())));
                    Console.WriteLine($"{commit ?? ""} {date.ToUnixTimeSeconds()}");
                    return 0;
                case "stamp":
                    string script = File.ReadAllText(Required(options, "bootstrap"));
                    string stamped = BootstrapStamp.Apply(script, Required(options, "version"), new Uri(Required(options, "package-uri")),
                        Required(options, "sha256"), long.Parse(Required(options, "size"), System.Globalization.CultureInfo.InvariantCulture));
                    File.WriteAllBytes(Required(options, "output"), BootstrapStamp.Encode(stamped));
                    return 0;
                case "stamp-sh":
                    var digests = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (string runtime in InstallScriptStamp.Runtimes)
                    {
                        if (options.TryGetValue("sha256-" + runtime, out string? digest)) digests[runtime] = digest;
                    }
                    string sh = InstallScriptStamp.Apply(File.ReadAllText(Required(options, "script")), Required(options, "version"),
                        new Uri(Required(options, "base-uri")), digests);
                    File.WriteAllBytes(Required(options, "output"), BootstrapStamp.Encode(sh));
                    return 0;
                default:
                    return Usage(2);
            }
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"release: {ex.Message}");
            return 1;
        }
    }

    private static int Usage(int code)
    {
        Console.Error.WriteLine("usage: release build [--output DIR] [--base-uri URI] [--root DIR] [--native DIR]");
        Console.Error.WriteLine("       release source [--root DIR]   (the commit and time a build embeds: the last change outside the pin files)");
        Console.Error.WriteLine("       release stamp --bootstrap FILE --output FILE --version V --package-uri URI --sha256 HEX --size N");
        Console.Error.WriteLine("       release stamp-sh --script FILE --output FILE --version V --base-uri URI [--sha256-<rid> HEX]...");
        return code;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Expected --name value, found '{args[i]}'.");
            options[args[i].Substring(2)] = args[++i];
        }
        return options;
    }

    private static string Get(Dictionary<string, string> options, string name, string fallback) =>
        options.TryGetValue(name, out string? value) ? value : fallback;

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out string? value) ? value : throw new ArgumentException($"--{name} is required.");

    /// <summary>The repository root: the folder above this tool's project that holds SecureInstall.psd1.</summary>
    private static string FindRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (string? dir = start; dir != null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "SecureInstall.psd1")) && File.Exists(Path.Combine(dir, "SecureInstall.sln"))) return dir;
            }
        }
        throw new InvalidOperationException("Cannot find the repository root (SecureInstall.psd1 beside SecureInstall.sln); pass --root.");
    }
}
