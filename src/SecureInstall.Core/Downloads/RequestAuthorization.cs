using System.Net.Http.Headers;

namespace SecureInstall.Core.Downloads;

/// <summary>
/// The Authorization header a download sends to its URI's own origin, asked for afresh by every attempt and every resume:
/// a registry's bearer token lives minutes, and a long blob download cut off and resumed after it expired would otherwise
/// resend the expired token and be refused (HTTP 401; issue 20). A header that can be renewed is renewed once on a 401.
/// </summary>
internal sealed class RequestAuthorization
{
    private readonly Func<CancellationToken, Task<AuthenticationHeaderValue?>> _current;
    private readonly Func<AuthenticationHeaderValue, CancellationToken, Task<AuthenticationHeaderValue?>>? _renew;

    /// <param name="current">The header to send now (renewed by its owner when due); null sends none.</param>
    /// <param name="renew">A new header after the origin refused the one given; null when nothing can renew it (a token the user typed).</param>
    public RequestAuthorization(Func<CancellationToken, Task<AuthenticationHeaderValue?>> current, Func<AuthenticationHeaderValue, CancellationToken, Task<AuthenticationHeaderValue?>>? renew)
    {
        _current = current ?? throw new ArgumentNullException(nameof(current));
        _renew = renew;
    }

    /// <summary>A header that never changes (a -Token, GITHUB_TOKEN), or null for none.</summary>
    public static RequestAuthorization? Fixed(AuthenticationHeaderValue? header) =>
        header == null ? null : new RequestAuthorization(_ => Task.FromResult<AuthenticationHeaderValue?>(header), null);

    public bool CanRenew => _renew != null;

    public Task<AuthenticationHeaderValue?> CurrentAsync(CancellationToken cancellationToken) => _current(cancellationToken);

    /// <summary>The header to send after <paramref name="refused"/> was answered with HTTP 401.</summary>
    public Task<AuthenticationHeaderValue?> RenewAsync(AuthenticationHeaderValue refused, CancellationToken cancellationToken) =>
        _renew != null ? _renew(refused, cancellationToken) : Task.FromResult<AuthenticationHeaderValue?>(refused);
}
