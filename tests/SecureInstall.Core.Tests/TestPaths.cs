using System.IO;

namespace SecureInstall.Core.Tests;

/// <summary>Where the repository and the shared real-world corpus are, seen from the test binaries.</summary>
internal static class TestPaths
{
    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir != null && !File.Exists(Path.Combine(dir, "SecureInstall.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("SecureInstall.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared/corpus beside the checkout, or null when this machine has none (tests then skip).</summary>
    public static string? Corpus
    {
        get
        {
            string path = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "corpus"));
            return Directory.Exists(path) ? path : null;
        }
    }
}

/// <summary>A fresh folder per test, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "si-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name, string content)
    {
        string full = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        System.IO.File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
