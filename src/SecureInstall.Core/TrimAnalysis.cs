// netstandard2.0 has no UnconditionalSuppressMessageAttribute; the trimmer and the Native AOT compiler recognise it by its
// full name, so this internal copy lets the core explain, at the one place, why code the analysis flags is safe in the
// native `secureinstall` (issue 23). It is metadata only: nothing reads it at run time.
namespace System.Diagnostics.CodeAnalysis;

[AttributeUsage(AttributeTargets.All, Inherited = false, AllowMultiple = true)]
internal sealed class UnconditionalSuppressMessageAttribute : Attribute
{
    public UnconditionalSuppressMessageAttribute(string category, string checkId)
    {
        Category = category;
        CheckId = checkId;
    }

    public string Category { get; }

    public string CheckId { get; }

    public string? Justification { get; set; }
}
