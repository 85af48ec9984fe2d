using System.Text;
using System.Text.Json.Nodes;
using SecureInstall.Core.Signatures;
using SecureInstall.Core.Signatures.Sigstore;

namespace SecureInstall.Core.Tests.Signatures.Sigstore;

/// <summary>
/// slsa-github-generator's provenance is a bare DSSE envelope whose log proof Rekor serves. Real material: the
/// sigstore-conformance corpus's DSSE bundles from GitHub Actions, split into the envelope a provenance file holds and
/// the answer Rekor's API gives for the entry (body, integratedTime, logID, logIndex, verification), so the crypto is
/// real. Their signer is the conformance beacon workflow, not slsa-github-generator: the positive cases name it as the
/// builder, and the default builder list must refuse it.
/// </summary>
public sealed class SlsaProvenanceTests
{
    private const string Beacon = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";
    private const string BeaconWorkflow = @"https://github\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/\.github/workflows/extremely-dangerous-oidc-beacon\.yml@refs/heads/main";

    private static bool HaveCorpus => SigstoreConformanceTests.CasesDir is string d && Directory.Exists(d);

    private static JsonNode Bundle(string caseName) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(SigstoreConformanceTests.CasesDir!, caseName, "bundle.sigstore.json")))!;

    /// <summary>The envelope as slsa-github-generator publishes it: payloadType, payload, one signature without certificate.</summary>
    internal static byte[] EnvelopeLine(JsonNode bundle)
    {
        JsonNode env = bundle["dsseEnvelope"]!;
        var line = new JsonObject
        {
            ["payloadType"] = env["payloadType"]!.GetValue<string>(),
            ["payload"] = env["payload"]!.GetValue<string>(),
            ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = "", ["sig"] = env["signatures"]![0]!["sig"]!.GetValue<string>() }),
        };
        return Encoding.UTF8.GetBytes(line.ToJsonString() + "\n");
    }

    private static string HexOf(string base64) => Convert.ToHexString(Convert.FromBase64String(base64)).ToLowerInvariant();

    /// <summary>The bundle's tlog entry as Rekor's GET /api/v1/log/entries/{uuid} answers it.</summary>
    internal static JsonObject RekorEntry(JsonNode bundle)
    {
        JsonNode e = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        JsonNode p = e["inclusionProof"]!;
        var proof = new JsonObject
        {
            ["checkpoint"] = p["checkpoint"]!["envelope"]!.GetValue<string>(),
            ["hashes"] = new JsonArray(p["hashes"]!.AsArray().Select(h => (JsonNode)HexOf(h!.GetValue<string>())).ToArray()),
            ["logIndex"] = long.Parse(p["logIndex"]!.GetValue<string>()),
            ["rootHash"] = HexOf(p["rootHash"]!.GetValue<string>()),
            ["treeSize"] = long.Parse(p["treeSize"]!.GetValue<string>()),
        };
        return new JsonObject
        {
            ["body"] = e["canonicalizedBody"]!.GetValue<string>(),
            ["integratedTime"] = long.Parse(e["integratedTime"]!.GetValue<string>()),
            ["logID"] = HexOf(e["logId"]!["keyId"]!.GetValue<string>()),
            ["logIndex"] = long.Parse(e["logIndex"]!.GetValue<string>()),
            ["verification"] = new JsonObject
            {
                ["inclusionProof"] = proof,
                ["signedEntryTimestamp"] = e["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(),
            },
        };
    }

    internal static byte[] RekorAnswer(params JsonObject[] entries)
    {
        var answer = new JsonObject();
        int n = 0;
        foreach (JsonObject e in entries) answer[new string((char)('a' + n++), 64)] = e;
        return Encoding.UTF8.GetBytes(answer.ToJsonString());
    }

    private static SigstoreArtifact Artifact => SigstoreArtifact.FromFile(Path.Combine(SigstoreConformanceTests.CasesDir!, "a.txt"));

    private static TrustedRoot Root => TrustedRoot.Load(SigstoreConformanceTests.ProductionRoot!);

    /// <summary>What an install does: envelope + entry assembled into bundle JSON Lines, then verified as bundles.</summary>
    private static SignatureResult Verify(byte[] provenance, byte[] rekor, SigstorePolicy policy, SigstoreArtifact? artifact = null)
    {
        byte[] bundles = SlsaProvenance.AssembleBundles(SlsaProvenance.ParseEnvelopes(provenance, "x.intoto.jsonl"), SlsaProvenance.ParseRekorEntries(rekor, "rekor"),
            artifact ?? Artifact, "x.intoto.jsonl");
        return new SigstoreVerifier(Root, policy).VerifyAny(SigstoreBundle.ParseAll(bundles, "x.intoto.jsonl"), artifact ?? Artifact);
    }

    [SkippableFact]
    public void RealEnvelope_WithRealRekorEntry_Verifies_ForTheNamedBuilderAndSource()
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        JsonNode bundle = Bundle("happy-path-intoto-in-dsse-v3");
        SignatureResult result = Verify(EnvelopeLine(bundle), RekorAnswer(RekorEntry(bundle)), SlsaProvenance.Policy("github.com/" + Beacon, BeaconWorkflow));
        Assert.True(result.IsValid);
        Assert.StartsWith("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/", result.Signer);
        Assert.Equal(SlsaProvenance.SlsaProvenancePrefix + "v1", result.PredicateType);
        Assert.Equal(155690850, result.LogIndex);
    }

    [SkippableFact]
    public void TheDefaultBuilders_RefuseAnyOtherWorkflow()
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        JsonNode bundle = Bundle("happy-path-intoto-in-dsse-v3");
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(EnvelopeLine(bundle), RekorAnswer(RekorEntry(bundle)), SlsaProvenance.Policy("github.com/" + Beacon)));
        Assert.Contains("slsa-github-generator", ex.Message);
    }

    [SkippableFact]
    public void AnotherSourceRepository_IsRefused()
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        JsonNode bundle = Bundle("happy-path-intoto-in-dsse-v3");
        var ex = Assert.Throws<SignerNotTrustedException>(() => Verify(EnvelopeLine(bundle), RekorAnswer(RekorEntry(bundle)), SlsaProvenance.Policy("github.com/someone/else", BeaconWorkflow)));
        Assert.Contains("source repository", ex.Message);
    }

    [SkippableTheory]
    [InlineData("integratedTime")]
    [InlineData("logIndex")]
    [InlineData("signedEntryTimestamp")]
    [InlineData("inclusionProof")]
    public void AHostileRekorAnswer_IsRefused(string tampered)
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        JsonNode bundle = Bundle("happy-path-intoto-in-dsse-v3");
        JsonObject entry = RekorEntry(bundle);
        switch (tampered)
        {
            case "integratedTime": entry["integratedTime"] = entry["integratedTime"]!.GetValue<long>() + 1; break;
            case "logIndex": entry["logIndex"] = entry["logIndex"]!.GetValue<long>() + 1; break;
            case "signedEntryTimestamp": entry["verification"]!.AsObject().Remove("signedEntryTimestamp"); entry["verification"]!.AsObject().Remove("inclusionProof"); break;
            case "inclusionProof": entry["verification"]!["inclusionProof"]!["rootHash"] = new string('0', 64); break;
        }
        Assert.Throws<SignatureInvalidException>(() => Verify(EnvelopeLine(bundle), RekorAnswer(entry), SlsaProvenance.Policy("github.com/" + Beacon, BeaconWorkflow)));
    }

    [SkippableFact]
    public void AnEntryForAnotherEnvelope_IsRefused()
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        // The envelope of a bundle whose signature does not match its logged entry, paired with that entry: real bytes.
        JsonNode good = Bundle("happy-path-intoto-in-dsse-v3"), other = Bundle("dsse-mismatch-envelope_fail");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(EnvelopeLine(good), RekorAnswer(RekorEntry(other)), SlsaProvenance.Policy("github.com/" + Beacon, BeaconWorkflow)));
        Assert.Contains("the logged signature is not the bundle's signature", ex.Message);
    }

    [SkippableFact]
    public void ProvenanceThatDoesNotNameTheArtifact_IsRefused()
    {
        Skip.IfNot(HaveCorpus, "../shared/corpus/sigstore-conformance is not present on this machine");
        JsonNode bundle = Bundle("happy-path-intoto-in-dsse-v3");
        var ex = Assert.Throws<SignatureInvalidException>(() => Verify(EnvelopeLine(bundle), RekorAnswer(RekorEntry(bundle)),
            SlsaProvenance.Policy("github.com/" + Beacon, BeaconWorkflow), SigstoreArtifact.FromDigest(new byte[32])));
        Assert.Contains("no envelope of the provenance names this artifact", ex.Message);
    }

    [Theory]
    [InlineData("[\"../../admin\"]")]
    [InlineData("[\"" + "abcd" + "\"]")]
    [InlineData("{\"uuids\":[]}")]
    public void AHostileIndexAnswer_IsRefused(string answer) =>
        Assert.Throws<SignatureFormatException>(() => SlsaProvenance.ParseIndexAnswer(Encoding.UTF8.GetBytes(answer), "rekor index"));

    [Theory]
    [InlineData("github.com/owner")]
    [InlineData("gitlab.com/owner/repo")]
    [InlineData("github.com/owner/../x")]
    [InlineData("github.com/owner/repo/extra")]
    public void ASourceUriThatIsNotAGitHubRepository_IsRefused(string uri) =>
        Assert.Throws<ArgumentException>(() => SlsaProvenance.Policy(uri));

    [Fact]
    public void AnEnvelopeWithTwoSignatures_IsRefused()
    {
        byte[] line = Encoding.UTF8.GetBytes("{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\",\"signatures\":[{\"sig\":\"AA==\"},{\"sig\":\"AA==\"}]}\n");
        var ex = Assert.Throws<SignatureFormatException>(() => SlsaProvenance.ParseEnvelopes(line, "p.intoto.jsonl"));
        Assert.Contains("p.intoto.jsonl:1", ex.Message);
    }
}
