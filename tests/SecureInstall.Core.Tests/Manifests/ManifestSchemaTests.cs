using System.Text.Json.Nodes;
using NJsonSchema;
using YamlDotNet.RepresentationModel;

namespace SecureInstall.Core.Tests.Manifests;

/// <summary>The JSON Schema published for editors (module/secureinstall.manifest.schema.json) agrees with the reader.</summary>
public class ManifestSchemaTests
{
    private static readonly JsonSchema Schema =
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "module", "secureinstall.manifest.schema.json"))).GetAwaiter().GetResult();

    internal static ICollection<NJsonSchema.Validation.ValidationError> Validate(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Schema.Validate(ToJson(stream.Documents[0].RootNode)!.ToJsonString());
    }

    /// <summary>YAML as an editor's language server sees it: plain scalars that read as integers are numbers.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s when s.Style == YamlDotNet.Core.ScalarStyle.Plain && long.TryParse(s.Value, out long n) => JsonValue.Create(n),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    [Fact]
    public void ModulesOnlyManifest_IsValid_AndAModuleWithoutSha512IsNot()
    {
        string module = $"modules:\n  Pester:\n    version: \"5.9.0\"\n    source: https://example.test/v3/index.json\n";
        Assert.Empty(Validate(module + $"    sha512: {new string('a', 128)}\n"));
        Assert.NotEmpty(Validate(module));
    }

    [Fact]
    public void ModuleSignature_ThumbprintOrMapping_IsValid_AnotherKeyIsNot()
    {
        string module = $"modules:\n  Pester:\n    version: \"5.9.0\"\n    source: https://example.test/v3/index.json\n    sha512: {new string('a', 128)}\n";
        Assert.Empty(Validate(module + "    signature: 0123456789ABCDEF0123456789ABCDEF01234567\n"));
        Assert.Empty(Validate(module + "    signature: { thumbprint: abc, root: root.pem }\n"));
        Assert.NotEmpty(Validate(module + "    signature: { key: RWQ }\n"));
    }

    [Fact]
    public void BundledSampleManifest_IsValid()
    {
        Assert.Empty(Validate(File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "samples", "tools", "secureinstall.yml"))));
    }

    [Fact]
    public void FullNativeManifest_IsValid()
    {
        Assert.Empty(Validate($"""
            tools:
              tool:
                default_version: "1.0"
                checksums_url: https://e.test/{"{version}"}/SHA256SUMS
                signature: {"{"} scheme: minisign, key: RWQ {"}"}
                versions:
                  "1.0":
                    artifacts:
                      linux-x64: {"{"} url: https://e.test/t.tar.gz, sha256: {new string('a', 64)}, size: 10, archive: tar.gz, strip_components: 1, bin: [bin/t], mirrors: [https://m.test/t.tar.gz] {"}"}
                  "0.9":
                    url: ./dist/t.zip
                    waiver: "publisher rebuilds in place"
            """));
    }

    [Theory]
    [InlineData("tools:\n  t:\n    versions:\n      \"1\":\n        url: http://e.test/t.zip\n        sha256: AAAA\n")]
    [InlineData("tools:\n  t:\n    versions:\n      latest:\n        url: https://e.test/t.zip\n")]
    [InlineData("tools:\n  t:\n    versions:\n      \"1\":\n        artifacts:\n          solaris-sparc:\n            url: https://e.test/t.zip\n")]
    [InlineData("tools:\n  t:\n    default_version: \"1\"\n")]
    [InlineData("tools:\n  t:\n    versions:\n      \"1\":\n        url: https://e.test/t.tgz\n        integrity: sha1-wsQ1uWQrPzYNwTXkdmRm5u3rI2Q=\n")]
    public void ManifestsTheReaderRefuses_AreInvalidForEditorsToo(string yaml)
    {
        Assert.True(Validate(yaml).Count > 0, yaml);
    }

    [Fact]
    public void IntegrityPinnedArtifact_IsValidForEditors()
    {
        Assert.Empty(Validate("tools:\n  t:\n    versions:\n      \"1\":\n        artifacts:\n          linux-x64:\n            url: https://e.test/t.tgz\n            integrity: sha512-kPIj+ZLkyI3QaM0qX8V/nSsweYND3W448pwkDgS6CQ74MfhEkIR8ToK5Iyx46KJYRjseVcD3Rp9zAmUAj6ZjPw==\n"));
    }
}
