using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace SecureInstall.Commands;

/// <summary>
/// -Platform: the keywords a cmdlet adds ("auto", "all") or any spelling <c>Platforms.Parse</c> reads (linux-aarch64,
/// macos-arm64, win-x64), the same rule as the CLI's --platform; the cmdlet reads the value through Platforms.Parse.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidatePlatformAttribute : ValidateEnumeratedArgumentsAttribute
{
    public ValidatePlatformAttribute(params string[] keywords) => Keywords = keywords ?? Array.Empty<string>();

    public string[] Keywords { get; }

    protected override void ValidateElement(object element)
    {
        string text = (element is PSObject wrapped ? wrapped.BaseObject : element) as string ?? string.Empty;
        if (Keywords.Contains(text, StringComparer.OrdinalIgnoreCase)) return;
        try
        {
            Core.Manifests.Platforms.Parse(text);
        }
        catch (ArgumentException ex)
        {
            throw new ValidationMetadataException(Keywords.Length == 0 ? ex.Message : $"{ex.Message} Or: {string.Join(", ", Keywords)}.", ex);
        }
    }
}

/// <summary>Tab completion for -Platform: "auto", then every known platform.</summary>
public class PlatformCompleter : IArgumentCompleter
{
    protected virtual IEnumerable<string> Keywords => new[] { "auto" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        foreach (string name in Keywords.Concat(Core.Manifests.Platforms.Known))
        {
            if (name.StartsWith(wordToComplete ?? string.Empty, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
        }
    }
}

/// <summary>Tab completion for Save-PinnedTool's -Platform, which also takes "all".</summary>
public sealed class PlatformOrAllCompleter : PlatformCompleter
{
    protected override IEnumerable<string> Keywords => new[] { "auto", "all" };
}
