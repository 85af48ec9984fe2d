using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SecureInstall.Core.Registries;

namespace SecureInstall.Core.Downloads;

/// <summary>Transport and robustness policy. The defaults fail closed: HTTPS only, finite sizes, finite redirects, finite retries.</summary>
public sealed class VerifiedDownloaderOptions
{
    /// <summary>Generous (installers of several GiB exist) but finite, so a hostile server cannot fill the disk.</summary>
    public const long DefaultMaximumSize = 8L * 1024 * 1024 * 1024;

    /// <summary>Artifacts larger than this are refused while they stream, before they can fill the disk.</summary>
    public long MaximumSize { get; set; } = DefaultMaximumSize;

    /// <summary>Fetch http:// URIs too. A redirect from https to http stays refused.</summary>
    public bool AllowInsecureTransport { get; set; }

    /// <summary>Check MD5 and SHA-1 digests. Off: a matching weak digest proves nothing.</summary>
    public bool AllowWeakAlgorithm { get; set; }

    public int MaximumRedirects { get; set; } = 10;

    /// <summary>Retries after the first attempt, on connection errors, timeouts, 408, 429 and 5xx.</summary>
    public int MaximumRetries { get; set; } = 4;

    /// <summary>Backoff before the first retry; doubled each time, with jitter, up to <see cref="MaximumRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaximumRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A Retry-After longer than this is cut to it: a server must not park us for an hour.</summary>
    public TimeSpan MaximumRetryAfter { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The longest wait for response headers or for the next bytes of the body before the attempt counts as failed.</summary>
    public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An explicit proxy; null uses the system proxy unless <see cref="UseProxy"/> is false.</summary>
    public IWebProxy? Proxy { get; set; }

    public bool UseProxy { get; set; } = true;

    /// <summary>Where verified artifacts are kept by SHA-256; null for the per-user default.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Neither read nor fill the cache.</summary>
    public bool NoCache { get; set; }

    /// <summary>Mirrors tried before each pinned download's own URIs; by default read from <see cref="MirrorConfiguration.DefaultPath"/>.</summary>
    public MirrorConfiguration? Mirrors { get; set; }

    /// <summary>
    /// Registries (oci://HOST/REPO) and OCI image layout folders tried first for every download pinned by SHA-256, as
    /// <c>GET /v2/REPO/blobs/sha256:PIN</c>; before those from mirrors.json (issue 20).
    /// </summary>
    public System.Collections.Generic.IReadOnlyList<RegistrySource> Registries { get; set; } = System.Array.Empty<RegistrySource>();

    /// <summary>Fetch pinned artifacts only from the registries, never from their own URLs (air-gapped fleets).</summary>
    public bool RegistryOnly { get; set; }

    /// <summary>
    /// The credential for the registries in <see cref="Registries"/> (never sent to a mirrors.json registry); null reads the
    /// Docker config (DOCKER_CONFIG, ~/.docker/config.json) per host, as every other registry does.
    /// </summary>
    public RegistryCredential? RegistryCredential { get; set; }

    /// <summary>The Docker config file registries' credentials are read from; null is DOCKER_CONFIG's, else ~/.docker/config.json.</summary>
    public string? DockerConfigPath { get; set; }

    /// <summary>
    /// Decides on server certificates instead of the system's trust store, e.g. to trust one pinned certificate.
    /// Null (the default) keeps the platform's validation.
    /// </summary>
    public Func<HttpRequestMessage, X509Certificate2?, X509Chain?, SslPolicyErrors, bool>? ServerCertificateValidation { get; set; }

    /// <summary>How the downloader waits between retries; tests replace it so that they do not sleep.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; set; } = Task.Delay;

    /// <summary>Receives one line per trust decision and transport event (URI, redirect, digest source, cache); never secrets.</summary>
    public Action<string>? Log { get; set; }

    public string UserAgent { get; set; } = "SecureInstall/0.1";

    /// <summary>
    /// Flush the verified file to disk before it is renamed into place, so that even after a power cut the destination
    /// holds the old file or the new one, never an empty one. Off by default, as with curl -o and Invoke-WebRequest: the
    /// rename is atomic for every reader either way, and on this path a flush costs the time to write the whole file to
    /// disk (about as long again as the download on a fast link). Installs do not need it: each run re-checks the installed
    /// tree against the lock and reinstalls what does not match.
    /// </summary>
    public bool FlushToDisk { get; set; }

    /// <summary>
    /// Size of each of the two read buffers. Reads fill a buffer to at least half before it is hashed and written while
    /// the other one is read into; each read asks for all the room left, so one read can take everything the socket holds.
    /// </summary>
    public int BufferSize { get; set; } = 2 * 1024 * 1024;
}
