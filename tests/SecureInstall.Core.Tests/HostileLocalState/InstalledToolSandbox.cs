using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Tests.HostileLocalState;

/// <summary>An install root, a lock and tarballs made in the test: what the hostile-local-state tests install and then tamper with.</summary>
public sealed class InstalledToolSandbox : IDisposable
{
    private readonly TempDir _dir = new();

    public InstalledToolSandbox() => Downloader = new VerifiedDownloader(new VerifiedDownloaderOptions { NoCache = true });

    public VerifiedDownloader Downloader { get; }
    public string Path => _dir.Path;
    public string Root => System.IO.Path.Combine(_dir.Path, "root");
    public string LockPath => System.IO.Path.Combine(_dir.Path, InstallLock.FileName);
    public string Bin => System.IO.Path.Combine(Root, "bin");

    public string File(string name, string content) => _dir.File(name, content);

    /// <summary>A tarball of <paramref name="files"/> (relative path → content) under one top folder; its file: URL and SHA-256.</summary>
    public (string Url, string Sha256) TarGz(params (string Path, string Content)[] files)
    {
        string src = System.IO.Path.Combine(_dir.Path, "src-" + Guid.NewGuid().ToString("N"));
        foreach (var f in files) _dir.File(System.IO.Path.Combine(System.IO.Path.GetFileName(src), "top", f.Path), f.Content);
        string archive = System.IO.Path.Combine(_dir.Path, Guid.NewGuid().ToString("N") + ".tar.gz");
        using (FileStream fs = System.IO.File.Create(archive))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(src, gz, includeBaseDirectory: false);
        return (new Uri(archive).AbsoluteUri, Convert.ToHexString(SHA256.HashData(System.IO.File.ReadAllBytes(archive))).ToLowerInvariant());
    }

    /// <summary>"tools:" + one native entry per (tool, version, bin); <paramref name="extra"/> is appended to each tool's body.</summary>
    public PinnedManifest Manifest(string yaml) => new ManifestReader().Read(new StringReader(yaml), "m.yml", _dir.Path);

    public static string Tool(string name, string version, string url, string sha, string bin, string extra = "") =>
        $"  {name}:\n{extra}    versions:\n      \"{version}\":\n        url: {url}\n        sha256: {sha}\n        strip_components: 1\n        bin: {bin}\n";

    public ToolInstaller Installer(bool force = false) =>
        new(new ToolInstallerOptions { Root = Root, Platform = "linux-x64", Force = force }, Downloader);

    public Task<InstallResult> Install(PinnedManifest manifest, string tool, bool force = false)
    {
        ToolInstaller installer = Installer(force);
        return installer.InstallAsync(installer.Plan(manifest, InstallLock.Load(LockPath), tool, null), LockPath);
    }

    /// <summary>Installs "tool" 1.0 with bin/tool and lib/data; returns the lock entry.</summary>
    public async Task<LockEntry> InstallSample()
    {
        (string url, string sha) = TarGz(("bin/tool", "#!/bin/sh\necho v1\n"), ("lib/data", "data"));
        await Install(Manifest("tools:\n" + Tool("tool", "1.0", url, sha, "bin/tool")), "tool");
        return InstallLock.Load(LockPath).Find("tool", "1.0", "linux-x64")!;
    }

    public string VersionDir => System.IO.Path.Combine(Root, "tool", "1.0");

    public InstalledToolStatus Verify() => InstalledToolVerifier.Verify(Root, InstallLock.Load(LockPath).Find("tool", "1.0", "linux-x64")!);

    /// <summary>
    /// Rewrites the lock as SecureInstall wrote it before lockVersion 2 (issue 20): each entry with an installedPath (here
    /// <paramref name="installedPath"/>, as an edited or another machine's lock names it) and the shims it wrote.
    /// </summary>
    public void WriteLegacyLock(string installedPath)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(LockPath))!.AsObject();
        node["lockVersion"] = 1;
        foreach (var tool in node["tools"]!.AsObject())
        foreach (var version in tool.Value!.AsObject())
        foreach (var platform in version.Value!.AsObject())
        {
            platform.Value!["installedPath"] = installedPath;
            platform.Value!["shims"] = new System.Text.Json.Nodes.JsonObject { [tool.Key] = "bin/" + tool.Key };
        }
        System.IO.File.WriteAllText(LockPath, node.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    public void RewriteLock(Action<LockEntry> change)
    {
        InstallLock l = InstallLock.Load(LockPath);
        foreach (LockEntry e in l.Entries) change(e);
        l.Save(LockPath);
    }

    public void Dispose()
    {
        Downloader.Dispose();
        _dir.Dispose();
    }
}
