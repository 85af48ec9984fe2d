namespace SecureInstall.Core.Tests.Archives;

/// <summary>Where the shared corpus of real hostile archives lives, read in place (never copied into the repository).</summary>
internal static class Corpus
{
    public static readonly string Root = Path.GetFullPath(Path.Combine(FindRepoRoot(), "..", "shared", "corpus", "archives"));

    public static bool Present => Directory.Exists(Root);

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir != null && !File.Exists(Path.Combine(dir, "SecureInstall.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? AppContext.BaseDirectory;
    }
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
