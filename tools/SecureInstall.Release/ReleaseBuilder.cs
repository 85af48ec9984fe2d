using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using SecureInstall.Core.Checksums;

namespace SecureInstall.Release;

/// <summary>
/// Builds every release asset into one folder, reproducibly: two builds of one commit in different folders give the
/// same bytes (deterministic compilation with the source root mapped to /_/, zips with fixed order and times, names
/// derived from content), so anyone can rebuild a release and compare its checksums.txt with the published one.
/// </summary>
public sealed class ReleaseBuilder
{
    private const string DefaultBaseUri = "https://github.com/secureinstall/SecureInstall/releases/download/v{version}/";
    private readonly string _root;
    private readonly string _output;
    private readonly string _baseUri;
    private readonly TextWriter _log;

    public ReleaseBuilder(string root, string output, string? baseUri, TextWriter log)
    {
        _root = root;
        _output = output;
        _baseUri = baseUri ?? DefaultBaseUri;
        _log = log;
    }

    public void Build()
    {
        var manifest = new ModuleManifestText(File.ReadAllText(Path.Combine(_root, "SecureInstall.psd1")));
        string version = manifest.Version;
        string? commit = Git("rev-parse", "HEAD");
        DateTimeOffset sourceDate = SourceDate();
        _log.WriteLine($"SecureInstall {version}, commit {commit ?? "(no git)"}, source date {sourceDate:u}");
        if (!string.IsNullOrEmpty(Git("status", "--porcelain", "--untracked-files=no")))
            _log.WriteLine("warning: the work tree has uncommitted changes; this build will not match a build of the commit.");

        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
        Directory.CreateDirectory(_output);
        string work = Path.Combine(Path.GetTempPath(), "secureinstall-release-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            string[] properties = CompileProperties(commit);

            // The module: the cmdlet assembly and what it needs, the manifest, the format and schema files, the help.
            string module = Path.Combine(work, "module");
            string commands = Path.Combine(_root, "src", "SecureInstall.Commands", "SecureInstall.Commands.csproj");
            Dotnet(new[] { "build", commands, "--no-incremental" }.Concat(properties));
            Dotnet(new[] { "publish", commands, "--no-build", "-o", Path.Combine(module, "bin") }.Concat(properties));
            File.Copy(Path.Combine(_root, "SecureInstall.psd1"), Path.Combine(module, "SecureInstall.psd1"));
            Directory.CreateDirectory(Path.Combine(module, "module"));
            // Format views and the data files beside them (manifest schema, Sigstore trusted root); not the bootstrap, not help sources.
            foreach (string shipped in Directory.GetFiles(Path.Combine(_root, "module")).Where(f => f.EndsWith(".ps1xml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
                File.Copy(shipped, Path.Combine(module, "module", Path.GetFileName(shipped)));
            Run(PowerShell(), "-NoProfile", "-NonInteractive", "-File", Path.Combine(_root, "build.ps1"), "-Task", "Help", "-ModuleRoot", module);

            List<KeyValuePair<string, byte[]>> moduleFiles = DeterministicZip.ReadTree(module);
            string zipName = $"SecureInstall-{version}.zip";
            string zipPath = Path.Combine(_output, zipName);
            DeterministicZip.Write(zipPath, moduleFiles, sourceDate);
            DeterministicZip.Write(Path.Combine(_output, $"SecureInstall.{version}.nupkg"), GalleryPackage.Entries(manifest, moduleFiles), sourceDate);

            // The CLI as a .NET tool package; its zip is rewritten with fixed order and times.
            string cli = Path.Combine(_root, "src", "SecureInstall.Cli", "SecureInstall.Cli.csproj");
            Dotnet(new[] { "build", cli, "--no-incremental" }.Concat(properties));
            string packed = Path.Combine(work, "cli");
            Dotnet(new[] { "pack", cli, "--no-build", "-o", packed }.Concat(properties));
            foreach (string nupkg in Directory.GetFiles(packed, "*.nupkg"))
            {
                string target = Path.Combine(_output, Path.GetFileName(nupkg));
                File.Move(nupkg, target);
                DeterministicZip.Normalize(target, sourceDate, (name, bytes) =>
                    name.EndsWith(".psmdcp", StringComparison.Ordinal)
                        ? $"package/services/metadata/core-properties/{GalleryPackage.Hex(SHA256.HashData(bytes)).Substring(0, 32)}.psmdcp"
                        : name);
            }

            // The bootstrap, with the module package's digest and size stamped in.
            byte[] zipBytes = File.ReadAllBytes(zipPath);
            string zipSha = GalleryPackage.Hex(SHA256.HashData(zipBytes));
            var packageUri = new Uri(_baseUri.Replace("{version}", version, StringComparison.Ordinal) + zipName);
            string stamped = BootstrapStamp.Apply(File.ReadAllText(Path.Combine(_root, "module", "Install-SecureInstall.ps1")), version, packageUri, zipSha, zipBytes.Length);
            string bootstrapPath = Path.Combine(_output, "Install-SecureInstall.ps1");
            File.WriteAllBytes(bootstrapPath, BootstrapStamp.Encode(stamped));

            File.WriteAllBytes(Path.Combine(_output, $"SecureInstall-{version}.cdx.json"),
                Sbom.Create(_root, new[] { "src/SecureInstall.Core", "src/SecureInstall.Commands", "src/SecureInstall.Loader", "src/SecureInstall.Cli" }, version, sourceDate));

            // checksums.txt by the same writer as New-ChecksumFile: sorted, LF, UTF-8 without BOM.
            var items = Directory.GetFiles(_output).Select(f => new ChecksumListItem(f, Path.GetFileName(f)));
            string list = new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu);
            ChecksumListWriter.Save(list, Path.Combine(_output, "checksums.txt"));

            string bootstrapSha = GalleryPackage.Hex(SHA256.HashData(File.ReadAllBytes(bootstrapPath)));
            string bootstrapUri = _baseUri.Replace("{version}", version, StringComparison.Ordinal) + "Install-SecureInstall.ps1";
            string oneLiner = OneLiner(bootstrapUri, bootstrapSha);
            // Beside the assets but not listed in checksums.txt: the workflow passes it to the release as its text.
            File.WriteAllText(Path.Combine(_output, "release-notes.md"), ReleaseNotes(version, commit, oneLiner, bootstrapSha, list), new UTF8Encoding(false));
            _log.WriteLine();
            _log.Write(list);
            _log.WriteLine();
            _log.WriteLine("Install one-liner for this release (README, release notes):");
            _log.WriteLine(oneLiner);
            _log.WriteLine($"Release assets in {_output}");
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    private static string ReleaseNotes(string version, string? commit, string oneLiner, string bootstrapSha, string checksums) =>
        $"SecureInstall {version}{(commit != null ? " (commit " + commit + ")" : "")}\n\n" +
        "## Install (Windows PowerShell 5.1 or PowerShell 7)\n\n" +
        "The line checks the bootstrap's bytes against this digest before running it; the bootstrap checks the module package against the digest stamped into it.\n\n" +
        $"```powershell\n{oneLiner}\n```\n\n" +
        $"Install-SecureInstall.ps1 sha256: `{bootstrapSha}`\n\n" +
        "## Verify the release\n\n" +
        "checksums.txt is signed keylessly with Sigstore (checksums.txt.sigstore.json) and every asset carries GitHub build provenance; " +
        "rebuilding the tag with `pwsh ./tools/Test-ReproducibleRelease.ps1 -Commit v" + version + " -Published checksums.txt` gives the same bytes.\n\n" +
        $"```\n{checksums}```\n";

    /// <summary>The README's one-liner: hashes the downloaded bytes, compares with the pin, and only then runs them.</summary>
    public static string OneLiner(string bootstrapUri, string sha256) =>
        "& { $u = '" + bootstrapUri + "'; $pin = '" + sha256 + "'; " +
        "[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor 3072; " +
        "$b = (New-Object Net.WebClient).DownloadData($u); " +
        "$h = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($b) | ForEach-Object { $_.ToString('x2') }); " +
        "if ($h -ne $pin) { throw \"Install-SecureInstall.ps1 hashes to $h, not the pinned ${pin}: not run.\" }; " +
        "& ([scriptblock]::Create([Text.Encoding]::UTF8.GetString($b))) -ExpectedSha256 $pin }";

    /// <summary>
    /// Deterministic compilation that does not depend on where the clone is or what its git remote is called:
    /// paths under the root become /_/, Source Link (which embeds the remote URL) is off, the commit goes into
    /// the informational version explicitly.
    /// </summary>
    private string[] CompileProperties(string? commit)
    {
        var list = new List<string>
        {
            "-c", "Release", "--nologo", "-v", "quiet",
            "-p:Deterministic=true",
            "-p:ContinuousIntegrationBuild=false",
            "-p:EnableSourceLink=false",
            "-p:EnableSourceControlManagerQueries=false",
            $"-p:PathMap={_root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar}=/_/",
        };
        if (commit != null) list.Add($"-p:SourceRevisionId={commit}");
        return list.ToArray();
    }

    /// <summary>SOURCE_DATE_EPOCH, else the commit time, else a fixed date: never the clock.</summary>
    private DateTimeOffset SourceDate()
    {
        string? epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") ?? Git("log", "-1", "--format=%ct");
        if (long.TryParse(epoch, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seconds) && seconds >= 315532800)
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        return new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private static string PowerShell()
    {
        foreach (string name in new[] { "pwsh", "powershell" })
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                foreach (string candidate in new[] { Path.Combine(dir, name), Path.Combine(dir, name + ".exe") })
                    if (File.Exists(candidate)) return candidate;
            }
        }
        throw new InvalidOperationException("The release build needs PowerShell (pwsh) on PATH to generate the cmdlet help.");
    }

    private void Dotnet(IEnumerable<string> arguments) => Run("dotnet", arguments.ToArray());

    private void Run(string file, params string[] arguments)
    {
        _log.WriteLine($"> {Path.GetFileName(file)} {string.Join(' ', arguments.Take(3))} …");
        var start = new ProcessStartInfo(file) { WorkingDirectory = _root, UseShellExecute = false };
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}.");
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments.Take(2))} failed with exit code {process.ExitCode}.");
    }

    private string? Git(params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = _root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in arguments) start.ArgumentList.Add(a);
            using Process process = Process.Start(start)!;
            string text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
