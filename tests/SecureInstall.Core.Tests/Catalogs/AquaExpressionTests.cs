using SecureInstall.Core.Catalogs;
using SecureInstall.Core.Catalogs.Aqua;

namespace SecureInstall.Core.Tests.Catalogs;

/// <summary>The template and version_constraint subsets, on the forms the registry uses.</summary>
public class AquaExpressionTests
{
    private static readonly Dictionary<string, string> Values = new() { ["Version"] = "v1.2.3", ["SemVer"] = "v1.2.3", ["OS"] = "linux", ["Arch"] = "amd64", ["Format"] = "tar.gz" };

    [Theory]
    [InlineData("gh_{{trimV .Version}}_{{.OS}}_{{.Arch}}.{{.Format}}", "gh_1.2.3_linux_amd64.tar.gz")]
    [InlineData("{{trimPrefix \"rc/\" .Version | trimV}}", "1.2.3")]
    [InlineData("{{title .OS}}", "Linux")]
    [InlineData("v{{(semver .SemVer).Major}}", "v1")]
    [InlineData("plain", "plain")]
    public void Template_RendersTheRegistrysForms(string template, string expected) =>
        Assert.Equal(expected, GoTemplate.Render(template, Values, "test"));

    [Theory]
    [InlineData("{{.Version | printf \"%s\"}}", "the function 'printf'")]
    [InlineData("{{range .OS}}x{{end}}", "the 'range' action")]
    [InlineData("{{- .OS -}}", "trim markers")]
    [InlineData("{{$x := .OS}}", "template variables")]
    [InlineData("{{.Secret}}", ".Secret")]
    [InlineData("{{.OS", "never closed")]
    public void Template_RefusesWhatItDoesNotRender_ByName(string template, string named)
    {
        CatalogException ex = Assert.Throws<CatalogException>(() => GoTemplate.Render(template, Values, "test"));
        Assert.Equal(ErrorIds.CatalogDefinitionUnsupported, ex.ErrorId);
        Assert.Contains(named, ex.Message);
    }

    [Theory]
    [InlineData("true", "v1.2.3", true)]
    [InlineData("false", "v1.2.3", false)]
    [InlineData("semver(\"<= 1.2.3\")", "v1.2.3", true)]
    [InlineData("semver(\"< 1.2.3\")", "v1.2.3", false)]
    [InlineData("semver(\"> 1.0.0, <= 2.0.0-a.1\")", "v1.5.0", true)]
    [InlineData("semver(\"<= 2.0.0\")", "v2.0.0-rc1", false)]          // go-version: a pre-release meets only a pre-release constraint
    [InlineData("semver(\"<= 2.0.0-rc2\")", "v2.0.0-rc1", true)]
    [InlineData("semver(\"<= 1.32.3+k0s.0\") && semver(\">= 1.32.0+k0s.0\")", "v1.32.1+k0s.0", true)]
    [InlineData("Version == \"v1.2.3\"", "v1.2.3", true)]
    [InlineData("Version in [\"v1.0.0\", \"v1.2.3\"]", "v1.2.3", true)]
    [InlineData("not (Version startsWith \"v1\") and semver(\">= 0.1\")", "v1.2.3", false)]
    [InlineData("Version startsWith \"cli/\" and semverWithVersion(\">= 1.0.0\", trimPrefix(Version, \"cli/\"))", "cli/v1.9.4", true)]
    [InlineData("semver(\"<= 0.0.0-beta\")", "rc/v2.15.4.1", false)]   // not a semantic version: meets no semver constraint, as in aqua
    public void Constraint_EvaluatesTheRegistrysForms(string expression, string version, bool expected) =>
        Assert.Equal(expected, VersionConstraint.Evaluate(expression, version, version, "test"));

    [Theory]
    [InlineData("Version matches \"^v1\"")]
    [InlineData("len(Version) > 3")]
    public void Constraint_RefusesWhatItDoesNotEvaluate(string expression)
    {
        CatalogException ex = Assert.Throws<CatalogException>(() => VersionConstraint.Evaluate(expression, "v1.2.3", "v1.2.3", "test"));
        Assert.Equal(ErrorIds.CatalogDefinitionUnsupported, ex.ErrorId);
    }
}
