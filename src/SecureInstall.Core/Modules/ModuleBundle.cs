using System.IO.Compression;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Install;
using SecureInstall.Core.IO;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Modules;

/// <summary>One module package written into a bundle by Save-PinnedModule.</summary>
public sealed class BundledModule
{
    public string Name { get; internal set; } = string.Empty;
    public string Version { get; internal set; } = string.Empty;
    public string Path { get; internal set; } = string.Empty;
    public string Sha512 { get; internal set; } = string.Empty;
    public long Size { get; internal set; }

    /// <summary>Saved because a requested module depends on it.</summary>
    public bool IsDependency { get; internal set; }
}

/// <summary>
/// Save-PinnedModule: the pinned modules' .nupkg files, each downloaded through the verified downloader and held to its
/// SHA-512 pin, with every pinned module they depend on (read from each verified package's .nuspec), into a bundle laid
/// out as <see cref="BundleLayout"/> says, beside the tools Save-PinnedTool puts there; the manifest, its lock and
/// SHA256SUMS over the bundle. Another machine installs from it with Install-PinnedModule -Source &lt;bundle&gt;.
/// </summary>
public sealed class ModuleBundle
{
    private readonly VerifiedDownloader _downloader;

    public ModuleBundle(VerifiedDownloader downloader) => _downloader = downloader ?? throw new ArgumentNullException(nameof(downloader));

    /// <summary>A bearer token for the feeds: sent to each feed's own host only.</summary>
    public string? FeedToken { get; set; }

    public async Task<IReadOnlyList<BundledModule>> SaveAsync(string manifestPath, PinnedManifest manifest, IReadOnlyList<PinnedModule> modules, string bundleDirectory,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        var layout = new BundleLayout(bundleDirectory);
        UnixFileSystem.CreateDirectory(bundleDirectory, 0x1ED /* 0755 whatever the umask */);
        IReadOnlyList<BundledModule> written = await SavePackagesAsync(manifest, modules, layout, log, cancellationToken).ConfigureAwait(false);
        layout.CopyManifest(manifestPath);
        layout.WriteChecksumList(cancellationToken);
        return written;
    }

    /// <summary>
    /// The packages alone, into <paramref name="layout"/>'s modules folder: what Save-PinnedModule writes, and what
    /// Save-PinnedTool and <c>secureinstall push</c> carry beside the tools (<see cref="ToolBundle"/>), which then copy the
    /// manifest and write SHA256SUMS once over both.
    /// </summary>
    internal async Task<IReadOnlyList<BundledModule>> SavePackagesAsync(PinnedManifest manifest, IReadOnlyList<PinnedModule> modules, BundleLayout layout,
        Action<string>? log, CancellationToken cancellationToken)
    {
        if (manifest == null) throw new ArgumentNullException(nameof(manifest));
        if (modules == null) throw new ArgumentNullException(nameof(modules));
        var requested = new HashSet<string>(modules.Select(m => m.Name), StringComparer.OrdinalIgnoreCase);
        var done = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var written = new List<BundledModule>();
        var queue = new Queue<PinnedModule>(modules);
        while (queue.Count > 0)
        {
            PinnedModule module = queue.Dequeue();
            if (!done.Add(module.Name)) continue;
            ModuleInstaller.CheckPinned(module);
            PackageVersion version = PackageVersion.TryParse(module.Version)!;
            string target = layout.ModulePackagePath(module);
            UnixFileSystem.CreateDirectory(System.IO.Path.GetDirectoryName(target)!, 0x1ED);
            DownloadRequest request = NuGetFeed.PackageRequest(module, version, target, _downloader, FeedToken);
            DownloadResult result;
            try
            {
                result = await _downloader.DownloadAsync(request, null, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                BestEffort.DeleteEmptyDirectory(System.IO.Path.GetDirectoryName(target)!); // no empty pin folder left for a package that failed its pin
                throw;
            }
            log?.Invoke($"Bundled {module.Name} {module.Version} from {UriText.Redact(result.FinalUri)}: sha512 {module.Sha512Hex} verified.");
            written.Add(new BundledModule { Name = module.Name, Version = module.Version, Path = target, Sha512 = module.Sha512Hex, Size = result.Size, IsDependency = !requested.Contains(module.Name) });
            NuSpec spec;
            try
            {
                spec = ReadNuSpec(module, target);
            }
            catch
            {
                BestEffort.DeleteFile(target); // a package that is not the pinned module is not left in the bundle
                BestEffort.DeleteEmptyDirectory(System.IO.Path.GetDirectoryName(target)!);
                throw;
            }
            foreach (NuSpecDependency dependency in spec.Dependencies)
                queue.Enqueue(ModuleInstaller.PinOf(manifest, module, dependency, "nothing more was saved"));
        }
        return written;
    }

    /// <summary>The .nuspec at the root of a saved (verified) package, read capped, never extracted; it must name the pin.</summary>
    private static NuSpec ReadNuSpec(PinnedModule module, string package)
    {
        try
        {
            using FileStream file = InputFile.OpenRead(package);
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            ZipArchiveEntry[] specs = zip.Entries.Where(e => e.FullName.IndexOf('/') < 0 && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase)).ToArray();
            if (specs.Length != 1 || specs[0].Length > NuSpec.MaximumBytes)
                throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name,
                    $"the package for {module.Name} {module.Version} holds {specs.Length} .nuspec files at its root, not one of at most {NuSpec.MaximumBytes} bytes: it is not a NuGet package.");
            using Stream stream = specs[0].Open();
            NuSpec spec = NuSpec.Read(stream, specs[0].FullName);
            if (!string.Equals(spec.Id, module.Name, StringComparison.OrdinalIgnoreCase) || PackageVersion.TryParse(spec.Version) is not { } v || !v.SameAs(PackageVersion.TryParse(module.Version)!))
                throw new ModuleException(ErrorIds.ModuleIdentityMismatch, FailureKind.Security, module.Name,
                    $"the package served for {module.Name} {module.Version} is {spec.Id} {spec.Version} by its .nuspec; it was not saved.");
            return spec;
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException and not FileNotFoundException)
        {
            throw new ModuleException(ErrorIds.ModulePackageInvalid, FailureKind.InvalidData, module.Name, $"{module.Name} {module.Version}: {ex.Message}", ex);
        }
    }
}
