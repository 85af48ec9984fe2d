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
    private readonly string? _native;

    /// <param name="native">A folder of native binaries built elsewhere (secureinstall-&lt;rid&gt;, the release workflow's
    /// runners); null: compile the linux-x64 one here, where clang and lld are.</param>
    public ReleaseBuilder(string root, string output, string? baseUri, TextWriter log, string? native = null)
    {
        _root = root;
        _output = output;
        _baseUri = baseUri ?? DefaultBaseUri;
        _log = log;
        _native = native;
    }

    public void Build()
    {
        var manifest = new ModuleManifestText(File.ReadAllText(Path.Combine(_root, "SecureInstall.psd1")));
        string version = manifest.Version;
        string? commit = Git(_root, "rev-parse", "HEAD");
        (string? codeCommit, DateTimeOffset sourceDate) = SourceRevision(_root);
        _log.WriteLine($"SecureInstall {version}, commit {commit ?? "(no git)"}, built as {codeCommit ?? "(no git)"}, source date {sourceDate:u}");
        if (!string.IsNullOrEmpty(Git(_root, "status", "--porcelain", "--untracked-files=no")))
            _log.WriteLine("warning: the work tree has uncommitted changes; this build will not match a build of the commit.");

        if (Directory.Exists(_output)) Directory.Delete(_output, recursive: true);
        Directory.CreateDirectory(_output);
        string work = Path.Combine(Path.GetTempPath(), "secureinstall-release-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            string[] properties = CompileProperties(codeCommit);

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

            // The native `secureinstall` per platform (issue 23), and install.sh with their digests stamped in.
            string downloads = _baseUri.Replace("{version}", version, StringComparison.Ordinal);
            Dictionary<string, string> native = NativeBinaries(properties, work);
            var stampable = native.Where(n => InstallScriptStamp.Runtimes.Contains(n.Key)).ToDictionary(n => n.Key, n => n.Value, StringComparer.Ordinal);
            if (stampable.Count > 0)
            {
                string sh = InstallScriptStamp.Apply(File.ReadAllText(Path.Combine(_root, "install.sh")), version, new Uri(downloads), stampable);
                File.WriteAllBytes(Path.Combine(_output, "install.sh"), BootstrapStamp.Encode(sh));
            }
            else
            {
                _log.WriteLine("warning: no native binary for linux or macOS in this build: install.sh is not part of it.");
            }

            // The bootstrap, with the module package's digest and size stamped in.
            byte[] zipBytes = File.ReadAllBytes(zipPath);
            string zipSha = GalleryPackage.Hex(SHA256.HashData(zipBytes));
            var packageUri = new Uri(_baseUri.Replace("{version}", version, StringComparison.Ordinal) + zipName);
            string stamped = BootstrapStamp.Apply(File.ReadAllText(Path.Combine(_root, "module", "Install-SecureInstall.ps1")), version, packageUri, zipSha, zipBytes.Length);
            string bootstrapPath = Path.Combine(_output, "Install-SecureInstall.ps1");
            File.WriteAllBytes(bootstrapPath, BootstrapStamp.Encode(stamped));

            var nativeAssets = native.Select(n => new Sbom.NativeAsset(InstallScriptStamp.AssetName(n.Key), n.Value)).ToList();
            File.WriteAllBytes(Path.Combine(_output, $"SecureInstall-{version}.cdx.json"),
                Sbom.Create(_root, new[] { "src/SecureInstall.Core", "src/SecureInstall.Commands", "src/SecureInstall.Loader", "src/SecureInstall.Cli" }, version, sourceDate,
                    nativeAssets, new[] { "src/SecureInstall.Core", "src/SecureInstall.Cli" }));

            // checksums.txt by the same writer as New-ChecksumFile: sorted, LF, UTF-8 without BOM.
            var items = Directory.GetFiles(_output).Select(f => new ChecksumListItem(f, Path.GetFileName(f)));
            string list = new ChecksumListWriter().Write(items, ChecksumAlgorithm.SHA256, ChecksumListFormat.Gnu);
            ChecksumListWriter.Save(list, Path.Combine(_output, "checksums.txt"));

            string bootstrapSha = GalleryPackage.Hex(SHA256.HashData(File.ReadAllBytes(bootstrapPath)));
            string bootstrapUri = _baseUri.Replace("{version}", version, StringComparison.Ordinal) + "Install-SecureInstall.ps1";
            string oneLiner = OneLiner(bootstrapUri, bootstrapSha);
            string? shOneLiner = null;
            if (File.Exists(Path.Combine(_output, "install.sh")))
                shOneLiner = ShOneLiner(downloads + "install.sh", GalleryPackage.Hex(SHA256.HashData(File.ReadAllBytes(Path.Combine(_output, "install.sh")))));
            // Beside the assets but not listed in checksums.txt: the workflow passes it to the release as its text.
            File.WriteAllText(Path.Combine(_output, "release-notes.md"), ReleaseNotes(version, commit, oneLiner, bootstrapSha, list, shOneLiner), new UTF8Encoding(false));
            _log.WriteLine();
            _log.Write(list);
            _log.WriteLine();
            _log.WriteLine("Install one-liner for this release (README, release notes):");
            _log.WriteLine(oneLiner);
            if (shOneLiner != null)
            {
                _log.WriteLine("Install one-liner for bash/sh CI steps (README, release notes):");
                _log.WriteLine(shOneLiner);
            }
            _log.WriteLine($"Release assets in {_output}");
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }

    private static string ReleaseNotes(string version, string? commit, string oneLiner, string bootstrapSha, string checksums, string? shOneLiner) =>
        $"SecureInstall {version}{(commit != null ? " (commit " + commit + ")" : "")}\n\n" +
        "## Install (Windows PowerShell 5.1 or PowerShell 7)\n\n" +
        "The line checks the bootstrap's bytes against this digest before running it; the bootstrap checks the module package against the digest stamped into it.\n\n" +
        $"```powershell\n{oneLiner}\n```\n\n" +
        $"Install-SecureInstall.ps1 sha256: `{bootstrapSha}`\n\n" +
        (shOneLiner == null ? "" :
            "## Install the native `secureinstall` (bash or sh, no .NET needed)\n\n" +
            "The line checks install.sh's bytes against this digest before running it; install.sh checks the binary for the platform against the digest stamped into it.\n\n" +
            $"```sh\n{shOneLiner}\n```\n\n") +
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
    /// The README's sh one-liner: downloads install.sh over https only into a temporary file, compares its SHA-256 with
    /// the pin, and only then runs it (which checks itself again and the binary against its stamped digests). In a
    /// subshell, so a refusal does not close an interactive shell; the temporary file is removed on every exit.
    /// </summary>
    public static string ShOneLiner(string scriptUri, string sha256) =>
        "(u='" + scriptUri + "'; pin='" + sha256 + "'; f=$(mktemp) || exit 2; trap 'rm -f \"$f\"' EXIT; " +
        "curl -fsSL --proto '=https' --proto-redir '=https' -o \"$f\" \"$u\" || exit 1; " +
        "h=$( (sha256sum \"$f\" 2>/dev/null || shasum -a 256 \"$f\") | cut -d' ' -f1); " +
        "[ \"$h\" = \"$pin\" ] || { echo \"install.sh hashes to $h, not the pinned $pin: not run.\" >&2; exit 1; }; " +
        "sh \"$f\" --expected-sha256 \"$pin\")";

    /// <summary>
    /// The native binaries: the ones in the --native folder (secureinstall-&lt;rid&gt;[.exe], built on the release workflow's
    /// runners), and the linux-x64 one compiled here with the same deterministic properties when the folder has none and
    /// the platform and its C toolchain allow. Returns rid → SHA-256.
    /// </summary>
    private Dictionary<string, string> NativeBinaries(string[] properties, string work)
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_native != null)
        {
            foreach (string file in Directory.GetFiles(_native, "secureinstall-*").OrderBy(f => f, StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                string rid = Path.GetFileNameWithoutExtension(name).Substring("secureinstall-".Length);
                if (InstallScriptStamp.AssetName(rid) != name) throw new InvalidOperationException($"{file}: a native binary is named secureinstall-<rid> (.exe for win-*).");
                File.Copy(file, Path.Combine(_output, name));
                digests[rid] = GalleryPackage.Hex(SHA256.HashData(File.ReadAllBytes(file)));
            }
            _log.WriteLine($"native binaries from {_native}: {(digests.Count == 0 ? "none" : string.Join(", ", digests.Keys))}");
        }
        if (digests.ContainsKey("linux-x64")) return digests;
        bool linuxX64 = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;
        if (!linuxX64 || !OnPath("clang") || !OnPath("ld.lld"))
        {
            _log.WriteLine("warning: the linux-x64 native secureinstall is compiled on linux-x64 with clang and lld (or given with --native DIR); this build has none.");
            return digests;
        }
        string cli = Path.Combine(_root, "src", "SecureInstall.Cli", "SecureInstall.Cli.csproj");
        string published = Path.Combine(work, "native");
        // Restored first, published without a restore: `publish -r` would restore the core for the RID and rewrite its lock.
        Dotnet(new[] { "restore", cli, "--nologo", "-v", "quiet" });
        Dotnet(new[] { "publish", cli, "--no-restore", "-r", "linux-x64", "-o", published }.Concat(properties));
        string asset = Path.Combine(_output, InstallScriptStamp.AssetName("linux-x64"));
        File.Copy(Path.Combine(published, "secureinstall"), asset);
        digests["linux-x64"] = GalleryPackage.Hex(SHA256.HashData(File.ReadAllBytes(asset)));
        return digests;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, tool)));

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

    /// <summary>
    /// The files that pin the assets (the README's one-liners, action.yml's install.sh digest). They are committed after
    /// the assets are built, so no asset may depend on them.
    /// </summary>
    public static readonly IReadOnlyList<string> PinFiles = new[] { "README.md", "action.yml" };

    /// <summary>
    /// The commit a build compiles into its assemblies and the time it dates its archives by: the last commit that changed
    /// anything but <see cref="PinFiles"/>. The commit that records the pins (and is tagged) then builds the same bytes as
    /// the one the pins were taken from; with HEAD's SHA and time every pin would be stale as soon as it was committed.
    /// The time is SOURCE_DATE_EPOCH when set, else that commit's, else a fixed date: never the clock.
    /// </summary>
    public static (string? Commit, DateTimeOffset Date) SourceRevision(string root)
    {
        string[] code = new[] { "--", "." }.Concat(PinFiles.Select(f => ":(exclude)" + f)).ToArray();
        string? commit = Git(root, new[] { "log", "-1", "--format=%H" }.Concat(code).ToArray());
        if (string.IsNullOrEmpty(commit)) commit = null;
        string? epoch = Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") ?? Git(root, new[] { "log", "-1", "--format=%ct" }.Concat(code).ToArray());
        if (long.TryParse(epoch, NumberStyles.Integer, CultureInfo.InvariantCulture, out long seconds) && seconds >= 315532800)
            return (commit, DateTimeOffset.FromUnixTimeSeconds(seconds));
        return (commit, new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
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

    private static string? Git(string root, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = root, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
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
