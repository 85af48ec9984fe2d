using System.CommandLine;
using SecureInstall.Core;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;

namespace SecureInstall.Cli;

/// <summary>`secureinstall get`: Get-VerifiedArtifact for bash. Prints "FILE: OK sha256:HEX" on success.</summary>
public static class GetCommand
{
    public static Command Create()
    {
        var uris = new Argument<string[]>("URI") { Description = "The artifact's URI (https:// or file://); more URIs are mirrors, tried in order.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "Where to place the verified file (default: the URI's file name in the current folder)." };
        var sha256 = new Option<string?>("--sha256") { Description = "The expected SHA-256 (hex)." };
        var hash = new Option<string?>("--hash") { Description = "The expected digest (hex, optionally 'sha512:' prefixed); the algorithm comes from its length." };
        var checksumsUri = new Option<string?>("--checksums-uri") { Description = "A checksum list published beside the artifact; the artifact is looked up by file name." };
        var checksums = new Option<string?>("--checksums", "-c") { Description = "A local checksum list; the artifact is looked up by file name." };
        var skip = new Option<bool>("--skip-verification") { Description = "Keep the file whatever it hashes to (prints the digest seen so it can be pinned)." };
        var expectedSize = new Option<long?>("--expected-size") { Description = "The exact size in bytes." };
        var maximumSize = new Option<long?>("--maximum-size") { Description = "The largest artifact accepted, in bytes (default 8 GiB)." };
        var insecure = new Option<bool>("--allow-insecure-transport") { Description = "Fetch http:// URIs (redirects from https to http stay refused)." };
        var allowWeak = new Option<bool>("--allow-weak-algorithm") { Description = "Accept an MD5/SHA-1 digest (it proves nothing against an attacker)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Neither read from nor add to the artifact cache." };
        var flush = new Option<bool>("--flush-to-disk") { Description = "Write the verified file to disk before renaming it into place, so a power cut cannot leave it empty." };
        var proxy = new Option<string?>("--proxy") { Description = "A proxy URI instead of the system proxy; credentials in it (http://user:password@host:port) are used." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success; only the exit code tells." };
        var signatureUri = new Option<string?>("--signature-uri") { Description = "A detached signature over the checksum list (with --checksums-uri/--checksums) or over the artifact, checked before any digest is trusted." };
        var minisignKey = new Option<string?>("--minisign-key", "-P") { Description = "The trusted minisign public key (RWQ… string) or minisign.pub file." };
        var pgpKey = new Option<string?>("--pgp-key", "-k") { Description = "A file with the trusted OpenPGP public key(s)." };
        var fingerprint = new Option<string?>("--fingerprint") { Description = "OpenPGP: trust only the key with this primary-key fingerprint." };
        var thumbprint = new Option<string[]>("--signer-thumbprint") { Description = "Authenticode (PE files, cabinets, MSI packages): the trusted signer certificate's SHA-1 thumbprint; checked before the file is placed.", Arity = ArgumentArity.ZeroOrMore };
        var subject = new Option<string[]>("--signer-subject") { Description = "Authenticode: trusted signer certificate subject, exactly.", Arity = ArgumentArity.ZeroOrMore };
        var trustedRoot = new Option<string[]>("--trusted-root") { Description = "Authenticode: root certificate file(s) (PEM or DER) the signer's chain must end at; default the platform's root store.", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("get", "Download a file, verify it against a pinned digest in the same pass, and place it atomically. Exit 0 verified, 1 verification failed, 2 bad input or network failure.")
        {
            uris, output, sha256, hash, checksumsUri, checksums, skip, expectedSize, maximumSize, insecure, allowWeak, noCache, flush, proxy, quiet,
            signatureUri, minisignKey, pgpKey, fingerprint, thumbprint, subject, trustedRoot,
        };
        OptionRules.OneOf(command, required: false, "give at most one of --sha256, --hash, --checksums-uri, --checksums or --skip-verification.",
            sha256, hash, checksumsUri, checksums, skip);
        OptionRules.SetAction(command, (parse, cancel) =>
        {
            string? digest = parse.GetValue(sha256) ?? parse.GetValue(hash);
            DownloadRequest request;
            VerifiedDownloaderOptions options;
            try
            {
                Uri[] parsed = parse.GetValue(uris)!.Select(ToUri).ToArray();
                SignatureKeySpec keys = SignatureKeys.Spec(parse.GetValue(minisignKey), parse.GetValue(pgpKey), parse.GetValue(fingerprint), allowExpiredKey: false);
                AuthenticodeVerifier? authenticode = AuthenticodeVerifier.FromPins(parse.GetValue(thumbprint) ?? Array.Empty<string>(), parse.GetValue(subject) ?? Array.Empty<string>(),
                    parse.GetValue(trustedRoot) ?? Array.Empty<string>(), trustedRoot.Name);
                var builder = new DownloadRequestBuilder(keys, SignatureKeys.Create(keys), token: null, authenticode: authenticode);
                request = builder.Create(parsed, parse.GetValue(output) ?? string.Empty, parse.GetValue(signatureUri) is string sigUri ? ToUri(sigUri) : null);
                if (digest != null) request.Expected = ChecksumEntry.FromDigest(digest, parse.GetValue(sha256) != null ? ChecksumAlgorithm.SHA256 : null, parse.GetValue(sha256) != null ? "--sha256" : "--hash");
                if (parse.GetValue(checksumsUri) is string listUri) request.ChecksumUri = ToUri(listUri);
                request.ChecksumFile = parse.GetValue(checksums);
                request.SkipVerification = parse.GetValue(skip);
                if (request.SkipVerification && (authenticode != null || request.SignatureUri != null))
                    throw new SignatureParametersException("--skip-verification checks nothing, so the signature options would be ignored: drop one of them.");
                request.ExpectedSize = parse.GetValue(expectedSize);
                options = new VerifiedDownloaderOptions
                {
                    AllowInsecureTransport = parse.GetValue(insecure),
                    AllowWeakAlgorithm = parse.GetValue(allowWeak),
                    NoCache = parse.GetValue(noCache),
                    FlushToDisk = parse.GetValue(flush),
                    MaximumSize = parse.GetValue(maximumSize) ?? VerifiedDownloaderOptions.DefaultMaximumSize,
                };
                if (parse.GetValue(proxy) is string proxyUri) options.Proxy = ProxyAddress.Create(ToUri(proxyUri));
            }
            catch (Exception ex) when (ex is SecureInstallException or ArgumentException or UriFormatException or IOException or UnauthorizedAccessException)
            {
                return ExitCodes.Report(ex);
            }
            OptionRules.Announce(LoosenedLimits.Of(options, name => name switch
            {
                nameof(options.AllowInsecureTransport) => insecure.Name,
                nameof(options.AllowWeakAlgorithm) => allowWeak.Name,
                nameof(options.MaximumSize) => maximumSize.Name,
                _ => name,
            }), parse.GetValue(quiet));
            return Run(request, options, parse.GetValue(quiet), cancel);
        });
        return command;
    }

    private static int Run(DownloadRequest request, VerifiedDownloaderOptions options, bool quiet, CancellationToken cancel)
    {
        try
        {
            using var downloader = new VerifiedDownloader(options);
            DownloadResult result = downloader.DownloadAsync(request, null, cancel).GetAwaiter().GetResult();
            if (!result.Verified)
                Console.Error.WriteLine($"secureinstall: warning: {result.Path} was NOT verified; its SHA-256 is {result.Sha256} (pin it with --sha256 {result.Sha256}).");
            if (!quiet) Console.Out.WriteLine($"{result.Path}: OK sha256:{result.Sha256}{(result.FromCache ? " (from cache)" : "")}");
            if (!quiet && result.Signature is { Scheme: SignatureScheme.Authenticode } signed)
                Console.Out.WriteLine($"  Authenticode signer: thumbprint {signed.Fingerprint} ({signed.Signer}); checks: {signed.Checks}");
            return ExitCodes.Verified;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("secureinstall: cancelled; nothing was placed.");
            return ExitCodes.UsageError;
        }
        catch (Exception ex) when (ex is SecureInstallException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return ExitCodes.Report(ex);
        }
    }

    /// <summary>An absolute URI, or a local path taken as file://.</summary>
    private static Uri ToUri(string text) =>
        System.Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) ? uri : new Uri(Path.GetFullPath(text));
}
