using System.Text.Json;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Manifests;

namespace SecureInstall.Core.Modules;

/// <summary>
/// Where a NuGet feed keeps a package's .nupkg. A v3 feed (a source ending in index.json) names its flat container in the
/// service index (the PackageBaseAddress/3.0.0 resource): &lt;base&gt;/&lt;id&gt;/&lt;version&gt;/&lt;id&gt;.&lt;version&gt;.nupkg, lower case. A v2
/// feed (the PowerShell Gallery's /api/v2) serves it at &lt;source&gt;/package/&lt;id&gt;/&lt;version&gt;. The bytes are only trusted
/// once they match the pinned SHA-512, so the feed decides where, never what.
/// </summary>
public static class NuGetFeed
{
    /// <summary>Service indexes are a few KiB.</summary>
    public const long MaximumIndexBytes = 1024 * 1024;

    /// <summary>
    /// The largest .nupkg a module install, save or update downloads: nuget.org and the PowerShell Gallery refuse packages
    /// over 250 MB, and a module pin has no size, so without this a hostile feed could stream until the disk is full.
    /// </summary>
    public const long MaximumPackageBytes = 256L * 1024 * 1024;

    private const string PackageBaseAddress = "PackageBaseAddress/3.0.0";

    public static bool IsV3(Uri source) =>
        source.AbsolutePath.EndsWith("/index.json", StringComparison.OrdinalIgnoreCase) || source.AbsolutePath.Equals("index.json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The .nupkg's URI for <paramref name="id"/> <paramref name="version"/> on <paramref name="source"/>.</summary>
    /// <param name="token">Sent to the feed's own host only (the downloader drops it on a redirect elsewhere).</param>
    public static async Task<Uri> PackageUriAsync(Uri source, string id, PackageVersion version, VerifiedDownloader downloader, string? token, CancellationToken cancellationToken)
    {
        if (source == null) throw new ArgumentNullException(nameof(source));
        if (downloader == null) throw new ArgumentNullException(nameof(downloader));
        if (!IsV3(source)) return V2PackageUri(source, id, version.Normalized);
        Uri flat = await FlatContainerAsync(source, downloader, token, cancellationToken).ConfigureAwait(false);
        return FlatContainerPackageUri(flat, id, version);
    }

    /// <summary>
    /// The download of <paramref name="module"/>'s pinned .nupkg from its feed into <paramref name="destination"/>. On a v3
    /// feed the flat container is looked up in the service index only if the cache and the registries do not hold the pinned
    /// package (<see cref="DownloadRequest.ResolveUri"/>): a warm cache or a fleet registry installs with the feed down, and
    /// -RegistryOnly never asks the feed. <paramref name="token"/> goes to the feed's own origin only, not to a flat container
    /// its index places elsewhere.
    /// </summary>
    public static DownloadRequest PackageRequest(PinnedModule module, PackageVersion version, string destination, VerifiedDownloader downloader, string? token)
    {
        if (module == null) throw new ArgumentNullException(nameof(module));
        if (downloader == null) throw new ArgumentNullException(nameof(downloader));
        if (!IsV3(module.Source))
            return new DownloadRequest(V2PackageUri(module.Source, module.Name, version.Normalized), destination) { Expected = module.Sha512, Token = token, MaximumSize = MaximumPackageBytes };
        return new DownloadRequest(module.Source, destination)
        {
            Expected = module.Sha512,
            Token = token,
            MaximumSize = MaximumPackageBytes,
            ResolveUri = ct => PackageUriAsync(module.Source, module.Name, version, downloader, token, ct),
        };
    }

    /// <summary>v2: &lt;source&gt;/package/&lt;id&gt;/&lt;version&gt; (the Gallery redirects it to its storage).</summary>
    public static Uri V2PackageUri(Uri source, string id, string version) =>
        new(WithSlash(source), "package/" + Uri.EscapeDataString(id) + "/" + Uri.EscapeDataString(version));

    /// <summary>v3 flat container: &lt;base&gt;/&lt;id&gt;/&lt;version&gt;/&lt;id&gt;.&lt;version&gt;.nupkg, id and normalised version in lower case.</summary>
    public static Uri FlatContainerPackageUri(Uri flatContainer, string id, PackageVersion version)
    {
        string lowerId = Uri.EscapeDataString(id.ToLowerInvariant());
        string v = Uri.EscapeDataString(version.Normalized);
        return new Uri(WithSlash(flatContainer), $"{lowerId}/{v}/{lowerId}.{v}.nupkg");
    }

    /// <summary>The PackageBaseAddress the service index names; a relative one is resolved against the index.</summary>
    public static async Task<Uri> FlatContainerAsync(Uri serviceIndex, VerifiedDownloader downloader, string? token, CancellationToken cancellationToken)
    {
        byte[] json = await downloader.FetchSmallAsync(serviceIndex, MaximumIndexBytes, "NuGet service index", token, cancellationToken).ConfigureAwait(false);
        return FlatContainerOf(json, serviceIndex);
    }

    internal static Uri FlatContainerOf(byte[] json, Uri serviceIndex)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            foreach (JsonElement resource in doc.RootElement.GetProperty("resources").EnumerateArray())
            {
                if (resource.ValueKind != JsonValueKind.Object || !resource.TryGetProperty("@type", out JsonElement type) || !resource.TryGetProperty("@id", out JsonElement id)) continue;
                bool match = type.ValueKind == JsonValueKind.String ? type.GetString() == PackageBaseAddress
                    : type.ValueKind == JsonValueKind.Array && System.Linq.Enumerable.Any(type.EnumerateArray(), t => t.ValueKind == JsonValueKind.String && t.GetString() == PackageBaseAddress);
                if (!match) continue;
                if (id.ValueKind == JsonValueKind.String && Uri.TryCreate(serviceIndex, id.GetString(), out Uri? flat) && (flat.Scheme == Uri.UriSchemeHttps || flat.Scheme == Uri.UriSchemeHttp || flat.IsFile))
                    return flat;
                throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(serviceIndex),
                    $"the NuGet service index {UriText.Redact(serviceIndex)} names a {PackageBaseAddress} that is not an http(s) URL.");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or System.Collections.Generic.KeyNotFoundException)
        {
            throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(serviceIndex),
                $"{UriText.Redact(serviceIndex)} is not a NuGet v3 service index ({ex.Message}). A v3 source ends in index.json; a v2 source is the feed's /api/v2 URL.", ex);
        }
        throw new ModuleException(ErrorIds.FeedInvalid, FailureKind.InvalidData, UriText.Redact(serviceIndex),
            $"the NuGet service index {UriText.Redact(serviceIndex)} names no {PackageBaseAddress} resource (the flat container packages are downloaded from).");
    }

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? uri : new Uri(uri.AbsoluteUri + "/");
}
