using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SecureInstall.Core.Checksums;
using SecureInstall.Core.Downloads;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;
using SecureInstall.Core.Tests.Downloads;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// Issue 25 §2: hashedrekord entries that log the artifact's SHA-384 or SHA-512 (P-384 and P-521 signing keys). No
/// public Sigstore client's test data holds such a bundle together with the trusted root it needs, so the bundles are
/// made here by <see cref="TestInstance"/>: a test CA and a test Rekor key standing in for the public-good ones, in the
/// same formats (trusted root JSON, bundle v0.1, hashedrekord 0.0.1 body, signed entry timestamp over Rekor's
/// canonical JSON). Everything else in the verifier runs as for a real bundle.
/// </summary>
public sealed class HashedRekordDigestTests : IDisposable
{
    private const string Identity = "https://github.com/example/tool/.github/workflows/release.yml@refs/tags/v1.0.0";
    private const string Issuer = "https://token.actions.githubusercontent.com";
    private static readonly byte[] Content = Encoding.UTF8.GetBytes("an artifact signed with a P-384 or P-521 key\n");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "si-hashedrekord-" + Guid.NewGuid().ToString("N"));

    public HashedRekordDigestTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A Sigstore instance of our own: a Fulcio-like CA and a Rekor-like log key, and the trusted root naming them.</summary>
    internal sealed class TestInstance : IDisposable
    {
        private static readonly DateTimeOffset NotBefore = DateTimeOffset.Parse("2025-03-01T10:00:00Z");
        private readonly ECDsa _logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        private readonly X509Certificate2 _ca;

        public TestInstance()
        {
            var request = new CertificateRequest("O=SecureInstall tests, CN=test-fulcio-root", _caKey, HashAlgorithmName.SHA384);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            _ca = request.CreateSelfSigned(DateTimeOffset.Parse("2020-01-01Z"), DateTimeOffset.Parse("2040-01-01Z"));
        }

        public static long IntegratedTime => NotBefore.AddMinutes(1).ToUnixTimeSeconds();

        private byte[] LogId => SHA256.HashData(_logKey.ExportSubjectPublicKeyInfo());

        public TrustedRoot Root => TrustedRoot.Parse(Encoding.UTF8.GetBytes(RootJson), "test instance root");

        /// <summary>The trusted root naming this instance, as a trusted_root.json file holds it.</summary>
        public string RootJson => new JsonObject
        {
            ["mediaType"] = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            ["tlogs"] = new JsonArray(new JsonObject
            {
                ["baseUrl"] = "https://rekor.test",
                ["hashAlgorithm"] = "SHA2_256",
                ["publicKey"] = new JsonObject
                {
                    ["rawBytes"] = Convert.ToBase64String(_logKey.ExportSubjectPublicKeyInfo()),
                    ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                    ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" },
                },
                ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(LogId) },
            }),
            ["certificateAuthorities"] = new JsonArray(new JsonObject
            {
                ["uri"] = "https://fulcio.test",
                ["certChain"] = new JsonObject { ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = Convert.ToBase64String(_ca.RawData) }) },
                ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" },
            }),
            ["ctlogs"] = new JsonArray(),
            ["timestampAuthorities"] = new JsonArray(),
        }.ToJsonString();

        /// <summary>
        /// A bundle v0.1 for <paramref name="artifact"/>: a Fulcio-like certificate for <paramref name="curve"/>, the
        /// signature over the artifact's <paramref name="algorithm"/> digest, and a hashedrekord 0.0.1 entry that logs
        /// <paramref name="loggedArtifact"/>'s digest (the artifact's unless a test says otherwise) with a signed entry timestamp.
        /// </summary>
        public byte[] Bundle(byte[] artifact, ECCurve curve, HashAlgorithmName algorithm, byte[]? loggedArtifact = null)
        {
            using ECDsa leafKey = ECDsa.Create(curve);
            var request = new CertificateRequest(new X500DistinguishedName(""), leafKey, HashAlgorithmName.SHA384);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.3") }, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddUri(new Uri(Identity));
            request.CertificateExtensions.Add(san.Build(true));
            byte[] issuer = Encoding.UTF8.GetBytes(Issuer);
            request.CertificateExtensions.Add(new X509Extension(FulcioCertificate.OidcIssuerV2, new byte[] { 0x0C, (byte)issuer.Length }.Concat(issuer).ToArray(), false));
            using X509Certificate2 leaf = request.Create(_ca, NotBefore, NotBefore.AddMinutes(10), RandomNumberGenerator.GetBytes(16));

            byte[] digest = Hash(algorithm, artifact);
            byte[] signature = leafKey.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            string name = algorithm.Name!.ToLowerInvariant();
            var body = new JsonObject
            {
                ["apiVersion"] = "0.0.1",
                ["kind"] = "hashedrekord",
                ["spec"] = new JsonObject
                {
                    ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = name, ["value"] = Convert.ToHexStringLower(Hash(algorithm, loggedArtifact ?? artifact)) } },
                    ["signature"] = new JsonObject
                    {
                        ["content"] = Convert.ToBase64String(signature),
                        ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(leaf.ExportCertificatePem())) },
                    },
                },
            };
            byte[] bodyBytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            const long logIndex = 4242;
            byte[] set = _logKey.SignData(SignedEntryTimestamp.Payload(bodyBytes, IntegratedTime, LogId, logIndex), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            var bundle = new JsonObject
            {
                ["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1",
                ["verificationMaterial"] = new JsonObject
                {
                    ["x509CertificateChain"] = new JsonObject
                    {
                        // The leaf and the instance's own root, as npm's 2023 bundles carry theirs.
                        ["certificates"] = new JsonArray(new JsonObject { ["rawBytes"] = Convert.ToBase64String(leaf.RawData) }, new JsonObject { ["rawBytes"] = Convert.ToBase64String(_ca.RawData) }),
                    },
                    ["tlogEntries"] = new JsonArray(new JsonObject
                    {
                        ["logIndex"] = logIndex.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(LogId) },
                        ["kindVersion"] = new JsonObject { ["kind"] = "hashedrekord", ["version"] = "0.0.1" },
                        ["integratedTime"] = IntegratedTime.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["inclusionPromise"] = new JsonObject { ["signedEntryTimestamp"] = Convert.ToBase64String(set) },
                        ["canonicalizedBody"] = Convert.ToBase64String(bodyBytes),
                    }),
                },
                ["messageSignature"] = new JsonObject
                {
                    ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_" + (digest.Length * 8), ["digest"] = Convert.ToBase64String(digest) },
                    ["signature"] = Convert.ToBase64String(signature),
                },
            };
            return Encoding.UTF8.GetBytes(bundle.ToJsonString());
        }

        public static byte[] Hash(HashAlgorithmName algorithm, byte[] data) =>
            algorithm == HashAlgorithmName.SHA512 ? SHA512.HashData(data) : algorithm == HashAlgorithmName.SHA384 ? SHA384.HashData(data) : SHA256.HashData(data);

        public void Dispose()
        {
            _ca.Dispose();
            _caKey.Dispose();
            _logKey.Dispose();
        }
    }

    private static SigstoreVerifier Verifier(TestInstance instance) => new(instance.Root, SigstorePolicy.ForIdentity(Identity, Issuer));

    [Theory]
    [InlineData("P-384", "SHA384")]
    [InlineData("P-521", "SHA512")]
    public void LoggedSha384OrSha512_OfTheFile_Verifies_HashingOnlyWhatTheBundleNeeds(string curveName, string algorithmName)
    {
        using var instance = new TestInstance();
        ECCurve curve = curveName == "P-384" ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP521;
        var algorithm = new HashAlgorithmName(algorithmName);
        SigstoreBundle bundle = SigstoreBundle.Parse(instance.Bundle(Content, curve, algorithm), "bundle.sigstore.json");
        string file = Write("artifact", Content);

        ChecksumAlgorithm expected = algorithmName == "SHA384" ? ChecksumAlgorithm.SHA384 : ChecksumAlgorithm.SHA512;
        Assert.Equal(new[] { ChecksumAlgorithm.SHA256, expected }, SigstoreArtifact.NeededBy(new[] { bundle }));
        SigstoreArtifact artifact = SigstoreArtifact.FromFile(file, SigstoreArtifact.NeededBy(new[] { bundle }));
        SignatureResult result = Verifier(instance).Verify(bundle, artifact);
        Assert.True(result.IsValid);
        Assert.Equal(Identity, result.Signer);
        Assert.Equal(4242, result.LogIndex);
        Assert.Equal($"ECDSA {curveName}, message signature", result.Algorithm);
    }

    [Fact]
    public void LoggedSha512_DigestMode_VerifiesWithTheSha512_AndSaysWhichDigestASha256Lacks()
    {
        using var instance = new TestInstance();
        SigstoreBundle bundle = SigstoreBundle.Parse(instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), "bundle");
        Assert.True(Verifier(instance).Verify(bundle, SigstoreArtifact.FromDigest(ChecksumAlgorithm.SHA512, SHA512.HashData(Content))).IsValid);

        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(instance).Verify(bundle, SigstoreArtifact.FromDigest(SHA256.HashData(Content))));
        Assert.Contains("checked against the artifact's SHA-512", ex.Reason);
        Assert.Contains("give the file or its sha512:HEX", ex.Reason);
    }

    [Fact]
    public void LoggedSha512_WrongArtifact_IsRefused_AsASha256EntryIs()
    {
        using var instance = new TestInstance();
        byte[] other = Encoding.UTF8.GetBytes("another artifact\n");
        SigstoreBundle sha512 = SigstoreBundle.Parse(instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), "bundle");
        SigstoreBundle sha256 = SigstoreBundle.Parse(instance.Bundle(Content, ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256), "bundle");
        SigstoreArtifact wrong = SigstoreArtifact.FromFile(Write("other", other));

        var ex512 = Assert.Throws<SignatureInvalidException>(() => Verifier(instance).Verify(sha512, wrong));
        var ex256 = Assert.Throws<SignatureInvalidException>(() => Verifier(instance).Verify(sha256, wrong));
        Assert.Equal(ex256.Reason, ex512.Reason);
        Assert.Contains("the logged digest is not the artifact's", ex512.Reason);
    }

    [Fact]
    public void LogEntryForAnotherArtifact_WithAValidSignatureOverThisOne_IsRefused()
    {
        using var instance = new TestInstance();
        byte[] bundle = instance.Bundle(Content, ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384, loggedArtifact: Encoding.UTF8.GetBytes("logged\n"));
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(instance).Verify(SigstoreBundle.Parse(bundle, "bundle"), SigstoreArtifact.FromFile(Write("artifact", Content))));
        Assert.Contains("the logged digest is not the artifact's", ex.Reason);
    }

    [Fact]
    public void P384Key_SigningTheSha512_IsRefused_SigstorePairsEachCurveWithItsDigest()
    {
        using var instance = new TestInstance();
        SigstoreBundle bundle = SigstoreBundle.Parse(instance.Bundle(Content, ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA512), "bundle");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(instance).Verify(bundle, SigstoreArtifact.FromFile(Write("artifact", Content))));
        Assert.Contains("the signature does not match the artifact", ex.Reason);
    }

    [Fact]
    public void ByAnotherInstance_IsRefused()
    {
        using var signer = new TestInstance();
        using var other = new TestInstance();
        SigstoreBundle bundle = SigstoreBundle.Parse(signer.Bundle(Content, ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384), "bundle");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verifier(other).Verify(bundle, SigstoreArtifact.FromFile(Write("artifact", Content))));
        Assert.Contains("contains a root certificate the trusted root does not hold", ex.Reason);   // its own CA, checked before the log
    }

    // The download path: with no pin the downloader computes the SHA-384/SHA-512 in the same pass and the bundle vouches
    // for the bytes received; with a pinned sha512 (an SRI integrity) the bundle is checked first and the bytes held to it.
    private static async Task<(LoopbackServer Server, VerifiedDownloaderOptions Options)> ServeAsync(byte[] body)
    {
        LoopbackServer server = await LoopbackServer.StartAsync();
        server.Map("tool.bin", c => Serve.File(c, body));
        var log = new ConcurrentQueue<string>();
        return (server, new VerifiedDownloaderOptions { NoCache = true, ServerCertificateValidation = server.Trust, MaximumRetries = 0, Log = log.Enqueue });
    }

    private DownloadRequest Request(LoopbackServer server, TestInstance instance, byte[] bundle, ChecksumEntry? pinned) => new(server.Https("tool.bin"), Path.Combine(_dir, "tool.bin"))
    {
        Expected = pinned,
        DigestCheck = (digests, ct) => Verifier(instance).VerifyAny(SigstoreBundle.ParseAll(bundle, "tool.bin.sigstore.json"), SigstoreArtifact.FromDigests(digests), ct),
    };

    [Fact]
    public async Task Download_Unpinned_LoggedSha512_VerifiesTheBytesReceived()
    {
        using var instance = new TestInstance();
        (LoopbackServer server, VerifiedDownloaderOptions options) = await ServeAsync(Content);
        await using (server)
        {
            using var downloader = new VerifiedDownloader(options);
            DownloadResult result = await downloader.DownloadAsync(Request(server, instance, instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), null));
            Assert.True(result.Verified);
            Assert.Equal(Identity, result.Signature!.Signer);
            Assert.Equal(Content, File.ReadAllBytes(Path.Combine(_dir, "tool.bin")));
        }
    }

    [Fact]
    public async Task Download_Unpinned_LoggedSha512_WrongBytes_AreRefused_AndNotPlaced()
    {
        using var instance = new TestInstance();
        (LoopbackServer server, VerifiedDownloaderOptions options) = await ServeAsync(Encoding.UTF8.GetBytes("tampered\n"));
        await using (server)
        {
            using var downloader = new VerifiedDownloader(options);
            var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() =>
                downloader.DownloadAsync(Request(server, instance, instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), null)));
            Assert.Contains("the logged digest is not the artifact's", ex.Reason);
            Assert.False(File.Exists(Path.Combine(_dir, "tool.bin")));
        }
    }

    [Fact]
    public async Task Download_PinnedSha512_LoggedSha512_WrongBytes_AreAChecksumMismatch()
    {
        using var instance = new TestInstance();
        (LoopbackServer server, VerifiedDownloaderOptions options) = await ServeAsync(Encoding.UTF8.GetBytes("tampered\n"));
        await using (server)
        {
            using var downloader = new VerifiedDownloader(options);
            ChecksumEntry pinned = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA512.HashData(Content)), ChecksumAlgorithm.SHA512, "integrity");
            var ex = await Assert.ThrowsAsync<ChecksumMismatchException>(() =>
                downloader.DownloadAsync(Request(server, instance, instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), pinned)));
            Assert.Equal(ChecksumAlgorithm.SHA512, ex.Algorithm);
            Assert.False(File.Exists(Path.Combine(_dir, "tool.bin")));
        }
    }

    [Fact]
    public async Task Download_PinnedSha256Only_LoggedSha512_IsRefusedBeforeAnyByteMoves_SayingWhichDigestToPin()
    {
        using var instance = new TestInstance();
        (LoopbackServer server, VerifiedDownloaderOptions options) = await ServeAsync(Content);
        await using (server)
        {
            using var downloader = new VerifiedDownloader(options);
            ChecksumEntry pinned = ChecksumEntry.FromDigest(Convert.ToHexStringLower(SHA256.HashData(Content)), ChecksumAlgorithm.SHA256, "-Sha256");
            var ex = await Assert.ThrowsAsync<SignatureInvalidException>(() =>
                downloader.DownloadAsync(Request(server, instance, instance.Bundle(Content, ECCurve.NamedCurves.nistP521, HashAlgorithmName.SHA512), pinned)));
            Assert.Contains("checked against the artifact's SHA-512", ex.Reason);
            Assert.Contains("its sha512:HEX", ex.Reason);
            Assert.Empty(server.RequestsTo("tool.bin"));
        }
    }
}
