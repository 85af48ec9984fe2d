namespace SecureInstall.Core.Tests.Archives;

/// <summary>Where the shared corpus of real hostile archives lives, read in place (never copied into the repository).</summary>
internal static class Corpus
{
    public static readonly string Root = Path.Combine(TestPaths.Corpus ?? Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "corpus"), "archives");

    public static bool Present => Directory.Exists(Root);

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>A theory over corpus files, skipped with a message when ../shared/corpus/archives is absent.</summary>
public sealed class CorpusTheoryAttribute : TheoryAttribute
{
    public CorpusTheoryAttribute()
    {
        if (!Corpus.Present) Skip = $"archive corpus not found at {Corpus.Root}";
    }
}

public sealed class CorpusFactAttribute : FactAttribute
{
    public CorpusFactAttribute()
    {
        if (!Corpus.Present) Skip = $"archive corpus not found at {Corpus.Root}";
    }
}
