using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecureInstall.Core.Tests.Downloads;

/// <summary>A request as the server saw it.</summary>
internal sealed record SeenRequest(string Scheme, string Host, string Path, string? Authorization, string? Range, string? IfRange);

/// <summary>
/// Kestrel on 127.0.0.1, one HTTP and one HTTPS endpoint on free ports, with routes a test fills with faults.
/// The HTTPS certificate is self-signed for this run only; clients trust it by thumbprint.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, RequestDelegate> _routes = new(StringComparer.Ordinal);

    private LoopbackServer(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }
    public Uri HttpBase { get; private set; } = null!;
    public Uri HttpsBase { get; private set; } = null!;
    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public static async Task<LoopbackServer> StartAsync()
    {
        X509Certificate2 certificate = CreateCertificate();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate));
        });
        WebApplication app = builder.Build();
        var server = new LoopbackServer(app, certificate);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        server.HttpBase = new Uri(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/");
        server.HttpsBase = new Uri(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)) + "/");
        return server;
    }

    public Uri Https(string path) => new(HttpsBase, path);
    public Uri Http(string path) => new(HttpBase, path);

    /// <summary>The same HTTPS endpoint under the name "localhost": another host as far as a client is concerned.</summary>
    public Uri HttpsLocalhost(string path) => new($"https://localhost:{HttpsBase.Port}/{path}");

    public void Map(string path, RequestDelegate handler) => _routes["/" + path.TrimStart('/')] = handler;

    public IReadOnlyList<SeenRequest> RequestsTo(string path) => Requests.Where(r => r.Path == "/" + path.TrimStart('/')).ToList();

    /// <summary>Trusts exactly this run's certificate, nothing else.</summary>
    public bool Trust(HttpRequestMessage _, X509Certificate2? certificate, X509Chain? __, System.Net.Security.SslPolicyErrors ___) =>
        certificate != null && certificate.Thumbprint == Certificate.Thumbprint;

    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest r = context.Request;
        Requests.Enqueue(new SeenRequest(r.Scheme, r.Host.Host, r.Path.Value ?? "", r.Headers.Authorization.FirstOrDefault(),
            r.Headers.Range.FirstOrDefault(), r.Headers.IfRange.FirstOrDefault()));
        if (_routes.TryGetValue(r.Path.Value ?? "", out RequestDelegate? handler)) await handler(context);
        else context.Response.StatusCode = 404;
    }

    private static X509Certificate2 CreateCertificate()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=SecureInstall loopback test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Re-imported from PFX so that SslStream on every platform can use the private key.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
    }
}

/// <summary>Responses the tests compose: a file with Range and ETag support, and the ways it can go wrong.</summary>
internal static class Serve
{
    public const string ETag = "\"v1\"";

    /// <summary>
    /// Sends <paramref name="data"/> honouring Range/If-Range unless <paramref name="ignoreRange"/>; with
    /// <paramref name="abortAfter"/>, writes that many bytes of the body and then resets the connection.
    /// </summary>
    public static async Task File(HttpContext context, byte[] data, bool ignoreRange = false, long? abortAfter = null,
        string contentType = "application/octet-stream", bool advertiseRanges = true)
    {
        HttpResponse response = context.Response;
        long start = 0;
        string? range = context.Request.Headers.Range.FirstOrDefault();
        string? ifRange = context.Request.Headers.IfRange.FirstOrDefault();
        if (!ignoreRange && range != null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && (ifRange == null || ifRange == ETag))
        {
            start = long.Parse(range.AsSpan(6, range.Length - 7));
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{data.Length - 1}/{data.Length}";
        }
        if (advertiseRanges)
        {
            response.Headers.AcceptRanges = "bytes";
            response.Headers.ETag = ETag;
        }
        response.ContentType = contentType;
        response.ContentLength = data.Length - start;
        int count = (int)(data.Length - start);
        if (abortAfter is long cut && cut < count)
        {
            await response.Body.WriteAsync(data.AsMemory((int)start, (int)cut));
            await response.Body.FlushAsync();
            await Task.Delay(200); // let the client read what was sent: a reset discards unread bytes
            context.Abort();
            return;
        }
        await response.Body.WriteAsync(data.AsMemory((int)start, count));
    }

    public static RequestDelegate Redirect(Uri to, int status = 302) => context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Location = to.AbsoluteUri;
        return Task.CompletedTask;
    };
}
