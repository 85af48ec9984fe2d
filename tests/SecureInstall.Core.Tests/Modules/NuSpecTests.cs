using System.Text;
using SecureInstall.Core.Modules;

namespace SecureInstall.Core.Tests.Modules;

public class NuSpecTests
{
    private static NuSpec Read(string xml) => NuSpec.Read(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "x.nuspec");

    [Fact]
    public void ReadsIdVersionAndDependencies_FromEveryGroup_Once()
    {
        NuSpec spec = Read("""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>Az.Accounts</id>
                <version>2.12.1</version>
                <description>has <id>nested</id> text</description>
                <dependencies>
                  <group targetFramework="net6.0"><dependency id="Helper" version="[1.0.0]" /></group>
                  <group targetFramework="net472"><dependency id="helper" version="[1.0.0]" /><dependency id="Other" /></group>
                </dependencies>
              </metadata>
            </package>
            """);
        Assert.Equal("Az.Accounts", spec.Id);
        Assert.Equal("2.12.1", spec.Version);
        Assert.Equal(new[] { "Helper [1.0.0]", "Other" }, spec.Dependencies.Select(d => d.ToString()));
    }

    [Fact]
    public void ADocumentTypeDefinition_IsRefused_NoEntityIsExpanded()
    {
        var ex = Assert.Throws<FormatException>(() => Read("""
            <?xml version="1.0"?>
            <!DOCTYPE package [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
            <package><metadata><id>&x;</id><version>1.0.0</version></metadata></package>
            """));
        Assert.Contains("not a readable .nuspec", ex.Message);
    }

    [Fact]
    public void NoIdOrVersion_IsRefused() =>
        Assert.Throws<FormatException>(() => Read("<package><metadata><id>A</id></metadata></package>"));
}
